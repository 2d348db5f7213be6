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
from .edges import DOC, node_name
from .model import FlowModel, execute, scope_label, scope_sql

TopBy = Literal["recipient", "region", "project", "supplier"]
STAGE_ORDER = "CASE stage WHEN '支出' THEN 1 WHEN '结余' THEN 2 WHEN '合同' THEN 3 ELSE 0 END"  # among siblings


TRACE_COLUMNS = ["depth", "flow_id", "parent_id", "stage", "from_node", "to_node", "region_code", "region_name",
                 "project_id", "project_name", "amount", "source_unit", "share", "document_no", "date",
                 "parent_document", "to_code", "file", "line", "merged", "dataset", "version"]


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
    """Table ``tree``: each flow reachable from a root with its depth, its ancestors' ids (``ids``, itself last) and
    the ranks that order it depth first: among siblings the largest first, then 支出, 结余 and 合同. Built once."""
    if not model.con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'tree'").fetchall():
        model.con.execute(f"""
            CREATE TABLE tree AS
            WITH RECURSIVE
            ranked AS MATERIALIZED (SELECT flow_id, parent_id, CAST({STAGE_ORDER} AS BIGINT) * 1000000000 + row_number() OVER (
                                      PARTITION BY parent_id, {STAGE_ORDER} ORDER BY amount DESC, flow_id) AS rnk
                                    FROM flows),
            t AS (SELECT flow_id, 0 AS depth, [flow_id] AS ids, [rnk] AS ranks FROM ranked WHERE parent_id IS NULL
                  UNION ALL
                  SELECT c.flow_id, t.depth + 1, list_append(t.ids, c.flow_id), list_append(t.ranks, c.rnk)
                  FROM ranked c JOIN t ON c.parent_id = t.flow_id)
            SELECT * FROM t""")
    return "tree"


def trace(model: FlowModel, fund: str | None = None, year: int | None = None, start: str | None = None,
          depth: int | None = None) -> Trace:
    """The tree of where the money went, depth first (largest first among siblings, then 支出, 结余 and 合同), with
    each flow's share of what its sender received. ``start`` is an allocation id, an organization or node (as
    recipient, or as a root that only gives), a region code or a project id; ``depth`` counts levels below the
    starting flows (0: those flows only). ``fund`` and ``year`` may be None: every fund, every year."""
    model.check_scope(fund, year)
    tree(model)
    params = {"fund": fund, "year": year, "depth": 1_000 if depth is None else depth, "node": start,
              "norm": node_name(start, model.aliases) if start else None}
    in_scope = scope_sql("f")
    if start is None:
        roots = {0: f"SELECT flow_id FROM tree JOIN flows f USING (flow_id) WHERE depth = 0 AND {in_scope}"}
    else:
        roots = _starts(model, params)
        if not roots:
            raise UsageError(f"no flow of {scope_label(fund, year)} goes to or from {start!r}",
                             _suggest(model, fund, year, start))
    picked = " UNION ALL ".join(
        f"SELECT flow_id, depth - {d} AS rel, ranks FROM tree WHERE depth BETWEEN {d} AND {d} + $depth "
        f"AND ids[{d + 1}] IN ({sql})" for d, sql in roots.items())
    sql = f"""
        WITH picked AS ({picked})
        SELECT k.rel AS depth, s.flow_id, s.parent_id, s.stage, s.from_node, s.to_node, s.region_code,
               g.name AS region_name, s.project_id, s.project_name, s.amount, s.source_unit,
               CAST(s.amount AS DOUBLE) / NULLIF(CASE WHEN k.rel = 0
                   THEN sum(CASE WHEN k.rel = 0 THEN CAST(s.amount AS DOUBLE) END) OVER ()
                   ELSE CAST(n.inflow AS DOUBLE) END, 0) AS share,
               s.document_no, s.date, s.parent_document, s.to_code, s.file, s.line,
               coalesce(nt.n_out + nt.n_contracts > 0 AND NOT EXISTS (SELECT 1 FROM flows c WHERE c.parent_id = s.flow_id),
                        false) AS merged, s.dataset, s.version
        FROM picked k JOIN flows s USING (flow_id) LEFT JOIN nodes n ON n.key = s.from_key
        LEFT JOIN nodes nt ON nt.key = s.to_key
        LEFT JOIN regions g ON g.code = s.region_code
        WHERE {scope_sql('s')}
        ORDER BY k.ranks"""
    return Trace(model.con.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql}).to_arrow_table())


def _starts(model: FlowModel, params: dict[str, Any]) -> dict[int, str]:
    """The flows a trace ``--from`` starts at, by their depth in the tree: those going to the node (only the
    topmost of a chain of matches), else those leaving it."""
    to = ("(m.flow_id = $node OR m.to_node = $node OR m.region_code = $node OR m.project_id = $node "
          "OR ends_with(m.to_key, '|n:' || $norm) OR contains(m.to_key, '|n:' || $norm || '" + DOC + "'))")
    found = execute(model.con, f"""
        SELECT t.depth, t.flow_id FROM flows m JOIN tree t USING (flow_id)
        WHERE {scope_sql('m')} AND {to}
          AND NOT EXISTS (SELECT 1 FROM flows p WHERE p.flow_id = m.parent_id AND {to.replace('m.', 'p.')})""", params)
    if not found:  # a node that only gives (a root such as 迪庆州本级留用): start at what it passed on
        found = execute(model.con, f"""
            SELECT t.depth, t.flow_id FROM flows m JOIN tree t USING (flow_id)
            WHERE {scope_sql('m')} AND (m.from_node = $node OR ends_with(m.from_key, '|n:' || $norm))""", params)
    return {d: "VALUES " + ", ".join(f"({lit(r['flow_id'])})" for r in found if r["depth"] == d)
            for d in sorted({r["depth"] for r in found})}


def _suggest(model: FlowModel, fund: str | None, year: int | None, start: str) -> str:
    names = [n for (n,) in model.con.execute(f"""
        SELECT DISTINCT name FROM (SELECT to_node AS name, fund, year FROM flows WHERE stage IN ('下达', '拨付')
                                   UNION ALL SELECT from_node, fund, year FROM flows)
        WHERE name IS NOT NULL AND {scope_sql()}""", {"fund": fund, "year": year}).fetchall()]
    close = [c for c in difflib.get_close_matches(start, names, n=3, cutoff=0.4) if c != start]
    return ("did you mean " + ", ".join(close) + "? " if close else "") + \
        "--from takes an allocation id, an organization (拨出 or 接收单位), a region code or a project id"


def top(model: FlowModel, by: TopBy, fund: str | None = None, year: int | None = None,
        limit: int = 20) -> list[dict[str, Any]]:
    """The largest final destinations: each yuan counted once, at the last node it reached (one that passes
    nothing on by 下达, 拨付 or 支出), grouped by recipient, region or project, with what those recipients spent
    and kept. ``by="supplier"`` ranks the suppliers by the contracts they won (合同)."""
    model.check_scope(fund, year)
    if by == "supplier":
        return _suppliers(model, fund, year, limit)
    key, name = {"recipient": ("l.name", "any_value(l.name)"),
                 "region": ("l.region_code", "any_value(l.region_code)"),
                 "project": ("l.project_id", "any_value(coalesce(l.project_name, l.name))")}[by]
    sql = f"""
        WITH l AS (SELECT fund, name, region_code, project_id, project_name, received AS amount, n_received AS n,
                          CASE WHEN spent_in IS NULL AND spent IS NULL THEN NULL
                               ELSE coalesce(spent_in, 0) + coalesce(spent, 0) END AS spent, balance
                   FROM nodes WHERE n_received > 0 AND n_passing = 0 AND {scope_sql()})
        SELECT {key} AS key, {name} AS name, sum(l.amount) AS amount,
               sum(l.amount) / sum(sum(l.amount)) OVER () AS share, sum(l.n) AS allocations,
               sum(l.spent) AS spent, sum(l.balance) AS balance, string_agg(DISTINCT l.fund, '、' ORDER BY l.fund) AS funds
        FROM l WHERE {key} IS NOT NULL GROUP BY {key} ORDER BY amount DESC, key LIMIT $limit"""
    out = []
    for rank, r in enumerate(execute(model.con, sql, {"fund": fund, "year": year, "limit": limit}), start=1):
        r["share"] = float(r["share"]) if r["share"] is not None else None
        if by == "region":
            r["name"] = model.regions.get(r["key"], r["key"])
        out.append({"rank": rank, **r})
    return out


def _suppliers(model: FlowModel, fund: str | None, year: int | None, limit: int) -> list[dict[str, Any]]:
    """Suppliers by the sum of their contracts (by 统一社会信用代码 where it is given, else by name)."""
    sql = f"""
        SELECT coalesce(to_code, to_node) AS key, max_by(to_node, amount) AS name, sum(amount) AS amount,
               sum(amount) / sum(sum(amount)) OVER () AS share, count(*) AS contracts,
               count(DISTINCT from_key) AS projects, string_agg(DISTINCT fund, '、' ORDER BY fund) AS funds
        FROM flows WHERE stage = '合同' AND {scope_sql()}
        GROUP BY coalesce(to_code, to_node) ORDER BY amount DESC, key LIMIT $limit"""
    out = []
    for rank, r in enumerate(execute(model.con, sql, {"fund": fund, "year": year, "limit": limit}), start=1):
        r["share"] = float(r["share"]) if r["share"] is not None else None
        out.append({"rank": rank, **r})
    if not out:
        raise UsageError("no contracts (合同) in the flows", "Release a procurement dataset whose spec declares flows "
                         "(government-procurement), or give a contract file with --file.")
    return out
