"""Disclosure deadlines on China's working-day calendar (statutory holidays and adjusted working weekends, 调休).

The rule (政府信息公开条例 §26; 双公示 for 行政许可/行政处罚): disclose within N working days of the information being
formed or changed, counting from the next day. Working days come from the project's ``calendar/<year>.yaml`` files
(one per 国务院办公厅 holiday notice, so a new year is added as data the day its notice appears), and else from the
``chinese-calendar`` package, which cross-checks every file for the years it knows. For a year neither covers the
answer is ``None`` ("unknown"), never a guess, and :func:`missing_year_hint` says which file to add.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import chinese_calendar
import yaml

from .errors import ConfigError

ONE_DAY = dt.timedelta(days=1)


@dataclass
class WorkCalendar:
    """Years from calendar files (holidays, 调休 working days, the notice's 文号) over the package's years."""

    holidays: dict[dt.date, str] = field(default_factory=dict)
    workdays: dict[dt.date, str] = field(default_factory=dict)
    notices: dict[int, str] = field(default_factory=dict)
    folder: Path | None = None

    def is_working_day(self, day: dt.date) -> bool | None:
        if day.year in self.notices:
            return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return None

    def years(self) -> list[int]:
        """The unbroken run of covered years, from the package's first."""
        known = {d.year for d in chinese_calendar.holidays} | set(self.notices)
        years = [min(known)]
        while years[-1] + 1 in known:
            years.append(years[-1] + 1)
        return years


def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def _read_year(path: Path, cal: WorkCalendar) -> None:
    where = f"{path}"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{where}：不是有效的 YAML（第 {getattr(getattr(e, 'problem_mark', None), 'line', -1) + 1} 行）",
                          "按 calendar/2026.yaml 的格式书写：year、notice、holidays（name、from、to、workdays）。") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("year"), int) or not raw.get("notice"):
        raise ConfigError(f"{where}：缺少 year（年份）或 notice（通知文号）", "例如 year: 2027、notice: 国办发明电〔2026〕X号。")
    year = raw["year"]
    if path.stem != str(year):
        raise ConfigError(f"{where}：文件名应为 {year}.yaml（与 year: {year} 一致）", f"把文件改名为 calendar/{year}.yaml。")
    for i, h in enumerate(raw.get("holidays") or [], 1):
        start, end, name = (h or {}).get("from"), (h or {}).get("to"), (h or {}).get("name", f"第 {i} 项")
        if not isinstance(start, dt.date) or not isinstance(end, dt.date) or not start <= end \
                or start.year != year or end.year != year:
            raise ConfigError(f"{where}：假日“{name}”的 from/to 应为 {year} 年内的日期，且 from 不晚于 to",
                              "日期写成 YYYY-MM-DD，例如 from: 2027-02-05、to: 2027-02-13。")
        day = start
        while day <= end:
            cal.holidays[day] = name
            day += ONE_DAY
        for w in h.get("workdays") or []:
            if not isinstance(w, dt.date) or w.weekday() < 5 or w.year not in (year, year - 1):
                raise ConfigError(f"{where}：假日“{name}”的调休上班日 {w} 应为周六或周日",
                                  "workdays 只列出需要上班的周末日期；平日本来就是工作日。")
            cal.workdays[w] = name
    cal.notices[year] = str(raw["notice"])
    if _package_covers(year):  # cross-check the file against the package's copy of the same notice
        day, wrong = dt.date(year, 1, 1), []
        while day.year == year:
            if cal.is_working_day(day) != bool(chinese_calendar.is_workday(day)):
                wrong.append(day.isoformat())
            day += ONE_DAY
        if wrong:
            raise ConfigError(f"{where}：与 chinese-calendar 收录的 {year} 年安排不一致：{', '.join(wrong[:5])}",
                              "核对国务院办公厅通知原文的放假和调休上班日期。")


def load_calendar(folder: Path | None) -> WorkCalendar:
    """The calendar with every ``<year>.yaml`` of ``folder`` (none: the package alone); checked when loaded."""
    cal = WorkCalendar(folder=folder)
    if folder is not None and folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            _read_year(path, cal)
    return cal


CALENDAR = WorkCalendar()


def use_calendar(folder: Path | None) -> WorkCalendar:
    """Make ``folder``'s calendar files the ones every deadline (Python, DuckDB, PostgreSQL, scheduler) uses."""
    global CALENDAR
    if CALENDAR.folder != folder or folder is None:
        CALENDAR = load_calendar(folder)
    return CALENDAR


def missing_year_hint(after: dt.date) -> str:
    """Which year's calendar is missing for counts starting after ``after``, and how to add it."""
    year = CALENDAR.years()[-1] + 1
    return (f"{year} 年的节假日安排不在工作日日历中（日历覆盖到 {year - 1} 年）："
            f"国务院办公厅发布 {year} 年部分节假日安排的通知后，按通知新增 calendar/{year}.yaml"
            f"（year、notice 文号、holidays 的放假日期和调休上班日）。")


def is_working_day(day: dt.date) -> bool | None:
    """True on a working day, False on a holiday or weekend, None where the calendar has no data for the year."""
    return CALENDAR.is_working_day(day)


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
    years = CALENDAR.years()
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


def add_days(start: dt.date, n: int, counting: Literal["working", "calendar"] = "working") -> dt.date | None:
    """The due date ``n`` working or calendar days after ``start`` (the next day counts first)."""
    if counting == "calendar":
        return start + dt.timedelta(days=n)
    return add_working_days(start, n)


def days_between(start: dt.date, end: dt.date, counting: Literal["working", "calendar"] = "working") -> int | None:
    """Days after ``start`` up to and including ``end`` in the same counting (0 when end <= start)."""
    if counting == "calendar":
        return max((end - start).days, 0)
    return working_days_between(start, end)


@dataclass(frozen=True)
class RequestClock:
    """The answer deadline of a 依申请公开 request (政府信息公开条例 2019 第三十三条: 20 working days from receipt,
    extendable once by at most 20 working days; 第三十条: after a 补正 notice the time runs from the day the
    corrected request arrives)."""

    received: dt.date
    corrected: dt.date | None = None  # when the 补正 (corrected) request arrived
    extended: bool = False

    @property
    def start(self) -> dt.date:
        return self.corrected or self.received

    def due(self) -> dt.date | None:
        return add_working_days(self.start, 40 if self.extended else 20)

    def status(self, answered: dt.date | None, today: dt.date) -> Timeliness:
        return timeliness(self.start, 40 if self.extended else 20, answered, today)
