"""At most one run per dataset, and no lock a crashed run can leave stuck: on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongkai import Project, verify
from gongkai.schedule.history import History, leases, utcnow
from gongkai.schedule.runner import Runner
from gongkai.urls import engine_url

from .conftest import REPO
from .schedule_support import VILLAGE, SourceServer, village_csv, write_pipeline

PG_URL = os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh run history: a SQLite file, or a schema of its own in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.sqlite'}"
        return
    schema = f"gk_hist_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(engine_url(PG_URL))
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_history_records_runs(history_url: str) -> None:
    h = History(history_url)
    run_id = h.start("p-one", VILLAGE, "once")
    assert h.get(run_id).status == "running"
    h.finish(run_id, "released", versions=["v3"], attempts=2, error=None, detail={"source": [{"status": "read"}]})
    r = h.get(run_id)
    assert (r.status, r.versions, r.attempts, r.detail["source"][0]["status"]) == ("released", ["v3"], 2, "read")
    assert r.finished is not None and r.finished >= r.started
    h.record("p-one", VILLAGE, "schedule", "locked", "busy")
    assert [x.status for x in h.runs("p-one")] == ["locked", "released"]
    assert [x.status for x in h.runs(status="released")] == ["released"]
    assert h.claim_notice("k") is True and h.claim_notice("k") is False
    h.dispose()


def test_a_killed_run_leaves_no_stuck_lock(tmp_path: Path, history_url: str) -> None:
    """A run is SIGKILLed while it waits for its source; the next run proceeds at once and records the crash."""
    body = village_csv(tmp_path / "v.csv").read_bytes()
    with SourceServer(body) as server:
        server.mode = "hang"
        write_pipeline(tmp_path / "pipelines", "killed", sources={VILLAGE: {"url": server.url}}, timeout_seconds=120,
                       lease_seconds=3600)  # only the dead process id can free it quickly
        store = tmp_path / "store"
        env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "GONGKAI_HISTORY_URL": history_url}
        proc = subprocess.Popen([str(Path(sys.executable).parent / "gongkai"), "--store", str(store), "schedule", "once",
                                 "killed", "--pipelines", str(tmp_path / "pipelines")],
                                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        history = History(history_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not server.log:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.1)
        held = history.holder(VILLAGE)
        assert held is not None and held["pid"] == proc.pid
        running = history.runs(dataset=VILLAGE)
        assert [r.status for r in running] == ["running"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        server.mode = "ok"
        project = Project(REPO, store=store)
        p = write_pipeline(tmp_path / "pipelines", "killed", sources={VILLAGE: {"url": server.url}}, lease_seconds=3600)
        result = Runner(project, history).run_pipeline(p)[0]
    assert (result.status, result.versions) == ("released", ["v1"])
    crashed = history.get(running[0].id)
    assert crashed.status == "crashed" and f"process {proc.pid}" in (crashed.error or "")
    assert history.holder(VILLAGE) is None  # released at the end of the run
    assert verify(store / VILLAGE).ok
    history.dispose()


def test_a_live_run_blocks_a_second_one(tmp_path: Path, history_url: str) -> None:
    history = History(history_url)
    lease = history.acquire(VILLAGE, 60)
    assert lease is not None
    p = write_pipeline(tmp_path / "pipelines", "blocked", sources={VILLAGE: {"path": "../v.csv"}})
    village_csv(tmp_path / "v.csv")
    project = Project(REPO, store=tmp_path / "store")
    r = Runner(project, history).run_pipeline(p)[0]
    assert r.status == "locked" and f"process {os.getpid()}" in (r.error or "")
    assert project.store.versions(VILLAGE) == []
    lease.release()
    assert Runner(project, history).run_pipeline(p)[0].status == "released"
    history.dispose()


def test_a_lease_of_another_host_is_taken_over_only_when_expired(history_url: str) -> None:
    history = History(history_url)
    now = utcnow()
    with history.engine.begin() as c:
        c.execute(leases.insert().values(dataset=VILLAGE, holder="elsewhere:4242:abc", host="elsewhere", pid=4242,
                                         run_id=None, acquired=now, expires=now + dt.timedelta(seconds=60)))
    assert history.acquire(VILLAGE, 60) is None  # alive, as far as anyone here can tell
    with history.engine.begin() as c:
        c.execute(leases.update().values(expires=now - dt.timedelta(seconds=1)))
    lease = history.acquire(VILLAGE, 60)
    assert lease is not None and history.holder(VILLAGE)["holder"] == lease.holder  # type: ignore[index]
    history.dispose()


def test_the_heartbeat_keeps_a_lease_and_a_stopped_one_expires(history_url: str) -> None:
    history = History(history_url)
    lease = history.acquire(VILLAGE, 2)
    assert lease is not None
    with lease.heartbeat():
        time.sleep(4.5)  # more than twice the lease: only the heartbeat keeps it
        assert history.holder(VILLAGE)["expires"] > utcnow()  # type: ignore[index]
        assert not lease.lost
    assert history.holder(VILLAGE) is None
    stale = history.acquire(VILLAGE, 1)  # never renewed
    assert stale is not None
    with history.engine.begin() as c:  # pretend its holder is on another host, so only the expiry can free it
        c.execute(leases.update().values(host="elsewhere"))
    assert history.acquire(VILLAGE, 1) is None
    time.sleep(2.2)
    assert history.acquire(VILLAGE, 1) is not None
    history.dispose()
