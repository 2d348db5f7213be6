"""Ingest: source files → one DuckDB table of normalised text cells named by schema field.

Each row keeps where it came from (``_file``, ``_sheet``, ``_row``: the row number a person sees in the
sheet, or the line of a CSV file) so that every later error can point at it.
"""

from __future__ import annotations

from array import array
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import SourceError
from ..files import sha256_file
from ..quoting import lit, q
from ..report import Report
from ..spec.dataset import DatasetSpec
from . import derived, structure
from .csvfile import encoding_break, read_csv_head
from .formats import HEAD_LINES, Grid, sniff_format
from .header import Header, SourceFile
from .limits import check_file, check_xlsx, line_too_long
from .normalise import RAW, keeps_raw, normalise_sql, raw_sql
from .sheets import read_json, read_xls, read_xlsx
from .structure import engine_line
from .totals import check_totals
from .workspace import DATA, Workspace

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 50_000


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gongkai-sha256")


class Ingest:
    """Loads a dataset's sources into ``ws`` table ``data`` and records header and row problems in ``report``."""

    def __init__(self, spec: DatasetSpec, ws: Workspace, report: Report, header_only: bool = False) -> None:
        """``header_only``: match the header and stop (a probe for the columns; no row is read)."""
        self.spec, self.schema, self.ws, self.report = spec, spec.table_schema, ws, report
        self.header_only = header_only
        self.header = Header(spec, self.schema)
        self.files: list[SourceFile] = []
        self.short: dict[tuple[str, int], int] = {}  # (file, row) -> cells of each row shorter than its header

    def load(self, path: Path) -> None:
        """Read one source file into its own table; header problems go to the report, fatal ones raise."""
        s = self.spec.source
        check_file(path, self.ws.limits)
        fmt = sniff_format(path, s.format)
        if fmt == "csv":
            grid = read_csv_head(path, s.encoding, self.ws.dir, self.ws.limits)
        elif fmt == "xlsx":
            check_xlsx(path, self.ws.limits)
            grid = read_xlsx(path, s.sheet)
        elif fmt == "xls":
            grid = read_xls(path, s.sheet)
        else:
            grid = read_json(path)
        hashing = _HASHER.submit(sha256_file, path)  # hashlib releases the GIL: hash while DuckDB reads
        src = SourceFile(path, fmt, "", encoding=grid.encoding, sheet=grid.sheet)
        self.files.append(src)
        try:
            top, depth = self.header.find(grid, path.name) if grid.format != "json" else (0, 1)
            src.header_row = top + 1
            header_problems = self.header.map_columns(grid, top, depth, src)
            self.report.extend(header_problems)
            if not src.columns or self.header_only:
                return
            # after a header problem the columns that do map are still checked (the report is invalid anyway)
            first_data = top + depth
            blank = frozenset(self.header.blank_columns(grid, top, depth)) if grid.format != "json" else frozenset()
            if grid.format == "csv" and len(grid.head) < HEAD_LINES and not any(any(r) for r in grid.head[first_data:]):
                raise SourceError(f"{path.name} 只有表头，没有数据行", "请确认数据已粘贴到表头下方，然后重新提交。",
                                  code="header-only", file=path.name)
            table = f"src_{len(self.files)}"
            if grid.format == "csv":
                self._load_csv(grid, src, first_data, table, blank,
                               self.header.labels(grid, top, depth, as_written=True))
            else:
                self._load_rows(grid, src, first_data, table, blank)
            con = self.ws.con
            if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:  # type: ignore[index]
                raise SourceError(f"{path.name}{'（工作表「' + src.sheet + '」）' if src.sheet else ''}只有表头，没有数据行",
                                  "请确认数据已粘贴到表头下方，然后重新提交。", code="header-only", file=path.name, sheet=src.sheet)
            empty = " AND ".join(f"{q(c.field)} IS NULL" for c in src.columns)
            if grid.format not in ("csv", "json"):  # CSV blank rows come from the structural pass
                self._blank_rows(src, table, empty)
            src.dropped_blank = con.execute(f"DELETE FROM {table} WHERE {empty}").fetchone()[0]  # type: ignore[index]
            if self.spec.source.totals:
                check_totals(con, self.spec, self.report, src, table)
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
            out.append(f"CAST({expr} AS VARCHAR) AS {q(f.name)}")
            if keeps_raw(f):
                typed = raw_sql(cell(c), expr, f) if c else "NULL"
                out.append(f"CAST({typed} AS VARCHAR) AS {q(RAW + f.name)}")
        return ", ".join(out)

    def _blank_rows(self, src: SourceFile, table: str, empty: str) -> None:
        """Blank rows between data rows are warnings; those after the last data row (formatting left in a sheet)
        are not."""
        rows = [r for (r,) in self.ws.con.execute(
            f"SELECT _row FROM {table} WHERE {empty} AND _row < (SELECT max(_row) FROM {table} WHERE NOT ({empty})) "
            "ORDER BY _row").fetchall()]
        self._add_shape(src, structure.Shape(blank=rows), 0, 0, [])

    def _add_shape(self, src: SourceFile, shape: structure.Shape, width: int, needed: int,
                   labels: list[str | None]) -> None:
        self.report.extend(structure.problems(src.path.name, shape, width, needed, labels, src.sheet))
        self.short.update(((src.path.name, n), cells) for n, cells in shape.short)
        for (etype, severity), n in structure.overflow(shape).items():
            self.report.count(n, etype, severity)

    def _load_csv(self, grid: Grid, src: SourceFile, first_data: int, table: str, blank: frozenset[int],
                  labels: list[str | None]) -> None:
        """DuckDB reads the file in parallel into a raw table, then normalises every cell into ``table``.

        The raw copy is what keeps row numbers true: a plain scan into a table keeps file order, so its
        ``rowid`` is the record index. (A scan fused with the normalising expressions was seen to reorder
        blocks of a large file, so the two steps stay apart.)
        """
        header_width = len(labels)
        needed = max((i + 1 for i, lab in enumerate(labels) if lab), default=header_width)
        width = max(len(r) for r in grid.head) if grid.head else 0
        width = max(width, *(c.index + 1 for c in src.columns))
        cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        delim = grid.delimiter.replace("\t", "\\t")
        # the mapped columns, the last labelled one (a NULL there: a short row?) and the unlabelled ones
        probed = sorted({c.index for c in src.columns} | {needed - 1} | {b for b in blank if b < width})
        picked = ", ".join(f"c{i}" for i in probed)
        regular = True
        raw = f"{table}_raw"
        read = (f"CREATE TABLE {raw} AS SELECT {picked} FROM read_csv(?, header=false, skip={first_data}, "
                f"columns={cols}, delim=E'{delim}', quote='\"', escape='\"', null_padding=true, "
                f"max_line_size={self.ws.limits.max_line_bytes}, strict_mode=false, all_varchar=true, encoding='utf-8'{{parallel}})")
        try:
            try:
                self.ws.con.execute(read.replace("{parallel}", ""), [str(grid.csv_path)])
            except duckdb.Error as e:
                if "quoted new lines" not in str(e):
                    raise
                # cells with line breaks (common in 备注 exported from Excel): the serial reader handles them
                self.ws.con.execute(f"DROP TABLE IF EXISTS {raw}")
                self.ws.con.execute(read.replace("{parallel}", ", parallel=false"), [str(grid.csv_path)])
        except duckdb.Error as e:
            if "maximum line size of" in str(e).lower():  # its line number is not the file's; its text holds the line
                raise line_too_long(src.path.name, None, self.ws.limits) from None
            # DuckDB's sniffer refuses ragged files even with the columns given: read them without it (each
            # row longer than the header is reported by the structural pass; DuckDB's text never reaches a user)
            self.ws.con.execute(f"DROP TABLE IF EXISTS {raw}")
            regular = False
            try:
                self.ws.con.execute(read.replace("{parallel}", ", parallel=false, auto_detect=false"),
                                    [str(grid.csv_path)])
            except duckdb.Error:
                msg, line = str(e), engine_line(str(e))
                if "unicode" in msg.lower() and grid.csv_path == src.path and grid.encoding:
                    encoding_break(src.path, grid.encoding)  # the true line where the encoding changes
                code = "encoding-error" if "unicode" in msg.lower() else "format-error"
                where = f"第 {line} 行附近" if line else "文件中"
                raise SourceError(f"无法读取 {src.path.name}：{where}的格式不是规范的 CSV",
                                  "请在 Excel 或 WPS 中打开并另存为 CSV UTF-8 格式；检查引号是否成对。",
                                  code=code, file=src.path.name, row=line) from None
        shape = (structure.scan(grid.csv_path, grid.delimiter, first_data, header_width, needed, blank)  # type: ignore[arg-type]
                 if not (regular and width <= header_width and self._regular(grid, raw, first_data, needed, blank))
                 else structure.Shape())
        self._add_shape(src, shape, header_width, needed, labels)
        self.report.extend(structure.blank_label_problems(src.path.name, None, first_data, shape.filled))
        select = self._select_normalised(src, lambda c: f"c{c.index}")
        self.ws.con.execute(f"CREATE TABLE {table} AS SELECT rowid + {first_data + 1} AS _row, {select} FROM {raw}")
        self.ws.con.execute(f"DROP TABLE {raw}")
        for n in shape.empty_lines:  # DuckDB skips empty lines: later rows move down by one (ascending order)
            self.ws.con.execute(f"UPDATE {table} SET _row = _row + 1 WHERE _row >= {n}")

    def _regular(self, grid: Grid, raw: str, first_data: int, needed: int, blank: frozenset[int]) -> bool:
        """Whether DuckDB's read can be trusted to have every row, at its number, whole: one record per line, no
        NULL in the last labelled column (a short or blank row would put one there), nothing under a blank label.
        Only a file failing this pays for the structural pass in Python."""
        present = {r[0] for r in self.ws.con.execute(f"DESCRIBE {raw}").fetchall()}
        under_blank = " + ".join(f"count(c{b})" for b in sorted(blank) if f"c{b}" in present) or "0"
        rows, holes, filled = self.ws.con.execute(
            f"SELECT count(*), count(*) - count(c{needed - 1}), {under_blank} FROM {raw}").fetchone()  # type: ignore[misc]
        return holes == 0 and filled == 0 and structure.records(grid.csv_path) == first_data + rows  # type: ignore[arg-type]

    def _load_rows(self, grid: Grid, src: SourceFile, first_data: int, table: str, blank: frozenset[int]) -> None:
        """Spreadsheets and JSON: cells arrive from Python in batches, with their row numbers; a column without
        a label that holds values is a blank-label problem (handed to DuckDB as Arrow tables; pyarrow is imported
        here, so a CSV source never loads it)."""
        import pyarrow as pa

        filled: dict[int, list[int]] = {c: [] for c in blank}
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
            for i in blank:
                if i < len(cells) and cells[i] is not None:
                    filled[i].append(rownum)
            if len(batch[0]) >= BATCH_ROWS:
                self._flush(staged, batch, arrow_schema)
                batch = [[] for _ in arrow_schema.names]
        self._flush(staged, batch, arrow_schema)
        self.report.extend(structure.blank_label_problems(src.path.name, src.sheet, first_data, filled))
        select = self._select_normalised(src, lambda c: f"c{c.index}")
        con.execute(f"CREATE TABLE {table} AS SELECT _row, {select} FROM {staged}")
        con.execute(f"DROP TABLE {staged}")

    def _flush(self, staged: str, batch: list[list[Any]], arrow_schema: pa.Schema) -> None:
        if batch[0]:
            import pyarrow as pa

            tbl = pa.Table.from_arrays([_row_numbers(batch[0]), *map(_strings, batch[1:])], schema=arrow_schema)
            self.ws.con.register("_batch", tbl)
            self.ws.con.execute(f"INSERT INTO {staged} SELECT * FROM _batch")
            self.ws.con.unregister("_batch")

    @property
    def locations(self) -> list[tuple[str, str | None]]:
        """(file name, sheet) of each ``_src`` index."""
        return [(s.path.name, s.sheet) for s in self.files]

    def create_view(self) -> None:
        """View ``data``: every loaded file's rows with ``_src`` (file index), ``_file``, ``_sheet`` and ``_row``."""
        derived.register(self.ws.con, self.schema)
        fields = ", ".join([*(derived.select_sql(f) for f in self.schema.fields),
                            *(q(RAW + f.name) for f in self.schema.fields if keeps_raw(f))])
        parts = [f"SELECT {i} AS _src, {lit(s.path.name)} AS _file, "
                 f"{lit(s.sheet) if s.sheet else 'NULL::VARCHAR'} AS _sheet, "
                 f"_row, {fields} FROM {s.table}"
                 for i, s in enumerate(self.files) if s.table]
        if not parts:
            empty = ", ".join(f"NULL::VARCHAR AS {q(n)}" for n in [
                *self.schema.names, *(RAW + f.name for f in self.schema.fields if keeps_raw(f))])
            parts = [f"SELECT 0 AS _src, NULL::VARCHAR AS _file, NULL::VARCHAR AS _sheet, NULL::BIGINT AS _row, {empty} "
                     "LIMIT 0"]
        self.ws.con.execute(f"CREATE OR REPLACE VIEW {DATA} AS " + " UNION ALL ".join(parts))


# Arrow arrays built without ``pa.array``: on a Python list it first asks whether the list is a pandas object,
# which imports pandas (0.3–1.5 s of a small release that otherwise never needs it).


def _row_numbers(values: list[int]) -> pa.Array:
    import pyarrow as pa

    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(array("q", values))])


def _strings(values: list[str | None]) -> pa.Array:
    from pyarrow.lib import StringBuilder

    builder = StringBuilder()
    builder.append_values(values)
    return builder.finish()
