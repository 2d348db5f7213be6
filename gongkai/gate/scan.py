"""The personal-data scan and the redaction of reports.

The scan runs over every value of every column of the protected table, inside DuckDB, before any file is written.
Anything found unprotected (an ID, mobile or bank card number, or a recipient's name standing in another column)
refuses the release; the report shows only masked forms.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import duckdb

from ..identifiers import reason
from ..ingest.workspace import PROTECTED, TYPED
from ..quoting import q
from ..report import Problem, Report
from ..spec.dataset import DatasetSpec
from . import pii
from .protect import condition_sql


def scan(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, report: Report, source: str = TYPED) -> Counter[str]:
    """Look through every published value for personal data; add a problem for each finding (masked).

    DuckDB runs a cheap regex over every text cell (:func:`~gongkai.digits.prefilter_pattern`); only the cells it
    passes, and whole numbers of 11+ digits in number columns, are read by :func:`.pii.find` in Python.
    """
    published = [r for r in con.execute(f"DESCRIBE {PROTECTED}").fetchall() if r[0] not in ("_src", "_file", "_sheet", "_row")]
    found: Counter[str] = Counter()
    credit_codes = {f["name"] for f in spec.schema_descriptor["fields"] if f.get("identifier") == "uscc"}
    text = [n for n, typ, *_ in published if str(typ) == "VARCHAR"]
    numbers = [n for n, typ, *_ in published if str(typ) in ("BIGINT", "INTEGER", "HUGEINT", "DOUBLE")]
    # one regex over each row's text cells joined (chr(1) joins no digit groups): 17 calls a row cost twice as much;
    # a phone or ID typed into a number column is a whole number of 11+ digits
    maybe = [pii.prefilter_sql(f"concat_ws(chr(1), {', '.join(q(n) for n in text)})")] if text else []
    maybe += [f"abs({q(n)}) >= 10000000000" for n in numbers]
    if maybe:
        scanned = sorted(text + numbers)
        rows = con.execute(f"SELECT _file, _sheet, _row, {', '.join(q(n) for n in scanned)} FROM {PROTECTED} "
                           f"WHERE {' OR '.join(maybe)} ORDER BY _file, _row").fetchall()
        for file, sheet, row, *values in rows:
            for fld, value in zip(scanned, values, strict=True):
                if value is None or (fld in credit_codes and _credit_code(value)):
                    continue  # a valid credit code is no bank card, unless it also reads as an ID number
                if not isinstance(value, str):
                    if not math.isfinite(value) or abs(value) < 10_000_000_000 or value != int(value):
                        continue
                    value = str(int(value))
                for f in pii.find(value):
                    found[f.kind] += 1
                    report.add(Problem("personal-data", f"发现未脱敏的{pii.KINDS[f.kind]}「{f.masked}」",
                                       "个人信息不得公开：删除该内容，或在数据集说明 privacy.fields 中为该列设置脱敏规则。",
                                       file=file, sheet=sheet, row=row, field=fld, value=f.masked))
    found += _names_elsewhere(spec, con, report, source)
    report.checks.append("personal-data scan (ID, mobile and bank card numbers, in any digits or separators; "
                         "recipients' names)")
    return found


def _credit_code(value: str) -> bool:
    v = value.strip()
    return reason("uscc", v) is None and not pii.id18_valid(v)


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
        # where it stands is published too: a file, sheet or column named with a phone or ID number is masked
        where = {k: pii.scrub(getattr(p, k)) for k in ("file", "sheet", "field", "column", "hint") if getattr(p, k)}
        if (value, message) != (p.value, p.message) or any(getattr(p, k) != v for k, v in where.items()):
            report.problems[i] = Problem(**{**p.__dict__, "value": value, "message": message, **where})
    report.sources = pii.scrub_tree(report.sources)
    report.notes = [pii.scrub(n) for n in report.notes]
