"""Spreadsheet (XLSX, XLS) and JSON sources as grids of text cells, their rows read lazily."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import SourceError
from .formats import Grid, cell_text, grid_from_rows


def read_xlsx(path: Path, sheet: str | int | None) -> Grid:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for broken zips
        raise SourceError(f"无法打开 Excel 文件 {path.name}：{e}", "文件可能已损坏，请在 Excel 中打开并重新保存。",
                          code="format-error", file=path.name) from None
    ws = wb[_pick_sheet(path, wb.sheetnames, sheet)]
    rows = ((i, [cell_text(v) for v in r]) for i, r in enumerate(ws.iter_rows(values_only=True), start=1))
    grid = grid_from_rows("xlsx", _damage_checked(rows, path, ws.title), ws.title)
    _refuse_empty(path, grid, wb.sheetnames, sheet)
    _spread(grid, _xlsx_merges(path, wb.sheetnames.index(ws.title)))
    return grid


def _xlsx_merges(path: Path, index: int) -> list[tuple[int, int, int, int]]:
    """The merged ranges (first row, first col, last row, last col; 0-based) of the ``index``-th sheet.

    openpyxl's read-only mode does not read ``<mergeCell>``, so they are read from the sheet's XML part.
    """
    import re
    import zipfile
    from xml.etree import ElementTree as ET

    from openpyxl.utils.cell import range_boundaries

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    try:
        with zipfile.ZipFile(path) as z:
            sheets = ET.fromstring(z.read("xl/workbook.xml")).findall("m:sheets/m:sheet", ns)
            rid = sheets[index].get(f"{{{ns['r']}}}id")
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target", "") for r in rels.findall("p:Relationship", ns) if r.get("Id") == rid)
            part = target.lstrip("/") if target.startswith("/") else "xl/" + re.sub(r"^\./", "", target)
            refs = [m.get("ref", "") for m in ET.fromstring(z.read(part)).iter(f"{{{ns['m']}}}mergeCell")]
    except (KeyError, IndexError, StopIteration, zipfile.BadZipFile, ET.ParseError):
        return []  # no merge info: no label is carried sideways
    out = []
    for ref in refs:
        try:
            c0, r0, c1, r1 = range_boundaries(ref)
        except ValueError:
            continue
        out.append((r0 - 1, c0 - 1, r1 - 1, c1 - 1))
    return out


def _spread(grid: Grid, ranges: list[tuple[int, int, int, int]]) -> None:
    """Record, for each empty header cell inside a merged range, the label of the range's top-left cell."""
    for r0, c0, r1, c1 in ranges:
        if r0 >= len(grid.head) or c0 >= len(grid.head[r0]) or not (label := grid.head[r0][c0]):
            continue
        for r in range(r0, min(r1, len(grid.head) - 1) + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    grid.merged[(r, c)] = (r0, c0, label)


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
    grid = grid_from_rows("xls", rows, ws.name)
    _refuse_empty(path, grid, book.sheet_names(), sheet)
    # xlrd lists merges only with formatting_info; without it no label is carried sideways
    _spread(grid, [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in getattr(ws, "merged_cells", [])])
    return grid


def _refuse_empty(path: Path, grid: Grid, names: list[str], declared: str | int | None) -> None:
    """An empty sheet is said to be empty (not "no header found"), with the workbook's other sheets."""
    if any(v is not None for row in grid.head for v in row):
        return
    others = [n for n in names if n != grid.sheet]
    hint = ("请把数据放在这个工作表中，" if declared is not None else "数据集说明没有指定工作表时读取第一个工作表；") + \
        (f"或在数据集说明中用 source.sheet 指定有数据的工作表（本文件还有：{'、'.join(others)}）。" if others
         else "请确认导出时选择了正确的数据范围。")
    raise SourceError(f"文件 {path.name} 的工作表「{grid.sheet}」是空的", hint, code="empty-file", file=path.name,
                      sheet=grid.sheet)


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
