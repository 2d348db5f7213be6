"""The working-day calendar as data: ``calendar/<year>.yaml`` files over the chinese-calendar package.

Hand counts (2027 from the test fixture tests/fixtures/calendar/2027.yaml, shaped like a State Council notice:
春节 Feb 5–13, working Sun Jan 31 and Sat Feb 20)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from gongkai import deadlines
from gongkai.deadlines import add_working_days, create_duckdb_functions, is_working_day, use_calendar
from gongkai.errors import ConfigError
from gongkai.schedule.timeliness import ReleaseInfo, judge
from gongkai.spec.deadline import Deadline

from .conftest import REPO

D = dt.date
FIXTURE = Path(__file__).parent / "fixtures" / "calendar" / "2027.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    f = tmp_path / "calendar"
    f.mkdir()
    shutil.copy(REPO / "calendar" / "2026.yaml", f / "2026.yaml")
    yield f
    use_calendar(REPO / "calendar")


def test_the_2026_notice_agrees_with_the_package() -> None:
    cal = use_calendar(REPO / "calendar")
    assert cal.notices[2026] == "国办发明电〔2025〕7号"
    assert is_working_day(D(2026, 2, 14)) and is_working_day(D(2026, 9, 20))  # 调休 Saturday / Sunday
    assert not is_working_day(D(2026, 10, 7))


def test_a_deadline_across_2027_spring_festival_resolves_once_the_year_is_added(folder: Path) -> None:
    use_calendar(folder)
    assert add_working_days(D(2027, 1, 29), 20) is None
    hint = deadlines.missing_year_hint(D(2027, 1, 29))
    assert "2027" in hint and "calendar/2027.yaml" in hint
    shutil.copy(FIXTURE, folder / "2027.yaml")
    use_calendar(None)
    use_calendar(folder)
    # Sun Jan 31 (调休) 1, Feb 1–4 → 5, 春节 Feb 5–13, Feb 15–19 → 10, Sat Feb 20 (调休) 11, Feb 22–26 → 16,
    # Mar 1–4 → 20
    assert add_working_days(D(2027, 1, 29), 20) == D(2027, 3, 4)
    con = duckdb.connect()
    create_duckdb_functions(con)
    assert con.execute("SELECT gk_working_days(DATE '2027-01-29', DATE '2027-03-04')").fetchone() == (20,)


def test_compliance_judges_a_release_due_in_2027_with_the_file(folder: Path) -> None:
    from gongkai import Project

    spec = Project(REPO).spec("culture-sports-facilities")
    use_calendar(folder)
    release = ReleaseInfo(spec.id, "v1", D(2027, 1, 10), D(2026, 12, 20), "source", Deadline())
    before = judge(spec, release)
    assert before.status == "unknown" and "calendar/2027.yaml" in (before.reason or "")
    shutil.copy(FIXTURE, folder / "2027.yaml")
    use_calendar(None)
    use_calendar(folder)
    after = judge(spec, release)
    # Dec 21–25 5, Dec 28–31 9, 元旦 Jan 1, Jan 4–8 14, Jan 11–15 19, Mon Jan 18 20
    assert (after.status, after.due) == ("on-time", "2027-01-18")


def test_published_before_the_days_ran_out_is_on_time_beyond_the_calendar() -> None:
    from gongkai import Project

    spec = Project(REPO).spec("culture-sports-facilities")
    r = judge(spec, ReleaseInfo(spec.id, "v1", D(2026, 12, 20), D(2026, 12, 15), "source", Deadline()))
    assert (r.status, r.due) == ("on-time", None)  # due in 2027, but only 3 of 20 working days (Dec 16–18) were used


def test_budgets_count_calendar_days() -> None:
    from gongkai import Project

    rule = Project(REPO).spec("department-budgets").deadline
    assert (rule.counting, rule.days) == ("calendar", 20)
    assert rule.due(D(2026, 12, 20)) == D(2027, 1, 9)  # no calendar needed for calendar days


@pytest.mark.parametrize(("text", "message"), [
    ("year: 2027\nholidays: []\n", "缺少 year（年份）或 notice"),
    ("year: 2028\nnotice: x\n", "文件名应为 2028.yaml"),
    ("year: 2027\nnotice: x\nholidays:\n  - {name: 春节, from: 2027-02-13, to: 2027-02-05}\n", "假日“春节”的 from/to"),
    ("year: 2027\nnotice: x\nholidays:\n  - {name: 春节, from: 2027-02-05, to: 2027-02-13, workdays: [2027-02-17]}\n",
     "调休上班日 2027-02-17 应为周六或周日"),
])
def test_a_wrong_file_names_itself_and_the_fix(folder: Path, text: str, message: str) -> None:
    (folder / "2027.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as e:
        deadlines.load_calendar(folder)
    assert "2027.yaml" in str(e.value)


def test_a_file_that_disagrees_with_the_package_is_refused(folder: Path) -> None:
    text = (folder / "2026.yaml").read_text(encoding="utf-8").replace("workdays: [2026-09-20, 2026-10-10]",
                                                                      "workdays: [2026-10-10]")
    (folder / "2026.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="与 chinese-calendar 收录的 2026 年安排不一致：2026-09-20"):
        deadlines.load_calendar(folder)


def test_every_bundled_dataset_has_a_formed_date(tmp_path: Path) -> None:
    """Datasets with no date column are dated by their source, so compliance never says 无法判断 for them."""
    import os

    from gongkai import Project
    from gongkai.schedule.compliance import build

    project = Project(REPO, store=tmp_path / "store")
    for spec in project.specs:
        assert spec.formed_field is None or spec.fields[spec.formed_field]["type"] == "date", spec.id
    ids = ["culture-sports-facilities", "dibao-village-counts"]  # no date column: dated by the source file
    for d in ids:
        copies = []
        for p in project.spec(d).source_paths():
            copies.append(Path(shutil.copy(p, tmp_path / p.name)))
            os.utime(copies[-1], (p.stat().st_atime, dt.datetime(2026, 11, 20, 12).timestamp()))
        outcome = project.release(d, copies)
        assert outcome.manifest is not None
        assert (outcome.manifest["information_formed"], outcome.manifest["information_formed_from"]) == (
            "2026-11-20", "source")
    today = dt.date.fromisoformat(outcome.manifest["created"][:10])
    report = build(project, today.year, as_of=today)
    assert [r.status for r in report.releases if r.dataset in ids] and all(
        r.status != "unknown" for r in report.releases if r.dataset in ids)


def test_request_clock_20_plus_20_working_days_and_correction() -> None:
    """依申请公开: received Fri 2026-09-18 → 20 working days: Sun Sep 20 (调休) 1, Sep 21–24 5, 中秋 Sep 25–27, Sep 28–30 8, 国庆 Oct 1–7, Oct 8–9 10, Sat Oct 10 (调休) 11,
    Oct 12–16 16, Oct 19–22 20 → Thu Oct 22; extended by 20 → Oct 23, 26–30 (6), Nov 2–6 (11), 9–13 (16),
    16–19 (20) → Thu Nov 19."""
    from gongkai.deadlines import RequestClock

    assert RequestClock(D(2026, 9, 18)).due() == D(2026, 10, 22)
    assert RequestClock(D(2026, 9, 18), extended=True).due() == D(2026, 11, 19)
    # a 补正 notice: the time runs again from the corrected request (Mon Nov 2 → 20 working days → Mon Nov 30)
    clock = RequestClock(D(2026, 9, 18), corrected=D(2026, 11, 2))
    assert clock.due() == D(2026, 11, 30)
    assert clock.status(None, D(2026, 12, 1)).status == "overdue"
    assert clock.status(D(2026, 11, 30), D(2026, 12, 1)).status == "on-time"


def test_a_working_days_schedule_runs_on_adjusted_sundays_and_skips_holidays() -> None:
    from zoneinfo import ZoneInfo

    from gongkai.spec.pipelines import load_pipeline

    use_calendar(REPO / "calendar")
    p = load_pipeline(REPO / "pipelines" / "daily-double-disclosure.pipeline.yaml")
    cn = ZoneInfo("Asia/Shanghai")
    # Sat 2025-09-27 15:00 → Sun 2025-09-28 09:00, a 调休 working Sunday
    assert p.next_run(dt.datetime(2025, 9, 27, 15, 0, tzinfo=cn)) == dt.datetime(2025, 9, 28, 9, 0, tzinfo=cn)
    # Tue 2025-09-30 15:00 → Thu 2025-10-09 09:00 (国庆 and 中秋 Oct 1–8 skipped)
    assert p.next_run(dt.datetime(2025, 9, 30, 15, 0, tzinfo=cn)) == dt.datetime(2025, 10, 9, 9, 0, tzinfo=cn)
    # Fri 2026-02-13 15:00 → Sat 2026-02-14 09:00 (调休), then 春节 until Tue Feb 24
    assert p.next_run(dt.datetime(2026, 2, 13, 15, 0, tzinfo=cn)) == dt.datetime(2026, 2, 14, 9, 0, tzinfo=cn)
    assert p.next_run(dt.datetime(2026, 2, 14, 15, 0, tzinfo=cn)) == dt.datetime(2026, 2, 24, 9, 0, tzinfo=cn)


@pytest.mark.postgres
def test_postgres_uses_the_added_year(folder: Path) -> None:
    import os

    psycopg2 = pytest.importorskip("psycopg2")
    shutil.copy(FIXTURE, folder / "2027.yaml")
    use_calendar(folder)
    pg = psycopg2.connect(os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    pg.autocommit = True
    schema = "gongkai_test_calendar_2027"  # its own schema: the shared gongkai_ref keeps the bundled calendar
    try:
        deadlines.create_postgres_functions(pg, schema=schema)
        with pg.cursor() as cur:
            cur.execute(f"SELECT {schema}.gk_working_days('2027-01-29', '2027-03-04')")
            assert cur.fetchone()[0] == 20
    finally:
        with pg.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        pg.close()
