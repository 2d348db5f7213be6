"""Header detection: which rows of a sheet are its header, and which field each column is.

Labels are compared after NFKC and without whitespace; a unit in a label (``资金规模(万元)``) or in a sheet note
(``单位：万元``) says what the column's numbers are in.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SourceError
from ..report import Problem
from ..spec.dataset import DatasetSpec
from ..spec.schema import TableSchema
from ..vocab import UNITS
from .formats import Grid

_UNITS = "|".join(sorted(UNITS, key=len, reverse=True))
_UNIT_RE = re.compile(r"^(?P<base>.*?)[(\[]?(?:单位[:：]?)?(?P<unit>" + _UNITS
                      + r")(?P<per>/[^()\[\]/]{1,8})?[)\]]?$")  # 保障标准(元/人·月): a rate, in 元
_SHEET_UNIT_RE = re.compile(r"单位[:：]\s*(?P<unit>" + _UNITS + ")")


def norm_label(label: str) -> str:
    """A header as compared: NFKC (full-width → half-width), no whitespace at all."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", label))


def split_unit(label: str) -> tuple[str, str | None]:
    """``资金规模(万元)`` → (``资金规模``, ``万元``); a label without a unit → (label, None)."""
    m = _UNIT_RE.match(label)
    if m and m.group("base") and (label.endswith((")", "]")) or "单位" in label):
        return m.group("base"), m.group("unit")
    return label, None


@dataclass
class ColumnMatch:
    field: str
    index: int
    label: str
    unit: str | None  # unit the source column is in (None: same as the field)


@dataclass
class SourceFile:
    path: Path
    format: str
    sha256: str
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1
    columns: list[ColumnMatch] = field(default_factory=list)
    rows: int = 0
    dropped_blank: int = 0
    dropped_totals: int = 0
    table: str | None = None  # DuckDB table holding its normalised rows (with _row, the source row number)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.path.name, "format": self.format, "sha256": self.sha256, "encoding": self.encoding,
            "sheet": self.sheet, "header_row": self.header_row, "rows": self.rows,
            "blank_rows_dropped": self.dropped_blank, "total_rows_dropped": self.dropped_totals,
            "columns": {c.field: {"label": c.label, **({"unit": c.unit} if c.unit else {})} for c in self.columns},
        }


class Header:
    """The header rules of one dataset: its fields' names, titles and aliases."""

    def __init__(self, spec: DatasetSpec, schema: TableSchema) -> None:
        self.spec, self.schema = spec, schema
        self.aliases = self._aliases()

    def _aliases(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.schema.fields:
            if f.derived:
                continue
            cm = self.spec.source.columns.get(f.name)
            for label in [f.name, *([f.title] if f.title else []), *(cm.headers if cm else [])]:
                out[norm_label(label)] = f.name
        return out

    def labels(self, grid: Grid, top: int, depth: int, as_written: bool = False) -> list[str | None]:
        """Flatten header rows ``top``..``top+depth`` (0-based) into one label per column, normalised for
        matching (``as_written``: the text as the clerk typed it, for messages).

        An empty upper cell takes its left neighbour's label only when the sheet really merges them
        (``grid.merged``); CSV has no merges, so a blank header cell stays blank and is never filled from its left.
        """
        rows = grid.head[top: top + depth]
        width = max(len(r) for r in rows)
        labels: list[str | None] = []
        continued: set[int] = set()  # columns whose bottom header cell continues a merge from their left
        for r_i, row in enumerate(rows):
            filled: list[str | None] = []
            for c in range(width):
                v = row[c] if c < len(row) else None
                origin = grid.merged.get((top + r_i, c))
                if v is None and origin and origin[0] >= top:  # a range that starts above the header is not its label
                    # the bottom row of a range spanning columns is the same cell as its left part, not a new column
                    if r_i == len(rows) - 1 and origin[1] < c:
                        continued.add(c)
                    v = origin[2]
                filled.append(v)
            labels = filled if r_i == 0 else [
                _join(a, b) for a, b in zip(labels, filled, strict=True)]
        shown = (lambda v: v.strip()) if as_written else norm_label
        return [shown(v) if v and c not in continued else None for c, v in enumerate(labels)]

    def blank_columns(self, grid: Grid, top: int, depth: int) -> list[int]:
        """Columns with no header text in any header row and not inside a merged range (0-based)."""
        rows = grid.head[top: top + depth]
        width = max((len(r) for r in rows), default=0)
        return [c for c in range(width) if all((r[c] if c < len(r) else None) is None
                                               and (top + i, c) not in grid.merged for i, r in enumerate(rows))]

    def match(self, label: str | None) -> tuple[str, str | None] | None:
        if not label:
            return None
        for candidate in dict.fromkeys([label, *label.split("/")[::-1]]):  # full label, then its parts
            base, unit = split_unit(candidate)
            if candidate in self.aliases:  # an exact alias still names its unit: 保障标准(元/人·月) is in 元
                return self.aliases[candidate], unit
            if base in self.aliases:
                return self.aliases[base], unit
        return None

    def find(self, grid: Grid, name: str) -> tuple[int, int]:
        """(first header row, header depth), 0-based: the rows whose labels match the most fields.

        On a tie the shallower header wins, so a data row is never mistaken for a second header row.
        """
        given, depth = self.spec.source.header_row, self.spec.source.header_rows
        if given != "auto" and given > len(grid.head):
            raise SourceError(f"{name}：表头应在第 {given} 行，但文件只有 {len(grid.head)} 行", code="header-only",
                              file=name, sheet=grid.sheet)
        tops = [given - 1] if given != "auto" else range(len(grid.head))
        depths = [depth] if depth != "auto" else [1, 2, 3, 4, 5]
        scores = [(self.score(grid, r, d), -d, -r) for r in tops for d in depths if r + d <= len(grid.head)]
        best, neg_d, neg_r = max(scores) if scores else (0, -1, 0)
        if best == 0:
            raise SourceError(f"{name}：在前 {len(grid.head)} 行中找不到表头（没有一个列名能对应到数据集的字段）",
                              f"表头应包含这些列：{'、'.join(f.title or f.name for f in self.schema.fields)}。"
                              "如果表头不在前几行，请在数据集说明中设置 source.header_row。",
                              code="missing-label", file=name, sheet=grid.sheet)
        return -neg_r, -neg_d

    def score(self, grid: Grid, top: int, depth: int) -> int:
        """How many *distinct* fields the header rows name: a field matched twice does not score, so a deeper
        "header" that swallows a data row (扎西 under 项目负责人) never beats the real one."""
        return len({m[0] for lab in self.labels(grid, top, depth) if (m := self.match(lab))})

    def map_columns(self, grid: Grid, top: int, depth: int, src: SourceFile) -> list[Problem]:
        """Match each header label to a field; set ``src.columns`` and return the header problems."""
        labels = self.labels(grid, top, depth)
        written = self.labels(grid, top, depth, as_written=True)
        problems: list[Problem] = []
        seen: dict[str, ColumnMatch] = {}
        unknown: list[tuple[int, str]] = []
        sheet_unit = self.sheet_unit(grid, top)
        for i, key in enumerate(labels):
            m = self.match(key)
            lab = written[i] or key
            if m is None:
                if lab:
                    unknown.append((i, lab))
                continue
            fname, unit = m
            f = self.schema.get(fname)
            if fname in seen:
                problems.append(Problem("duplicate-label", f"第 {i + 1} 列「{lab}」与第 {seen[fname].index + 1} 列"
                                        f"「{seen[fname].label}」重复，都对应字段 {f.label}",
                                        "删除重复的列，或把其中一列改名。", file=src.path.name, sheet=src.sheet,
                                        row=top + 1, field=fname, column=lab))
                continue
            src_unit = unit or (sheet_unit if f.unit and sheet_unit and UNITS[sheet_unit][0] == UNITS[f.unit][0] else None)
            cm = self.spec.source.columns.get(fname)
            src_unit = src_unit or (cm.unit if cm else None)
            if src_unit and not f.unit:
                problems.append(Problem("extra-label", f"列「{lab}」带有单位 {src_unit}，但字段 {f.label} 没有声明单位",
                                        "在 Table Schema 中为该字段声明 unit。", file=src.path.name, row=top + 1, column=lab))
            elif src_unit and f.unit and UNITS[src_unit][0] != UNITS[f.unit][0]:
                problems.append(Problem("extra-label", f"列「{lab}」的单位 {src_unit} 不能换算为字段单位 {f.unit}",
                                        f"请把该列换算为 {f.unit} 后填写。", file=src.path.name, sheet=src.sheet,
                                        row=top + 1, field=fname, column=lab))
            seen[fname] = ColumnMatch(fname, i, lab or fname, src_unit if src_unit != f.unit else None)
        missing = [f for f in self.schema.fields if f.name not in seen and not f.derived]
        for i, lab in unknown:
            if self.spec.source.extra_columns == "ignore":
                continue
            close = difflib.get_close_matches(norm_label(lab), list(self.aliases), n=1, cutoff=0.5)
            hint = (f"它是不是「{close[0]}」？请改回约定的列名，" if close else "请删除该列，") + \
                "或在数据集说明 source.columns 中为字段加上这个别名。"
            warn = self.spec.source.extra_columns == "warn"
            problems.append(Problem("extra-label", f"第 {i + 1} 列「{lab}」不是数据集约定的列"
                                    + ("，已忽略，不会发布" if warn else ""), hint,
                                    file=src.path.name, sheet=src.sheet, row=top + 1, column=lab,
                                    severity="warning" if warn else "error"))
        for f in missing:
            names = [f.title or f.name, *(self.spec.source.columns[f.name].headers if f.name in self.spec.source.columns else [])]
            problems.append(Problem("missing-label", f"缺少列「{f.title or f.name}」（字段 {f.name}）",
                                    f"请加上这一列，可用的列名：{'、'.join(dict.fromkeys(names))}。",
                                    file=src.path.name, sheet=src.sheet, row=top + 1, field=f.name))
        src.columns = sorted(seen.values(), key=lambda c: c.index)
        return problems

    def sheet_unit(self, grid: Grid, top: int) -> str | None:
        for row in grid.head[:top]:
            for v in row:
                if v and (m := _SHEET_UNIT_RE.search(v)):
                    return m.group("unit")
        return None


def _join(top: str | None, bottom: str | None) -> str | None:
    if top and bottom and top != bottom:
        return f"{top}/{bottom}"
    return bottom or top
