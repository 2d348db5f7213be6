"""Deadlines across holidays and adjusted working weekends (调休), and honest "unknown" beyond the calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from gongkai.deadlines import add_working_days, is_working_day, timeliness, working_days_between

D = dt.date


@pytest.mark.parametrize(("formed", "n", "due"), [
    # 2025 National Day + Mid-Autumn: Oct 1–8 off; Sun Sep 28 and Sat Oct 11 are working days
    (D(2025, 9, 26), 7, D(2025, 10, 13)),
    # 2025 Spring Festival: Jan 28 – Feb 4 off; Sun Jan 26 and Sat Feb 8 are working days
    (D(2025, 1, 24), 7, D(2025, 2, 10)),
    # an ordinary month: 20 working days, counted from the next day
    (D(2025, 3, 3), 20, D(2025, 3, 31)),
    # formed on a Friday: the weekend does not count
    (D(2025, 3, 7), 1, D(2025, 3, 10)),
    # formed on a holiday: counting starts the next working day
    (D(2025, 10, 1), 1, D(2025, 10, 9)),
])
def test_due_dates(formed: dt.date, n: int, due: dt.date) -> None:
    assert add_working_days(formed, n) == due


def test_adjusted_weekend_is_a_working_day_and_holiday_is_not() -> None:
    assert is_working_day(D(2025, 9, 28)) is True  # a Sunday made a working day
    assert is_working_day(D(2025, 10, 6)) is False  # a Monday in the holiday
    assert is_working_day(D(2025, 10, 12)) is False  # an ordinary Sunday


def test_beyond_the_calendar_is_unknown_not_guessed() -> None:
    assert is_working_day(D(2027, 1, 4)) is None
    assert add_working_days(D(2026, 12, 20), 20) is None  # runs into 2027
    assert timeliness(D(2026, 12, 20), 20, None, D(2027, 3, 1)).status == "unknown"
    assert add_working_days(D(2026, 12, 1), 7) == D(2026, 12, 10)  # still inside 2026: known


def test_timeliness() -> None:
    formed = D(2025, 9, 26)  # due 2025-10-13 with 7 working days
    assert timeliness(formed, 7, D(2025, 10, 13), D(2025, 11, 1)).status == "on-time"
    late = timeliness(formed, 7, D(2025, 10, 15), D(2025, 11, 1))
    assert (late.status, late.working_days_late) == ("late", 2)
    assert timeliness(formed, 7, None, D(2025, 10, 10)).status == "pending"
    overdue = timeliness(formed, 7, None, D(2025, 10, 20))
    assert (overdue.status, overdue.working_days_late) == ("overdue", 5)
    assert working_days_between(D(2025, 10, 13), D(2025, 10, 13)) == 0


def test_release_records_formed_date_and_deadline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from gongkai import Project

    from .conftest import REPO

    o = Project(REPO, store=tmp_path / "store").release("fund-allocations")
    m = o.manifest
    assert m is not None
    import duckdb

    latest = duckdb.connect().execute(f"SELECT max(issued_date) FROM read_parquet('{o.path / 'data.parquet'}')").fetchone()[0]
    assert m["information_formed"] == latest.isoformat()
    assert m["disclosure_deadline"] == add_working_days(latest, 20).isoformat()
