"""``gongkai sql``: read-only SQL (DuckDB) over the released tables.

Each dataset is a view named by its id, quoted (``"fund-allocations"``) or with underscores
(``fund_allocations``), over the chosen version's ``data.parquet``; ``flows`` and ``project_records`` are the
fund-flow tables of :mod:`gongkai.flows.model`. Only one SELECT (WITH … SELECT, VALUES) statement is accepted, and it
runs with file access switched off except for the release files, and the configuration locked: it can neither
write nor read anything else.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import SqlError, UsageError
from ..quoting import lit, q
from ..release.reading import Release, ReleaseSource, resolve
from ..spec.loading import Specs
from .model import build_tables, needed_datasets

FLOW_TABLES = ("flows", "project_records", "allocations")


@dataclass
class SqlResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    releases: list[Release]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


def _locked() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def check_read_only(query: str) -> None:
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as e:
        raise UsageError(f"the SQL does not parse: {str(e).splitlines()[0]}") from None
    if len(statements) != 1:
        raise UsageError(f"give exactly one SELECT statement, not {len(statements)}")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise UsageError(f"only SELECT is allowed (read-only), not {statements[0].type.name}",
                         "The released tables cannot be changed here; copy them (data.parquet) to work on them.")


def tables_in(query: str) -> set[str]:
    """Names the query reads from, found without touching any file."""
    try:
        return duckdb.get_table_names(query, connection=_locked())
    except (duckdb.PermissionException, duckdb.InvalidInputException):  # files, or a locked setting
        raise UsageError("the query reads files or changes settings; query the dataset views instead",
                         "e.g. SELECT * FROM fund_allocations (run with --help for the list of views)") from None
    except duckdb.Error as e:
        raise UsageError(f"the SQL does not parse: {str(e).splitlines()[0]}") from None


def run_sql(specs: Specs, source: ReleaseSource, query: str, as_of: dt.date | None = None,
            memory_limit: str = "2GB") -> SqlResult:
    """Run one read-only SELECT over the views of the datasets it names (latest version, or current at ``as_of``)."""
    check_read_only(query)
    names = tables_in(query)
    by_view = {v: s.id for s in specs for v in (s.id, s.id.replace("-", "_"))}
    wanted = [by_view[n] for n in sorted(names) if n in by_view]
    want_flows = bool(names & set(FLOW_TABLES))
    if want_flows:
        wanted += [d for d in needed_datasets(specs) if d not in wanted]
    unknown = sorted(n for n in names if n not in by_view and n not in FLOW_TABLES)
    releases = resolve(source, sorted(set(wanted)), as_of) if wanted else {}
    con = duckdb.connect()
    for ds, rel in releases.items():
        path = lit(rel.files["data.parquet"])
        con.execute(f"CREATE VIEW {q(ds)} AS SELECT * FROM read_parquet({path})")
        if "-" in ds:
            con.execute(f"CREATE VIEW {q(ds.replace('-', '_'))} AS SELECT * FROM {q(ds)}")
    if want_flows:
        build_tables(con, specs, releases)
    paths = ", ".join(lit(r.files["data.parquet"]) for r in releases.values())
    con.execute(f"SET memory_limit = {lit(memory_limit)}")
    con.execute(f"SET temp_directory = {lit(tempfile.gettempdir() + '/gongkai-sql')}")
    con.execute(f"SET allowed_paths = [{paths}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    try:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.CatalogException as e:
        views = ", ".join(sorted({s.id.replace("-", "_") for s in specs} | set(FLOW_TABLES)))
        raise UsageError(f"{str(e).splitlines()[0]}" + (f" (not a dataset: {', '.join(unknown)})" if unknown else ""),
                         f"views: {views}") from None
    except duckdb.Error as e:
        raise SqlError(str(e).splitlines()[0]) from None
    return SqlResult(columns, rows, list(releases.values()))
