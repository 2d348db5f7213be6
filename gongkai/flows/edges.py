"""Edge lists: rows of from → to with an amount, and the nodes they connect, found without any ids.

A row's recipient is a node named by its project id, else its name, else its region code, in its fund and year.
Names are compared after normalising (full-width forms and spaces, :func:`node_name`) and after the spec's or the
command line's ``aliases`` (``财政部门`` = ``财政局``). A row's sender is matched to a recipient node, in this order:

1. by **文号**: the row's 上级文号 is the 文号 of a row whose recipient has the sender's name (a city's allocation
   under the province's 云财农〔2025〕11号). A recipient matched this way is a node of its own per document, so the
   sums are checked per document;
2. by **name** (a node may receive many rows; the sender's name is the recipient's name);
3. by **project id** (a contract names the project it is for) or by **region code**;
4. by the 上级文号 alone, when that document went to one recipient only (the sender wrote its name another way:
   迪庆州财政局 for 迪庆藏族自治州财政局).

A sender matched nowhere is a root. A row without fund or year takes those of the node it comes from (a contract
takes the fund of its project).
"""

from __future__ import annotations

import re

import duckdb

from ..quoting import lit, q
from ..release.reading import Release
from ..spec.dataset import DatasetSpec

EDGES_DDL = """CREATE OR REPLACE TABLE edges (
    dataset VARCHAR, version VARCHAR, fund VARCHAR, year INTEGER, stage VARCHAR, from_node VARCHAR,
    to_node VARCHAR, region_code VARCHAR, project_id VARCHAR, project_name VARCHAR, to_code VARCHAR,
    amount DECIMAL(18,2), source_unit VARCHAR, unit_factor BIGINT, document_no VARCHAR, parent_document VARCHAR,
    date DATE, file VARCHAR, line BIGINT)"""
EDGE_COLUMNS = ["dataset", "version", "fund", "year", "stage", "from_node", "to_node", "region_code", "project_id",
                "project_name", "to_code", "amount", "source_unit", "unit_factor", "document_no", "parent_document",
                "date", "file", "line"]
DOC = "@文号:"          # marks a node that is a recipient's money under one document
MAX_PASSES = 5          # rounds of fund/year inheritance (a contract under a project under a county …)
SCOPE = "coalesce({a}fund, '') || '|' || coalesce(CAST({a}year AS VARCHAR), '') || '|'"


FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"  # full-width forms, ideographic space
HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_HALF = str.maketrans(FULL, HALF)


SPACES = "\t\n\v\f\r \u00a0"  # after the ideographic space became a plain one


def _plain(text: str) -> str:
    return re.sub(f"[{SPACES}]+", "", text.translate(_HALF))


def node_name(text: str, aliases: dict[str, str] | None = None) -> str:
    """A name as nodes are compared: full-width forms half-width, no spaces, aliases replaced (the same rule as
    :func:`node_name_sql`)."""
    s = _plain(text)
    for a, b in _aliases(aliases):
        s = s.replace(a, b)
    return s


def node_name_sql(col: str, aliases: dict[str, str] | None = None) -> str:
    """SQL of :func:`node_name` (vectorised: a million names in well under a second)."""
    spaces = "\\t\\n\\v\\f\\r \\x{00A0}"
    odd = f"regexp_matches({col}, '[{spaces}\\x{{3000}}\\x{{FF01}}-\\x{{FF5E}}]')"  # only those pay for the rewrite
    s = (f"CASE WHEN {odd} THEN regexp_replace(translate({col}, {lit(FULL)}, {lit(HALF)}), '[{spaces}]+', '', 'g') "
         f"ELSE {col} END")
    for a, b in _aliases(aliases):
        s = f"replace({s}, {lit(a)}, {lit(b)})"
    return s


def _aliases(aliases: dict[str, str] | None) -> list[tuple[str, str]]:
    return sorted(((_plain(a), _plain(b)) for a, b in (aliases or {}).items()), key=lambda ab: -len(ab[0]))


def released_sql(spec: DatasetSpec, rel: Release, unit: str, factor: int) -> str:
    """SELECT of the ``edges`` columns from a released edge-list dataset (rows named by their data.csv line)."""
    fm = spec.flows
    assert fm is not None

    def col(role: str | None, cast: str = "VARCHAR") -> str:
        return f"CAST({q(role)} AS {cast})" if role else f"CAST(NULL AS {cast})"

    stage = f"coalesce(CAST({q(fm.stage)} AS VARCHAR), {lit(fm.default_stage)})" if fm.stage else lit(fm.default_stage)
    return f"""
        SELECT {lit(spec.id)}, {lit(rel.version)}, {col(fm.fund)}, {col(fm.year, 'INTEGER')}, {stage},
               {col(fm.from_)}, {col(fm.to)}, {col(fm.region)}, {col(fm.project)}, {col(fm.project_name)},
               {col(fm.to_code)}, CAST(round({q(fm.amount)}, 2) AS DECIMAL(18,2)), {lit(unit)}, {factor},
               {col(fm.document)}, {col(fm.parent_document)}, {col(fm.date, 'DATE')},
               {lit(f'{rel.dataset}/{rel.version}/data.csv')}, file_row_number + 2
        FROM read_parquet({lit(rel.files['data.parquet'])}, file_row_number = true)
        WHERE {q(fm.amount)} IS NOT NULL"""


def _scope(alias: str = "") -> str:
    return SCOPE.format(a=f"{alias}." if alias else "")


def _compatible(c: str, n: str) -> str:
    return (f"({c}.fund IS NULL OR {n}.fund IS NULL OR {c}.fund = {n}.fund) AND "
            f"({c}.year IS NULL OR {n}.year IS NULL OR {c}.year = {n}.year)")


def link(con: duckdb.DuckDBPyConnection, aliases: dict[str, str]) -> None:
    """Match the rows of table ``edges`` into nodes and add them to table ``flows`` (``origin`` = 'edge')."""
    if not con.execute("SELECT count(*) FROM edges").fetchone()[0]:  # type: ignore[index]
        return
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE e AS
        SELECT row_number() OVER () AS eid, x.*, {node_name_sql('x.from_node', aliases)} AS from_norm,
               {node_name_sql('x.to_node', aliases)} AS to_norm, {node_name_sql('x.project_id', aliases)} AS pid,
               {node_name_sql('x.region_code', aliases)} AS region
        FROM edges x""")
    # recipients whose money under a document is passed on by rows naming that document as their 上级文号: by the
    # sender's name, or by the document alone when it went to one recipient and the sender's name is unknown
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ref_docs AS
        WITH f AS (SELECT DISTINCT to_norm, document_no, fund, year FROM e WHERE document_no IS NOT NULL),
        c AS (SELECT DISTINCT from_norm, parent_document, fund, year FROM e WHERE parent_document IS NOT NULL),
        single AS (SELECT document_no FROM f GROUP BY document_no HAVING count(DISTINCT to_norm) = 1),
        unknown AS (SELECT * FROM c WHERE from_norm NOT IN (SELECT to_norm FROM f WHERE to_norm IS NOT NULL))
        SELECT f.* FROM f JOIN c ON c.from_norm = f.to_norm AND c.parent_document = f.document_no
                                AND {_compatible('c', 'f')}
        UNION
        SELECT f.* FROM f JOIN single USING (document_no) JOIN unknown c ON c.parent_document = f.document_no
                                                             AND {_compatible('c', 'f')}""")
    base = ("CASE WHEN e.pid IS NOT NULL THEN 'p:' || e.pid WHEN e.to_norm IS NOT NULL THEN 'n:' || e.to_norm "
            "ELSE 'r:' || coalesce(e.region, '') END")
    any_docs = con.execute("SELECT count(*) FROM ref_docs").fetchone()[0]  # type: ignore[index]
    doc_q = (f"EXISTS (SELECT 1 FROM ref_docs r WHERE r.to_norm = e.to_norm AND r.document_no = e.document_no "
             f"AND {_compatible('r', 'e')})") if any_docs else "false"
    for _ in range(MAX_PASSES):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE ek AS
            WITH d AS (SELECT e.*, {doc_q} AS doc_q FROM e)
            SELECT d.*,
                   {_scope('d')} || {base.replace('e.', 'd.')} || CASE WHEN d.doc_q THEN '{DOC}' || d.document_no ELSE '' END
                     AS to_key,
                   coalesce(d.from_norm, '∅') || chr(31) || coalesce(d.parent_document, '∅') || chr(31)
                     || coalesce(d.fund, '∅') || chr(31) || coalesce(CAST(d.year AS VARCHAR), '∅') AS fs_key
            FROM d""")
        _match(con, aliases)
        changed = con.execute("""
            UPDATE e SET fund = coalesce(e.fund, b.n_fund), year = coalesce(e.year, b.n_year)
            FROM (SELECT ek.eid, b.n_fund, b.n_year FROM ek JOIN best b USING (fs_key)) b
            WHERE b.eid = e.eid
              AND ((e.fund IS NULL AND b.n_fund IS NOT NULL) OR (e.year IS NULL AND b.n_year IS NOT NULL))
            """).fetchone()[0]  # type: ignore[index]
        if not changed:
            break
    con.execute(f"""
        INSERT INTO flows
        SELECT ek.dataset, ek.version, ek.fund, ek.year, ek.file || ':' || ek.line, NULL, ek.stage, ek.from_node,
               coalesce(ek.to_node, ek.project_name, ek.project_id, ek.region_code), ek.region_code, ek.project_id,
               ek.project_name, ek.amount, ek.source_unit, ek.document_no, ek.date, ek.parent_document, ek.to_code,
               coalesce(b.key, {_scope('ek')} || 'n:' || coalesce(ek.from_norm, '')), ek.to_key, 'edge', ek.file,
               ek.line, ek.unit_factor
        FROM ek LEFT JOIN best b USING (fs_key)""")
    for t in ("e", "ek", "ref_docs", "cand", "best"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _match(con: duckdb.DuckDBPyConnection, aliases: dict[str, str]) -> None:
    """Table ``best``: for each kind of sender (name, 上级文号, fund, year), the node its money came from."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cand AS
        WITH keyed AS (
          SELECT to_key AS key, fund, year, to_norm, pid, region, doc_q, document_no, amount FROM ek
          UNION ALL
          SELECT to_key, fund, year, {node_name_sql('to_node', aliases)}, {node_name_sql('project_id', aliases)},
                 {node_name_sql('region_code', aliases)}, false, NULL, amount
          FROM flows WHERE origin = 'allocation')
        , senders AS (SELECT DISTINCT from_norm AS v FROM ek UNION SELECT DISTINCT parent_document FROM ek)
        , wanted AS (SELECT DISTINCT key FROM keyed  -- only nodes some sender could be matched to
                     WHERE to_norm IN (SELECT v FROM senders) OR pid IN (SELECT v FROM senders)
                        OR region IN (SELECT v FROM senders) OR (doc_q AND document_no IN (SELECT v FROM senders)))
        SELECT DISTINCT key, fund, year, to_norm, pid, region, doc_q, CASE WHEN doc_q THEN document_no END AS document_no,
               sum(amount) OVER (PARTITION BY key) AS inflow
        FROM keyed SEMI JOIN wanted USING (key)""")
    compat = _compatible("s", "n")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE best AS
        WITH s AS (SELECT DISTINCT fs_key, from_norm, parent_document, fund, year FROM ek),
        c AS (SELECT s.fs_key, n.key, n.fund AS n_fund, n.year AS n_year, n.inflow, n.doc_q, 1 AS pri
              FROM s JOIN cand n ON n.doc_q AND n.to_norm = s.from_norm AND n.document_no = s.parent_document WHERE {compat}
              UNION ALL
              SELECT s.fs_key, n.key, n.fund, n.year, n.inflow, n.doc_q, 2 FROM s JOIN cand n ON n.to_norm = s.from_norm
              WHERE {compat}
              UNION ALL
              SELECT s.fs_key, n.key, n.fund, n.year, n.inflow, n.doc_q, 3 FROM s JOIN cand n ON n.pid = s.from_norm
              WHERE {compat}
              UNION ALL
              SELECT s.fs_key, n.key, n.fund, n.year, n.inflow, n.doc_q, 4 FROM s JOIN cand n ON n.region = s.from_norm
              WHERE {compat}
              UNION ALL
              SELECT s.fs_key, n.key, n.fund, n.year, n.inflow, n.doc_q, 5
              FROM s JOIN (SELECT *, count(DISTINCT key) OVER (PARTITION BY document_no) AS recipients
                           FROM cand WHERE doc_q) n ON n.document_no = s.parent_document AND n.recipients = 1
              WHERE {compat})
        SELECT * FROM c
        QUALIFY row_number() OVER (PARTITION BY fs_key ORDER BY pri, doc_q, inflow DESC, key) = 1""")
