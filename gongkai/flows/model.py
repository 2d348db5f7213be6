"""Fund flows over released datasets: one table of flows, and the journalist's questions about it.

Every row of a dataset whose spec declares ``flows:`` is a flow: fund, year, stage (下达, 拨付, 支出, 结余 or 合同),
from, to (organization, region code, project), amount in 元 (the source's unit kept in ``source_unit``), document
number and date, and the row of the file it came from (``file``, ``line``). Two shapes feed the same table:

- a **tree by id** (``fund-allocations``): each row names its parent allocation. A project-level allocation
  follows the spec's ``links`` (a foreign key to a project dataset chosen by the fund) to the project's own record,
  whose 实际支出 and 结余 become the 支出 and 结余 flows under it. A project paid from several sources (中央/省/市/县)
  has its spending shared out in proportion: the fund's share of 支出 is 支出 × allocation ÷ the project's money.
- an **edge list** (:mod:`.edges`): rows of from → to, whose nodes are matched by name, 文号, region code or
  project id; the same rows can come from any CSV or XLSX a journalist found (:mod:`.files`).

Each flow goes from node ``from_key`` to node ``to_key``; :mod:`.graph` makes the table ``nodes`` (what each node
received and passed on, spent, kept or contracted) and, for edge lists, the parent of each flow in the tree.

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
from ..release.reading import Release, ReleaseSource, pick_version, resolve
from ..spec.dataset import DatasetSpec
from ..spec.loading import Specs
from ..vocab import UNITS
from . import edges, graph

REGIONS = pa.schema([("code", pa.string()), ("name", pa.string())])
FLOWS_DDL = """CREATE OR REPLACE TABLE flows (
    dataset VARCHAR, version VARCHAR, fund VARCHAR, year INTEGER, flow_id VARCHAR, parent_id VARCHAR,
    stage VARCHAR, from_node VARCHAR, to_node VARCHAR, region_code VARCHAR, project_id VARCHAR,
    project_name VARCHAR, amount DECIMAL(18,2), source_unit VARCHAR, document_no VARCHAR, date DATE,
    parent_document VARCHAR, to_code VARCHAR, from_key VARCHAR, to_key VARCHAR, origin VARCHAR,
    file VARCHAR, line BIGINT, unit_factor BIGINT)"""


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``sql`` with the named parameters it uses; rows as dicts."""
    cur = con.execute(sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def scope_sql(alias: str = "") -> str:
    """SQL keeping the rows of parameters ``$fund`` and ``$year`` (either may be NULL: all)."""
    p = f"{alias}." if alias else ""
    return f"($fund IS NULL OR {p}fund = $fund) AND ($year IS NULL OR {p}year IS NULL OR {p}year = $year)"


def scope_label(fund: str | None, year: int | None) -> str:
    return f"{fund or '（未注明资金）'} {year or '（未注明年度）'}"


def unit_factor(unit: str | None) -> int:
    """元 per unit of a source column (万元 → 10000; several units, e.g. 万元/元: the largest)."""
    factors = [UNITS[u][1] for u in (unit or "元").split("/") if u in UNITS and UNITS[u][0] == "元"]
    return int(max(factors, default=1))


def _col(name: str | None, cast: str) -> str:
    return f"CAST({q(name)} AS {cast})" if name else f"CAST(NULL AS {cast})"


def _money(name: str | None) -> str:
    return f"CAST(round({q(name)}, 2) AS DECIMAL(18,2))" if name else "CAST(NULL AS DECIMAL(18,2))"


@dataclass
class FlowFile:
    """A file read with ``--file``: its name and sha256 are the source of every answer built from it."""

    path: str
    name: str
    sha256: str
    rows: int
    roles: dict[str, str]           # role → the column it was read from
    unit: str | None = None         # unit of the amount column (None: 元)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.name, "path": self.path, "sha256": self.sha256, "rows": self.rows,
                "columns": self.roles, "unit": self.unit or "元", "problems": self.problems}


@dataclass
class FlowModel:
    """The DuckDB tables ``flows``, ``nodes`` and ``project_records``, and the releases or files they came from."""

    con: duckdb.DuckDBPyConnection
    releases: dict[str, Release]
    regions: dict[str, str] = field(default_factory=dict)
    files: list[FlowFile] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # name parts that mean the same node

    @property
    def versions(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.releases.values()]

    @property
    def sources(self) -> list[dict[str, Any]]:
        """Every release and file the answers come from (files with their sha256)."""
        return [*self.versions, *(f.to_dict() for f in self.files)]

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.releases.values()] + [f"{f.name}（sha256 {f.sha256}）" for f in self.files]

    def funds(self) -> list[tuple[str | None, int | None]]:
        return [(f, y) for f, y in self.con.execute(
            "SELECT DISTINCT fund, year FROM flows ORDER BY year NULLS FIRST, fund NULLS FIRST").fetchall()]

    def check_scope(self, fund: str | None, year: int | None) -> None:
        """A clear error when no flow has this fund and year (with the ones that exist)."""
        have = self.funds()
        if any((fund is None or f == fund) and (year is None or y is None or y == year) for f, y in have):
            return
        known = "; ".join(scope_label(f, y) for f, y in have) or "none"
        close = difflib.get_close_matches(fund or "", sorted({f for f, _ in have if f}), n=1)
        raise UsageError(f"no flows of {fund or 'any fund'} in {year or 'any year'} in " + ", ".join(self.labels),
                         (f"did you mean {close[0]!r}? " if close and close[0] != fund else "") + f"funds and years: {known}")

    def only_scope(self, fund: str | None, year: int | None) -> tuple[str | None, int | None]:
        """The fund and year asked for, or the only ones there are (a page is about one fund and year)."""
        self.check_scope(fund, year)
        have = {(f, y) for f, y in self.funds() if (fund is None or f == fund) and (year is None or y == year)}
        if len(have) > 1:
            raise UsageError("the flows hold several funds or years: choose one with --fund and --year",
                             "funds and years: " + "; ".join(scope_label(f, y) for f, y in sorted(have, key=str)))
        return next(iter(have)) if have else (fund, year)


def flow_specs(specs: Specs) -> list[DatasetSpec]:
    specs = [s for s in specs if s.flows is not None]
    if not specs:
        raise ConfigError("no dataset spec declares 'flows:'", "See docs/flows.md, 'The model'.")
    return specs


def flow_releases(specs: Specs, source: ReleaseSource, as_of: dt.date | None = None,
                  pins: dict[str, str] | None = None) -> dict[str, Release]:
    """The release of every flow dataset that has one (current at ``as_of``, or pinned), and of the project
    datasets its tree uses; a flow dataset not released yet is left out, unless none is released at all."""
    pins = pins or {}
    out: dict[str, Release] = {}
    missing: UsageError | None = None
    for spec in flow_specs(specs):
        try:
            pick_version(source, spec.id, as_of, pins.get(spec.id))
        except UsageError as e:
            if spec.id in pins:
                raise
            missing = missing or e
            continue
        wanted = [d for d in [spec.id, *(spec.flows.uses if spec.flows else {})] if d not in out]
        out.update(resolve(source, wanted, as_of, pins=pins))
    if not out and missing is not None:
        raise missing
    return out


def build(specs: Specs, source: ReleaseSource, as_of: dt.date | None = None,
          con: duckdb.DuckDBPyConnection | None = None, pins: dict[str, str] | None = None,
          aliases: dict[str, str] | None = None) -> FlowModel:
    """Fetch the releases the flow datasets need (latest, current at ``as_of``, or the version pinned) and build
    the flow tables; ``aliases`` add to the specs' ``flows.aliases``."""
    releases = flow_releases(specs, source, as_of, pins)
    con = con or duckdb.connect()
    names = build_tables(con, specs, releases, aliases)
    return FlowModel(con, releases, load_regions(con, specs), aliases=names)


def load_regions(con: duckdb.DuckDBPyConnection, specs: Specs | None) -> dict[str, str]:
    """Table ``regions`` (code, name) from the project's region-code list."""
    regions = _regions(specs) if specs is not None else {}
    con.register("region_list", pa.table({"code": list(regions), "name": list(regions.values())}, schema=REGIONS))
    con.execute("CREATE OR REPLACE TABLE regions AS SELECT * FROM region_list")
    con.unregister("region_list")
    return regions


def build_tables(con: duckdb.DuckDBPyConnection, specs: Specs, releases: dict[str, Release],
                 extra_aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Tables ``allocations``, ``project_records``, ``edges``, ``flows`` and table ``nodes`` from the releases;
    returns the aliases the names were matched with."""
    allocs, records = [], []
    con.execute(edges.EDGES_DDL)
    aliases = {k: v for s in flow_specs(specs) if s.flows for k, v in s.flows.aliases.items()} | (extra_aliases or {})
    for spec in flow_specs(specs):
        fm = spec.flows
        assert fm is not None
        if spec.id not in releases:
            continue
        rel = releases[spec.id]
        unit = rel.source_units().get(fm.amount) or _unit(spec, fm.amount)
        if fm.edge_list:
            con.execute(f"INSERT INTO edges {edges.released_sql(spec, rel, unit, unit_factor(unit))}")
            continue
        stage = f"coalesce(CAST({q(fm.stage)} AS VARCHAR), {lit(fm.default_stage)})" if fm.stage else lit(fm.default_stage)
        allocs.append(f"""
            SELECT {lit(spec.id)} AS dataset, {lit(rel.version)} AS version, CAST({q(fm.fund)} AS VARCHAR) AS fund,
              CAST({q(fm.year)} AS INTEGER) AS year, CAST({q(fm.id)} AS VARCHAR) AS flow_id,
              CAST({q(fm.parent)} AS VARCHAR) AS parent_id, {stage} AS stage,
              CAST({q(fm.from_)} AS VARCHAR) AS from_node, CAST({q(fm.to)} AS VARCHAR) AS to_node,
              {_col(fm.region, 'VARCHAR')} AS region_code, {_col(fm.project, 'VARCHAR')} AS project_id,
              {_money(fm.amount)} AS amount, {lit(unit)} AS source_unit,
              {_col(fm.document, 'VARCHAR')} AS document_no, {_col(fm.date, 'DATE')} AS date,
              {lit(data_csv(rel))} AS file, file_row_number + 2 AS line, {unit_factor(unit)} AS unit_factor
            FROM read_parquet({lit(rel.files['data.parquet'])}, file_row_number = true)""")
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
                  {_money(use.spent)} AS spent, {_money(use.balance)} AS balance, {lit(tunit)} AS source_unit,
                  {lit(data_csv(trel))} AS file, file_row_number + 2 AS line, {unit_factor(tunit)} AS unit_factor
                FROM read_parquet({lit(trel.files['data.parquet'])}, file_row_number = true)""")
    finish_tables(con, allocs, records, aliases)
    return aliases


def finish_tables(con: duckdb.DuckDBPyConnection, allocs: list[str], records: list[str],
                  aliases: dict[str, str]) -> None:
    """Tables ``allocations`` and ``project_records`` from their SELECTs (trees by id), then ``flows`` from them and
    from table ``edges``, then the edge lists' tree and table ``nodes``."""
    empty_alloc = ("SELECT CAST(NULL AS VARCHAR) AS dataset, CAST(NULL AS VARCHAR) AS version, "
                   "CAST(NULL AS VARCHAR) AS fund, CAST(NULL AS INTEGER) AS year, CAST(NULL AS VARCHAR) AS flow_id, "
                   "CAST(NULL AS VARCHAR) AS parent_id, CAST(NULL AS VARCHAR) AS stage, "
                   "CAST(NULL AS VARCHAR) AS from_node, CAST(NULL AS VARCHAR) AS to_node, "
                   "CAST(NULL AS VARCHAR) AS region_code, CAST(NULL AS VARCHAR) AS project_id, "
                   "CAST(NULL AS DECIMAL(18,2)) AS amount, CAST(NULL AS VARCHAR) AS source_unit, "
                   "CAST(NULL AS VARCHAR) AS document_no, CAST(NULL AS DATE) AS date, CAST(NULL AS VARCHAR) AS file, "
                   "CAST(NULL AS BIGINT) AS line, CAST(NULL AS BIGINT) AS unit_factor WHERE false")
    con.execute("CREATE OR REPLACE TABLE allocations AS " + (" UNION ALL ".join(allocs) or empty_alloc))
    empty = ("SELECT CAST(NULL AS VARCHAR) AS dataset, CAST(NULL AS VARCHAR) AS version, CAST(NULL AS VARCHAR) AS fund, "
             "CAST(NULL AS INTEGER) AS year, CAST(NULL AS VARCHAR) AS project_id, CAST(NULL AS VARCHAR) AS name, "
             "CAST(NULL AS VARCHAR) AS org, CAST(NULL AS VARCHAR) AS region_code, "
             "CAST(NULL AS DECIMAL(18,2)) AS received, CAST(NULL AS DECIMAL(18,2)) AS total, "
             "CAST(NULL AS DECIMAL(18,2)) AS spent, CAST(NULL AS DECIMAL(18,2)) AS balance, "
             "CAST(NULL AS VARCHAR) AS source_unit, CAST(NULL AS VARCHAR) AS file, CAST(NULL AS BIGINT) AS line, "
             "CAST(NULL AS BIGINT) AS unit_factor WHERE false")
    con.execute("CREATE OR REPLACE TABLE project_records AS " + (" UNION ALL ".join(records) or empty))
    con.execute(FLOWS_DDL)
    _insert_tree_flows(con)
    edges.link(con, aliases)
    graph.finish(con)


def _insert_tree_flows(con: duckdb.DuckDBPyConnection) -> None:
    """The rows of trees by id, and under each project allocation its project's 支出 and 结余."""
    def share(x: str) -> str:  # the fund's part of a project's spending or balance
        return f"CAST(round(CASE WHEN total = 0 THEN {x} ELSE {x} * amount / total END, 2) AS DECIMAL(18,2))"

    root = "'root:' || coalesce(fund, '') || '|' || coalesce(CAST(year AS VARCHAR), '') || '|' || from_node"
    con.execute(f"""
        INSERT INTO flows
        WITH a AS (
          SELECT a.*, r.name AS project_name, r.dataset AS r_dataset, r.version AS r_version, r.total, r.spent,
                 r.balance, r.source_unit AS r_unit, r.region_code AS r_region, r.file AS r_file, r.line AS r_line,
                 r.unit_factor AS r_factor
          FROM allocations a LEFT JOIN project_records r
            ON a.project_id IS NOT NULL AND r.fund = a.fund AND r.project_id = a.project_id
           AND (r.year IS NULL OR r.year = a.year))
        SELECT dataset, version, fund, year, flow_id, parent_id, stage, from_node, to_node, region_code, project_id,
               project_name, amount, source_unit, document_no, date, NULL, NULL,
               CASE WHEN parent_id IS NULL THEN {root} ELSE 'id:' || parent_id END, 'id:' || flow_id, 'allocation',
               file, line, unit_factor FROM a
        UNION ALL
        SELECT r_dataset, r_version, fund, year, flow_id || '/支出', flow_id, '支出', coalesce(project_name, to_node),
               '实际支出', coalesce(r_region, region_code), project_id, project_name, {share('spent')},
               r_unit, NULL, NULL, NULL, NULL, 'id:' || flow_id, 'id:' || flow_id || '/支出', 'record',
               r_file, r_line, r_factor FROM a WHERE r_dataset IS NOT NULL AND spent IS NOT NULL
        UNION ALL
        SELECT r_dataset, r_version, fund, year, flow_id || '/结余', flow_id, '结余', coalesce(project_name, to_node),
               '结余', coalesce(r_region, region_code), project_id, project_name, {share('balance')},
               r_unit, NULL, NULL, NULL, NULL, 'id:' || flow_id, 'id:' || flow_id || '/结余', 'record',
               r_file, r_line, r_factor FROM a WHERE r_dataset IS NOT NULL AND balance IS NOT NULL
    """)


def data_csv(rel: Release) -> str:
    """How a row of a release is named: its ``data.csv`` (whose line numbers match the Parquet rows)."""
    return f"{rel.dataset}/{rel.version}/data.csv"


def _unit(spec: DatasetSpec, name: str) -> str:
    return next((f.get("unit") for f in spec.schema_descriptor["fields"] if f["name"] == name), None) or "元"


def _regions(specs: Specs) -> dict[str, str]:
    for spec in specs:
        path = spec.schema_path.parent / "codes" / "region-codes.csv"
        if path.is_file():
            with path.open(encoding="utf-8") as f:
                return {r["code"]: r["name"] for r in csv.DictReader(f)}
    return {}
