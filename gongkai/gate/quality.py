"""Quality suites run by Great Expectations: on pandas (embedded default) or inside PostgreSQL.

With a PostgreSQL URL (``GONGKAI_DATABASE_URL`` or ``--database-url``) the typed table is copied into an
UNLOGGED scratch table and every expectation is computed there, so memory stays flat for millions of rows.
"""

from __future__ import annotations

import math
import os
import re
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import duckdb

from ..deadlines import create_duckdb_functions, create_postgres_functions
from ..errors import ConfigError, DatabaseError
from ..ingest.workspace import TYPED
from ..quoting import q
from ..report import Problem, Report
from ..spec.schema import TableSchema
from ..spec.suite import RATIO_KWARGS, Expectation, Suite
from ..urls import libpq_url
from . import expectations, pii

INDEX_COLUMNS = ["_src", "_row"]  # which file (an index into the run's sources) and which row
_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gongkai-quality")
PG_TYPES = {"BIGINT": "BIGINT", "DOUBLE": "DOUBLE PRECISION", "INTEGER": "INTEGER", "BOOLEAN": "BOOLEAN",
            "DATE": "DATE", "TIMESTAMP": "TIMESTAMP", "VARCHAR": "TEXT"}


def _quiet_gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import logging

    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def resolve(suite: Suite, previous_rows: int | None) -> tuple[list[Expectation], list[str]]:
    """Turn relative row-count bounds into absolute ones; skip them for a first release."""
    out, notes = [], []
    for e in suite.expectations:
        if any(k in e.kwargs for k in RATIO_KWARGS):
            if previous_rows is None:
                notes.append(f"{e.id}: skipped (no previous release to compare the row count with)")
                continue
            kw = {k: v for k, v in e.kwargs.items() if k not in RATIO_KWARGS}
            if "min_ratio_of_previous" in e.kwargs:
                kw["min_value"] = math.ceil(previous_rows * float(e.kwargs["min_ratio_of_previous"]))
            if "max_ratio_of_previous" in e.kwargs:
                kw["max_value"] = math.floor(previous_rows * float(e.kwargs["max_ratio_of_previous"]))
            e = Expectation(e.type, kw, e.id, e.message, e.hint, e.severity, e.meta, e.kind, e.finding)
        out.append(e)
    return out, notes


class QualityRunner:
    """Runs a suite against DuckDB table ``typed`` and adds one problem per failing row to a report."""

    def __init__(self, suite: Suite, con: duckdb.DuckDBPyConnection, schema: TableSchema,
                 locations: list[tuple[str, str | None]], database_url: str | None = None,
                 table: str = TYPED, native: bool = True) -> None:
        self.suite, self.con, self.schema, self.table = suite, con, schema, table
        self.native = native  # False: every expectation through Great Expectations (the reference)
        self.locations, self.url = locations, database_url
        self.keys = [k for k in schema.primary_key if k in schema.names]  # named in a finding, so it can be found
        self._pg: Any = None
        self._pg_table: str | None = None
        self._upload: Future[None] | None = None

    def __enter__(self) -> QualityRunner:
        """On the database path, start copying the typed rows to PostgreSQL in the background."""
        if self.url:
            self._pg = _connect(self.url)
            self._pg_table = f"gongkai_work.t_{uuid.uuid4().hex[:12]}"
            self._upload = _BACKGROUND.submit(self._copy_to_postgres, self._needed_columns(self.suite.expectations))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pg is not None:
            if self._upload is not None:
                self._upload.exception()  # wait: never drop the table under a running COPY
            with self._pg.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {self._pg_table}")
            self._pg.close()

    @property
    def engine(self) -> str:
        return "postgresql" if self.url else "pandas"

    def run(self, report: Report, previous_rows: int | None) -> None:
        expectations, notes = resolve(self.suite, previous_rows)
        report.notes += notes
        sql_rules = [e for e in expectations if e.is_sql]
        gx_rules = [e for e in expectations if not e.is_sql]
        native = [e for e in gx_rules if self.native and _supports(e)]
        gx_rules = [e for e in gx_rules if e not in native]
        if self.url:
            assert self._upload is not None and self._pg_table, "use QualityRunner as a context manager"
            self._upload.result()
            pg, table = self._pg, self._pg_table
            if _uses_calendar(sql_rules):
                create_postgres_functions(pg)
                _pg_fetch(pg, "SELECT set_config('search_path', current_setting('search_path') || ', gongkai_ref', false)")
            for e in sql_rules:
                self._sql_rule(e, report, lambda sql: _pg_fetch(pg, sql), table)
            for e in native:
                self._native(e, report, lambda sql: _pg_fetch(pg, sql), table)
            if gx_rules:
                self._gx(gx_rules, report, postgres_table=table)
        else:
            if _uses_calendar(sql_rules):
                create_duckdb_functions(self.con)
            for e in sql_rules:
                self._sql_rule(e, report, lambda sql: self.con.execute(sql).fetchall(), self.table)
            for e in native:
                self._native(e, report, lambda sql: self.con.execute(sql).fetchall(), self.table)
            if gx_rules:
                self._gx(gx_rules, report)
        engine = self.engine if gx_rules else ("postgresql" if self.url else "duckdb")
        report.checks.append(f"quality suite {self.suite.name} ({len(expectations)} expectations, {engine})")

    # -- custom SQL rules -------------------------------------------------------------------------------

    def _sql_rule(self, e: Expectation, report: Report, fetch: Any, table: str) -> None:
        sql = e.kwargs["unexpected_rows_query"].replace("{batch}", table)
        keys = self.keys if e.kind == "finding" else []
        cols = "".join(f", CAST(u.{q(k)} AS VARCHAR)" for k in keys)
        wrapped = f"SELECT u._src, u._row{cols} FROM ({sql}) AS u ORDER BY u._src, u._row"
        try:
            rows = fetch(wrapped)
        except Exception as ex:
            raise ConfigError(f"{self.suite.path}: rule {e.id}: the SQL failed: {pii.scrub(str(ex).splitlines()[0])}",
                              "The query must be portable SQL over {batch} returning whole rows (SELECT * or t.*).") from None
        for src, row, *key in rows:
            file, sheet = self.locations[src]
            report.add(Problem("quality", e.message, e.hint, file=file, sheet=sheet, row=row, rule=e.id,
                               severity=e.severity, finding=e.finding,
                               key=pii.scrub(" / ".join("" if k is None else str(k) for k in key)) if key else None))

    def _native(self, e: Expectation, report: Report, fetch: Any, table: str) -> None:
        """A Great Expectations kind computed by :mod:`.expectations`, reported as Great Expectations' result is."""
        found = expectations.run(e, table, fetch)
        if found.success:
            return
        names = e.columns()
        self._found(e, report, [{"_src": r[0], "_row": r[1], **dict(zip(names, r[2:], strict=True))} for r in found.rows],
                    len(found.rows), found.observed)

    def _found(self, e: Expectation, report: Report, index: list[dict[str, Any]], unexpected: int,
               observed: Any) -> None:
        """One problem per unexpected row (a count beyond those listed), or one for the table's observed value."""
        if index:
            if unexpected > len(index):
                report.count(unexpected - len(index), "quality", e.severity)
            for item in index:
                value = {c: item[c] for c in e.columns() if c in item}
                file, sheet = self.locations[int(item["_src"])]
                report.add(Problem("quality", e.message, e.hint, file=file, sheet=sheet, row=int(item["_row"]),
                                   field=e.columns()[0] if e.columns() else None,
                                   value=", ".join(f"{k}={_show(v)}" for k, v in value.items()) or None,
                                   rule=e.id, severity=e.severity, finding=e.finding))
        else:
            report.add(Problem("quality", e.message + (f"（实际值：{observed}）" if observed is not None else ""),
                               e.hint, rule=e.id, severity=e.severity, field=e.columns()[0] if e.columns() else None,
                               finding=e.finding))

    # -- Great Expectations --------------------------------------------------------------------------------

    def _gx(self, rules: list[Expectation], report: Report, postgres_table: str | None = None) -> None:
        gx = _quiet_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        name = f"s{uuid.uuid4().hex[:8]}"
        suite = gx.ExpectationSuite(name=name)
        by_id: dict[str, Expectation] = {}
        for e in rules:
            kwargs = dict(e.kwargs)
            if e.type.startswith("expect_column_pair") and "ignore_row_if" not in kwargs:
                kwargs["ignore_row_if"] = "either_value_is_missing"  # a cell that failed to parse is not counted twice
            try:
                exp = ExpectationConfiguration(type=e.type, kwargs=kwargs, meta={"gongkai_id": e.id}).to_domain_obj()
            except Exception as ex:
                raise ConfigError(f"{self.suite.path}: rule {e.id}: Great Expectations refuses it: {ex}") from None
            suite.add_expectation(exp)
            by_id[e.id] = e
        suite = ctx.suites.add(suite)
        if postgres_table:
            ds = ctx.data_sources.add_postgres(name, connection_string=_sqlalchemy_url(self.url or ""))
            asset = ds.add_table_asset(name, table_name=postgres_table.split(".")[-1], schema_name="gongkai_work")
            batch_def = asset.add_batch_definition_whole_table("all")
            params: dict[str, Any] = {}
        else:
            cols = sorted({c for e in rules for c in e.columns()}, key=self.schema.names.index)
            select = ", ".join([*INDEX_COLUMNS, *(q(c) for c in cols)])
            df = self.con.execute(f"SELECT {select} FROM {self.table}").df()
            ds = ctx.data_sources.add_pandas(name)
            batch_def = ds.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
            params = {"dataframe": df}
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch_def, suite=suite))
        result = vd.run(batch_parameters=params,
                        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS,
                                       # on SQL, Great Expectations lists only this many unexpected rows
                                       "partial_unexpected_count": report.max_problems})
        for r in result.results:
            e = by_id[r.expectation_config.meta["gongkai_id"]]
            if r.exception_info and r.exception_info.get("raised_exception"):
                raise ConfigError(f"{self.suite.path}: rule {e.id} could not run: "
                                  f"{pii.scrub(str(r.exception_info.get('exception_message')))}")
            if r.success:
                continue
            res = r.result or {}
            index = res.get("unexpected_index_list") or []
            self._found(e, report, index, res.get("unexpected_count") or 0, res.get("observed_value"))

    # -- PostgreSQL scratch table ----------------------------------------------------------------------------

    def _needed_columns(self, expectations: list[Expectation]) -> list[str]:
        """Fields the suite reads: named in kwargs, or appearing as a word in a rule's SQL."""
        sql = " ".join(str(e.kwargs.get("unexpected_rows_query", "")) for e in expectations)
        named = {c for e in expectations for c in e.columns()}
        if any(e.kind == "finding" for e in expectations):
            named |= set(self.keys)  # a finding names its row by the key
        return [f for f in self.schema.names if f in named or re.search(rf"\b{re.escape(f)}\b", sql)]

    def _copy_to_postgres(self, columns: list[str]) -> None:
        """Stream the typed rows as CSV through a pipe into an UNLOGGED table (its own DuckDB cursor, so it can
        run beside the schema checks)."""
        import pyarrow.csv as pacsv

        wanted = [*INDEX_COLUMNS, *columns]
        duck = self.con.cursor()
        types = {name: str(t) for name, t, *_ in duck.execute(f"DESCRIBE {self.table}").fetchall()}
        cols = ", ".join(f"{q(name)} {PG_TYPES.get(types[name], 'TEXT')}" for name in wanted)
        with self._pg.cursor() as cur:
            cur.execute("CREATE SCHEMA IF NOT EXISTS gongkai_work")
            cur.execute(f"CREATE UNLOGGED TABLE {self._pg_table} ({cols})")
        reader = duck.sql(f"SELECT {', '.join(q(c) for c in wanted)} FROM {self.table}").to_arrow_reader(100_000)
        read_end, write_end = os.pipe()
        failure: list[BaseException] = []

        def produce() -> None:
            try:
                with os.fdopen(write_end, "wb") as out:
                    writer = pacsv.CSVWriter(out, reader.schema, write_options=pacsv.WriteOptions(include_header=False))
                    for batch in reader:
                        writer.write_batch(batch)
                    writer.close()
            except BaseException as e:
                failure.append(e)

        producer = threading.Thread(target=produce, name="gongkai-pg-upload")
        producer.start()
        try:
            with os.fdopen(read_end, "rb") as inp, self._pg.cursor() as cur:
                cur.copy_expert(f"COPY {self._pg_table} FROM STDIN WITH (FORMAT csv)", inp)
        finally:
            producer.join()
            duck.close()
        if failure:
            raise failure[0]


def _supports(e: Expectation) -> bool:
    return expectations.supports(e)


def _uses_calendar(rules: list[Expectation]) -> bool:
    return any("gk_working_days" in str(e.kwargs.get("unexpected_rows_query", "")) for e in rules)


def _connect(url: str) -> Any:
    import psycopg2

    try:
        pg = psycopg2.connect(libpq_url(url))
    except psycopg2.OperationalError as e:
        raise DatabaseError(f"cannot connect to the PostgreSQL database for quality checks: {str(e).strip()}",
                            "Check GONGKAI_DATABASE_URL / --database-url, or unset it to check on pandas.") from None
    pg.autocommit = True
    return pg


def _pg_fetch(pg: Any, sql: str) -> list[tuple[Any, ...]]:
    with pg.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg2://", 1) if url.startswith("postgresql://") else url


def _none(v: Any) -> Any:
    missing = v is None or (isinstance(v, float) and math.isnan(v)) or type(v).__name__ in ("NAType", "NaTType")
    return None if missing else v


def _show(v: Any) -> str:
    v = _none(v)
    if v is None:
        return "空"
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10] if str(v).endswith("00:00:00") else v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
