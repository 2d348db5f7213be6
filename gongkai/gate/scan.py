"""The personal-data scan and the redaction of reports.

The scan runs over every value of every column of the protected table, inside DuckDB, before any file is written.
Anything found unprotected (an ID, mobile or bank card number, or a recipient's name standing in another column)
refuses the release; the report shows only masked forms.
"""

from __future__ import annotations

import re
from collections import Counter

import duckdb

from ..ingest.workspace import PROTECTED, TYPED
from ..quoting import lit, q
from ..report import Problem, Report
from ..spec.dataset import DatasetSpec
from . import identifier_sql, pii
from .protect import condition_sql


def scan(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, report: Report, source: str = TYPED) -> Counter[str]:
    """Look through every published value for personal data; add a problem for each finding (masked)."""
    pii.create_macros(con)
    published = [r for r in con.execute(f"DESCRIBE {PROTECTED}").fetchall() if r[0] not in ("_src", "_file", "_sheet", "_row")]
    found: Counter[str] = Counter()
    parts = []
    credit_codes = {f["name"] for f in spec.schema_descriptor["fields"] if f.get("identifier") == "uscc"}
    if credit_codes:
        identifier_sql.create_sql(con)
    for name, typ, *_ in published:
        if str(typ) == "VARCHAR":
            col = pii.scan_sql(q(name))
            maybe = f"regexp_matches({col}, '{pii.PREFILTER}')"
            if name in credit_codes:  # a valid credit code is no bank card, unless it also reads as an ID number
                maybe += (f" AND NOT (coalesce(({identifier_sql.reason_sql('uscc', q(name))}) IS NULL, false) "
                          f"AND NOT coalesce(gk_id18(trim({q(name)})), false))")
        elif str(typ) in ("BIGINT", "INTEGER", "HUGEINT"):
            col, maybe = f"CAST({q(name)} AS VARCHAR)", f"abs({q(name)}) >= 10000000000"
        elif str(typ) == "DOUBLE":  # a phone or ID typed into a number column is a whole number of 11+ digits
            col = f"CAST(TRY_CAST({q(name)} AS HUGEINT) AS VARCHAR)"
            maybe = f"abs({q(name)}) >= 10000000000 AND {q(name)} = trunc({q(name)})"
        else:
            continue  # dates and booleans cannot hold an ID or a phone number
        parts.append(f"SELECT _file, _sheet, _row, {lit(name)} AS field, cand FROM (SELECT _file, _sheet, _row, "
                     f"unnest({pii.candidates_sql(col)}) AS cand FROM {PROTECTED} WHERE {maybe})")
    if parts:
        sql = (f"SELECT _file, _sheet, _row, field, cand, gk_kind({pii.digits_sql('cand')}) AS kind "
               f"FROM ({' UNION ALL '.join(parts)}) WHERE kind IS NOT NULL ORDER BY _file, _row, field")
        for file, sheet, row, fld, cand, kind in con.execute(sql).fetchall():
            found[kind] += 1
            report.add(Problem("personal-data", f"发现未脱敏的{pii.KINDS[kind]}「{pii.mask(kind, cand)}」",
                               "个人信息不得公开：删除该内容，或在数据集说明 privacy.fields 中为该列设置脱敏规则。",
                               file=file, sheet=sheet, row=row, field=fld, value=pii.mask(kind, cand)))
    found += _names_elsewhere(spec, con, report, source)
    report.checks.append("personal-data scan (ID, mobile and bank card numbers; recipients' names)")
    return found


def _names_elsewhere(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, report: Report, source: str) -> Counter[str]:
    """A masked name must not stand in full in another published column of its row (e.g. in 备注)."""
    found: Counter[str] = Counter()
    names = [f for f, rule in spec.privacy.fields.items() if rule == "mask-name"]
    text_cols = [r[0] for r in con.execute(f"DESCRIBE {PROTECTED}").fetchall()
                 if str(r[1]) == "VARCHAR" and r[0] not in ("_file", "_sheet") and r[0] not in names]
    for n in names:
        for col in text_cols:
            rows = con.execute(
                f"SELECT p._file, p._sheet, p._row, s.{q(n)} FROM {PROTECTED} p JOIN {source} s USING (_src, _row) "
                f"WHERE length(s.{q(n)}) >= 2 AND contains(p.{q(col)}, s.{q(n)}) "
                f"AND {condition_sql(spec, n, 's.')}").fetchall()
            for file, sheet, row, name in rows:
                found["name"] += 1
                report.add(Problem("personal-data", f"列「{col}」中出现了未脱敏的姓名「{pii.mask('name', name)}」",
                                   "删除或改写该内容：公开的只能是脱敏后的姓名。", file=file, sheet=sheet, row=row,
                                   field=col, value=pii.mask("name", name)))
    return found


def redact(report: Report, spec: DatasetSpec) -> None:
    """Mask personal values in every problem of a report, so no message or report carries one in full."""
    personal = spec.privacy.fields
    for i, p in enumerate(report.problems):
        value, message = p.value, p.message
        if value and p.field in personal and p.type != "personal-data":
            rule = personal[p.field]
            masked = pii.mask("name", value) if rule == "mask-name" else "*" * min(len(value), 8)
            message = message.replace(value, masked)
            value = masked
        for f, rule in personal.items():  # multi-column rules show "a=…, b=…"; table rules show observed values
            shown = "name" if rule == "mask-name" else None
            value = re.sub(rf"\b({re.escape(f)})=([^,]+)",
                           lambda m, k=shown: f"{m.group(1)}={pii.mask(k, m.group(2)) if k else '****'}",
                           value) if value else value
            if p.field == f and p.row is None:
                message = re.sub(r"（实际值：.*）$", "", message)
        value = pii.scrub(value) if value else value
        message = pii.scrub(message)
        if (value, message) != (p.value, p.message):
            report.problems[i] = Problem(**{**p.__dict__, "value": value, "message": message})
