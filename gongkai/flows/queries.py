"""The journalist's questions that walk the tree: where did the money go (:func:`trace`), and where did it end up
(:func:`top`)."""

from __future__ import annotations

import difflib
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import duckdb
import pyarrow as pa

from ..errors import UsageError
from ..quoting import lit
from .model import FlowModel, execute, scope_sql

TopBy = Literal["recipient", "region", "project"]


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
                       FROM flows WHERE stage IN ('下达', '拨付') AND {scope_sql()}),
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
