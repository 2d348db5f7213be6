"""合计 rows: dropped from the data, and with ``totals: verify`` checked against the sum of the detail rows."""

from __future__ import annotations

import re

import duckdb

from ..quoting import lit, q
from ..report import Problem, Report
from ..spec.dataset import DatasetSpec
from ..vocab import unit_factor
from .header import SourceFile


def check_totals(con: duckdb.DuckDBPyConnection, spec: DatasetSpec, report: Report, src: SourceFile,
                 norm: str) -> None:
    """Drop 合计 rows; with ``verify``, check the one total row against the sum of the detail rows."""
    t = spec.source.totals
    assert t is not None
    schema = spec.table_schema
    pattern = lit("^(" + "|".join(re.escape(label) for label in t.labels) + ")")
    where = f"regexp_matches(regexp_replace({q(t.field)}, '[\\s\u3000]', '', 'g'), {pattern})"
    fields = ", ".join(q(n) for n in schema.names)
    totals = con.execute(f"SELECT _row, {fields} FROM {norm} WHERE {where}").fetchall()
    src.dropped_totals = len(totals)
    if t.action == "verify" and len(totals) == 1:
        names = schema.names
        row = totals[0]
        for f in schema.fields:
            total_text = row[1 + names.index(f.name)]
            if f.type not in ("number", "integer") or f.name in schema.primary_key or total_text is None:
                continue
            c = q(f.name)
            got = con.execute(f"SELECT sum(TRY_CAST({c} AS DECIMAL(38,6))), count(*) FILTER "
                              f"(WHERE TRY_CAST({c} AS DECIMAL(38,6)) IS NULL AND {c} IS NOT NULL) "
                              f"FROM {norm} WHERE NOT ({where})").fetchone()
            try:
                expected = float(total_text)
            except ValueError:
                continue
            col = next((m for m in src.columns if m.field == f.name), None)
            # rounding of a total written in 万元 to two decimals is 0.005 万元 = 50 元
            tolerance = 0.005 * (unit_factor(col.unit, f.unit) if col and col.unit and f.unit else 1)
            if got and got[1] == 0 and got[0] is not None and abs(float(got[0]) - expected) > tolerance:
                report.add(Problem(
                    "total-mismatch", f"合计行的 {f.label} 为 {_fmt(expected)}，但各明细行相加为 {_fmt(float(got[0]))}"
                    f"（相差 {_fmt(expected - float(got[0]))}{f.unit or ''}）",
                    "请核对明细行和合计行，改正其中有误的数字。", file=src.path.name, sheet=src.sheet, row=row[0],
                    field=f.name, value=total_text))
    con.execute(f"DELETE FROM {norm} WHERE {where}")


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")
