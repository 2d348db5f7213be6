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
