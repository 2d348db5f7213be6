"""Structural problems of a CSV file that DuckDB's reader hides: rows longer or shorter than the header, blank
rows (DuckDB skips empty lines, which would shift every later row number) and cells under a blank header label.

One streaming pass with Python's ``csv`` module, run in a thread while DuckDB reads the file (DuckDB releases the
GIL), gives each record's true number and cell count. Error types and row numbers follow frictionless-py.
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..report import Problem

# a 1 MB 备注 is legitimate: set when the ingest is imported, before any CSV reader of it runs (the head of
# csvfile too, which a field past csv's default 128 KB limit would otherwise crash in a fresh process)
csv.field_size_limit(sys.maxsize if sys.maxsize < 2**63 else 2**62)

LISTED = 1000  # per file and type; the rest are counted


@dataclass
class Shape:
    """What the structural pass found; rows are record numbers (the header's first row is 1)."""

    long: list[tuple[int, int]] = field(default_factory=list)  # (row, cells) with a non-empty cell beyond the header
    short: list[tuple[int, int]] = field(default_factory=list)  # (row, cells) with fewer cells than the header
    blank: list[int] = field(default_factory=list)  # rows whose cells are all empty
    empty_lines: list[int] = field(default_factory=list)  # rows with no cell at all (DuckDB does not see them)
    filled: dict[int, list[int]] = field(default_factory=dict)  # watched column -> rows where it has a value


def scan(path: Path, delimiter: str, first_data: int, width: int, needed: int,
         watch: frozenset[int] = frozenset()) -> Shape:
    """One pass over the data records of ``path`` (after ``first_data`` header/title records).

    ``width`` is the header's cell count, ``needed`` the count up to its last label: a trailing comma on every
    line (Excel exports) adds a blank label whose empty cells are no problem, and a row may omit them.
    """
    shape = Shape(filled={c: [] for c in watch})
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        for n, row in enumerate(csv.reader(f, delimiter=delimiter), start=1):
            if n <= first_data:
                continue
            cells = len(row)
            if cells == 0:
                shape.empty_lines.append(n)
                shape.blank.append(n)
                continue
            if cells > width and any(c.strip() for c in row[width:]):
                shape.long.append((n, cells))
            elif cells < needed and (cells > 1 or row[0].strip()):
                shape.short.append((n, cells))
            if not any(c.strip() for c in row):
                shape.blank.append(n)
                continue
            for c in watch:
                if c < cells and row[c].strip():
                    shape.filled[c].append(n)
    return shape


def records(path: Path, chunk: int = 16 << 20) -> int:
    """Lines in ``path`` (a last line without a newline counts): equal to the records when no cell has a line break."""
    n, last = 0, b"\n"
    with path.open("rb") as f:
        while block := f.read(chunk):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def problems(name: str, shape: Shape, width: int, needed: int, labels: list[str | None],
             sheet: str | None = None) -> list[Problem]:
    """The typed problems of ``shape``: extra-cell and missing-cell errors, blank-row warnings."""
    out = [Problem("extra-cell", f"第 {n} 行有 {cells} 个单元格，比表头多 {cells - width} 个",
                   "多出的单元格不会发布。请检查该行是否多了逗号（如金额中的千位分隔符未加引号），或把内容移回对应的列。",
                   file=name, row=n) for n, cells in shape.long[:LISTED]]
    for n, cells in shape.short[:LISTED]:
        lost = [lab or f"第 {i + 1} 列" for i, lab in enumerate(labels[:needed]) if i >= cells]
        out.append(Problem("missing-cell", f"第 {n} 行只有 {cells} 个单元格，比表头少 {needed - cells} 个（缺少「"
                           + "」「".join(lost[:5]) + "」" + ("等" if len(lost) > 5 else "") + "）",
                           "该行可能被截断，或某个单元格中的换行、逗号没有加引号。请在 Excel 中检查这一行，"
                           "空白的单元格也要保留分隔符（逗号）。", file=name, row=n,
                           column=next((lab for i, lab in enumerate(labels) if i >= cells and lab), None)))
    out += [Problem("blank-row", f"第 {n} 行是空行，已跳过", "空行不会发布；如果该行本应有数据，请补上后重新提交。",
                    file=name, sheet=sheet, row=n, severity="warning") for n in shape.blank[:LISTED]]
    return out


def overflow(shape: Shape) -> dict[tuple[str, str], int]:
    """How many problems of each (type, severity) :func:`problems` left unlisted."""
    out = {("extra-cell", "error"): len(shape.long) - LISTED, ("missing-cell", "error"): len(shape.short) - LISTED,
           ("blank-row", "warning"): len(shape.blank) - LISTED}
    return {k: n for k, n in out.items() if n > 0}


def blank_label_problems(name: str, sheet: str | None, header_row: int, filled: dict[int, list[int]]) -> list[Problem]:
    """A column without a header label but with values: its cells would be lost without a word."""
    out = []
    for c, rows in sorted(filled.items()):
        if rows:
            out.append(Problem("blank-label", f"第 {c + 1} 列（{column_letter(c)} 列）没有列名，但有 {len(rows)} 个单元格有内容"
                               f"（如第 {rows[0]} 行），这些内容不会发布",
                               "请在表头中为这一列填写约定的列名；如果这一列不需要，请删除整列。",
                               file=name, sheet=sheet, row=header_row, column=column_letter(c)))
    return out


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel names it."""
    s, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def engine_line(message: str) -> int | None:
    """The line a DuckDB CSV error names, if any (its text itself never reaches a user)."""
    m = re.search(r"[Ll]ine:?\s*(\d+)", message)
    return int(m.group(1)) if m else None
