"""Structural problems of a CSV that DuckDB's reader only reports as raw sniffing text: rows longer than the header.

Scanned with Python's ``csv`` module (streaming) only when DuckDB has refused the file, so the fast path stays fast.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ..report import Problem


def long_rows(path: Path, delimiter: str, first_data: int, width: int) -> list[tuple[int, int]]:
    """[(record number, cells)] of the data rows with a non-empty cell beyond ``width``."""
    out = []
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        for n, row in enumerate(csv.reader(f, delimiter=delimiter), start=1):
            if n > first_data and len(row) > width and any(c.strip() for c in row[width:]):
                out.append((n, len(row)))
    return out


def extra_cell_problems(name: str, rows: list[tuple[int, int]], width: int) -> list[Problem]:
    return [Problem("extra-cell", f"第 {n} 行有 {cells} 个单元格，比表头多 {cells - width} 个",
                    "多出的单元格不会发布。请检查该行是否多了逗号（如金额中的千位分隔符未加引号），或把内容移回对应的列。",
                    file=name, row=n) for n, cells in rows]


def engine_line(message: str) -> int | None:
    """The line a DuckDB CSV error names, if any (its text itself never reaches a user)."""
    m = re.search(r"[Ll]ine:?\s*(\d+)", message)
    return int(m.group(1)) if m else None
