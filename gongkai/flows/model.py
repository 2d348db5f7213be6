"""Fund flows over released datasets: one table of flows, and the journalist's questions about it.

Every row of a dataset whose spec declares ``flows:`` is a 下达 (or 拨付) flow: fund, year, from, to (organization,
region code, project id), amount in 元 (the source's unit kept in ``source_unit``), document number and date, with
the id of the allocation it came from. A project-level allocation follows the spec's ``links`` (a foreign key to a
project dataset chosen by the fund) to the project's own record, whose 实际支出 and 结余 become the 支出 and 结余
flows under it. A project paid from several sources (中央/省/市/县) has its spending shared out in proportion:
the fund's share of 支出 is 支出 × allocation ÷ the project's total money.

    model = build(project.specs, LocalReleases(project.store), as_of=None)
    rows = trace(model, "财政专项扶贫资金", 2025, depth=2).rows()      # gongkai.flows.queries
    result = reconcile(model, "财政专项扶贫资金", 2025)                # gongkai.flows.reconcile

Everything runs as SQL in DuckDB, so a million flows answer in seconds (benchmarks/bench_flows.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import ConfigError, UsageError
from ..quoting import lit, q
from ..release.reading import Release, ReleaseSource, resolve
from ..spec.dataset import DatasetSpec
from ..spec.loading import Specs

REGIONS = pa.schema([("code", pa.string()), ("name", pa.string())])


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``sql`` with the named parameters it uses; rows as dicts."""
    cur = con.execute(sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def scope_sql(alias: str = "") -> str:
    """SQL keeping the rows of parameters ``$fund`` and ``$year`` (either may be NULL: all)."""
    p = f"{alias}." if alias else ""
    return f"($fund IS NULL OR {p}fund = $fund) AND ($year IS NULL OR {p}year IS NULL OR {p}year = $year)"


def _col(name: str | None, cast: str) -> str:
    return f"CAST({q(name)} AS {cast})" if name else f"CAST(NULL AS {cast})"


def _money(name: str | None) -> str:
    return f"CAST(round({q(name)}, 2) AS DECIMAL(18,2))" if name else "CAST(NULL AS DECIMAL(18,2))"


@dataclass
class FlowModel:
    """The DuckDB tables ``flows`` and ``project_records``, and the releases they were built from."""

    con: duckdb.DuckDBPyConnection
    releases: dict[str, Release]
    regions: dict[str, str] = field(default_factory=dict)

    @property
    def versions(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.releases.values()]

    def funds(self) -> list[tuple[str, int]]:
        return [(f, y) for f, y in self.con.execute(
            "SELECT DISTINCT fund, year FROM flows ORDER BY year, fund").fetchall()]

    def check_scope(self, fund: str | None, year: int | None) -> None:
        """A clear error when no flow has this fund and year (with the ones that exist)."""
        have = self.funds()
        if any((fund is None or f == fund) and (year is None or y == year) for f, y in have):
            return
        known = "; ".join(f"{f} {y}" for f, y in have) or "none"
        close = difflib.get_close_matches(fund or "", sorted({f for f, _ in have}), n=1)
        raise UsageError(f"no flows of {fund or 'any fund'} in {year or 'any year'} in "
                         + ", ".join(r.label for r in self.releases.values()),
                         (f"did you mean {close[0]!r}? " if close and close[0] != fund else "") + f"funds and years: {known}")


def flow_specs(specs: Specs) -> list[DatasetSpec]:
    specs = [s for s in specs if s.flows is not None]
    if not specs:
        raise ConfigError("no dataset spec declares 'flows:'", "See README, 'Fund flows (for journalists)'.")
    return specs


def needed_datasets(specs: Specs) -> list[str]:
    out: list[str] = []
    for spec in flow_specs(specs):
        for d in [spec.id, *(spec.flows.uses if spec.flows else {})]:
            if d not in out:
                out.append(d)
    return out


def build(specs: Specs, source: ReleaseSource, as_of: dt.date | None = None,
          con: duckdb.DuckDBPyConnection | None = None) -> FlowModel:
    """Fetch the releases the flow datasets need (latest, or current at ``as_of``) and build the flow tables."""
    releases = resolve(source, needed_datasets(specs), as_of)
    con = con or duckdb.connect()
    for ds, rel in releases.items():
        con.execute(f"CREATE OR REPLACE VIEW {q(ds)} AS SELECT * FROM read_parquet({lit(rel.files['data.parquet'])})")
    build_tables(con, specs, releases)
    regions = _regions(specs)
    con.register("region_list", pa.table({"code": list(regions), "name": list(regions.values())}, schema=REGIONS))
    con.execute("CREATE OR REPLACE TABLE regions AS SELECT * FROM region_list")
    con.unregister("region_list")
    return FlowModel(con, releases, regions)


def build_tables(con: duckdb.DuckDBPyConnection, specs: Specs, releases: dict[str, Release]) -> None:
    """Tables ``allocations``, ``project_records`` and ``flows`` from views named by dataset id."""
    allocs, records = [], []
    for spec in flow_specs(specs):
        fm = spec.flows
        assert fm is not None
        rel = releases[spec.id]
        unit = rel.source_units().get(fm.amount) or _unit(spec, fm.amount)
        stage = f"coalesce(CAST({q(fm.stage)} AS VARCHAR), '下达')" if fm.stage else "'下达'"
        allocs.append(f"""
            SELECT {lit(spec.id)} AS dataset, {lit(rel.version)} AS version, CAST({q(fm.fund)} AS VARCHAR) AS fund,
              CAST({q(fm.year)} AS INTEGER) AS year, CAST({q(fm.id)} AS VARCHAR) AS flow_id,
              CAST({q(fm.parent)} AS VARCHAR) AS parent_id, {stage} AS stage,
              CAST({q(fm.from_)} AS VARCHAR) AS from_node, CAST({q(fm.to)} AS VARCHAR) AS to_node,
              {_col(fm.region, 'VARCHAR')} AS region_code, {_col(fm.project, 'VARCHAR')} AS project_id,
              {_money(fm.amount)} AS amount, {lit(unit)} AS source_unit,
              {_col(fm.document, 'VARCHAR')} AS document_no, {_col(fm.date, 'DATE')} AS date
            FROM {q(spec.id)}""")
        for link in spec.links:
            use = fm.uses.get(link.dataset)
            if use is None:
                continue
            target, trel = specs.get(link.dataset), releases[link.dataset]
            tunit = trel.source_units().get(use.spent) or _unit(target, use.spent)
            records.append(f"""
                SELECT {lit(link.dataset)} AS dataset, {lit(trel.version)} AS version,
                  {lit(link.when[fm.fund])} AS fund, {_col(use.year, 'INTEGER')} AS year,
                  CAST({q(link.key)} AS VARCHAR) AS project_id, CAST({q(use.name)} AS VARCHAR) AS name,
                  {_col(use.org, 'VARCHAR')} AS org, {_col(use.region, 'VARCHAR')} AS region_code,
                  {_money(use.received)} AS received, {_money(use.total or use.received)} AS total,
                  {_money(use.spent)} AS spent, {_money(use.balance)} AS balance, {lit(tunit)} AS source_unit
                FROM {q(link.dataset)}""")
    con.execute("CREATE OR REPLACE TABLE allocations AS " + " UNION ALL ".join(allocs))
    empty = ("SELECT NULL::VARCHAR dataset, NULL::VARCHAR version, NULL::VARCHAR fund, NULL::INTEGER year, "
             "NULL::VARCHAR project_id, NULL::VARCHAR name, NULL::VARCHAR org, NULL::VARCHAR region_code, "
             "NULL::DECIMAL(18,2) received, NULL::DECIMAL(18,2) total, NULL::DECIMAL(18,2) spent, "
             "NULL::DECIMAL(18,2) balance, NULL::VARCHAR source_unit WHERE false")
    con.execute("CREATE OR REPLACE TABLE project_records AS " + (" UNION ALL ".join(records) or empty))

    def share(x: str) -> str:  # the fund's part of a project's spending or balance
        return f"CAST(round(CASE WHEN total = 0 THEN {x} ELSE {x} * amount / total END, 2) AS DECIMAL(18,2))"

    con.execute(f"""
        CREATE OR REPLACE TABLE flows AS
        WITH a AS (
          SELECT a.*, r.name AS project_name, r.dataset AS r_dataset, r.version AS r_version, r.total, r.spent,
                 r.balance, r.source_unit AS r_unit, r.region_code AS r_region
          FROM allocations a LEFT JOIN project_records r
            ON a.project_id IS NOT NULL AND r.fund = a.fund AND r.project_id = a.project_id
           AND (r.year IS NULL OR r.year = a.year))
        SELECT dataset, version, fund, year, flow_id, parent_id, stage, from_node, to_node, region_code, project_id,
               project_name, amount, source_unit, document_no, date FROM a
        UNION ALL
        SELECT r_dataset, r_version, fund, year, flow_id || '/支出', flow_id, '支出', coalesce(project_name, to_node),
               '实际支出', coalesce(r_region, region_code), project_id, project_name, {share('spent')},
               r_unit, NULL, NULL FROM a WHERE r_dataset IS NOT NULL AND spent IS NOT NULL
        UNION ALL
        SELECT r_dataset, r_version, fund, year, flow_id || '/结余', flow_id, '结余', coalesce(project_name, to_node),
               '结余', coalesce(r_region, region_code), project_id, project_name, {share('balance')},
               r_unit, NULL, NULL FROM a WHERE r_dataset IS NOT NULL AND balance IS NOT NULL
    """)


def _unit(spec: DatasetSpec, name: str) -> str:
    return next((f.get("unit") for f in spec.schema_descriptor["fields"] if f["name"] == name), None) or "元"


def _regions(specs: Specs) -> dict[str, str]:
    for spec in specs:
        path = spec.schema_path.parent / "codes" / "region-codes.csv"
        if path.is_file():
            with path.open(encoding="utf-8") as f:
                return {r["code"]: r["name"] for r in csv.DictReader(f)}
    return {}
