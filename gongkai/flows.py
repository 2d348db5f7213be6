"""Fund flows over released datasets: one table of flows, and the journalist's questions about it.

Every row of a dataset whose spec declares ``flows:`` is a 下达 (or 拨付) flow: fund, year, from, to (organization,
region code, project id), amount in 元 (the source's unit kept in ``source_unit``), document number and date, with
the id of the allocation it came from. A project-level allocation follows the spec's ``links`` (a foreign key to a
project dataset chosen by the fund) to the project's own record, whose 实际支出 and 结余 become the 支出 and 结余
flows under it. A project paid from several sources (中央/省/市/县) has its spending shared out in proportion:
the fund's share of 支出 is 支出 × allocation ÷ the project's total money.

    model = build(project.catalog, LocalReleases(project.store), as_of=None)
    rows = trace(model, "财政专项扶贫资金", 2025, depth=2).rows()
    result = reconcile(model, "财政专项扶贫资金", 2025)

Everything runs as SQL in DuckDB, so a million flows answer in seconds (benchmarks/bench_flows.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Literal

import duckdb
import pyarrow as pa

from .errors import ConfigError, UsageError
from .spec import Catalog, DatasetSpec
from .tables import Release, ReleaseSource, resolve

TOLERANCE = Decimal("0.01")  # 元: pro-rata shares are rounded to the fen
KINDS = {
    "sum-mismatch": "下级之和与本级金额不符",
    "unused-allocation": "分配了资金，但没有使用记录",
    "unallocated-spending": "有支出，但没有任何分配",
    "record-mismatch": "项目记录的本资金金额与分配不符",
    "negative-balance": "结余为负（支出超过资金）",
    "missing-parent": "上级分配不存在",
}
TopBy = Literal["recipient", "region", "project"]
REGIONS = pa.schema([("code", pa.string()), ("name", pa.string())])


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``sql`` with the named parameters it uses; rows as dicts."""
    cur = con.execute(sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


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


def flow_specs(catalog: Catalog) -> list[DatasetSpec]:
    specs = [s for s in catalog if s.flows is not None]
    if not specs:
        raise ConfigError("no dataset spec declares 'flows:'", "See README, 'Fund flows (for journalists)'.")
    return specs


def needed_datasets(catalog: Catalog) -> list[str]:
    out: list[str] = []
    for spec in flow_specs(catalog):
        for d in [spec.id, *(spec.flows.uses if spec.flows else {})]:
            if d not in out:
                out.append(d)
    return out


def build(catalog: Catalog, source: ReleaseSource, as_of: dt.date | None = None,
          con: duckdb.DuckDBPyConnection | None = None) -> FlowModel:
    """Fetch the releases the flow datasets need (latest, or current at ``as_of``) and build the flow tables."""
    releases = resolve(source, needed_datasets(catalog), as_of)
    con = con or duckdb.connect()
    for ds, rel in releases.items():
        con.execute(f"CREATE OR REPLACE VIEW {q(ds)} AS SELECT * FROM read_parquet({lit(rel.files['data.parquet'])})")
    build_tables(con, catalog, releases)
    regions = _regions(catalog)
    con.register("region_list", pa.table({"code": list(regions), "name": list(regions.values())}, schema=REGIONS))
    con.execute("CREATE OR REPLACE TABLE regions AS SELECT * FROM region_list")
    con.unregister("region_list")
    return FlowModel(con, releases, regions)


def build_tables(con: duckdb.DuckDBPyConnection, catalog: Catalog, releases: dict[str, Release]) -> None:
    """Tables ``allocations``, ``project_records`` and ``flows`` from views named by dataset id."""
    allocs, records = [], []
    for spec in flow_specs(catalog):
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
            target, trel = catalog.get(link.dataset), releases[link.dataset]
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
    return next((f.get("unit") for f in spec.schema["fields"] if f["name"] == name), None) or "元"


def _regions(catalog: Catalog) -> dict[str, str]:
    for spec in catalog:
        path = spec.schema_path.parent / "codes" / "region-codes.csv"
        if path.is_file():
            with path.open(encoding="utf-8") as f:
                return {r["code"]: r["name"] for r in csv.DictReader(f)}
    return {}


# -- trace ------------------------------------------------------------------------------------------------

TRACE_COLUMNS = ["depth", "flow_id", "parent_id", "stage", "from_node", "to_node", "region_code", "region_name",
                 "project_id", "project_name", "amount", "source_unit", "share", "document_no", "date", "dataset",
                 "version"]


@dataclass
class Trace:
    """Trace rows as an Arrow table (columns ``TRACE_COLUMNS``), depth first; ``rows()`` for Python dicts."""

    table: pa.Table

    def __len__(self) -> int:
        return self.table.num_rows

    def rows(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()

    def write_csv(self, out: BinaryIO) -> None:
        """UTF-8 CSV with a header (DuckDB's writer: fast, minimal quoting)."""
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "trace.csv"
            duckdb.connect().from_arrow(self.table).write_csv(str(path), header=True)
            with path.open("rb") as f:
                sys.stdout.flush()
                shutil.copyfileobj(f, out)


def tree(model: FlowModel) -> str:
    """Table ``tree``: each allocation reachable from a root with its depth, its ancestors' ids (``ids``, itself
    last) and the ranks that order it depth first, largest first among siblings. Built once, on first use."""
    if not model.con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'tree'").fetchall():
        model.con.execute("""
            CREATE TABLE tree AS
            WITH RECURSIVE
            ranked AS MATERIALIZED (SELECT flow_id, parent_id, row_number() OVER (PARTITION BY parent_id
                                      ORDER BY amount DESC, flow_id) AS rnk
                                    FROM flows WHERE stage IN ('下达', '拨付')),
            t AS (SELECT flow_id, 0 AS depth, [flow_id] AS ids, [rnk] AS ranks FROM ranked WHERE parent_id IS NULL
                  UNION ALL
                  SELECT c.flow_id, t.depth + 1, list_append(t.ids, c.flow_id), list_append(t.ranks, c.rnk)
                  FROM ranked c JOIN t ON c.parent_id = t.flow_id)
            SELECT * FROM t""")
    return "tree"


def trace(model: FlowModel, fund: str, year: int, start: str | None = None, depth: int | None = None) -> Trace:
    """The tree of where the money went, depth first (largest first among siblings, then 支出 and 结余), with
    each flow's share of its parent. ``start`` is an allocation id, organization, region code or project id;
    ``depth`` counts levels below the starting flows (0: those flows only)."""
    model.check_scope(fund, year)
    tree(model)
    params = {"fund": fund, "year": year, "depth": 1_000 if depth is None else depth, "node": start}
    if start is None:
        roots = {0: "SELECT flow_id FROM tree JOIN flows USING (flow_id) WHERE depth = 0 AND fund = $fund AND year = $year"}
    else:
        match = "(m.flow_id = $node OR m.to_node = $node OR m.region_code = $node OR m.project_id = $node)"
        found = execute(model.con, f"""
            SELECT t.depth, t.flow_id FROM flows m JOIN tree t USING (flow_id)
            WHERE m.fund = $fund AND m.year = $year AND {match}
              AND NOT EXISTS (SELECT 1 FROM flows p WHERE p.flow_id = m.parent_id AND {match.replace('m.', 'p.')})""", params)
        if not found:
            raise UsageError(f"no flow of {fund} {year} goes to {start!r}", _suggest(model, fund, year, start))
        roots = {d: "VALUES " + ", ".join(f"({lit(r['flow_id'])})" for r in found if r["depth"] == d)
                 for d in sorted({r["depth"] for r in found})}
    picked = " UNION ALL ".join(
        f"SELECT flow_id, depth - {d} AS rel, ranks FROM tree WHERE depth BETWEEN {d} AND {d} + $depth "
        f"AND ids[{d + 1}] IN ({sql})" for d, sql in roots.items())
    sql = f"""
        WITH alloc AS ({picked}),
        picked AS (SELECT * FROM alloc UNION ALL
                   SELECT u.flow_id, a.rel + 1, list_append(a.ranks, CASE u.stage WHEN '支出' THEN 1000000001
                                                                          ELSE 1000000002 END)
                   FROM alloc a JOIN flows u ON u.parent_id = a.flow_id AND u.stage IN ('支出', '结余')
                   WHERE a.rel < $depth)
        SELECT k.rel AS depth, s.flow_id, s.parent_id, s.stage, s.from_node, s.to_node, s.region_code,
               g.name AS region_name, s.project_id, s.project_name, s.amount, s.source_unit,
               CAST(s.amount AS DOUBLE) / NULLIF(CASE WHEN k.rel = 0
                   THEN sum(CASE WHEN k.rel = 0 THEN CAST(s.amount AS DOUBLE) END) OVER ()
                   ELSE CAST(p.amount AS DOUBLE) END, 0) AS share,
               s.document_no, s.date, s.dataset, s.version
        FROM picked k JOIN flows s USING (flow_id) LEFT JOIN flows p ON p.flow_id = s.parent_id
        LEFT JOIN regions g ON g.code = s.region_code
        ORDER BY k.ranks"""
    return Trace(model.con.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql}).to_arrow_table())


def _suggest(model: FlowModel, fund: str, year: int, start: str) -> str:
    names = [n for (n,) in model.con.execute(
        "SELECT DISTINCT to_node FROM flows WHERE fund = ? AND year = ? AND stage IN ('下达', '拨付')", [fund, year]).fetchall()]
    close = difflib.get_close_matches(start, names, n=3, cutoff=0.4)
    return ("did you mean " + ", ".join(close) + "? " if close else "") + \
        "--from takes an allocation id, an organization (接收单位), a region code or a project id"


# -- reconcile ------------------------------------------------------------------------------------------

@dataclass
class Finding:
    kind: str
    fund: str
    year: int | None
    node: str            # allocation id or project id
    name: str            # who or what
    amount: Decimal      # the node's own amount (or the project's record)
    counterpart: Decimal | None  # what it is compared with
    difference: Decimal | None
    detail: str
    dataset: str
    version: str

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "title": self.title}


@dataclass
class Reconciliation:
    findings: list[Finding]
    checked: list[dict[str, Any]]  # per fund and year: flows, projects, findings, clean
    tolerance: Decimal

    @property
    def clean(self) -> bool:
        return not self.findings


def _scope(alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return f"($fund IS NULL OR {p}fund = $fund) AND ($year IS NULL OR {p}year IS NULL OR {p}year = $year)"


def reconcile(model: FlowModel, fund: str | None = None, year: int | None = None,
              tolerance: Decimal = TOLERANCE) -> Reconciliation:
    """Every node whose children do not sum to it, money spent without an allocation, allocations with no
    recorded use, project records that disagree with their allocations, negative balances, missing parents."""
    model.check_scope(fund, year)
    con, params = model.con, {"fund": fund, "year": year, "tol": tolerance}
    out: list[Finding] = []

    def rows(sql: str) -> list[dict[str, Any]]:
        return execute(con, sql, params)

    for r in rows(f"""
        WITH kids AS (SELECT parent_id, sum(amount) AS children, count(*) AS n,
                             bool_or(stage IN ('支出', '结余')) AS uses
                      FROM flows WHERE parent_id IS NOT NULL GROUP BY parent_id)
        SELECT s.fund, s.year, s.flow_id, s.to_node, s.project_id, s.amount, s.dataset, s.version,
               k.children, k.n, k.uses
        FROM flows s JOIN kids k ON k.parent_id = s.flow_id
        WHERE {_scope('s')} AND abs(s.amount - k.children) > $tol ORDER BY s.fund, s.year, s.flow_id"""):
        diff = r["amount"] - r["children"]
        if r["uses"]:
            detail = (f"项目 {r['project_id']} 的实际支出与结余（按本资金所占比例）合计 {_yuan(r['children'])}，"
                      f"与分配的 {_yuan(r['amount'])} 相差 {_yuan(diff)}")
        elif diff > 0:
            detail = f"下达 {_yuan(r['amount'])}，{r['n']} 笔下级分配合计 {_yuan(r['children'])}，{_yuan(diff)}未向下分配、去向不明"
        else:
            detail = f"下达 {_yuan(r['amount'])}，{r['n']} 笔下级分配合计 {_yuan(r['children'])}，超出 {_yuan(-diff)}"
        out.append(_finding("sum-mismatch", r, r["children"], diff, detail))

    for r in rows(f"""
        WITH s AS (SELECT flow_id, fund, year, to_node, project_id, amount, dataset, version FROM flows
                   WHERE stage IN ('下达', '拨付') AND {_scope()})
        , linked AS (SELECT fund, string_agg(DISTINCT dataset || ' ' || version, ', ') AS targets
                     FROM project_records GROUP BY fund)
        SELECT s.*, l.fund IS NOT NULL AS fund_linked, l.targets,
               p.project_id IS NOT NULL AS recorded, p.spent IS NULL AS no_spent
        FROM s LEFT JOIN linked l ON l.fund = s.fund
        LEFT JOIN project_records p ON p.fund = s.fund AND p.project_id = s.project_id
                                   AND (p.year IS NULL OR p.year = s.year)
        WHERE NOT EXISTS (SELECT 1 FROM flows c WHERE c.parent_id = s.flow_id)
        ORDER BY s.fund, s.year, s.flow_id"""):
        if r["project_id"] is None:
            detail = f"{r['to_node']} 收到 {_yuan(r['amount'])}，既没有向下分配，也没有项目使用记录"
        elif not r["fund_linked"]:
            detail = f"项目 {r['project_id']}：没有声明记录 {r['fund']} 项目的数据集（spec 的 links / flows.uses）"
        elif not r["recorded"]:
            detail = f"项目 {r['project_id']} 不在 {r['targets']} 中：{_yuan(r['amount'])} 的去向没有记录"
        elif r["no_spent"]:
            detail = f"项目 {r['project_id']} 没有填写实际支出"
        else:
            continue
        out.append(_finding("unused-allocation", r, None, None, detail))

    for r in rows(f"""
        WITH a AS (SELECT fund, year, project_id, sum(amount) AS allocated, count(*) AS n, min(flow_id) AS first_id
                   FROM flows WHERE stage IN ('下达', '拨付') AND project_id IS NOT NULL GROUP BY ALL)
        SELECT p.*, a.allocated, a.first_id || CASE WHEN a.n > 1 THEN ' 等 ' || a.n || ' 笔' ELSE '' END AS ids
        FROM project_records p
        LEFT JOIN a ON a.fund = p.fund AND a.project_id = p.project_id AND (p.year IS NULL OR p.year = a.year)
        WHERE {_scope('p')} AND (a.allocated IS NULL AND (coalesce(p.spent, 0) > 0 OR coalesce(p.received, 0) > 0)
                                OR abs(coalesce(p.received, 0) - coalesce(a.allocated, 0)) > $tol)
        ORDER BY p.fund, p.year, p.project_id"""):
        r.update(flow_id=r["project_id"], to_node=r["name"], amount=r["received"])
        received = r["received"] or Decimal(0)
        if r["allocated"] is None and (r["spent"] or 0) > 0:
            part = r["spent"] * received / r["total"] if r["total"] else r["spent"]
            detail = (f"项目记录实际支出 {_yuan(r['spent'])}（按资金来源比例，其中{r['fund']}约 {_yuan(part)}），"
                      f"记录收到{r['fund']} {_yuan(received)}，但没有任何一笔分配给它")
            out.append(_finding("unallocated-spending", r, Decimal(0), received, detail))
        else:
            allocated = r["allocated"] or Decimal(0)
            detail = (f"项目记录收到{r['fund']} {_yuan(received)}，分配合计 {_yuan(allocated)}"
                      + (f"（{r['ids']}）" if r["ids"] else "（没有分配）") + f"，相差 {_yuan(received - allocated)}")
            out.append(_finding("record-mismatch", r, allocated, received - allocated, detail))

    for r in rows(f"SELECT * FROM project_records WHERE balance < 0 AND {_scope()} ORDER BY fund, year, project_id"):
        r.update(flow_id=r["project_id"], to_node=r["name"], amount=r["balance"])
        detail = f"项目 {r['project_id']} 资金 {_yuan(r['total'])}，实际支出 {_yuan(r['spent'])}，结余 {_yuan(r['balance'])}"
        out.append(_finding("negative-balance", r, r["total"], r["balance"], detail))

    for r in rows(f"""SELECT s.* FROM flows s WHERE {_scope('s')} AND s.parent_id IS NOT NULL
                      AND s.stage IN ('下达', '拨付') AND NOT EXISTS
                      (SELECT 1 FROM flows p WHERE p.flow_id = s.parent_id AND p.stage IN ('下达', '拨付'))
                      ORDER BY s.flow_id"""):
        out.append(_finding("missing-parent", r, None, None, f"上级分配编号 {r['parent_id']} 不在 {r['dataset']} {r['version']} 中"))

    checked = []
    for c in rows(f"""
            SELECT fund, year, count(*) FILTER (WHERE stage IN ('下达', '拨付')) AS allocations,
                   count(DISTINCT project_id) FILTER (WHERE stage IN ('下达', '拨付')) AS projects
            FROM flows WHERE {_scope()} GROUP BY ALL ORDER BY year, fund"""):
        n = sum(1 for x in out if x.fund == c["fund"] and (x.year is None or x.year == c["year"]))
        checked.append({**c, "findings": n, "clean": n == 0})
    return Reconciliation(out, checked, tolerance)


def _finding(kind: str, r: dict[str, Any], counterpart: Decimal | None, difference: Decimal | None,
             detail: str) -> Finding:
    return Finding(kind, r["fund"], r["year"], r["flow_id"], r.get("to_node") or "", r["amount"], counterpart,
                   difference, detail, r["dataset"], r["version"])


def _yuan(v: Decimal | None) -> str:
    return "—" if v is None else f"{v:,.2f} 元"


# -- top ---------------------------------------------------------------------------------------------------

def top(model: FlowModel, by: TopBy, fund: str | None = None, year: int | None = None,
        limit: int = 20) -> list[dict[str, Any]]:
    """The largest final destinations: each yuan counted once, at the last allocation it reached (a leaf of the
    tree), grouped by recipient organization, region or project; with what those recipients spent and kept."""
    model.check_scope(fund, year)
    key, name = {"recipient": ("l.to_node", "any_value(l.to_node)"),
                 "region": ("l.region_code", "any_value(l.region_code)"),
                 "project": ("l.project_id", "any_value(coalesce(l.project_name, l.to_node))")}[by]
    sql = f"""
        WITH alloc AS (SELECT flow_id, parent_id, fund, to_node, region_code, project_id, project_name, amount
                       FROM flows WHERE stage IN ('下达', '拨付') AND {_scope()}),
        leaves AS (SELECT a.* FROM alloc a WHERE NOT EXISTS (SELECT 1 FROM alloc c WHERE c.parent_id = a.flow_id)),
        uses AS (SELECT parent_id, sum(amount) FILTER (WHERE stage = '支出') AS spent,
                        sum(amount) FILTER (WHERE stage = '结余') AS balance
                 FROM flows WHERE stage IN ('支出', '结余') GROUP BY parent_id)
        SELECT {key} AS key, {name} AS name, sum(l.amount) AS amount,
               sum(l.amount) / sum(sum(l.amount)) OVER () AS share, count(*) AS allocations,
               sum(u.spent) AS spent, sum(u.balance) AS balance, string_agg(DISTINCT l.fund, '、' ORDER BY l.fund) AS funds
        FROM leaves l LEFT JOIN uses u ON u.parent_id = l.flow_id
        WHERE {key} IS NOT NULL GROUP BY {key} ORDER BY amount DESC, key LIMIT $limit"""
    out = []
    for rank, r in enumerate(execute(model.con, sql, {"fund": fund, "year": year, "limit": limit}), start=1):
        r["share"] = float(r["share"]) if r["share"] is not None else None
        if by == "region":
            r["name"] = model.regions.get(r["key"], r["key"])
        out.append({"rank": rank, **r})
    return out
