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


# -- across holidays and adjusted working weekends, counted by hand from the State Council's notices -------------

@pytest.mark.parametrize(("formed", "n", "due"), [
    # 春节 2025 (Jan 28–Feb 4 off; Sun Jan 26 and Sat Feb 8 worked): Jan 26, 27, Feb 5, 6, 7, Sat 8, 10–14,
    # 17–21, 24, 25, 26, 27 → the 20th working day is Thu Feb 27
    (D(2025, 1, 24), 20, D(2025, 2, 27)),
    # 国庆 2025 (Oct 1–8 off; Sun Sep 28 and Sat Oct 11 worked): Sep 28, 29, 30, Oct 9, 10, Sat 11, 13–17,
    # 20–24, 27–30 → Thu Oct 30
    (D(2025, 9, 26), 20, D(2025, 10, 30)),
    # a 调休 Saturday is itself the next working day
    (D(2025, 10, 10), 1, D(2025, 10, 11)),
    (D(2025, 2, 7), 1, D(2025, 2, 8)),
    # 元旦 2026 (Jan 1–3 off, Sun Jan 4 worked): from New Year's Eve the next working day is a Sunday
    (D(2025, 12, 31), 1, D(2026, 1, 4)),
    # 春节 2026 (Feb 15–23 off; Sat Feb 14 and Sat Feb 28 worked): 7 working days for a 行政处罚 decision of
    # Thu Feb 12: Fri 13, Sat 14, Feb 24, 25, 26, 27, Sat 28 → due on a Saturday
    (D(2026, 2, 12), 7, D(2026, 2, 28)),
    # a formed date inside the holiday: Feb 24 is the first working day after it
    (D(2026, 2, 17), 1, D(2026, 2, 24)),
])
def test_due_dates_across_holidays_and_adjusted_weekends(formed: dt.date, n: int, due: dt.date) -> None:
    assert add_working_days(formed, n) == due


def test_working_days_between_skip_holidays_and_count_adjusted_weekends() -> None:
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 8)) == 0  # the whole 国庆 holiday
    assert working_days_between(D(2025, 10, 8), D(2025, 10, 12)) == 3  # Thu 9, Fri 10, Sat 11 (调休)
    assert working_days_between(D(2025, 1, 27), D(2025, 2, 9)) == 4  # Feb 5, 6, 7, Sat 8
    assert working_days_between(D(2026, 2, 13), D(2026, 3, 1)) == 6  # Sat 14, Feb 24–27, Sat 28
    assert working_days_between(D(2026, 12, 30), D(2027, 1, 5)) is None  # leaves the calendar


def test_seven_day_penalty_deadline_on_an_adjusted_saturday() -> None:
    t = timeliness(D(2026, 2, 12), 7, D(2026, 3, 2), D(2026, 3, 10))
    assert (t.due, t.status, t.working_days_late) == (D(2026, 2, 28), "late", 1)  # Sunday Mar 1 does not count


def test_release_takes_the_formed_date_from_the_caller_when_the_data_has_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A scheduled pipeline passes the source's modification date for datasets without a formed_field."""
    from gongkai.project import Project

    from .conftest import REPO

    project = Project(REPO, store=tmp_path / "store")
    assert project.spec("culture-sports-facilities").formed_field is None
    outcome = project.release("culture-sports-facilities", formed=dt.date(2025, 9, 29))
    assert outcome.manifest is not None
    assert outcome.manifest["information_formed"] == "2025-09-29"
    assert outcome.manifest["information_formed_from"] == "source"
    # 20 working days from the day after, across 国庆 2025 and its adjusted Saturday 10-11
    assert outcome.manifest["disclosure_deadline"] == add_working_days(dt.date(2025, 9, 29), 20).isoformat() == "2025-11-03"
