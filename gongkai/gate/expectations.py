"""The Great Expectations expectations the bundled suites use, as portable SQL run where the rows already are.

Great Expectations costs 2.5–11 s to import and a context per run, and on pandas a second copy of the columns;
these five kinds are a query each in DuckDB or PostgreSQL. Their results are Great Expectations' (an equivalence
test runs both on every bundled suite and on planted failures): nulls are ignored except by the not-null rule,
``unique`` lists every row of a duplicated value, pair rules skip a row when either value is missing, ``mostly``
passes a rule when that share of the non-null values is fine. Any other kind still runs in Great Expectations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..quoting import lit, q
from ..spec.suite import Expectation

Fetch = Callable[[str], list[tuple[Any, ...]]]


@dataclass
class Outcome:
    """What a rule found: ``rows`` as (``_src``, ``_row``, values of its columns), or ``observed`` for a table rule."""

    success: bool
    rows: list[tuple[Any, ...]]
    observed: Any = None


def _between(column: str, kw: dict[str, Any]) -> str:
    c, parts = q(column), []
    if kw.get("min_value") is not None:
        parts.append(f"{c} {'<=' if kw.get('strict_min') else '<'} {lit(kw['min_value'])}")
    if kw.get("max_value") is not None:
        parts.append(f"{c} {'>=' if kw.get('strict_max') else '>'} {lit(kw['max_value'])}")
    return " OR ".join(parts) or "FALSE"


def _where(e: Expectation) -> tuple[str, str] | None:
    """(the rows the rule is about, the unexpected ones among them), or None for a kind not translated."""
    kw = e.kwargs
    if e.type == "expect_column_values_to_not_be_null":
        return "TRUE", f"{q(kw['column'])} IS NULL"
    if e.type == "expect_column_values_to_be_between":
        return f"{q(kw['column'])} IS NOT NULL", _between(kw["column"], kw)
    if e.type == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = q(kw["column_A"]), q(kw["column_B"])
        ignore = kw.get("ignore_row_if", "either_value_is_missing")
        domain = {"either_value_is_missing": f"{a} IS NOT NULL AND {b} IS NOT NULL",
                  "both_values_are_missing": f"({a} IS NOT NULL OR {b} IS NOT NULL)", "neither": "TRUE"}[ignore]
        return domain, f"NOT coalesce({a} {'>=' if kw.get('or_equal') else '>'} {b}, FALSE)"
    return None


SUPPORTED_KWARGS = {
    "expect_column_values_to_not_be_null": {"column", "mostly"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value", "strict_min", "strict_max", "mostly"},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A", "column_B", "or_equal", "ignore_row_if", "mostly"},
    "expect_column_values_to_be_unique": {"column", "mostly"},
    "expect_table_row_count_to_be_between": {"min_value", "max_value"},
}


def supports(e: Expectation) -> bool:
    allowed = SUPPORTED_KWARGS.get(e.type)
    return allowed is not None and set(e.kwargs) <= allowed and \
        e.kwargs.get("ignore_row_if", "either_value_is_missing") in ("either_value_is_missing",
                                                                     "both_values_are_missing", "neither")


def run(e: Expectation, table: str, fetch: Fetch) -> Outcome:
    """Evaluate one supported expectation over ``table`` (which has ``_src`` and ``_row``)."""
    kw = e.kwargs
    if e.type == "expect_table_row_count_to_be_between":
        n = int(fetch(f"SELECT count(*) FROM {table}")[0][0])
        ok = (kw.get("min_value") is None or n >= kw["min_value"]) and (kw.get("max_value") is None or n <= kw["max_value"])
        return Outcome(ok, [], n)
    cols = ", ".join(q(c) for c in e.columns())
    if e.type == "expect_column_values_to_be_unique":
        c = q(kw["column"])
        domain = f"{c} IS NOT NULL"
        unexpected = f"{c} IN (SELECT {c} FROM {table} WHERE {c} IS NOT NULL GROUP BY {c} HAVING count(*) > 1)"
    else:
        where = _where(e)
        assert where is not None, e.type
        domain, unexpected = where
    rows = fetch(f"SELECT _src, _row, {cols} FROM {table} WHERE ({domain}) AND ({unexpected}) ORDER BY _src, _row")
    if not rows:
        return Outcome(True, [])
    if kw.get("mostly") is not None:
        total = int(fetch(f"SELECT count(*) FROM {table} WHERE {domain}")[0][0])
        if total and (total - len(rows)) / total >= float(kw["mostly"]):
            return Outcome(True, [])
    return Outcome(False, rows)
