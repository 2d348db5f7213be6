"""The scheduler's handling of secrets and personal data: private source caches, scrubbed errors, URLs without
passwords or keys, a tampered cache, cache names that cannot escape, and the fingerprint of the dataset's files."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.errors import DatabaseError, UsageError
from gongkai.identifiers import id_check_char
from gongkai.schedule.history import History
from gongkai.schedule.notify import Notifier
from gongkai.schedule.runner import Runner
from gongkai.schedule.sources import _name_from_url
from gongkai.settings import Settings, SmtpSettings
from gongkai.urls import host_of as _host
from gongkai.urls import show_url as _show

from .conftest import REPO
from .schedule_support import VILLAGE, SourceServer, village_csv, write_pipeline
from .test_notify import Receiver

ID17 = "11010119900307123"
ID_NUMBER = ID17 + id_check_char(ID17)  # a valid 18-character 居民身份证号


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual umask: without explicit modes, files would be world-readable
    yield
    os.umask(old)


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(f"sqlite:///{tmp_path / 'runs.sqlite'}")


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


# -- 1. private caches ----------------------------------------------------------------------------------------

def test_source_caches_are_private_and_sql_dumps_are_deleted(tmp_path: Path, project: Project, history: History,
                                                             umask: None, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = Runner(project, history, sleep=lambda s: None)
    with SourceServer(village_csv(tmp_path / "v.csv").read_bytes()) as server:
        p = write_pipeline(tmp_path / "pipelines", "private-http", sources={VILLAGE: {"url": server.url}})
        assert runner.run_pipeline(p)[0].status == "released"
    schedule = project.store.path / ".schedule"
    cache = schedule / "sources" / p.id / VILLAGE
    for d in (schedule, schedule / "sources", schedule / "sources" / p.id, cache):
        assert _mode(d) == 0o700, d
    files = list(cache.iterdir())
    assert {f.suffix for f in files} == {".csv", ".json"}
    assert all(_mode(f) == 0o600 for f in files), [(f.name, oct(_mode(f))) for f in files]

    db = tmp_path / "roster.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (a TEXT)")
    con.commit()
    con.close()
    monkeypatch.setenv("TEST_ROSTER_DB", f"sqlite:///{db}")
    runner.project.settings = Settings.from_env()  # the edge reads the environment, once
    q = write_pipeline(tmp_path / "pipelines", "private-sql", sources={VILLAGE: {"sql": {
        "query": "SELECT a FROM t", "url_env": "TEST_ROSTER_DB", "name": "roster.csv"}}})
    first = runner.run_pipeline(q)[0]
    assert first.status == "invalid"  # the columns do not fit: that does not matter here
    sql_cache = schedule / "sources" / q.id / VILLAGE
    assert _mode(sql_cache) == 0o700
    assert list(sql_cache.iterdir()) == []  # the dump is gone; its fingerprint is kept
    assert runner.run_pipeline(q)[0].status == "skipped"


# -- 2. scrubbed errors ---------------------------------------------------------------------------------------

class _Flaky(Exception):
    transient = True


def test_errors_quoting_an_id_number_are_scrubbed_everywhere(tmp_path: Path, project: Project, history: History,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver()
    try:
        village_csv(tmp_path / "v.csv")
        p = write_pipeline(tmp_path / "pipelines", "scrubbed", sources={VILLAGE: {"path": "../v.csv"}},
                           retry={"attempts": 2, "backoff_seconds": 0},
                           notify={"webhook": [receiver.url]})
        tries = []

        def broken(*args, **kw):  # type: ignore[no-untyped-def]
            tries.append(1)
            if len(tries) == 1:
                raise _Flaky(f"lost connection while reading {ID_NUMBER}")
            raise RuntimeError(f'duplicate key value violates unique constraint: (id_number)=({ID_NUMBER})')

        project.release = broken  # type: ignore[method-assign]
        runner = Runner(project, history, Notifier(SmtpSettings("127.0.0.1"), backoff=0), sleep=lambda s: None)
        with caplog.at_level(logging.WARNING):
            r = runner.run_pipeline(p)[0]
        assert (r.status, r.attempts) == ("failed", 2)
        row = history.get(r.run_id)
        stored = json.dumps({"error": row.error, "detail": row.detail}, ensure_ascii=False)
        assert "RuntimeError" in stored and "Traceback" in stored
        assert ID_NUMBER not in stored and ID_NUMBER not in (r.error or "")
        assert ID_NUMBER[:6] in stored and ID_NUMBER[-4:] in stored  # masked, not dropped
        assert "try 1 failed" in caplog.text and ID_NUMBER not in caplog.text
        assert len(receiver.posts) == 1
        assert ID_NUMBER not in json.dumps(receiver.posts[0], ensure_ascii=False)
    finally:
        receiver.httpd.shutdown()
        receiver.httpd.server_close()


# -- 3. URLs without secrets ----------------------------------------------------------------------------------

def test_urls_are_shown_without_userinfo_or_query() -> None:
    url = "https://reader:S3cret@data.example.gov.cn:8443/open/a.csv?key=K3Y"
    assert _show(url) == "https://data.example.gov.cn:8443/open/a.csv?…"
    assert _host("https://bot:S3cret@hooks.example.cn/robot/send?access_token=K3Y") == "hooks.example.cn"


def test_the_http_cache_keeps_no_url_secrets(tmp_path: Path, project: Project, history: History) -> None:
    runner = Runner(project, history, sleep=lambda s: None)
    with SourceServer(village_csv(tmp_path / "v.csv").read_bytes()) as server:
        secret = server.url.replace("http://", "http://reader:S3cret@") + "?key=K3Y"
        p = write_pipeline(tmp_path / "pipelines", "secret-url", sources={VILLAGE: {"url": secret}})
        assert runner.run_pipeline(p)[0].status == "released"
        assert runner.run_pipeline(p)[0].detail["reason"] == "not modified (HTTP 304)"  # the cache still matches
        server.mode = "missing"
        failed = runner.run_pipeline(p, force=True)[0]
    cache = project.store.path / ".schedule" / "sources" / p.id / VILLAGE
    meta = next(cache.glob("*.http.json")).read_text(encoding="utf-8")
    assert "S3cret" not in meta and "K3Y" not in meta and "reader" not in meta
    assert failed.status == "failed" and "HTTP 404" in (failed.error or "")
    stored = json.dumps(history.get(failed.run_id).to_dict(), default=str)
    assert "S3cret" not in stored and "K3Y" not in stored


@pytest.mark.parametrize("url", ["postgresql://gk:S3cret@db.example:54x2/runs",  # a port that is not a number
                                 "postgresql+pg8000://gk:S3cret@db.example/runs"])  # a driver not installed
def test_a_bad_history_url_is_a_clear_error_without_the_password(url: str) -> None:
    with pytest.raises(DatabaseError) as e:
        History(url)
    assert "S3cret" not in str(e.value) and e.value.hint


# -- 4. notifications cannot strand a run ---------------------------------------------------------------------

def test_a_bad_smtp_setting_does_not_leave_the_run_running(tmp_path: Path, project: Project, history: History,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_SMTP_HOST", "smtp.example.gov.cn")
    monkeypatch.setenv("GONGKAI_SMTP_PORT", "25x")
    project.settings = Settings.from_env()
    village_csv(tmp_path / "v.csv", change="abc")
    p = write_pipeline(tmp_path / "pipelines", "bad-smtp", sources={VILLAGE: {"path": "../v.csv"}},
                       notify={"email": ["opendata@mz.example.gov.cn"]})
    r = Runner(project, history, sleep=lambda s: None).run_pipeline(p)[0]
    assert r.status == "invalid"
    row = history.get(r.run_id)
    assert row.status == "invalid" and row.finished is not None
    assert any("GONGKAI_SMTP_PORT" in e for e in row.detail["notify_errors"])


# -- 5. the HTTP cache ----------------------------------------------------------------------------------------

def test_a_tampered_cache_is_downloaded_again_after_a_304(tmp_path: Path, project: Project, history: History) -> None:
    body = village_csv(tmp_path / "v.csv").read_bytes()
    runner = Runner(project, history, sleep=lambda s: None)
    with SourceServer(body) as server:
        p = write_pipeline(tmp_path / "pipelines", "tampered", sources={VILLAGE: {"url": server.url}})
        assert runner.run_pipeline(p)[0].status == "released"
        cached = project.store.path / ".schedule" / "sources" / p.id / VILLAGE / server.name
        assert cached.read_bytes() == body
        cached.write_bytes(body.replace(b"4611.15", b"9999.99", 1))  # same size, other content
        r = runner.run_pipeline(p)[0]
        assert server.statuses() == [200, 304, 200]
        assert "If-None-Match" not in server.log[2][2]  # the repeat is unconditional
    assert r.status == "skipped" and cached.read_bytes() == body


@pytest.mark.parametrize(("url", "name"), [
    ("http://h/open/%E4%BD%8E%E4%BF%9D.csv", "低保.csv"),
    ("http://h/open/..%2F..%2F..%2Fescape.csv", "escape.csv"),
    ("http://h/open/%2F..%2F..%2Fetc%2Fcron.d%2Fx", "x"),
    ("http://h/open/a%5C..%5C..%5Cb.csv", f"{VILLAGE}-1.csv"),
    ("http://h/open/.hidden.csv", f"{VILLAGE}-1.csv"),
    ("http://h/open/..", f"{VILLAGE}-1"),
    ("http://h/", f"{VILLAGE}-1"),
])
def test_cache_names_cannot_leave_the_cache_directory(url: str, name: str) -> None:
    assert _name_from_url(url, VILLAGE, 0) == name


# -- 6. the dataset's own files in the fingerprint ------------------------------------------------------------

def test_a_corrected_spec_schema_or_suite_reruns_an_unchanged_source(tmp_path: Path, history: History) -> None:
    root = tmp_path / "project"
    for d in ("datasets", "schemas", "validation"):
        shutil.copytree(REPO / d, root / d)
    village_csv(tmp_path / "v.csv")
    p = write_pipeline(tmp_path / "pipelines", "refit", sources={VILLAGE: {"path": "../v.csv"}})

    def run() -> str:
        project = Project(root, store=tmp_path / "store")
        return Runner(project, history, sleep=lambda s: None).run_pipeline(p)[0].status

    assert run() == "released"
    assert run() == "skipped"
    spec = Project(root).spec(VILLAGE)
    files = [spec.path, spec.schema_path] + ([spec.quality_path] if spec.quality_path else [])
    for f in files:
        f.write_text(f.read_text(encoding="utf-8") + ("\n" if f.suffix != ".json" else " "), encoding="utf-8")
        assert run() != "skipped", f.name
        assert run() == "skipped"


# -- 8. markup and messages -----------------------------------------------------------------------------------

def test_free_text_is_not_read_as_markup(tmp_path: Path) -> None:
    from gongkai.cli import cli

    village_csv(tmp_path / "v.csv")
    write_pipeline(tmp_path / "pipelines", "markup", sources={VILLAGE: {"path": "../v.csv[/]"}})
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), "schedule", "once", "markup",
                                 "--pipelines", str(tmp_path / "pipelines")])
    assert r.exit_code == 1, r.output
    assert "../v.csv[/]" in r.output


def test_a_year_not_yet_started_says_so(project: Project) -> None:
    import datetime as dt

    from gongkai.schedule.compliance import build

    with pytest.raises(UsageError) as e:
        build(project, 2027, today=dt.date(2026, 11, 26))
    assert "2027 has not started yet" in str(e.value) and "--as-of" in (e.value.hint or "")
    assert "is not in" not in str(e.value)
