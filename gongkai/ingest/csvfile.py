"""CSV sources: the encoding found (or declared), the file decoded to UTF-8 when needed and its first lines parsed.

CSV files are not read here row by row: DuckDB loads the bulk of them in parallel (:mod:`.load`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from ..errors import SourceError
from ..settings import SourceLimits
from .formats import HEAD_LINES, Grid
from .limits import bounded_lines

SAMPLE_BYTES = 1 << 20

ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gbk": "GBK", "gb18030": "GB18030", "utf-16": "UTF-16"}


def read_csv_head(path: Path, declared: str, workdir: Path, limits: SourceLimits | None = None) -> Grid:
    """Find the encoding, transcode to UTF-8 if needed, and parse the first lines."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    encoding = _choose_encoding(path, sample, declared)
    target = path
    if encoding not in ("utf-8", "utf-8-sig"):
        target = workdir / f"{path.stem}.utf8.csv"
        _transcode(path, target, encoding)
    with target.open("r", encoding="utf-8-sig", newline="") as f:
        head_text = "".join(bounded_lines(f, HEAD_LINES, limits or SourceLimits(), path.name))
    delimiter = max([",", "\t", ";", "|"], key=lambda d: head_text.split("\n", 1)[0].count(d))
    spaced = delimiter != "\t" and re.search(f'"{re.escape(delimiter)}[ \t]+"', head_text) is not None
    if spaced:  # `"a", "b"`: a quote after the space opens the cell; a reader that knows only RFC 4180 keeps it
        target = _unspaced(target, workdir / f"{path.stem}.unspaced.csv", delimiter)
    head = [[c if c.strip() else None for c in row]
            for row in csv.reader(io.StringIO(head_text), delimiter=delimiter, skipinitialspace=spaced)]
    return Grid("csv", head, encoding=encoding, csv_path=target, delimiter=delimiter)


def _unspaced(src: Path, dst: Path, delimiter: str) -> Path:
    """``src`` (UTF-8) rewritten without the spaces after each delimiter, one record at a time."""
    with src.open("r", encoding="utf-8-sig", newline="") as fi, dst.open("w", encoding="utf-8", newline="") as fo:
        csv.writer(fo, delimiter=delimiter, lineterminator="\n").writerows(
            csv.reader(fi, delimiter=delimiter, skipinitialspace=True))
    return dst


def _choose_encoding(path: Path, sample: bytes, declared: str) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    candidates = ["utf-8", "gb18030"] if declared == "auto" else [declared]
    for enc in candidates:
        try:
            codecs.getincrementaldecoder(enc)("strict").decode(sample, final=len(sample) < SAMPLE_BYTES)
        except UnicodeDecodeError as e:
            failure = e
            continue
        if enc == "gb18030" and declared == "auto" and (line := _implausible_gbk(sample)):
            raise SourceError(f"文件 {path.name} 不像 UTF-8 或 GBK 编码的中文（第 {line} 行按 GBK 读出的是乱码，"
                              "可能是 Latin-1/Windows-1252 或混用了多种编码）",
                              "请在 Excel 或 WPS 中“另存为”CSV UTF-8 格式，或在数据集说明中用 source.encoding 声明文件的编码。",
                              code="encoding-error", file=path.name, row=line)
        return enc
    line = sample[: failure.start].count(b"\n") + 1
    if declared == "auto":
        raise SourceError(f"无法识别文件 {path.name} 的字符编码（第 {line} 行含有既不是 UTF-8 也不是 GBK/GB18030 的字节）",
                          "请在 Excel 或 WPS 中“另存为”CSV UTF-8 格式后重新提交。",
                          code="encoding-error", file=path.name, row=line)
    guess = "，看起来是 GBK/GB18030 编码" if declared.startswith("utf") and _decodes(sample, "gb18030") else ""
    raise SourceError(f"文件 {path.name} 声明为 {ENCODING_NAMES.get(declared, declared)} 编码，但第 {line} 行不是{guess}",
                      "请把文件另存为声明的编码，或修改数据集说明中的 source.encoding（auto 表示自动识别）。",
                      code="encoding-error", file=path.name, row=line)


def _implausible_gbk(sample: bytes) -> int | None:
    """The line of the first garbled character when ``sample`` read as GBK is not Chinese text.

    GB18030 decodes almost any bytes, so a Latin-1 ``Année`` reads as ``Ann閑`` without an error. Two signs, either
    enough: the multi-byte characters are mostly outside GB 2312 (both bytes 0xA1–0xFE), where Chinese text in GBK
    overwhelmingly is; or a character outside GB 2312 directly follows an ASCII letter, as an accented letter inside
    a Latin word does (``Soci|é|t``). Real rare characters of names (喆 86B4, 镕 E946, 珺 AC42) lie outside GB 2312
    too, but follow Chinese text, not a Latin letter, so one such cell is no sign.
    """
    good = bad = 0
    first_bad: int | None = None
    after_letter = False  # the previous byte was an ASCII letter on its own, not a GBK trail byte
    i, n = 0, len(sample)
    while i < n:
        b = sample[i]
        if b < 0x80:
            after_letter = 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A
            i += 1
            continue
        t = sample[i + 1] if i + 1 < n else 0xA1
        if 0xA1 <= b <= 0xF7 and 0xA1 <= t <= 0xFE:
            good += 1
        elif after_letter:
            return sample[:i].count(b"\n") + 1
        else:
            bad += 1
            first_bad = first_bad if first_bad is not None else i
        after_letter = False
        i += 2
    if first_bad is not None and (good == 0 or bad > max(2, good // 4)):
        return sample[:first_bad].count(b"\n") + 1
    return None


def _decodes(sample: bytes, enc: str) -> bool:
    try:
        codecs.getincrementaldecoder(enc)("strict").decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _transcode(src: Path, dst: Path, encoding: str, chunk: int = 16 << 20) -> None:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines_before = 0
    with src.open("rb") as fi, dst.open("w", encoding="utf-8", newline="") as fo:
        while True:
            block = fi.read(chunk)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as e:
                line = lines_before + block[: e.start].count(b"\n") + 1
                raise SourceError(f"文件 {src.name} 第 {line} 行含有不是 {ENCODING_NAMES.get(encoding, encoding)} 编码的字节",
                                  "文件可能混用了多种编码。请在 Excel 或 WPS 中打开并另存为 CSV UTF-8 格式。",
                                  code="encoding-error", file=src.name, row=line) from None
            fo.write(text.lstrip("\ufeff") if lines_before == 0 else text)
            lines_before += block.count(b"\n")
            if not block:
                break
