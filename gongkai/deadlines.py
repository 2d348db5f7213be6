"""Disclosure deadlines on China's working-day calendar (statutory holidays and adjusted working weekends, 调休).

The rule (政府信息公开条例 §26; 双公示 for 行政许可/行政处罚): disclose within N working days of the information being
formed or changed, counting from the next day. Working days come from the ``chinese-calendar`` package, which knows
the State Council's yearly notices; for years it does not cover the answer is ``None`` ("unknown"), never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import chinese_calendar

ONE_DAY = dt.timedelta(days=1)


def is_working_day(day: dt.date) -> bool | None:
    """True on a working day, False on a holiday or weekend, None where the calendar has no data for the year."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def _days_after(start: dt.date) -> Iterator[tuple[dt.date, bool | None]]:
    day = start
    while True:
        day += ONE_DAY
        yield day, is_working_day(day)


def add_working_days(start: dt.date, n: int) -> dt.date | None:
    """The n-th working day after ``start`` (``start`` itself not counted); None if the count leaves the calendar."""
    if n <= 0:
        return start
    counted = 0
    for day, working in _days_after(start):
        if working is None:
            return None
        counted += working
        if counted == n:
            return day
    raise AssertionError("unreachable")


def working_days_between(start: dt.date, end: dt.date) -> int | None:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start); None if unknown."""
    count = 0
    for day, working in _days_after(start):
        if day > end:
            return count
        if working is None:
            return None
        count += working
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Timeliness:
    due: dt.date | None
    status: Literal["on-time", "late", "pending", "overdue", "unknown"]
    working_days_late: int | None = None


def timeliness(formed: dt.date, working_days: int, published: dt.date | None, today: dt.date) -> Timeliness:
    """Whether information formed on ``formed`` was (or still can be) disclosed in time."""
    due = add_working_days(formed, working_days)
    if due is None:
        return Timeliness(None, "unknown")
    if published is not None:
        if published <= due:
            return Timeliness(due, "on-time", 0)
        return Timeliness(due, "late", working_days_between(due, published))
    if today <= due:
        return Timeliness(due, "pending")
    return Timeliness(due, "overdue", working_days_between(due, today))


# -- the calendar in SQL: gk_working_days(a, b) for quality rules --------------------------------------------------

def calendar() -> list[tuple[dt.date, int]]:
    """Every day the calendar covers with the number of working days from its start up to and including that day."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    day, end = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    out, n = [], 0
    while day <= end:
        n += bool(is_working_day(day))
        out.append((day, n))
        day += ONE_DAY
    return out


def _working_days_sql(table: str) -> str:
    return (f"CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN b <= a THEN 0 "
            f"ELSE (SELECT n FROM {table} WHERE day = b) - (SELECT n FROM {table} WHERE day = a) END")


def create_duckdb_functions(con) -> None:  # type: ignore[no-untyped-def]
    """``gk_working_days(a, b)``: working days after date a up to and including b; NULL outside the calendar."""
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'gk_calendar'").fetchall()[0][0]:
        return
    con.execute("CREATE TABLE gk_calendar (day DATE PRIMARY KEY, n INTEGER)")
    con.executemany("INSERT INTO gk_calendar VALUES (?, ?)", calendar())
    con.execute(f"CREATE OR REPLACE MACRO gk_working_days(a, b) AS {_working_days_sql('gk_calendar')}")


def create_postgres_functions(pg, schema: str = "gongkai_ref") -> None:  # type: ignore[no-untyped-def]
    """The same function in PostgreSQL (schema ``schema``, which the connection's search_path must include)."""
    days = calendar()
    table = f"{schema}.calendar_{days[0][0].year}_{days[-1][0].year}"
    with pg.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (table,))
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        cur.execute(f"CREATE TABLE IF NOT EXISTS {table} (day date PRIMARY KEY, n integer NOT NULL)")
        cur.execute(f"SELECT count(*) FROM {table}")
        if cur.fetchone()[0] != len(days):
            cur.execute(f"TRUNCATE {table}")
            from psycopg2.extras import execute_values

            execute_values(cur, f"INSERT INTO {table} VALUES %s", days, page_size=5000)
        cur.execute(f"CREATE OR REPLACE FUNCTION {schema}.gk_working_days(a date, b date) RETURNS integer "
                    f"LANGUAGE sql STABLE AS $$ SELECT {_working_days_sql(table)} $$")
        cur.execute("COMMIT")
