"""CSV sources: the encoding found (or declared), the file decoded to UTF-8 when needed and its first lines parsed.

CSV files are not read here row by row: DuckDB loads the bulk of them in parallel (:mod:`.load`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from functools import cache
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
        with target.open("w", encoding="utf-8", newline="") as fo:
            for text in _decoded(path, encoding, latin=encoding == "gb18030" and declared == "auto"):
                fo.write(text)
    try:  # a file continued in another encoding past the first megabyte breaks here, in its first lines
        with target.open("r", encoding="utf-8-sig", newline="") as f:
            head_text = "".join(bounded_lines(f, HEAD_LINES, limits or SourceLimits(), path.name))
        delimiter = max([",", "\t", ";", "|"], key=lambda d: head_text.split("\n", 1)[0].count(d))
        spaced = delimiter != "\t" and re.search(f'"{re.escape(delimiter)}[ \t]+"', head_text) is not None
        if spaced:  # `"a", "b"`: a quote after the space opens the cell; a reader that knows only RFC 4180 keeps it
            target = _unspaced(target, workdir / f"{path.stem}.unspaced.csv", delimiter)
    except UnicodeDecodeError:
        encoding_break(path, encoding)
        raise
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
            raise _garbled(path, line)
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
    """The line of the first garbled character when ``sample``'s multi-byte characters are mostly outside GB 2312.

    GB18030 decodes almost any bytes, so a Latin-1 ``Année`` reads as ``Ann閑`` without an error. Chinese text in
    GBK is overwhelmingly GB 2312 (both bytes 0xA1–0xFE); single accented letters followed by ASCII are not. One
    such word among Chinese text is caught by :func:`_latin_line` instead.
    """
    good = bad = 0
    first_bad: int | None = None
    i, n = 0, len(sample)
    while i < n:
        b = sample[i]
        if b < 0x80:
            i += 1
            continue
        t = sample[i + 1] if i + 1 < n else 0xA1
        if 0xA1 <= b <= 0xF7 and 0xA1 <= t <= 0xFE:
            good += 1
        else:
            bad += 1
            first_bad = first_bad if first_bad is not None else i
        i += 2
    if first_bad is not None and (good == 0 or bad > max(2, good // 4)):
        return sample[:first_bad].count(b"\n") + 1
    return None


@cache
def _latin_in_gbk() -> re.Pattern[str]:
    """An ASCII letter followed by a GBK character outside GB 2312: what an accented letter inside a Latin word
    (``Soci|é|t``, bytes E9 74) reads as. Real rare characters of names (喆 86B4, 镕 E946, 珺 AC42) lie outside
    GB 2312 too, but follow Chinese text, not a Latin letter."""
    outside = []
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail != 0x7F and not (0xA1 <= lead <= 0xF7 and 0xA1 <= trail <= 0xFE):
                try:
                    outside.append(bytes((lead, trail)).decode("gbk"))
                except UnicodeDecodeError:
                    continue
    return re.compile("[A-Za-z][" + re.escape("".join(outside)) + "]")


def _garbled(path: Path, line: int) -> SourceError:
    return SourceError(f"文件 {path.name} 不像 UTF-8 或 GBK 编码的中文（第 {line} 行按 GBK 读出的是乱码，"
                       "可能是 Latin-1/Windows-1252 或混用了多种编码）",
                       "请在 Excel 或 WPS 中“另存为”CSV UTF-8 格式，或在数据集说明中用 source.encoding 声明文件的编码。",
                       code="encoding-error", file=path.name, row=line)


def _decodes(sample: bytes, enc: str) -> bool:
    try:
        codecs.getincrementaldecoder(enc)("strict").decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        return False


def encoding_break(path: Path, encoding: str) -> None:
    """Raise the problem naming the line where ``path`` stops being ``encoding`` (a file continued in another one
    past the first megabyte the encoding was found from). Run only once a reader has failed: good files pay
    nothing."""
    for _ in _decoded(path, encoding):
        pass


def _decoded(src: Path, encoding: str, latin: bool = False, chunk: int = 16 << 20) -> Iterator[str]:
    """``src`` decoded, ``chunk`` bytes at a time (memory stays bounded), without a leading BOM. A byte not in
    ``encoding`` — a file continued in another one — is refused with its line; with ``latin``, so is Latin-1 text
    read as GBK (:func:`_latin_in_gbk`)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines_before = 0  # of the bytes read
    lines_text, tail = 0, ""  # newlines of the text yielded before its last character, and that character
    with src.open("rb") as fi:
        while True:
            block = fi.read(chunk)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as e:
                line = lines_before + block[: e.start].count(b"\n") + 1
                raise SourceError(f"文件 {src.name} 第 {line} 行含有不是 {ENCODING_NAMES.get(encoding, encoding)} 编码的字节",
                                  "文件可能混用了多种编码。请在 Excel 或 WPS 中打开并另存为 CSV UTF-8 格式。",
                                  code="encoding-error", file=src.name, row=line) from None
            if lines_before == 0:
                text = text.lstrip("\ufeff")
            if latin and text and (m := _latin_in_gbk().search(tail + text)):
                raise _garbled(src, lines_text + (tail + text)[: m.start()].count("\n") + 1)
            if text:
                lines_text += (tail + text[:-1]).count("\n")
                tail = text[-1]
            yield text
            lines_before += block.count(b"\n")
            if not block:
                break
