"""Ingest: source files → one DuckDB table of normalised text cells named by schema field.

Each row keeps where it came from (``_file``, ``_sheet``, ``_row``: the row number a person sees in the
sheet, or the line of a CSV file) so that every later error can point at it.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from . import derive
from .errors import SourceError
from .readers import HEAD_LINES, Grid, read_csv_head, read_json, read_xls, read_xlsx, sniff_format
from .report import Problem, Report
from .schema import Field, TableSchema
from .spec import DatasetSpec
from .vocab import UNITS, unit_factor
from .workspace import Workspace

FULLWIDTH = "０１２３４５６７８９　．，－＋％：／（）"
HALFWIDTH = "0123456789 .,-+%:/()"
SPACES = " \t\r\n\u3000\u00a0"
_UNIT_RE = re.compile(r"^(?P<base>.*?)[(\[]?(?:单位[:：]?)?(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True))
                      + r")(?P<per>/[^()\[\]/]{1,8})?[)\]]?$")  # 保障标准(元/人·月): a rate, in 元
_SHEET_UNIT_RE = re.compile(r"单位[:：]\s*(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True)) + ")")
BATCH_ROWS = 50_000
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gongkai-sha256")


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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


class Ingest:
    """Loads a dataset's sources into ``ws`` table ``data`` and records header and row problems in ``report``."""

    def __init__(self, spec: DatasetSpec, schema: TableSchema, ws: Workspace, report: Report) -> None:
        self.spec, self.schema, self.ws, self.report = spec, schema, ws, report
        self.aliases = self._aliases()
        self.files: list[SourceFile] = []

    def _aliases(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.schema.fields:
            if f.derived:
                continue
            cm = self.spec.source.columns.get(f.name)
            for label in [f.name, *([f.title] if f.title else []), *(cm.headers if cm else [])]:
                out[norm_label(label)] = f.name
        return out

    # -- header ---------------------------------------------------------------------------------------

    def _labels(self, grid: Grid, top: int, depth: int) -> list[str | None]:
        """Flatten header rows ``top``..``top+depth`` (0-based) into one label per column: merged cells fill right."""
        rows = grid.head[top: top + depth]
        width = max(len(r) for r in rows)
        labels: list[str | None] = []
        for r_i, row in enumerate(rows):
            filled, last = [], None
            for c in range(width):
                v = row[c] if c < len(row) else None
                if v is not None:
                    last = v
                elif r_i < len(rows) - 1:  # a merged group cell in an upper header row spans to the right
                    v = last
                filled.append(v)
            labels = filled if r_i == 0 else [
                _join(a, b) for a, b in zip(labels, filled, strict=True)]
        return [norm_label(v) if v else None for v in labels]

    def _match(self, label: str | None) -> tuple[str, str | None] | None:
        if not label:
            return None
        for candidate in dict.fromkeys([label, *label.split("/")[::-1]]):  # full label, then its parts
            base, unit = split_unit(candidate)
            if candidate in self.aliases:  # an exact alias still names its unit: 保障标准(元/人·月) is in 元
                return self.aliases[candidate], unit
            if base in self.aliases:
                return self.aliases[base], unit
        return None

    def _find_header(self, grid: Grid, name: str) -> tuple[int, int]:
        """(first header row, header depth), 0-based: the rows whose labels match the most fields.

        On a tie the shallower header wins, so a data row is never mistaken for a second header row.
        """
        given, depth = self.spec.source.header_row, self.spec.source.header_rows
        if given != "auto" and given > len(grid.head):
            raise SourceError(f"{name}：表头应在第 {given} 行，但文件只有 {len(grid.head)} 行", code="header-only",
                              file=name, sheet=grid.sheet)
        tops = [given - 1] if given != "auto" else range(len(grid.head))
        depths = [depth] if depth != "auto" else [1, 2, 3]
        scores = [(sum(1 for lab in self._labels(grid, r, d) if self._match(lab)), -d, -r)
                  for r in tops for d in depths if r + d <= len(grid.head)]
        best, neg_d, neg_r = max(scores) if scores else (0, -1, 0)
        if best == 0:
            raise SourceError(f"{name}：在前 {len(grid.head)} 行中找不到表头（没有一个列名能对应到数据集的字段）",
                              f"表头应包含这些列：{'、'.join(f.title or f.name for f in self.schema.fields)}。"
                              "如果表头不在前几行，请在数据集说明中设置 source.header_row。",
                              code="missing-label", file=name, sheet=grid.sheet)
        return -neg_r, -neg_d

    def _map_columns(self, grid: Grid, top: int, depth: int, src: SourceFile) -> list[Problem]:
        labels = self._labels(grid, top, depth)
        problems: list[Problem] = []
        seen: dict[str, ColumnMatch] = {}
        unknown: list[tuple[int, str]] = []
        sheet_unit = self._sheet_unit(grid, top)
        for i, lab in enumerate(labels):
            m = self._match(lab)
            if m is None:
                if lab:
                    unknown.append((i, lab))
                continue
            fname, unit = m
            f = self.schema.get(fname)
            if fname in seen:
                problems.append(Problem("duplicate-label", f"列「{lab}」和列「{seen[fname].label}」都对应字段 {f.label}",
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
            close = difflib.get_close_matches(lab, list(self.aliases), n=1, cutoff=0.5)
            hint = (f"它是不是「{close[0]}」？请改回约定的列名，" if close else "请删除该列，") + \
                "或在数据集说明 source.columns 中为字段加上这个别名。"
            problems.append(Problem("extra-label", f"第 {i + 1} 列「{lab}」不是数据集约定的列", hint,
                                    file=src.path.name, sheet=src.sheet, row=top + 1, column=lab))
        for f in missing:
            names = [f.title or f.name, *(self.spec.source.columns[f.name].headers if f.name in self.spec.source.columns else [])]
            problems.append(Problem("missing-label", f"缺少列「{f.title or f.name}」（字段 {f.name}）",
                                    f"请加上这一列，可用的列名：{'、'.join(dict.fromkeys(names))}。",
                                    file=src.path.name, sheet=src.sheet, row=top + 1, field=f.name))
        src.columns = sorted(seen.values(), key=lambda c: c.index)
        return problems

    def _sheet_unit(self, grid: Grid, top: int) -> str | None:
        for row in grid.head[:top]:
            for v in row:
                if v and (m := _SHEET_UNIT_RE.search(v)):
                    return m.group("unit")
        return None

    # -- loading --------------------------------------------------------------------------------------

    def load(self, path: Path) -> None:
        """Read one source file into its own table; header problems go to the report, fatal ones raise."""
        s = self.spec.source
        fmt = sniff_format(path, s.format)
        if fmt == "csv":
            grid = read_csv_head(path, s.encoding, self.ws.dir)
        elif fmt == "xlsx":
            grid = read_xlsx(path, s.sheet)
        elif fmt == "xls":
            grid = read_xls(path, s.sheet)
        else:
            grid = read_json(path)
        hashing = _HASHER.submit(sha256_file, path)  # hashlib releases the GIL: hash while DuckDB reads
        src = SourceFile(path, fmt, "", encoding=grid.encoding, sheet=grid.sheet)
        self.files.append(src)
        try:
            top, depth = self._find_header(grid, path.name) if grid.format != "json" else (0, 1)
            src.header_row = top + 1
            header_problems = self._map_columns(grid, top, depth, src)
            self.report.extend(header_problems)
            if any(p.severity == "error" for p in header_problems):
                return
            first_data = top + depth
            if grid.format == "csv" and len(grid.head) < HEAD_LINES and not any(any(r) for r in grid.head[first_data:]):
                raise SourceError(f"{path.name} 只有表头，没有数据行", "请确认数据已粘贴到表头下方，然后重新提交。",
                                  code="header-only", file=path.name)
            table = f"src_{len(self.files)}"
            if grid.format == "csv":
                self._load_csv(grid, src, first_data, table)
            else:
                self._load_rows(grid, src, first_data, table)
            con = self.ws.con
            if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:  # type: ignore[index]
                raise SourceError(f"{path.name}{'（工作表「' + src.sheet + '」）' if src.sheet else ''}只有表头，没有数据行",
                                  "请确认数据已粘贴到表头下方，然后重新提交。", code="header-only", file=path.name, sheet=src.sheet)
            blank = " AND ".join(f'"{c.field}" IS NULL' for c in src.columns)
            src.dropped_blank = con.execute(f"DELETE FROM {table} WHERE {blank}").fetchone()[0]  # type: ignore[index]
            if self.spec.source.totals:
                self._handle_totals(src, table)
            src.rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            src.table = table
        finally:
            src.sha256 = hashing.result()

    def _select_normalised(self, src: SourceFile, cell: Any) -> str:
        """The SELECT list turning source cells (``cell(ColumnMatch)`` gives the SQL of one) into fields."""
        mapped = {c.field: c for c in src.columns}
        out = []
        for f in self.schema.fields:
            c = mapped.get(f.name)
            expr = normalise_sql(cell(c), f, self.schema.missing_values, c.unit) if c else "NULL"
            out.append(f'CAST({expr} AS VARCHAR) AS "{f.name}"')
        return ", ".join(out)

    def _load_csv(self, grid: Grid, src: SourceFile, first_data: int, table: str) -> None:
        """DuckDB reads the file in parallel into a raw table, then normalises every cell into ``table``.

        The raw copy is what keeps row numbers true: a plain scan into a table keeps file order, so its
        ``rowid`` is the record index. (A scan fused with the normalising expressions was seen to reorder
        blocks of a large file, so the two steps stay apart.)
        """
        width = max(len(r) for r in grid.head) if grid.head else 0
        width = max(width, *(c.index + 1 for c in src.columns))
        cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        delim = grid.delimiter.replace("\t", "\\t")
        picked = ", ".join(f"c{c.index}" for c in src.columns)
        raw = f"{table}_raw"
        read = (f"CREATE TABLE {raw} AS SELECT {picked} FROM read_csv(?, header=false, skip={first_data}, "
                f"columns={cols}, delim=E'{delim}', quote='\"', escape='\"', null_padding=true, "
                f"strict_mode=false, all_varchar=true, encoding='utf-8'{{parallel}})")
        try:
            try:
                self.ws.con.execute(read.replace("{parallel}", ""), [str(grid.csv_path)])
            except duckdb.Error as e:
                if "quoted new lines" not in str(e):
                    raise
                # cells with line breaks (common in 备注 exported from Excel): the serial reader handles them
                self.ws.con.execute(f"DROP TABLE IF EXISTS {raw}")
                self.ws.con.execute(read.replace("{parallel}", ", parallel=false"), [str(grid.csv_path)])
        except duckdb.Error as e:  # the message carries the line
            msg = str(e).split("\n")[0]
            code = "encoding-error" if "unicode" in msg.lower() else "format-error"
            raise SourceError(f"读取 {src.path.name} 失败：{msg}",
                              "请在 Excel 或 WPS 中打开并另存为 CSV UTF-8 格式；检查引号是否成对。",
                              code=code, file=src.path.name) from None
        select = self._select_normalised(src, lambda c: f"c{c.index}")
        self.ws.con.execute(f"CREATE TABLE {table} AS SELECT rowid + {first_data + 1} AS _row, {select} FROM {raw}")
        self.ws.con.execute(f"DROP TABLE {raw}")

    def _load_rows(self, grid: Grid, src: SourceFile, first_data: int, table: str) -> None:
        """Spreadsheets and JSON: cells arrive from Python in batches, with their row numbers."""
        rest = grid.rows if grid.rows is not None else iter(())
        if grid.format == "json":
            rows = rest
        else:
            rows = chain(((i + 1, r) for i, r in enumerate(grid.head) if i >= first_data), rest)
        arrow_schema = pa.schema([("_row", pa.int64()), *((f"c{c.index}", pa.string()) for c in src.columns)])
        con = self.ws.con
        staged = f"{table}_raw"
        columns = ", ".join(f"{n} {'BIGINT' if n == '_row' else 'VARCHAR'}" for n in arrow_schema.names)
        con.execute(f"CREATE TABLE {staged} ({columns})")
        batch: list[list[Any]] = [[] for _ in arrow_schema.names]
        for rownum, cells in rows:
            batch[0].append(rownum)
            for j, c in enumerate(src.columns, start=1):
                batch[j].append(cells[c.index] if c.index < len(cells) else None)
            if len(batch[0]) >= BATCH_ROWS:
                self._flush(staged, batch, arrow_schema)
                batch = [[] for _ in arrow_schema.names]
        self._flush(staged, batch, arrow_schema)
        select = self._select_normalised(src, lambda c: f"c{c.index}")
        con.execute(f"CREATE TABLE {table} AS SELECT _row, {select} FROM {staged}")
        con.execute(f"DROP TABLE {staged}")

    def _flush(self, staged: str, batch: list[list[Any]], arrow_schema: pa.Schema) -> None:
        if batch[0]:
            tbl = pa.Table.from_arrays([pa.array(b, type=t.type) for b, t in zip(batch, arrow_schema, strict=True)],
                                       schema=arrow_schema)
            self.ws.con.register("_batch", tbl)
            self.ws.con.execute(f"INSERT INTO {staged} SELECT * FROM _batch")
            self.ws.con.unregister("_batch")

    @property
    def locations(self) -> list[tuple[str, str | None]]:
        """(file name, sheet) of each ``_src`` index."""
        return [(s.path.name, s.sheet) for s in self.files]

    def create_view(self) -> None:
        """View ``data``: every loaded file's rows with ``_src`` (file index), ``_file``, ``_sheet`` and ``_row``."""
        derive.register(self.ws.con, self.schema)
        fields = ", ".join(derive.select_sql(f) for f in self.schema.fields)
        parts = [f"SELECT {i} AS _src, {_sql_str(s.path.name)} AS _file, "
                 f"{_sql_str(s.sheet) if s.sheet else 'NULL::VARCHAR'} AS _sheet, "
                 f"_row, {fields} FROM {s.table}"
                 for i, s in enumerate(self.files) if s.table]
        if not parts:
            empty = ", ".join(f'NULL::VARCHAR AS "{n}"' for n in self.schema.names)
            parts = [f"SELECT 0 AS _src, NULL::VARCHAR AS _file, NULL::VARCHAR AS _sheet, NULL::BIGINT AS _row, {empty} "
                     "LIMIT 0"]
        self.ws.con.execute("CREATE OR REPLACE VIEW data AS " + " UNION ALL ".join(parts))

    def _handle_totals(self, src: SourceFile, norm: str) -> None:
        """Drop 合计 rows; with ``verify``, check the one total row against the sum of the detail rows."""
        t = self.spec.source.totals
        assert t is not None
        con = self.ws.con
        pattern = _sql_str("^(" + "|".join(re.escape(label) for label in t.labels) + ")")
        where = f"regexp_matches(regexp_replace(\"{t.field}\", '[\\s\u3000]', '', 'g'), {pattern})"
        fields = ", ".join(f'"{n}"' for n in self.schema.names)
        totals = con.execute(f"SELECT _row, {fields} FROM {norm} WHERE {where}").fetchall()
        src.dropped_totals = len(totals)
        if t.action == "verify" and len(totals) == 1:
            names = self.schema.names
            row = totals[0]
            for f in self.schema.fields:
                total_text = row[1 + names.index(f.name)]
                if f.type not in ("number", "integer") or f.name in self.schema.primary_key or total_text is None:
                    continue
                got = con.execute(f'SELECT sum(TRY_CAST("{f.name}" AS DECIMAL(38,6))), count(*) FILTER '
                                  f'(WHERE TRY_CAST("{f.name}" AS DECIMAL(38,6)) IS NULL AND "{f.name}" IS NOT NULL) '
                                  f"FROM {norm} WHERE NOT ({where})").fetchone()
                try:
                    expected = float(total_text)
                except ValueError:
                    continue
                c = next((c for c in src.columns if c.field == f.name), None)
                # rounding of a total written in 万元 to two decimals is 0.005 万元 = 50 元
                tolerance = 0.005 * (unit_factor(c.unit, f.unit) if c and c.unit and f.unit else 1)
                if got and got[1] == 0 and got[0] is not None and abs(float(got[0]) - expected) > tolerance:
                    self.report.add(Problem(
                        "total-mismatch", f"合计行的 {f.label} 为 {_fmt(expected)}，但各明细行相加为 {_fmt(float(got[0]))}"
                        f"（相差 {_fmt(expected - float(got[0]))}{f.unit or ''}）",
                        "请核对明细行和合计行，改正其中有误的数字。", file=src.path.name, sheet=src.sheet, row=row[0],
                        field=f.name, value=total_text))
        con.execute(f"DELETE FROM {norm} WHERE {where}")


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _join(top: str | None, bottom: str | None) -> str | None:
    if top and bottom and top != bottom:
        return f"{top}/{bottom}"
    return bottom or top


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def normalise_sql(col: str, f: Field, missing: tuple[str, ...], source_unit: str | None) -> str:
    """SQL that turns a raw text cell into the canonical text the checks see.

    Surrounding spaces go and missing-value markers become NULL. In numbers, dates and patterned codes,
    full-width digits and punctuation become half-width; numbers lose thousands separators and are converted
    to the field's unit (also from a unit written in the cell, 12.5万元); dates written 2025年3月5日, 2025/3/5
    or 2025.3.5 become 2025-03-05. A cell that cannot be normalised is kept as written, so the type check
    reports it as the clerk typed it. Cells already in canonical form take a fast path (one regex test).
    """
    v = f"trim(translate({col}, '{FULLWIDTH}', '{HALFWIDTH}'), {_sql_str(SPACES)})"
    if missing:
        v = f"CASE WHEN {v} IN ({', '.join(_sql_str(m) for m in missing)}) THEN NULL ELSE {v} END"
    if f.numeric:
        num = f"replace(replace({v}, ',', ''), ' ', '')"
        factor = unit_factor(source_unit, f.unit) if source_unit and f.unit else 1
        if f.unit:
            units = "|".join(sorted((u for u in UNITS if UNITS[u][0] == UNITS[f.unit][0]), key=len, reverse=True))
            cell_unit = f"regexp_extract({num}, '^[-+0-9.eE]+({units})$', 1)"
            factors = " ".join(f"WHEN '{u}' THEN {unit_factor(u, f.unit)}" for u in UNITS
                               if UNITS[u][0] == UNITS[f.unit][0])
            number = f"TRY_CAST(regexp_replace({num}, '({units})$', '') AS DECIMAL(38,8))"
            scaled = _decimal_text(f"{number} * (CASE {cell_unit} {factors} ELSE {factor} END)")
            slow = f"CASE WHEN {number} IS NOT NULL THEN {scaled} ELSE {num} END"
        else:
            slow = num
        plain = f"(length({col}) <= 28 AND regexp_full_match({col}, '-?[0-9]+(\\.[0-9]+)?'))"
        fast = col if factor == 1 else _decimal_text(f"CAST({col} AS DECIMAL(38,8)) * {factor}")
        return f"CASE WHEN {plain} THEN {fast} ELSE {slow} END"
    if f.type == "date":
        m = r"^(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?$"
        slow = (f"CASE WHEN regexp_matches({v}, '{m}') THEN regexp_extract({v}, '{m}', 1) || '-' || "
                f"lpad(regexp_extract({v}, '{m}', 2), 2, '0') || '-' || lpad(regexp_extract({v}, '{m}', 3), 2, '0') "
                f"ELSE {v} END")
        return f"CASE WHEN regexp_full_match({col}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN {col} ELSE {slow} END"
    if f.identifier in ("resident-id", "uscc"):
        return f"upper({v})"
    if f.identifier:
        return v
    if "pattern" in f.constraints:
        return f"CASE WHEN regexp_full_match({col}, {_sql_str(f.constraints['pattern'])}) THEN {col} ELSE {v} END"
    # free text keeps its characters (，（）and full-width digits alike); only the ends are trimmed, and only
    # cells that start or end with a space pay for it
    spaces = ", ".join(_sql_str(ch) for ch in SPACES)
    trimmed = f"trim({col}, {_sql_str(SPACES)})"
    missing_list = ", ".join(_sql_str(m) for m in missing) or "NULL"
    return (f"CASE WHEN {col}[1] IN ({spaces}) OR {col}[-1] IN ({spaces}) THEN "
            f"CASE WHEN {trimmed} IN ({missing_list}) THEN NULL ELSE {trimmed} END "
            f"WHEN {col} IN ({missing_list}) THEN NULL ELSE {col} END")


def _decimal_text(expr: str) -> str:
    """A DECIMAL as short text: 10249000.00000000 → 10249000, 0.50000000 → 0.5."""
    return f"rtrim(rtrim(CAST({expr} AS VARCHAR), '0'), '.')"
