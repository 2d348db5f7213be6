"""Scheduled pipelines: specs, the cron loop, sources that change or not, time-outs, retries, and the last good
release surviving every failure. Real store, real HTTP server on 127.0.0.1, real SQLite/PostgreSQL databases."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gongkai import Project, verify
from gongkai.cli import cli
from gongkai.errors import ConfigError
from gongkai.schedule.history import History
from gongkai.schedule.loop import Scheduler
from gongkai.schedule.runner import Runner
from gongkai.settings import Settings
from gongkai.spec.pipelines import load_pipeline, load_pipelines
from gongkai.urls import engine_url

from .conftest import REPO
from .schedule_support import VILLAGE, VILLAGE_CSV, FakeClock, SourceServer, village_csv, write_pipeline

UTC = dt.UTC
PG_URL = os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(f"sqlite:///{tmp_path / 'runs.sqlite'}")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def runner(project: Project, history: History, sleeps: list[float]) -> Runner:
    r = Runner(project, history, sleep=sleeps.append)
    calls: list[str] = []
    original = project.release

    def counted(dataset: str, *args, **kw):  # type: ignore[no-untyped-def]
        calls.append(dataset)
        return original(dataset, *args, **kw)

    project.release = counted  # type: ignore[method-assign]
    r.release_calls = calls  # type: ignore[attr-defined]
    return r


# -- pipeline files --------------------------------------------------------------------------------------------

def test_bundled_pipelines_load_and_name_real_datasets() -> None:
    project = Project(REPO)
    pipelines = load_pipelines(REPO / "pipelines", {s.id for s in project.specs})
    assert len(pipelines) >= 4
    frequencies = set()
    for p in pipelines.values():
        assert p.next_run(dt.datetime(2025, 1, 1, tzinfo=UTC)) > dt.datetime(2025, 1, 1, tzinfo=UTC)
        frequencies |= {project.spec(d).update_frequency for d in p.datasets}
    assert {"monthly", "yearly", "half-yearly", "irregular"} <= frequencies


@pytest.mark.parametrize(("keys", "expected"), [
    ({"shedule": "* * * * *"}, "key 'shedule': unknown key"),
    ({"schedule": "every morning"}, "key 'schedule'"),
    ({"sources": {VILLAGE: {"path": "a.csv", "url": "http://x/a.csv"}}}, "exactly one of path, url or sql"),
    ({"sources": {"fund-allocations": {"path": "a.csv"}}}, "not one of this pipeline's datasets"),
    ({"sources": {VILLAGE: {"url": "ftp://x/a.csv"}}}, "must start with http"),
    ({"notify": {"email": ["not-an-address"]}}, "is not an e-mail address"),
    ({"datasets": ["dibao-vilage-counts"]}, "did you mean 'dibao-village-counts'"),
    ({"timezone": "Beijing"}, "unknown time zone"),
])
def test_pipeline_errors_name_file_and_key(tmp_path: Path, keys: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as e:
        write_pipeline(tmp_path, "bad-pipeline", **keys)
    assert expected in str(e.value)
    assert "bad-pipeline.pipeline.yaml" in str(e.value)


def test_file_name_must_match_id(tmp_path: Path) -> None:
    write_pipeline(tmp_path, "some-pipeline")
    (tmp_path / "some-pipeline.pipeline.yaml").rename(tmp_path / "other.pipeline.yaml")
    with pytest.raises(ConfigError, match=r"named other\.pipeline\.yaml"):
        load_pipeline(tmp_path / "other.pipeline.yaml")


def test_next_run_is_computed_in_the_pipelines_time_zone(tmp_path: Path) -> None:
    p = write_pipeline(tmp_path, "morning", schedule="30 7 * * *")
    # 2025-01-01 00:00 UTC is 08:00 in Beijing: the next 07:30 there is the next day, 2025-01-01 23:30 UTC
    assert p.next_run(dt.datetime(2025, 1, 1, 0, 0, tzinfo=UTC)).astimezone(UTC) == dt.datetime(2025, 1, 1, 23, 30, tzinfo=UTC)
    weekdays = write_pipeline(tmp_path, "weekdays", schedule="0 8 * * 1-5")
    # Friday 2025-10-10 09:00 Beijing → Monday 2025-10-13 08:00 (cron knows weekdays, not 调休)
    fri = dt.datetime(2025, 10, 10, 1, 0, tzinfo=UTC)
    assert weekdays.next_run(fri).isoformat() == "2025-10-13T08:00:00+08:00"


# -- change detection under the scheduler -------------------------------------------------------------------------

def test_scheduled_file_source_republishes_on_change_and_does_nothing_otherwise(tmp_path: Path, project: Project,
                                                                               runner: Runner) -> None:
    (tmp_path / "src").mkdir()
    src = village_csv(tmp_path / "src" / "低保分村统计.csv")
    p = write_pipeline(tmp_path / "pipelines", "daily-file", schedule="0 6 * * *",
                       sources={VILLAGE: {"path": "../src/*.csv"}})
    clock = FakeClock(dt.datetime(2025, 3, 2, 12, 0, tzinfo=UTC))
    days: list[list[str]] = []

    def dispatch(pipeline, when):  # type: ignore[no-untyped-def]
        days.append([r.status for r in runner.run_pipeline(pipeline, trigger="schedule")])
        if len(days) == 2:  # the agency replaces its file between the 2nd and 3rd morning
            village_csv(src, change="4700.00")

    Scheduler([p], dispatch, clock=clock, sleep=clock.sleep).run(max_fires=4)
    assert days == [["released"], ["skipped"], ["released"], ["skipped"]]
    assert project.store.versions(VILLAGE) == ["v1", "v2"]
    assert runner.release_calls == [VILLAGE, VILLAGE]  # type: ignore[attr-defined]  # skipped runs ran no gate
    assert clock.now.astimezone(dt.timezone(dt.timedelta(hours=8))).hour == 6  # it fired at 06:00 Beijing
    runs = runner.history.runs(p.id)
    assert [r.status for r in reversed(runs)] == ["released", "skipped", "released", "skipped"]
    assert [r.versions for r in reversed(runs)] == [["v1"], [], ["v2"], []]
    assert all(r.trigger == "schedule" and r.finished >= r.started for r in runs)


def test_http_source_with_etag_costs_nothing_when_unchanged(tmp_path: Path, project: Project, runner: Runner) -> None:
    body = village_csv(tmp_path / "v.csv").read_bytes()
    with SourceServer(body) as server:
        p = write_pipeline(tmp_path / "pipelines", "http-etag",
                           sources={VILLAGE: {"url": server.url, "formed": "last-modified"}})
        first = runner.run_pipeline(p)[0]
        assert (first.status, first.versions) == ("released", ["v1"])
        second = runner.run_pipeline(p)[0]
        assert second.status == "skipped" and second.detail["reason"] == "not modified (HTTP 304)"
        assert server.statuses() == [200, 304]
        assert server.log[1][1] == 0  # no body was sent the second time
        assert server.log[1][2]["If-None-Match"].startswith('"')
        assert runner.release_calls == [VILLAGE]  # type: ignore[attr-defined]
        server.body = village_csv(tmp_path / "v.csv", change="4800.00").read_bytes()
        third = runner.run_pipeline(p)[0]
        assert (third.status, third.versions) == ("released", ["v2"])
        assert server.statuses() == [200, 304, 200]
    m = project.store.manifest(VILLAGE, "v2")
    assert m["sources"][0]["name"] == "低保分村统计.csv"
    # the source's Last-Modified (2025-10-09 10:00 Beijing) is the formed date the history keeps for v1 and v2
    assert runner.history.formed_dates(VILLAGE) == {"v1": "2025-10-09", "v2": "2025-10-09"}


def test_a_lost_cache_file_is_fetched_again(tmp_path: Path, runner: Runner) -> None:
    with SourceServer(village_csv(tmp_path / "v.csv").read_bytes()) as server:
        p = write_pipeline(tmp_path / "pipelines", "http-cache", sources={VILLAGE: {"url": server.url}})
        runner.run_pipeline(p)
        for f in (runner.project.store.path / ".schedule" / "sources" / p.id / VILLAGE).iterdir():
            if f.name.endswith(".csv"):
                f.unlink()
        r = runner.run_pipeline(p)[0]
        assert server.statuses() == [200, 200]  # no conditional request without the cached copy
        assert "If-None-Match" not in server.log[1][2]
        assert r.status == "skipped"  # same content as the last completed run


# -- failures --------------------------------------------------------------------------------------------------

def _release_v1(tmp_path: Path, runner: Runner, server: SourceServer, **keys) -> tuple:  # type: ignore[no-untyped-def]
    p = write_pipeline(tmp_path / "pipelines", "failing", sources={VILLAGE: {"url": server.url}},
                       retry={"attempts": 3, "backoff_seconds": 2, "max_backoff_seconds": 60}, **keys)
    assert runner.run_pipeline(p)[0].status == "released"
    v1 = runner.project.store.release_dir(VILLAGE, "v1")
    return p, v1, (v1 / "manifest.json").read_bytes()


def _intact(runner: Runner, v1: Path, manifest: bytes) -> None:
    store = runner.project.store
    assert store.versions(VILLAGE) == ["v1"]
    assert (v1 / "manifest.json").read_bytes() == manifest
    assert verify(v1).ok
    assert not [d for d in store.dataset_dir(VILLAGE).iterdir() if d.name.startswith(".tmp")]


def test_a_hanging_source_times_out_is_retried_with_backoff_and_v1_stays(tmp_path: Path, runner: Runner,
                                                                         sleeps: list[float]) -> None:
    with SourceServer(village_csv(tmp_path / "v.csv").read_bytes()) as server:
        p, v1, manifest = _release_v1(tmp_path, runner, server, timeout_seconds=0.5)
        server.body = village_csv(tmp_path / "v.csv", change="4900.00").read_bytes()
        server.mode = "hang"
        r = runner.run_pipeline(p)[0]
    assert r.status == "failed" and r.attempts == 3
    assert "no answer within 0.5 s" in (r.error or "")
    assert sleeps == [2, 4]  # exponential backoff between the three tries
    assert server.statuses().count(0) == 3  # three requests reached the hanging server
    _intact(runner, v1, manifest)
    assert runner.history.get(r.run_id).status == "failed"


def test_server_errors_are_retried_until_the_source_answers(tmp_path: Path, runner: Runner,
                                                            sleeps: list[float]) -> None:
    with SourceServer(village_csv(tmp_path / "v.csv").read_bytes()) as server:
        p, _, _ = _release_v1(tmp_path, runner, server)
        server.body = village_csv(tmp_path / "v.csv", change="5000.00").read_bytes()
        server.mode, server.failures = "fail", 2
        r = runner.run_pipeline(p)[0]
    assert (r.status, r.attempts, r.versions) == ("released", 3, ["v2"])
    assert sleeps == [2, 4]
    assert server.statuses()[1:] == [503, 503, 200]


def test_invalid_data_is_not_retried_and_the_last_good_release_stays(tmp_path: Path, runner: Runner,
                                                                     sleeps: list[float]) -> None:
    with SourceServer(village_csv(tmp_path / "v.csv").read_bytes()) as server:
        p, v1, manifest = _release_v1(tmp_path, runner, server)
        server.body = village_csv(tmp_path / "v.csv", change="约四千元").read_bytes()
        r = runner.run_pipeline(p)[0]
        assert (r.status, r.attempts, sleeps) == ("invalid", 1, [])
        assert "约四千元" in (r.error or "") and "nothing released" in (r.error or "")
        _intact(runner, v1, manifest)
        again = runner.run_pipeline(p)[0]  # the same broken file: not checked (or reported) again
        assert again.status == "skipped"
        server.mode = "missing"
        gone = runner.run_pipeline(p)[0]
    assert (gone.status, gone.attempts) == ("failed", 1)  # a 404 is not worth retrying
    assert "HTTP 404" in (gone.error or "")
    _intact(runner, v1, manifest)


def test_missing_file_source_fails_clearly(tmp_path: Path, runner: Runner) -> None:
    p = write_pipeline(tmp_path / "pipelines", "no-file", sources={VILLAGE: {"path": "../nowhere/*.csv"}})
    r = runner.run_pipeline(p)[0]
    assert (r.status, r.attempts) == ("failed", 1)
    assert "no file matches ../nowhere/*.csv" in (r.error or "")


# -- SQL sources -------------------------------------------------------------------------------------------------

VILLAGE_QUERY = ('SELECT period AS "统计月份", county AS "县级区划代码", township AS "乡镇（街道）", village AS "村（社区）", '
                 'households AS "保障户数", persons AS "保障人数", amount AS "保障金额（元）" FROM {table} ORDER BY id')


def _village_rows() -> list[tuple]:
    import csv

    with VILLAGE_CSV.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    return [(i, *r) for i, r in enumerate(rows)]


def test_sql_source_on_sqlite(tmp_path: Path, runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "minzheng.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE dibao (id INTEGER, period TEXT, county TEXT, township TEXT, village TEXT, "
                "households INTEGER, persons INTEGER, amount NUMERIC)")
    con.executemany("INSERT INTO dibao VALUES (?,?,?,?,?,?,?,?)", _village_rows())
    con.commit()
    p = write_pipeline(tmp_path / "pipelines", "from-sql", sources={VILLAGE: {"sql": {
        "query": VILLAGE_QUERY.format(table="dibao"), "url_env": "TEST_MINZHENG_DB", "name": "低保分村统计.csv"}}})
    monkeypatch.delenv("TEST_MINZHENG_DB", raising=False)
    unset = runner.run_pipeline(p)[0]
    assert (unset.status, unset.attempts) == ("failed", 1)
    assert "TEST_MINZHENG_DB, which is not set" in (unset.error or "")
    monkeypatch.setenv("TEST_MINZHENG_DB", f"sqlite:///{db}")
    runner.project.settings = Settings.from_env()  # the edge reads the environment, once
    assert runner.run_pipeline(p)[0].versions == ["v1"]
    assert runner.run_pipeline(p)[0].status == "skipped"  # the query ran; its result did not change
    con.execute("UPDATE dibao SET persons = persons + 1 WHERE id = 0")
    con.commit()
    assert runner.run_pipeline(p)[0].versions == ["v2"]
    m = runner.project.store.manifest(VILLAGE, "v2")
    assert m["sources"][0]["name"] == "低保分村统计.csv" and m["row_count"] == len(_village_rows())


@pytest.mark.postgres
def test_sql_source_on_postgresql(tmp_path: Path, runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = f"gk_src_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(engine_url(PG_URL))
    with engine.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
        c.execute(sa.text(f"CREATE TABLE {schema}.dibao (id int, period text, county text, township text, village text, "
                          "households int, persons int, amount numeric(12,2))"))
        for row in _village_rows():
            c.execute(sa.text(f"INSERT INTO {schema}.dibao VALUES (:a,:b,:c,:d,:e,:f,:g,:h)"),
                      dict(zip("abcdefgh", row, strict=True)))
    try:
        monkeypatch.setenv("TEST_PG_SOURCE", PG_URL)
        runner.project.settings = Settings.from_env()
        p = write_pipeline(tmp_path / "pipelines", "from-pg", sources={VILLAGE: {"sql": {
            "query": VILLAGE_QUERY.format(table=f"{schema}.dibao"), "url_env": "TEST_PG_SOURCE"}}})
        r = runner.run_pipeline(p)[0]
        assert (r.status, r.versions) == ("released", ["v1"])
        bad = write_pipeline(tmp_path / "pipelines", "bad-sql", sources={VILLAGE: {"sql": {
            "query": f"SELECT nope FROM {schema}.dibao", "url_env": "TEST_PG_SOURCE"}}})
        b = runner.run_pipeline(bad)[0]
        assert (b.status, b.attempts) == ("failed", 1) and "SQL query failed" in (b.error or "")
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


# -- the command line -------------------------------------------------------------------------------------------

def test_cli_once_list_history(tmp_path: Path) -> None:
    village_csv(tmp_path / "v.csv")
    write_pipeline(tmp_path / "pipelines", "cli-file", sources={VILLAGE: {"path": "../v.csv"}})
    base = ["--store", str(tmp_path / "store")]
    opts = ["--pipelines", str(tmp_path / "pipelines")]
    cli_runner = CliRunner()
    r = cli_runner.invoke(cli, [*base, "schedule", "once", "cli-file", *opts])
    assert r.exit_code == 0, r.output
    assert "released" in r.output and "v1" in r.output
    r = cli_runner.invoke(cli, [*base, "schedule", "once", "cli-file", *opts])
    assert r.exit_code == 0 and "skipped" in r.output
    r = cli_runner.invoke(cli, [*base, "schedule", "once", "cli-file", "--force", *opts])
    assert r.exit_code == 0 and "unchanged" in r.output
    r = cli_runner.invoke(cli, [*base, "--json", "schedule", "history", "cli-file", *opts])
    import json

    runs = json.loads(r.output)
    assert [x["status"] for x in runs] == ["unchanged", "skipped", "released"]
    assert runs[2]["versions"] == ["v1"] and runs[2]["finished"]
    r = cli_runner.invoke(cli, [*base, "--json", "schedule", "list", *opts])
    listed = json.loads(r.output)
    assert listed[0]["id"] == "cli-file" and listed[0]["last_status"] == {VILLAGE: "unchanged"}
    assert listed[0]["sources"] == {VILLAGE: "path"}
    r = cli_runner.invoke(cli, [*base, "schedule", "once", "cli-fil", *opts])
    assert r.exit_code == 2 and "did you mean 'cli-file'" in r.output
    village_csv(tmp_path / "v.csv", change="abc")
    r = cli_runner.invoke(cli, [*base, "schedule", "once", "cli-file", *opts])
    assert r.exit_code == 1 and "invalid" in r.output


def test_schedule_run_fires_on_cron_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    village_csv(tmp_path / "v.csv")
    write_pipeline(tmp_path / "pipelines", "every-second", schedule="* * * * * */1",  # 6th field: seconds
                   sources={VILLAGE: {"path": "../v.csv"}})
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "GONGKAI_PIPELINES": str(tmp_path / "pipelines")}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gongkai"), "--store", str(tmp_path / "store"), "schedule", "run"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    history = History(f"sqlite:///{tmp_path / 'store' / '.schedule' / 'runs.sqlite'}")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len([r for r in history.runs() if r.status != "running"]) < 2:
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    statuses = [r.status for r in reversed(history.runs())]
    assert statuses[:2] == ["released", "skipped"], statuses
    assert "scheduler stopped" in err


def test_a_long_run_coalesces_missed_fires_and_a_failing_dispatch_does_not_stop_the_loop(tmp_path: Path) -> None:
    hourly = write_pipeline(tmp_path / "pipelines", "hourly", schedule="0 * * * *")
    broken = write_pipeline(tmp_path / "pipelines", "broken", schedule="30 * * * *")
    clock = FakeClock(dt.datetime(2025, 3, 3, 0, 10, tzinfo=UTC))
    fired: list[tuple[str, str]] = []

    def dispatch(p, when):  # type: ignore[no-untyped-def]
        fired.append((p.id, when.astimezone(UTC).strftime("%H:%M")))
        if p.id == "broken":
            raise RuntimeError("Redis is down")
        if len(fired) == 2:
            clock.now += dt.timedelta(hours=3, minutes=5)  # the first hourly run takes until 04:05

    checks: list[str] = []
    Scheduler([hourly, broken], dispatch, daily=lambda now: checks.append(now.strftime("%H:%M")), clock=clock,
              sleep=clock.sleep).run(max_fires=6)
    # broken's 01:30 … 03:30 were missed while hourly ran: one late fire at 04:05 (named 01:30), then on time again
    assert fired == [("broken", "00:30"), ("hourly", "01:00"), ("broken", "01:30"), ("broken", "04:30"),
                     ("hourly", "05:00"), ("broken", "05:30")]
    assert checks == ["00:10", "04:05"]  # at start, and at 09:00 Beijing (01:00 UTC), late behind the long run
