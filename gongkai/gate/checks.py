"""Table Schema checks, run as column-wise SQL in DuckDB over the ingested ``data`` table.

Each check is one query that returns only the failing rows, so a clean column costs one scan. The rules and
error types follow frictionless-py: a cell with a type error gets no constraint errors; for duplicates, the
rows after the first are reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..identifiers import DATED_REGION_HINT, KINDS
from ..ingest.normalise import RAW, keeps_raw
from ..ingest.structure import column_letter
from ..ingest.workspace import DATA, TYPED
from ..quoting import lit, q
from ..report import Problem, Report
from ..spec.schema import CODES_DIR, Field, TableSchema
from .identifier_sql import create_sql, reason_sql

TYPE_NAMES = {"integer": "整数", "number": "数字", "boolean": "是/否", "date": "日期", "datetime": "日期时间",
              "year": "年份", "string": "文本", "any": "值"}
TYPE_HINTS = {
    "integer": "只填写整数，不要带小数、单位或文字。",
    "number": "只填写数字（可带小数点），不要带单位或文字；千分位逗号可以保留。",
    "boolean": "填写“是”或“否”。",
    "date": "使用“2025-03-05”或“2025年3月5日”格式的日期；不要填写“2025年3月”这样不完整的日期。",
    "datetime": "使用“2025-03-05 14:30:00”格式；可带时区，如“2025-03-05T14:30:00+08:00”（带时区的时间按 UTC 发布）。",
    "year": "填写四位年份，如 2025。",
}
NUM = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
# Table Schema datetimes: ISO 8601, optional fraction and UTC offset (2024-01-01T10:00:00+08:00, common in
# Chinese systems); a value with an offset is typed as its UTC instant
DATETIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:?[0-9]{2})?"
NOT_FINITE = ("NAN", "INF", "+INF", "-INF", "INFINITY", "+INFINITY", "-INFINITY")


def _strftime(fmt: str) -> str:
    return fmt if fmt not in ("default", "any") else "%Y-%m-%d"


def valid_sql(f: Field) -> str:
    """SQL true when the non-null text cell ``f`` can be read as the field's type."""
    c = q(f.name)
    match f.type:
        case "integer":
            return f"regexp_full_match({c}, '[+-]?[0-9]+') AND TRY_CAST({c} AS BIGINT) IS NOT NULL"
        case "number":  # NaN, INF and numbers beyond a double (1e400) are refused: a sum over them means nothing
            return f"(regexp_full_match({c}, '{NUM}') AND coalesce(isfinite(TRY_CAST({c} AS DOUBLE)), false))"
        case "year":
            return f"regexp_full_match({c}, '[0-9]{{4}}')"
        case "boolean":
            return f"{c} IN ({', '.join(lit(v) for v in (*f.true_values, *f.false_values))})"
        case "date":
            if f.format == "any":
                return f"TRY_CAST({c} AS DATE) IS NOT NULL"
            strict = "regexp_full_match(" + c + r", '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND " if f.format == "default" else ""
            return f"{strict}try_strptime({c}, {lit(_strftime(f.format))}) IS NOT NULL"
        case "datetime":
            return f"regexp_full_match({c}, '{DATETIME}') AND {_timestamp(c)} IS NOT NULL"
        case _:
            return "true"


def _timestamp(c: str) -> str:
    """A datetime cell as TIMESTAMP: with an offset (or Z), its UTC instant; without, as written."""
    text = f"replace({c}, 'T', ' ')"
    return (f"CASE WHEN regexp_matches({c}, '(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$') THEN "
            f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) ELSE TRY_CAST({text} AS TIMESTAMP) END")


def type_message(f: Field, shown: str) -> str:
    """SQL for the message of a type error, saying why where the cause is not the format (range, NaN)."""
    plain = f"'「' || {shown} || '」不是有效的{TYPE_NAMES[f.type]}'"
    c = q(f.name)
    if f.type == "integer":
        return (f"CASE WHEN regexp_full_match({c}, '[+-]?[0-9]+') THEN '「' || {shown} || "
                f"'」超出可处理的整数范围（绝对值不超过 9223372036854775807）' ELSE {plain} END")
    if f.type == "number":
        return (f"CASE WHEN upper({c}) IN ({', '.join(lit(v) for v in NOT_FINITE)}) THEN '「' || {shown} || "
                f"'」不是数值（NaN/INF），本字段只接受有限的数字' WHEN regexp_full_match({c}, '{NUM}') THEN '「' || "
                f"{shown} || '」超出可处理的数字范围' ELSE {plain} END")
    return plain


def typed_sql(f: Field) -> str:
    """SQL for the typed value of a cell (NULL where it does not parse)."""
    c = q(f.name)
    match f.type:
        case "integer":
            return f"TRY_CAST({c} AS BIGINT)"
        case "number":
            return f"CASE WHEN {valid_sql(f)} THEN TRY_CAST({c} AS DOUBLE) END"
        case "year":
            return f"CASE WHEN {valid_sql(f)} THEN TRY_CAST({c} AS INTEGER) END"
        case "boolean":
            return (f"CASE WHEN {c} IN ({', '.join(lit(v) for v in f.true_values)}) THEN true "
                    f"WHEN {c} IN ({', '.join(lit(v) for v in f.false_values)}) THEN false END")
        case "date":
            if f.format == "any":
                return f"TRY_CAST({c} AS DATE)"
            return f"CASE WHEN {valid_sql(f)} THEN CAST(try_strptime({c}, {lit(_strftime(f.format))}) AS DATE) END"
        case "datetime":
            return f"CASE WHEN {valid_sql(f)} THEN {_timestamp(c)} END"
        case _:
            return c


def raw_sql(f: Field) -> str:
    """SQL for a cell as the clerk typed it (``2025年13月5日``, not the normalised ``2025-13-05``)."""
    return f"coalesce({q(RAW + f.name)}, {q(f.name)})" if keeps_raw(f) else q(f.name)


def duck_type(f: Field) -> str:
    return {"integer": "BIGINT", "number": "DOUBLE", "year": "INTEGER", "boolean": "BOOLEAN", "date": "DATE",
            "datetime": "TIMESTAMP"}.get(f.type, "VARCHAR")


def _bound_sql(f: Field, v: object) -> str:
    if f.type in ("date", "datetime"):
        return f"CAST({lit(v)} AS {duck_type(f)})"
    return str(float(v)) if f.type == "number" else str(int(v))  # type: ignore[call-overload]


@dataclass
class Check:
    """One SQL check over ``source``: ``where`` selects the failing rows.

    ``type`` is an SQL expression giving the error type of a row (a literal for single-rule checks), so that
    all cell rules of a field run in one pass; ``hints`` maps each type to how to fix it.
    """

    type: str
    field: Field | None
    where: str
    message: str  # SQL expression giving the Chinese message per row
    hints: dict[str, str]
    value: str | None = None  # SQL expression for the value shown; default: the field's cell
    source: str = DATA


class SchemaChecker:
    """Runs every Table Schema rule over view ``data`` and records the failing cells in a report."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: TableSchema, schema_dir: Path,
                 labels: dict[tuple[str, str], str], skip: frozenset[str] = frozenset(),
                 positions: dict[tuple[str, str], int] | None = None,
                 short: dict[tuple[str, int], int] | None = None, dated_by: str | None = None) -> None:
        """``labels``/``positions``: the header text and 0-based column of each (file, field), for messages and
        cell references; ``skip``: fields no source column maps (a missing-label problem; their cells are not
        checked); ``short``: the cell count of each (file, row) already reported as a missing-cell, whose absent
        cells are not reported again as required-errors (as in frictionless-py); ``dated_by``: the date field
        (the spec's ``deadline.from``) by whose value each row's region codes are judged, not by today's list."""
        self.con, self.schema, self.schema_dir, self.labels, self.skip = con, schema, schema_dir, labels, skip
        self.positions, self.short = positions or {}, short or {}
        self.dated_by = schema.get(dated_by) if dated_by and dated_by not in skip else None
        if any(f.identifier for f in schema.fields):
            create_sql(con)

    def checks(self) -> Iterator[Check]:
        pk = set(self.schema.primary_key)
        for f in self.schema.fields:
            if f.name in self.skip:
                continue
            cell = self._cell_rules(f, required=f.name in pk)
            if cell:
                yield cell
            if f.constraints.get("unique") and not (len(pk) == 1 and f.name in pk):
                yield self._duplicates("unique-error", [f])
        if self.schema.primary_key and not pk & self.skip:
            yield self._duplicates("primary-key", [self.schema.get(n) for n in self.schema.primary_key])
        for fk in self.schema.foreign_keys:
            names = {fk["fields"]} if isinstance(fk["fields"], str) else set(fk["fields"])
            if not names & self.skip:
                yield self._foreign_key(fk)

    def _cell_rules(self, f: Field, required: bool) -> Check | None:
        """The first failing rule of each cell, in frictionless-py's order: required, type, then constraints."""
        c, cons, unit = q(f.name), f.constraints, f.unit or ""
        typed = typed_sql(f)
        shown = raw_sql(f)
        rules: list[tuple[str, str, str, str]] = []  # (type, SQL condition on a non-null cell, message, hint)
        if f.type not in ("string", "any"):
            rules.append(("type-error", f"NOT ({valid_sql(f)})", type_message(f, shown),
                          TYPE_HINTS.get(f.type, "")))
        if "enum" in cons:
            allowed = [str(v) for v in cons["enum"]]
            rules.append(("enum-error", f"{c} NOT IN ({', '.join(lit(v) for v in allowed)})",
                          f"'「' || {shown} || '」不是允许的取值'", f"只能填写：{'、'.join(allowed)}。"))
        for key, op, word in (("minimum", "<", "小于最小值"), ("maximum", ">", "大于最大值"),
                              ("exclusiveMinimum", "<=", "不大于下限"), ("exclusiveMaximum", ">=", "不小于上限")):
            if key in cons:
                rules.append(("minimum-error" if "inimum" in key else "maximum-error",
                              f"{typed} {op} {_bound_sql(f, cons[key])}", f"'「' || {shown} || '」{word} {cons[key]}{unit}'",
                              f"请核对数值；{f.title or f.name}应在允许范围内" + (f"（注意单位是{unit}）" if unit else "") + "。"))
        if f.identifier:
            kind, why = KINDS[f.identifier], self._reason_sql(f)
            hint = DATED_REGION_HINT if self._dated(f) else kind.hint
            rules.append(("identifier-error", f"({why}) IS NOT NULL",
                          f"'「' || {shown} || '」不是有效的{kind.title}：' || ({why})", hint))
        if "pattern" in cons:
            rules.append(("pattern-error", f"NOT regexp_full_match({c}, {lit(cons['pattern'])})",
                          f"'「' || {shown} || '」的格式不符合要求'", f.description or f"应符合格式 {cons['pattern']}。"))
        for key, op, word in (("minLength", "<", "少于"), ("maxLength", ">", "多于")):
            if key in cons:
                rules.append(("length-error", f"length({c}) {op} {int(cons[key])}",
                              f"'「' || {shown} || '」的长度' || length({c}) || '{word} {cons[key]} 个字符'",
                              "请核对内容是否完整或多填了内容。"))
        required = required or bool(cons.get("required"))
        if not rules and not required:
            return None
        code = "CASE WHEN " + c + " IS NULL THEN " + ("'required-error'" if required else "NULL") + " " + \
            " ".join(f"WHEN {cond} THEN '{t}'" for t, cond, _, _ in rules) + " END"
        message = "CASE _code WHEN 'required-error' THEN " + lit(f"{f.title or f.name}不能为空") + " " + \
            " ".join(f"WHEN '{t}' THEN {msg}" for t, _, msg, _ in rules) + " END"
        hints = {"required-error": "请补填这一格。", **{t: h for t, _, _, h in rules}}
        return Check("_code", f, "_code IS NOT NULL", message, hints, value=shown,
                     source=f"(SELECT *, {code} AS _code FROM {DATA})")

    def _dated(self, f: Field) -> bool:
        return f.identifier == "region-code" and self.dated_by is not None

    def _reason_sql(self, f: Field) -> str:
        """The identifier rule of ``f`` over view ``data``, on the row's own date where the spec names one."""
        if not self._dated(f):
            return reason_sql(f.identifier, q(f.name))  # type: ignore[arg-type]
        d = self.dated_by
        label = next((lab for (_, name), lab in self.labels.items() if name == d.name), d.title or d.name)  # type: ignore[union-attr]
        return reason_sql("region-code", q(f.name), on=typed_sql(d), date_label=label)  # type: ignore[arg-type]

    def _duplicates(self, etype: str, fields: list[Field]) -> Check:
        """Rows whose key appeared before; the window runs only over keys a hash aggregate found twice."""
        key = ", ".join(q(f.name) for f in fields)
        notnull = " AND ".join(f"{q(f.name)} IS NOT NULL" for f in fields)
        shown = " || ' / ' || ".join(q(f.name) for f in fields)
        dup_keys = f"(SELECT {key} FROM {DATA} WHERE {notnull} GROUP BY {key} HAVING count(*) > 1)"
        sub = (f"(SELECT d.*, row_number() OVER w AS _n, first_value(_row) OVER w AS _first, "
               f"first_value(_file) OVER w AS _first_file FROM {DATA} d JOIN {dup_keys} k USING ({key}) "
               f"WINDOW w AS (PARTITION BY {key} ORDER BY _src, _row))")
        what = "主键" if etype == "primary-key" else "取值"
        return Check(lit(etype), fields[0] if len(fields) == 1 else None, "_n > 1",
                     f"'{what}「' || {shown} || '」与' || CASE WHEN _first_file <> _file THEN _first_file || ' ' ELSE '' END "
                     f"|| '第 ' || _first || ' 行重复'",
                     {etype: "每一行的" + "、".join(f.title or f.name for f in fields) + "必须唯一；请删除重复行或改正编号。"},
                     value=shown, source=sub)

    def _foreign_key(self, fk: dict) -> Check:  # type: ignore[type-arg]
        fields = [fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"]
        ref = fk["reference"]
        ref_fields = [ref["fields"]] if isinstance(ref["fields"], str) else ref["fields"]
        resource = ref.get("resource", "")
        if resource:
            path = self.schema_dir / CODES_DIR / f"{resource}.csv"
            target = q(f"codes_{resource}")
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {target} AS "
                             f"SELECT * FROM read_csv({lit(path)}, all_varchar=true, header=true)")
            where_name = f"编码表 {resource}"
        else:
            target, where_name = DATA, "本表"
        cond = " AND ".join(f"r.{q(rf)} = d.{q(f)}" for f, rf in zip(fields, ref_fields, strict=True))
        notnull = " AND ".join(f"{q(f)} IS NOT NULL" for f in fields)
        flds = [self.schema.get(f) for f in fields]
        for f in flds:  # a code that fails its identifier check is reported once, there
            if f.identifier:
                notnull += f" AND ({self._reason_sql(f)}) IS NULL"
        shown = " || ' / ' || ".join(f"d.{q(f)}" for f in fields)
        sub = f"(SELECT d.* FROM (SELECT * FROM {DATA} WHERE {notnull}) d ANTI JOIN {target} r ON {cond})"
        return Check("'foreign-key'", flds[0] if len(flds) == 1 else None, "true",
                     f"'「' || {shown.replace('d.', '')} || '」在{where_name}的 {'、'.join(ref_fields)} 中找不到'",
                     {"foreign-key": f"请填写{where_name}中存在的编码"
                      + (f"（见 schemas/{CODES_DIR}/{resource}.csv）" if resource else "") + "。"},
                     value=shown.replace("d.", ""), source=sub)

    def run(self, report: Report) -> None:
        for chk in self.checks():
            room = max(report.max_problems - len(report.problems), 0)
            value = chk.value or (q(chk.field.name) if chk.field else "NULL")
            where = f"FROM {chk.source} WHERE {chk.where}"
            rows = self.con.execute(f"SELECT _file, _sheet, _row, {value}, {chk.message}, {chk.type} {where} "
                                    f"ORDER BY _src, _row LIMIT {room}").fetchall()
            fname = chk.field.name if chk.field else None
            for file, sheet, row, val, msg, etype in rows:
                at = self.positions.get((file, fname)) if fname else None
                if etype == "required-error" and at is not None and at >= self.short.get((file, row), at + 1):
                    continue  # the cell is absent from a short row: its missing-cell problem says so
                report.add(Problem(etype, msg, chk.hints.get(etype, ""), file=file, sheet=sheet, row=row, field=fname,
                                   column=self.labels.get((file, fname)) if fname else None, value=val,
                                   cell=f"{column_letter(at)}{row}" if at is not None and row else None))
            if len(rows) == room:  # the listing is full: count the rest by type
                for etype, n in self.con.execute(f"SELECT {chk.type}, count(*) {where} GROUP BY 1").fetchall():
                    listed = sum(1 for r in rows if r[5] == etype)
                    if n > listed:
                        report.count(n - listed, etype)

    def build_typed(self, name: str = TYPED) -> None:
        """View ``name``: the rows with typed values (NULL where a cell failed its type check)."""
        cols = ", ".join(f"CAST({typed_sql(f)} AS {duck_type(f)}) AS {q(f.name)}" for f in self.schema.fields)
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT _src, _file, _sheet, _row, {cols} FROM {DATA}")
