"""Derived fields in DuckDB: the parsers of :mod:`gongkai.spec.parsers` as SQL functions, computed when the
``data`` view is built, and a warning for each source cell a parser could not read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..quoting import q
from ..report import Problem, Report
from ..spec.parsers import PARSERS
from ..spec.schema import Field, TableSchema
from .workspace import DATA


def _udf(parser: str) -> str:
    return "gk_parse_" + parser.replace("-", "_")


def _as_text(parse: Callable[[str], Any]) -> Callable[[str | None], str | None]:
    def udf(value: str | None) -> str | None:
        result = None if value is None else parse(value)
        return None if result is None else str(result)
    return udf


def register(con, schema: TableSchema) -> None:  # type: ignore[no-untyped-def]
    """Register the DuckDB functions the schema's derived fields use (once per connection)."""
    for parser in {f.derived_from["parser"] for f in schema.fields if f.derived_from}:
        name = _udf(parser)
        if not con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [name]).fetchall()[0][0]:
            con.create_function(name, _as_text(PARSERS[parser].parse), ["VARCHAR"], "VARCHAR",
                                null_handling="special", side_effects=False)


def select_sql(f: Field) -> str:
    """The select-list item for field ``f`` in view ``data`` (text, like every source column there)."""
    if not f.derived_from:
        return q(f.name)
    return f'{_udf(f.derived_from["parser"])}({q(f.derived_from["field"])}) AS {q(f.name)}'


def check(con, schema: TableSchema, report: Report, limit: int = 50) -> None:  # type: ignore[no-untyped-def]
    """Warn about source cells a derived field's parser could not read."""
    checked: set[str] = set()
    for f in schema.fields:
        if not f.derived_from or f.derived_from["field"] in checked:
            continue  # one warning per source cell, however many fields derive from it
        checked.add(f.derived_from["field"])
        src = schema.get(f.derived_from["field"])
        rows = con.execute(f"SELECT _file, _sheet, _row, {q(src.name)} FROM {DATA} WHERE {q(src.name)} IS NOT NULL "
                           f"AND {q(f.name)} IS NULL ORDER BY _src, _row LIMIT {int(limit)}").fetchall()
        for file, sheet, row, value in rows:
            report.add(Problem("parse-warning", f"无法识别{src.title or src.name}「{value}」，{f.title or f.name}留空",
                               "请按“周二至周日 9:00-17:00”或“夏季 8:00-12:00 / 14:00-18:00”的格式填写；不适用时填“/”。",
                               file=file, sheet=sheet, row=row, field=src.name, value=value, severity="warning"))
