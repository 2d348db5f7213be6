"""What a source file is: its real format (magic bytes over the name), and the grid of text cells every reader
gives the header detection (:mod:`.csvfile` for CSV, :mod:`.sheets` for XLSX, XLS and JSON)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SourceError

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
    # (row, column), 0-based, of an empty cell inside a merged range → (row, column, text) of its top-left cell
    merged: dict[tuple[int, int], tuple[int, int, str]] = field(default_factory=dict)


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


def grid_from_rows(fmt: str, rows: Iterator[tuple[int, list[str | None]]], sheet: str) -> Grid:
    head: list[list[str | None]] = []
    for _, cells in rows:
        head.append(cells)
        if len(head) >= HEAD_LINES:
            break
    return Grid(fmt, head, rows=rows, sheet=sheet)
