"""Reading source files: format sniffing, encodings, and spreadsheets as grids of text cells.

CSV files are not read here row by row: they are only decoded (to UTF-8 when needed) and their first lines
parsed, so that DuckDB can load the bulk of them in parallel.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SourceError

SAMPLE_BYTES = 1 << 20
HEAD_LINES = 30
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Grid:
    """The top of a sheet or file (for header detection) and, for non-CSV sources, all its rows."""

    format: str
    head: list[list[str | None]]  # first rows, as text
    rows: Iterator[tuple[int, list[str | None]]] | None = None  # (row number, cells) after `head`, non-CSV only
    sheet: str | None = None
    encoding: str | None = None
    csv_path: Path | None = None  # UTF-8 file DuckDB reads (CSV only)
    delimiter: str = ","


def sniff_format(path: Path, declared: str) -> str:
    """The real format of ``path``: its magic bytes win over its name, with clear errors for impostors."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise SourceError(f"找不到源文件 {path}", "检查数据集说明中 source.path 的路径，或用 --source 指定文件。",
                          code="source-error", file=str(path)) from None
    except IsADirectoryError:
        raise SourceError(f"{path} 是目录，不是文件", code="source-error", file=str(path)) from None
    ext = path.suffix.lower().lstrip(".")
    fmt = declared if declared != "auto" else {"tsv": "csv", "txt": "csv"}.get(ext, ext)
    if not head.strip():
        raise SourceError(f"文件 {path.name} 是空的（0 行）", "请确认导出时选择了正确的数据范围，然后重新导出。",
                          code="empty-file", file=path.name)
    if head.startswith(OLE_MAGIC):
        if _is_encrypted(path):
            raise SourceError(f"文件 {path.name} 设置了打开密码，无法读取",
                              "请在 Excel 中打开文件，取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存。",
                              code="encrypted-file", file=path.name)
        if fmt in ("xlsx", "xls"):
            return "xls"
    if head.startswith(ZIP_MAGIC) and fmt in ("xlsx", "xls"):
        return "xlsx"
    if fmt in ("xlsx", "xls"):
        kind = "HTML 网页" if head.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")) else "文本（可能是 CSV）"
        raise SourceError(f"文件 {path.name} 的扩展名是 .{ext}，但内容不是 Excel 工作簿，而是{kind}",
                          "请用 Excel 打开后“另存为”Excel 工作簿（.xlsx），或把文件改为正确的扩展名（如 .csv）。",
                          code="format-error", file=path.name)
    if fmt in ("csv", "json"):
        return fmt
    raise SourceError(f"不支持的文件类型 .{ext}：{path.name}", "请提供 CSV、XLSX、XLS 或 JSON 文件。",
                      code="format-error", file=path.name)


def _is_encrypted(path: Path) -> bool:
    import msoffcrypto

    try:
        with path.open("rb") as f:
            return bool(msoffcrypto.OfficeFile(f).is_encrypted())
    except Exception:
        return False


def cell_text(v: Any) -> str | None:
    """A spreadsheet cell as the text a person sees: 12.0 → "12", dates → ISO, blanks → None."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    s = str(v)
    return s if s.strip() else None


# -- CSV ------------------------------------------------------------------------------------------------

ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gbk": "GBK", "gb18030": "GB18030", "utf-16": "UTF-16"}


def read_csv_head(path: Path, declared: str, workdir: Path) -> Grid:
    """Find the encoding, transcode to UTF-8 if needed, and parse the first lines."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    encoding = _choose_encoding(path, sample, declared)
    target = path
    if encoding not in ("utf-8", "utf-8-sig"):
        target = workdir / f"{path.stem}.utf8.csv"
        _transcode(path, target, encoding)
    with target.open("r", encoding="utf-8-sig", newline="") as f:
        head_text = "".join(line for _, line in zip(range(HEAD_LINES), f, strict=False))
    delimiter = max([",", "\t", ";", "|"], key=lambda d: head_text.split("\n", 1)[0].count(d))
    head = [[c if c.strip() else None for c in row] for row in csv.reader(io.StringIO(head_text), delimiter=delimiter)]
    return Grid("csv", head, encoding=encoding, csv_path=target, delimiter=delimiter)


def _choose_encoding(path: Path, sample: bytes, declared: str) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    candidates = ["utf-8", "gb18030"] if declared == "auto" else [declared]
    for enc in candidates:
        try:
            codecs.getincrementaldecoder(enc)("strict").decode(sample, final=len(sample) < SAMPLE_BYTES)
            return enc
        except UnicodeDecodeError as e:
            failure = e
    line = sample[: failure.start].count(b"\n") + 1
    if declared == "auto":
        raise SourceError(f"无法识别文件 {path.name} 的字符编码（第 {line} 行含有既不是 UTF-8 也不是 GBK/GB18030 的字节）",
                          "请在 Excel 或 WPS 中“另存为”CSV UTF-8 格式后重新提交。",
                          code="encoding-error", file=path.name, row=line)
    guess = "，看起来是 GBK/GB18030 编码" if declared.startswith("utf") and _decodes(sample, "gb18030") else ""
    raise SourceError(f"文件 {path.name} 声明为 {ENCODING_NAMES.get(declared, declared)} 编码，但第 {line} 行不是{guess}",
                      "请把文件另存为声明的编码，或修改数据集说明中的 source.encoding（auto 表示自动识别）。",
                      code="encoding-error", file=path.name, row=line)


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


# -- spreadsheets and JSON ----------------------------------------------------------------------------------


def read_xlsx(path: Path, sheet: str | int | None) -> Grid:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for broken zips
        raise SourceError(f"无法打开 Excel 文件 {path.name}：{e}", "文件可能已损坏，请在 Excel 中打开并重新保存。",
                          code="format-error", file=path.name) from None
    ws = wb[_pick_sheet(path, wb.sheetnames, sheet)]
    rows = ((i, [cell_text(v) for v in r]) for i, r in enumerate(ws.iter_rows(values_only=True), start=1))
    return _grid_from_rows("xlsx", _damage_checked(rows, path, ws.title), ws.title)


def _damage_checked(rows: Iterator[tuple[int, list[str | None]]], path: Path,
                    sheet: str) -> Iterator[tuple[int, list[str | None]]]:
    """The rows of a read-only sheet; a damaged sheet inside a readable zip fails while they are read."""
    try:
        yield from rows
    except Exception as e:
        raise SourceError(f"Excel 文件 {path.name} 的工作表「{sheet}」已损坏，无法读取（{type(e).__name__}）",
                          "请在 Excel 或 WPS 中打开并重新保存（另存为 .xlsx），再重新提交。",
                          code="format-error", file=path.name, sheet=sheet) from None


def read_xls(path: Path, sheet: str | int | None) -> Grid:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as e:
        raise SourceError(f"无法打开 Excel 97-2003 文件 {path.name}：{e}", "请在 Excel 中打开并另存为 .xlsx。",
                          code="format-error", file=path.name) from None
    ws = book.sheet_by_name(_pick_sheet(path, book.sheet_names(), sheet))

    def value(c: Any) -> str | None:
        if c.ctype == xlrd.XL_CELL_DATE:
            return cell_text(xlrd.xldate_as_datetime(c.value, book.datemode))
        if c.ctype == xlrd.XL_CELL_BOOLEAN:
            return cell_text(bool(c.value))
        return cell_text(c.value) if c.ctype != xlrd.XL_CELL_ERROR else None

    rows = ((i + 1, [value(c) for c in ws.row(i)]) for i in range(ws.nrows))
    return _grid_from_rows("xls", rows, ws.name)


def _pick_sheet(path: Path, names: list[str], sheet: str | int | None) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if 1 <= sheet <= len(names):
            return names[sheet - 1]
    elif sheet in names:
        return sheet
    raise SourceError(f"文件 {path.name} 中没有工作表「{sheet}」（现有：{'、'.join(names)}）",
                      "请修改数据集说明中的 source.sheet，或在文件中把工作表改回约定的名称。",
                      code="sheet-not-found", file=path.name, sheet=str(sheet))


def read_json(path: Path) -> Grid:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise SourceError(f"JSON 文件 {path.name} 不是 UTF-8 编码", "JSON 必须使用 UTF-8 编码保存。",
                          code="encoding-error", file=path.name) from None
    except json.JSONDecodeError as e:
        raise SourceError(f"JSON 文件 {path.name} 第 {e.lineno} 行第 {e.colno} 列格式错误：{e.msg}",
                          "请用 JSON 校验工具检查括号、引号和逗号。", code="format-error", file=path.name, row=e.lineno) from None
    records = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SourceError(f"JSON 文件 {path.name} 应是对象数组（或带 data 数组的对象）",
                          '格式示例：[{"项目名称": "…", "金额": 12.5}, …]', code="format-error", file=path.name)
    keys: dict[str, None] = {}
    for r in records:
        keys.update(dict.fromkeys(r))
    header = list(keys)
    rows = ((i + 1, [cell_text(r.get(k)) for k in header]) for i, r in enumerate(records))
    return Grid("json", [header], rows=rows)  # JSON "row" = record number (1-based)


def _grid_from_rows(fmt: str, rows: Iterator[tuple[int, list[str | None]]], sheet: str) -> Grid:
    head: list[list[str | None]] = []
    for _, cells in rows:
        head.append(cells)
        if len(head) >= HEAD_LINES:
            break
    return Grid(fmt, head, rows=rows, sheet=sheet)
