"""Protect: apply the privacy policy, suppress small counts, then scan everything that would be published.

The scan runs over every value of every column of the protected table, inside DuckDB, before any file is written.
Anything found unprotected (an ID, mobile or bank card number, or a recipient's name standing in another column)
refuses the release; the report shows only masked forms.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb

from . import identifiers, pii
from .checks import q
from .report import Problem, Report
from .spec import DatasetSpec

RULE_TITLES = {"drop": "不公开", "mask-name": "姓名脱敏", "mask-phone": "电话脱敏", "mask-id": "证件号脱敏",
               "mask-bank": "账号脱敏", "generalise-address": "地址概化到村（社区）"}


@dataclass
class Protection:
    dropped_fields: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # field -> rule -> cells changed
    suppression: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, object]:
        return {"dropped_fields": self.dropped_fields, "counts": self.counts,
                **({"suppression": self.suppression} if self.suppression else {})}


def rule_sql(rule: str, col: str) -> str:
    """SQL publishing the cell ``col`` under ``rule``."""
    digits = f"regexp_replace(CAST({col} AS VARCHAR), '[^0-9Xx]', '', 'g')"
    match rule:
        case "mask-name":
            return f"CASE WHEN {col} IS NULL THEN NULL ELSE left(trim({col}), 1) || '**' END"
        case "mask-phone":
            return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({digits}) >= 7 "
                    f"THEN left(right({digits}, 11), 3) || '****' || right({digits}, 4) ELSE '****' END")
        case "mask-id":
            return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({digits}) >= 15 "
                    f"THEN left({digits}, 6) || repeat('*', length({digits}) - 10) || right({digits}, 4) ELSE '****' END")
        case "mask-bank":
            return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({digits}) >= 8 "
                    f"THEN repeat('*', length({digits}) - 4) || right({digits}, 4) ELSE '****' END")
        case "generalise-address":
            village = f"regexp_extract({col}, '^(.*?(村|社区|居委会))', 1)"
            town = f"regexp_extract({col}, '^(.*?(街道|镇|乡))', 1)"
            return f"nullif(CASE WHEN {village} <> '' THEN {village} ELSE {town} END, '')"
    raise ValueError(rule)


def condition_sql(spec: DatasetSpec, name: str, prefix: str = "") -> str:
    """SQL true in the rows where field ``name``'s privacy rule applies (every row unless ``only_if`` says)."""
    condition = spec.privacy.only_if.get(name)
    if not condition:
        return "true"
    return " AND ".join(f"coalesce({prefix}{q(f)} IN ({', '.join(lit(v) for v in values)}), false)"
                        for f, values in condition.items())


def protect(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, source: str = "typed") -> Protection:
    """Create table ``protected`` (with ``_src``/``_row``) from ``source``, and ``final`` ordered by key."""
    result = Protection()
    cols = []
    for name in spec.field_names:
        rule = spec.privacy.fields.get(name)
        if rule == "drop":
            result.dropped_fields.append(name)
            result.counts[name] = {"drop": _count(con, f"SELECT count({q(name)}) FROM {source}")}
        elif rule:
            when = condition_sql(spec, name)
            cols.append(f"CASE WHEN {when} THEN {rule_sql(rule, q(name))} ELSE {q(name)} END AS {q(name)}")
            result.counts[name] = {rule: _count(con, f"SELECT count({q(name)}) FROM {source} WHERE {when}")}
        else:
            cols.append(q(name))
    select = f"SELECT _src, _file, _sheet, _row, {', '.join(cols)} FROM {source}"
    if spec.privacy.suppress:  # aggregate tables are small: a table, so suppression can update it
        con.execute(f"CREATE OR REPLACE TABLE protected AS {select}")
        result.suppression = _suppress(spec, con)
        for f, n in result.suppression["cells"].items():
            result.counts.setdefault(f, {})["suppress"] = n
    else:  # a view: millions of rows are not copied just to be scanned
        con.execute(f"CREATE OR REPLACE VIEW protected AS {select}")
    return result


def materialise(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, protection: Protection) -> None:
    """Table ``final``: the published rows, without bookkeeping columns, ordered by primary key."""
    keep = ", ".join(q(n) for n in spec.field_names if n not in protection.dropped_fields)
    order = ", ".join(q(k) for k in spec.primary_key if k not in protection.dropped_fields) or "_src, _row"
    con.execute(f"CREATE OR REPLACE TABLE final AS SELECT {keep} FROM protected ORDER BY {order}")


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])  # type: ignore[index]


def _suppress(spec: DatasetSpec, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Primary: counts 1..threshold-1 become empty. Secondary: a group with exactly one suppressed cell also loses
    its smallest other cell, so the group's total cannot give the suppressed one back."""
    s = spec.privacy.suppress
    assert s is not None
    cells: dict[str, int] = {}
    secondary: dict[str, int] = {}
    part = f"PARTITION BY {', '.join(q(w) for w in s.within)}" if s.within else ""
    for f in s.fields:
        c = q(f)
        small = f"({c} > 0 AND {c} < {s.threshold})"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE supp AS
            SELECT _src, _row, prim, NOT prim AND nprim = 1 AND rank = 1 AND size > 1 AS sec FROM (
                SELECT _src, _row, {small} AS prim,
                       count(*) FILTER (WHERE {small}) OVER g AS nprim, count(*) OVER g AS size,
                       row_number() OVER ({part} ORDER BY ({small} OR {c} IS NULL), {c}, _src, _row) AS rank
                FROM protected WINDOW g AS ({part}))""")
        n_prim, n_sec = con.execute("SELECT count(*) FILTER (WHERE prim), count(*) FILTER (WHERE sec) FROM supp").fetchone()  # type: ignore[misc]
        con.execute(f"UPDATE protected SET {c} = NULL FROM supp WHERE protected._src = supp._src "
                    f"AND protected._row = supp._row AND (supp.prim OR supp.sec)")
        cells[f] = int(n_prim) + int(n_sec)
        secondary[f] = int(n_sec)
    return {"fields_suppressed": s.fields,
            "rule": f"counts from 1 to {s.threshold - 1} suppressed; secondary suppression within "
                    f"{', '.join(s.within) or 'the whole table'}", "threshold": s.threshold, "within": s.within,
            "cells": cells, "secondary": secondary}


def scan(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, report: Report, source: str = "typed") -> Counter[str]:
    """Look through every published value for personal data; add a problem for each finding (masked)."""
    pii.create_macros(con)
    published = [r for r in con.execute("DESCRIBE protected").fetchall() if r[0] not in ("_src", "_file", "_sheet", "_row")]
    found: Counter[str] = Counter()
    parts = []
    credit_codes = {f["name"] for f in spec.schema["fields"] if f.get("identifier") == "uscc"}
    if credit_codes:
        identifiers.create_sql(con)
    for name, typ, *_ in published:
        if str(typ) == "VARCHAR":
            col = pii.scan_sql(q(name))
            maybe = f"regexp_matches({col}, '{pii.PREFILTER}')"
            if name in credit_codes:  # a valid credit code is no bank card, unless it also reads as an ID number
                maybe += (f" AND NOT (coalesce(({identifiers.reason_sql('uscc', q(name))}) IS NULL, false) "
                          f"AND NOT coalesce(gk_id18(trim({q(name)})), false))")
        elif str(typ) in ("BIGINT", "INTEGER", "HUGEINT"):
            col, maybe = f"CAST({q(name)} AS VARCHAR)", f"abs({q(name)}) >= 10000000000"
        elif str(typ) == "DOUBLE":  # a phone or ID typed into a number column is a whole number of 11+ digits
            col = f"CAST(TRY_CAST({q(name)} AS HUGEINT) AS VARCHAR)"
            maybe = f"abs({q(name)}) >= 10000000000 AND {q(name)} = trunc({q(name)})"
        else:
            continue  # dates and booleans cannot hold an ID or a phone number
        parts.append(f"SELECT _file, _sheet, _row, {lit(name)} AS field, cand FROM (SELECT _file, _sheet, _row, "
                     f"unnest({pii.candidates_sql(col)}) AS cand FROM protected WHERE {maybe})")
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
    text_cols = [r[0] for r in con.execute("DESCRIBE protected").fetchall()
                 if str(r[1]) == "VARCHAR" and r[0] not in ("_file", "_sheet") and r[0] not in names]
    for n in names:
        for col in text_cols:
            rows = con.execute(
                f"SELECT p._file, p._sheet, p._row, s.{q(n)} FROM protected p JOIN {source} s USING (_src, _row) "
                f"WHERE length(s.{q(n)}) >= 2 AND contains(p.{q(col)}, s.{q(n)}) "
                f"AND {condition_sql(spec, n, 's.')}").fetchall()
            for file, sheet, row, name in rows:
                found["name"] += 1
                report.add(Problem("personal-data", f"列「{col}」中出现了未脱敏的姓名「{pii.mask('name', name)}」",
                                   "删除或改写该内容：公开的只能是脱敏后的姓名。", file=file, sheet=sheet, row=row,
                                   field=col, value=pii.mask("name", name)))
    return found


def lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


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
