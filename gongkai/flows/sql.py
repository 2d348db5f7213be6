"""``gongkai sql``: read-only SQL (DuckDB) over the released tables.

Each dataset is a view named by its id, quoted (``"fund-allocations"``) or with underscores
(``fund_allocations``), over the chosen version's ``data.parquet`` (the latest, the one current at ``--as-of``,
or the one pinned with ``--version DATASET=vN``); ``flows``, ``nodes``, ``project_records``, ``allocations`` and
``edges`` are the fund-flow tables of :mod:`gongkai.flows.model`. A query names the views it reads, and only those
releases are fetched; a query of the catalog (``SHOW TABLES``, ``information_schema``, ``duckdb_tables()`` …)
sees every released dataset and the flow tables. Only one SELECT (WITH … SELECT, VALUES, SHOW, DESCRIBE)
statement is accepted, and it runs with file access switched off except for the release files, and the
configuration locked: it can neither write nor read anything else.

The steps are apart so limits can wrap the one that runs the query: :func:`plan` (what to fetch) here;
``open_views`` (a connection with the views), ``lock`` (file access and settings) and ``execute`` in the worker
process of bounded memory and time (:mod:`gongkai.flows.sql_worker`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import UsageError
from ..release.reading import Release, ReleaseSource, resolve
from ..spec.loading import Specs
from .model import flow_releases
from .sql_worker import FLOW_TABLES, Limits, run_in_worker

CATALOG = re.compile(r"\b(information_schema|duckdb_(tables|views|columns|constraints)|pg_catalog|sqlite_master"
                     r"|pg_tables|pg_views)\b|^\s*(SHOW|DESCRIBE|SUMMARIZE)\b", re.IGNORECASE)


@dataclass
class SqlResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    releases: list[Release]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass
class Plan:
    datasets: list[str]   # the datasets whose releases the query reads
    flows: bool           # whether it reads the flow tables
    unknown: list[str]    # names it reads that are no dataset
    catalog: bool = False # a query of the catalog: every dataset released (at --as-of)


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


def plan(specs: Specs, source: ReleaseSource, query: str) -> Plan:
    """Which releases the query needs: the views it names, or every released dataset for a catalog query."""
    check_read_only(query)
    names = tables_in(query)
    by_view = {v: s.id for s in specs for v in (s.id, s.id.replace("-", "_"))}
    if CATALOG.search(query):
        released = [s.id for s in specs if source.versions(s.id)]
        return Plan(released, any(s.flows and s.id in released for s in specs), [], catalog=True)
    wanted = [by_view[n] for n in sorted(names) if n in by_view]
    want_flows = bool(names & set(FLOW_TABLES))
    unknown = sorted(n for n in names if n not in by_view and n not in FLOW_TABLES)
    return Plan(sorted(set(wanted)), want_flows, unknown)


def run_sql(specs: Specs, source: ReleaseSource, query: str, as_of: dt.date | None = None,
            memory_limit: str = "2GB", pins: dict[str, str] | None = None, limits: Limits | None = None) -> SqlResult:
    """Run one read-only SELECT over the views of the datasets it names (latest version, current at ``as_of``,
    or pinned in ``pins``: dataset → version), in a worker process bounded by ``limits``."""
    p = plan(specs, source, query)
    for ds in pins or {}:
        specs.get(ds)  # an unknown dataset is named, with a suggestion
    releases: dict[str, Release] = {}
    for d in p.datasets:
        try:
            releases |= resolve(source, [d], as_of, pins=pins)
        except UsageError:
            if not p.catalog or d in (pins or {}):
                raise  # a catalog query leaves out what was not released by --as-of
    if p.flows:
        releases |= flow_releases(specs, source, as_of, pins)
    limits = limits or Limits(memory_limit)
    columns, rows = run_in_worker(specs, releases, p.flows, query, p.unknown, limits)
    return SqlResult(columns, rows, list(releases.values()))
