"""The nodes of the flows and the tree through them.

Table ``nodes`` says, for every node (``flows.from_key`` / ``to_key``), what it received (without contracts), what
of that came as 下达/拨付, what it passed on, spent, kept and contracted, and how many rows each: the reconciliation
and the page read it. The source's unit is kept as ``unit_factor`` (元 per source unit), so a tolerance can be
given in the unit the publisher wrote.

A tree by id has its parents. An edge list is a graph: a node may receive from several rows, and rows may even
form a cycle. Its tree is the breadth-first one from the roots (nodes that receive nothing): each node hangs under
the inflow that reaches it first (the largest, among equals), so every node is shown once, with all it passed on.
"""

from __future__ import annotations

import duckdb

from .edges import DOC

MAX_DEPTH = 10_000


def finish(con: duckdb.DuckDBPyConnection) -> None:
    """Parents of the edge-list rows (their tree), then table ``nodes``."""
    if con.execute("SELECT count(*) FROM flows WHERE origin = 'edge'").fetchone()[0]:  # type: ignore[index]
        _edge_parents(con)
    nodes(con)


def nodes(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``nodes`` from table ``flows`` (again after flows were changed by hand)."""
    money_in = "stage <> '合同'"
    ends = "stage IN ('下达', '拨付', '支出') AND origin <> 'record'"  # money arriving at a destination
    con.execute(f"""
        CREATE OR REPLACE TABLE nodes AS
        WITH ins AS (
          SELECT to_key AS key, any_value(fund) AS fund, any_value(year) AS year,
                 max_by(to_node, amount) AS name, max_by(region_code, amount) AS region_code,
                 max_by(project_id, amount) AS project_id, max_by(project_name, amount) AS project_name,
                 max_by(flow_id, CASE WHEN {money_in} THEN amount END) AS flow_id,
                 max_by(dataset, CASE WHEN {money_in} THEN amount END) AS dataset,
                 max_by(version, CASE WHEN {money_in} THEN amount END) AS version,
                 max_by(origin, CASE WHEN {money_in} THEN amount END) AS origin,
                 max_by(to_node, CASE WHEN {money_in} THEN amount END) AS to_node,
                 sum(amount) FILTER (WHERE {money_in}) AS inflow,
                 sum(amount) FILTER (WHERE stage IN ('下达', '拨付')) AS allocated_in,
                 bool_or(stage IN ('支出', '结余')) AS used_in, count(*) FILTER (WHERE {money_in}) AS n_in,
                 sum(amount) FILTER (WHERE {ends}) AS received, count(*) FILTER (WHERE {ends}) AS n_received,
                 sum(amount) FILTER (WHERE {ends} AND stage = '支出') AS spent_in, max(unit_factor) AS in_factor
          FROM flows GROUP BY to_key),
        outs AS (
          SELECT from_key AS key, any_value(fund) AS fund, any_value(year) AS year, any_value(from_node) AS name,
                 sum(amount) FILTER (WHERE {money_in}) AS outflow,
                 sum(amount) FILTER (WHERE stage IN ('下达', '拨付')) AS passed_on,
                 sum(amount) FILTER (WHERE stage = '支出') AS spent,
                 sum(amount) FILTER (WHERE stage = '结余') AS balance,
                 sum(amount) FILTER (WHERE stage = '合同') AS contracts,
                 count(*) FILTER (WHERE {money_in}) AS n_out, count(*) FILTER (WHERE stage = '合同') AS n_contracts,
                 count(*) FILTER (WHERE {ends}) AS n_passing, max(unit_factor) AS out_factor
          FROM flows GROUP BY from_key)
        SELECT coalesce(i.key, o.key) AS key, coalesce(i.fund, o.fund) AS fund, coalesce(i.year, o.year) AS year,
               coalesce(i.name, o.name)
                 || CASE WHEN coalesce(i.key, o.key) LIKE '%{DOC}%'
                         THEN '（' || regexp_extract(coalesce(i.key, o.key), '{DOC}(.*)$', 1) || '）' ELSE '' END AS name,
               i.region_code, i.project_id, i.project_name, i.flow_id, i.dataset, i.version, i.origin, i.to_node,
               i.inflow, i.allocated_in, coalesce(i.used_in, false) AS used_in, coalesce(i.n_in, 0) AS n_in,
               i.received, coalesce(i.n_received, 0) AS n_received, i.spent_in,
               o.outflow, o.passed_on, o.spent, o.balance, o.contracts, coalesce(o.n_out, 0) AS n_out,
               coalesce(o.n_contracts, 0) AS n_contracts, coalesce(o.n_passing, 0) AS n_passing,
               greatest(coalesce(i.in_factor, 1), coalesce(o.out_factor, 1)) AS unit_factor
        FROM ins i FULL JOIN outs o ON o.key = i.key""")


def _edge_parents(con: duckdb.DuckDBPyConnection) -> None:
    """``parent_id`` of every edge-list row: the inflow its sender hangs under in the breadth-first tree."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE node_depth AS
        SELECT DISTINCT f.from_key AS key, 0 AS depth FROM flows f
        ANTI JOIN (SELECT DISTINCT to_key FROM flows) t ON t.to_key = f.from_key""")
    for depth in range(MAX_DEPTH):
        added = con.execute(f"""
            INSERT INTO node_depth
            SELECT DISTINCT f.to_key, {depth + 1} FROM flows f JOIN node_depth n ON n.key = f.from_key AND n.depth = {depth}
            ANTI JOIN node_depth seen ON seen.key = f.to_key""").fetchone()[0]  # type: ignore[index]
        if not added:
            break
    con.execute("""
        CREATE OR REPLACE TEMP TABLE primary_in AS
        SELECT f.to_key AS key, f.flow_id FROM flows f LEFT JOIN node_depth d ON d.key = f.from_key
        WHERE f.to_key IN (SELECT from_key FROM flows WHERE origin = 'edge')
        QUALIFY row_number() OVER (PARTITION BY f.to_key ORDER BY d.depth NULLS LAST,
                                   CASE WHEN f.stage = '合同' THEN 1 ELSE 0 END, f.amount DESC, f.flow_id) = 1""")
    con.execute("""
        UPDATE flows SET parent_id = p.flow_id FROM primary_in p
        WHERE flows.origin = 'edge' AND p.key = flows.from_key AND p.flow_id <> flows.flow_id""")
    con.execute("DROP TABLE node_depth")
    con.execute("DROP TABLE primary_in")
