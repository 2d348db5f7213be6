"""Compliance figures per agency and domain. Expected due dates and day counts are worked out by hand from the
State Council's holiday notices (2025: 春节 Jan 28–Feb 4, working Sun Jan 26 and Sat Feb 8; 国庆 Oct 1–8, working
Sun Sep 28 and Sat Oct 11. 2026: 元旦 Jan 1–3, working Sun Jan 4; 春节 Feb 15–23, working Sat Feb 14 and Sat Feb 28).

The unit tests use a store of manifests written by hand, since a real release is always made today."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.cli import cli
from gongkai.errors import UsageError
from gongkai.schedule.compliance import build
from gongkai.schedule.history import History
from gongkai.schedule.runner import Runner
from gongkai.schedule.timeliness import ReleaseInfo, expected_next, judge, load_releases
from gongkai.spec.deadline import Deadline

from .conftest import REPO
from .schedule_support import VILLAGE, SourceServer, fake_release, village_csv, write_pipeline

D = dt.date
FUNDS, LOTTERY, FACILITIES, RELIEF, DIBAO = (
    "fund-allocations", "lottery-welfare-projects", "culture-sports-facilities", "disaster-relief-recipients",
    "dibao-recipients")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    s = tmp_path / "store"
    # 省财政厅, poverty-alleviation: formed Fri 2025-09-26, due Thu 2025-10-30 across 国庆; published 23:59 that
    # day Beijing time (15:59 UTC) → on time
    fake_release(s, FUNDS, "v1", "2025-10-30T15:59:00+00:00", "2025-09-26")
    # formed Mon 2025-11-03, due Mon 2025-12-01, published Fri 2025-12-05 → late by 4 working days (Dec 2–5)
    fake_release(s, FUNDS, "v2", "2025-12-05T01:00:00+00:00", "2025-11-03")
    # 香格里拉市民政局, monthly, no formed date: unknown; next month's data formed 2025-10-05 (in 国庆), due
    # 2025-11-04 (Sat Oct 11 counts) → overdue on 2025-12-31 by 41 working days, 57 days
    fake_release(s, VILLAGE, "v1", "2025-09-05T02:00:00+00:00")
    # published 2026-01-15: not part of 2025; in 2026 the next is formed 2026-02-15 (春节), due 2026-03-20
    fake_release(s, VILLAGE, "v2", "2026-01-15T02:00:00+00:00")
    # 省民政厅, yearly, published 2025-06-20: the next is due in 2026, not overdue in 2025
    fake_release(s, LOTTERY, "v1", "2025-06-20T02:00:00+00:00")
    # 省文化和旅游厅: formed 2026-12-20, due beyond the calendar (2027) → unknown, never guessed
    fake_release(s, FACILITIES, "v1", "2027-01-10T02:00:00+00:00", "2026-12-20")
    return s


@pytest.fixture
def project(store: Path) -> Project:
    return Project(REPO, store=store)


def _row(report, agency: str, domain: str):  # type: ignore[no-untyped-def]
    return next(r for r in report.rows if (r.agency, r.domain) == (agency, domain))


def test_year_2025_per_agency_and_domain(project: Project) -> None:
    report = build(project, 2025, today=D(2026, 11, 25))
    assert report.as_of == D(2025, 12, 31)
    funds = _row(report, "省财政厅", "poverty-alleviation")
    assert (funds.releases, funds.on_time, funds.late, funds.unknown, funds.overdue) == (2, 1, 1, 0, 0)
    assert funds.on_time_rate == 0.5
    village = _row(report, "香格里拉市民政局", "social-assistance")
    assert (village.releases, village.on_time, village.late, village.unknown, village.overdue) == (1, 0, 0, 1, 1)
    assert village.on_time_rate == 0.0
    # 福彩 projects and the 低保 notice are the province's 民政厅's, assembled from the counties
    civil = _row(report, "省民政厅", "social-assistance")
    assert (civil.releases, civil.unknown, civil.overdue, civil.on_time_rate) == (1, 1, 0, None)
    assert civil.no_release >= 1 and DIBAO in [d["dataset"] for d in report.no_release]
    assert FACILITIES in [d["dataset"] for d in report.no_release]  # its release is from 2027

    by_version = {(r.dataset, r.version): r for r in report.releases}
    v1, v2 = by_version[(FUNDS, "v1")], by_version[(FUNDS, "v2")]
    assert (v1.due, v1.published, v1.status) == ("2025-10-30", "2025-10-30", "on-time")
    assert (v2.due, v2.status, v2.working_days_late, v2.days_late) == ("2025-12-01", "late", 4, 4)
    assert by_version[(VILLAGE, "v1")].status == "unknown" and "没有信息形成日期" in by_version[(VILLAGE, "v1")].reason
    assert (VILLAGE, "v2") not in by_version

    [overdue] = report.overdue
    assert (overdue.dataset, overdue.next_formed, overdue.due) == (VILLAGE, "2025-10-05", "2025-11-04")
    assert (overdue.working_days_late, overdue.days_late, overdue.last_version) == (41, 57, "v1")
    t = report.totals
    assert (t.releases, t.on_time, t.late, t.overdue) == (4, 1, 1, 1)


def test_as_of_a_day_before_and_after_a_due_date(project: Project) -> None:
    before = build(project, 2025, as_of=D(2025, 11, 4), today=D(2026, 11, 25))
    assert before.overdue == [] and (FUNDS, "v2") not in {(r.dataset, r.version) for r in before.releases}
    after = build(project, 2025, as_of=D(2025, 11, 5), today=D(2026, 11, 25))
    assert [(e.dataset, e.working_days_late, e.days_late) for e in after.overdue] == [(VILLAGE, 1, 1)]


def test_the_next_year_and_beyond_the_calendar(project: Project) -> None:
    y2026 = build(project, 2026, as_of=D(2026, 1, 20))
    assert [(r.dataset, r.version, r.status) for r in y2026.releases] == [(VILLAGE, "v2", "unknown")]
    assert y2026.overdue == []
    nxt = expected_next(project.spec(VILLAGE), load_releases(project)[VILLAGE][-1], D(2026, 3, 20))
    assert nxt is not None and (nxt.next_formed, nxt.due, nxt.status, nxt.working_days_left) == (
        "2026-02-15", "2026-03-20", "pending", 0)
    y2027 = build(project, 2027, today=D(2027, 2, 1))
    [facilities] = [r for r in y2027.releases if r.dataset == FACILITIES]
    assert (facilities.status, facilities.due) == ("unknown", None)
    assert "2027 年的节假日安排不在" in (facilities.reason or "") and "calendar/2027.yaml" in (facilities.reason or "")
    monthly = [e for e in build(project, 2027, today=D(2027, 2, 1)).overdue if e.dataset == VILLAGE]
    assert monthly == []  # the due date would be in 2027: unknown, so not called overdue


def test_seven_working_days_for_licences_and_penalties() -> None:
    spec = Project(REPO).spec(RELIEF)
    # formed Thu 2026-02-12: Fri 13, Sat 14 (调休), then 春节 until Feb 23, Feb 24–27, Sat Feb 28 (调休) → due Feb 28
    on_time = judge(spec, ReleaseInfo(RELIEF, "v1", D(2026, 2, 28), D(2026, 2, 12), "data", Deadline(days=7)))
    assert (on_time.due, on_time.status) == ("2026-02-28", "on-time")
    late = judge(spec, ReleaseInfo(RELIEF, "v2", D(2026, 3, 2), D(2026, 2, 12), "data", Deadline(days=7)))
    assert (late.status, late.working_days_late, late.days_late) == ("late", 1, 2)  # Sunday Mar 1 is no working day


def test_agency_filter_and_errors(project: Project) -> None:
    only = build(project, 2025, agency="省财政厅", today=D(2026, 11, 25))
    assert {r.agency for r in only.rows} == {"省财政厅"} and only.agency == "省财政厅"
    assert {r.agency for r in only.releases} == {"省财政厅"}
    with pytest.raises(UsageError, match="unknown agency '省财政局'"):
        build(project, 2025, agency="省财政局")
    with pytest.raises(UsageError, match="is not in 2025"):
        build(project, 2025, as_of=D(2026, 1, 1))


def test_renderings(project: Project) -> None:
    report = build(project, 2025, today=D(2026, 11, 25))
    md = report.to_markdown()
    assert "| 省财政厅 | 脱贫攻坚 |" in md and "50.0%" in md and "| dibao-village-counts | 香格里拉市民政局 | 每月 |" in md
    html = report.to_html()
    assert html.startswith("<!doctype html>") and "<td>逾期发布</td>" in html and "2025-11-04" in html
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    funds = next(r for r in rows if r["agency"] == "省财政厅" and r["domain"] == "poverty-alleviation")
    assert (funds["on_time"], funds["late"], funds["on_time_rate"]) == ("1", "1", "0.5")
    data = json.loads(report.to_json())
    assert data["year"] == 2025 and data["as_of"] == "2025-12-31" and data["totals"]["late"] == 1
    assert data["overdue"][0]["due"] == "2025-11-04"
    assert report.to_json() == build(project, 2025, today=D(2026, 11, 25)).to_json()  # same day, same bytes


def test_cli(store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["--store", str(store), "compliance", "--year", "2025", "--agency", "省财政厅",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {a["agency"] for a in data["agencies"]} == {"省财政厅"}
    assert data["totals"]["on_time"] == 1 and data["totals"]["late"] == 1
    out = tmp_path / "out"
    r = runner.invoke(cli, ["--store", str(store), "compliance", "--year", "2025", "--as-of", "2025-11-05",
                            "--output", str(out)])
    assert r.exit_code == 0 and "# 政府信息公开时效统计 2025" in r.output
    assert sorted(p.name for p in out.iterdir()) == [f"compliance-2025.{e}" for e in ("csv", "html", "json", "md")]
    assert json.loads((out / "compliance-2025.json").read_text())["as_of"] == "2025-11-05"
    r = runner.invoke(cli, ["--store", str(store), "compliance", "--agency", "某某局"])
    assert r.exit_code == 2 and "unknown agency" in r.output


def test_a_pipelines_source_date_counts_as_the_formed_date(tmp_path: Path) -> None:
    """End to end: a real release from an HTTP source whose Last-Modified is 2025-10-09 (Beijing)."""
    from gongkai.deadlines import working_days_between

    project = Project(REPO, store=tmp_path / "store")
    history = History(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    with SourceServer(village_csv(tmp_path / "v.csv").read_bytes()) as server:
        p = write_pipeline(tmp_path / "pipelines", "formed-from-source",
                           sources={VILLAGE: {"url": server.url, "formed": "last-modified"}})
        assert Runner(project, history).run_pipeline(p)[0].status == "released"
    published = dt.datetime.fromisoformat(project.store.manifest(VILLAGE, "v1")["created"]).astimezone(
        dt.timezone(dt.timedelta(hours=8))).date()
    report = build(project, published.year, as_of=published, history=history)
    [r] = [x for x in report.releases if x.dataset == VILLAGE]
    # formed Thu 2025-10-09: Oct 10, Sat Oct 11 (调休), 13–17, 20–24, 27–31, Nov 3, 4, 5 → due 2025-11-05
    assert (r.formed, r.formed_from, r.due, r.status) == ("2025-10-09", "source", "2025-11-05", "late")
    assert r.working_days_late == working_days_between(D(2025, 11, 5), published)
    # the release's manifest records the date too, so the report needs no run history
    assert project.store.manifest(VILLAGE, "v1")["information_formed"] == "2025-10-09"
    without = build(project, published.year, as_of=published)
    assert [(x.formed_from, x.status) for x in without.releases if x.dataset == VILLAGE] == [("source", "late")]
