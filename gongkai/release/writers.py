"""Writing a release's data files from DuckDB table ``final``: CSV, JSON, Parquet and XLSX.

CSV and XLSX are opened by spreadsheet users, so neither may run a formula: in CSV a text cell that starts
with = + - @ or a control character gets a leading apostrophe (Excel's own escape, shown as text); in XLSX such
a cell is stored with the string type, keeping its true value. JSON and Parquet always keep the true value.
Whole numbers in number columns are written to CSV without a trailing ".0".
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..quoting import lit, q

FORMULA_START = r"^[=+\-@\t\r]"
XLSX_MAX_ROWS = 100_000  # openpyxl writes ≈ 7k rows/s; bigger tables are for CSV and Parquet


def excel_safe_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    cols = []
    for name, typ, *_ in con.execute(f"DESCRIBE {table}").fetchall():
        c = q(name)
        if str(typ) == "VARCHAR":
            cols.append(f"CASE WHEN regexp_matches({c}, '{FORMULA_START}') THEN '''' || {c} ELSE {c} END AS {c}")
        elif str(typ) == "DOUBLE":
            cols.append(f"{number_text(c)} AS {c}")
        else:
            cols.append(c)
    return f"SELECT {', '.join(cols)} FROM {table}"


def number_text(c: str) -> str:
    """SQL for a DOUBLE column's value as published: 3749500, not 3749500.0."""
    return (f"CASE WHEN {c} = trunc({c}) AND abs({c}) < 1e15 THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({c} AS VARCHAR) END")


def write_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    con.execute(f"COPY ({excel_safe_select(con, table)}) TO {lit(path)} "
                "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', DATEFORMAT '%Y-%m-%d', "
                "TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S')")


def write_json(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """JSON numbers as published: a whole number in a number column is 3749500, not 3749500.0."""
    cols = []
    for name, typ, *_ in con.execute(f"DESCRIBE {table}").fetchall():
        c = q(name)
        cols.append(f"CASE WHEN {c} = trunc({c}) AND abs({c}) < 1e15 THEN to_json(CAST({c} AS BIGINT)) "
                    f"ELSE to_json({c}) END AS {c}" if str(typ) == "DOUBLE" else c)
    con.execute(f"COPY (SELECT {', '.join(cols)} FROM {table}) TO {lit(path)} (FORMAT json, ARRAY true)")


def write_parquet(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    con.execute(f"COPY (SELECT * FROM {table}) TO {lit(path)} (FORMAT parquet, COMPRESSION zstd)")


def write_xlsx(con: duckdb.DuckDBPyConnection, table: str, path: Path, titles: dict[str, str]) -> bool:
    """Write a spreadsheet with Chinese headers; returns False (and writes nothing) past ``XLSX_MAX_ROWS``."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    if n > XLSX_MAX_ROWS:
        return False
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("data")
    names = [d[0] for d in con.execute(f"DESCRIBE {table}").fetchall()]
    ws.append([titles.get(c, c) for c in names])
    ws.append(names)
    cur = con.execute(f"SELECT * FROM {table}")
    while batch := cur.fetchmany(10_000):
        for row in batch:
            cells = []
            for v in row:
                if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.data_type = "s"  # stored as text: never evaluated as a formula
                    cells.append(cell)
                else:
                    cells.append("" if v is None else v)  # a blank cell, not a short row
            ws.append(cells)
    wb.properties.creator = "gongkai"
    wb.save(path)
    return True
