"""Several workers: `gongkai schedule run --queue` enqueues one RQ job per dataset on the local Redis, and two
`rq worker` processes run them; the per-dataset lease still allows one run of a dataset at a time."""

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
from redis import Redis
from rq import Queue

from gongkai import Project
from gongkai.schedule.history import History
from gongkai.schedule.workers import Dispatcher

from .conftest import REPO
from .schedule_support import VILLAGE, village_csv, write_pipeline

REDIS_URL = os.environ.get("GONGKAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
pytestmark = pytest.mark.redis
AID = "student-aid-recipients"
BIN = Path(sys.executable).parent


@pytest.fixture
def queue() -> Iterator[Queue]:
    q = Queue(f"gongkai-test-{uuid.uuid4().hex[:8]}", connection=Redis.from_url(REDIS_URL))
    yield q
    q.delete(delete_jobs=True)


def test_a_repeated_dispatch_is_not_queued_twice(tmp_path: Path, queue: Queue) -> None:
    p = write_pipeline(tmp_path / "pipelines", "queued-once", datasets=[VILLAGE, AID])
    d = Dispatcher(REDIS_URL, queue.name, Project(REPO, store=tmp_path / "store"), "sqlite:///x.sqlite")
    when = dt.datetime(2025, 10, 9, 0, 0, tzinfo=dt.UTC)
    assert len(d.enqueue(p, when)) == 2
    assert d.enqueue(p, when) == []
    assert queue.count == 2
    job = queue.jobs[0]
    assert job.func_name == "gongkai.schedule.runner.queued_run" and job.kwargs["pipeline_file"] == str(p.path)


def test_scheduler_enqueues_and_two_workers_run_the_pipelines(tmp_path: Path, queue: Queue) -> None:
    village_csv(tmp_path / "v.csv")
    pipelines = tmp_path / "pipelines"
    write_pipeline(pipelines, "queued-a", schedule="* * * * * */2", datasets=[VILLAGE, AID],
                   sources={VILLAGE: {"path": "../v.csv"}})
    write_pipeline(pipelines, "queued-b", schedule="* * * * * */2", sources={VILLAGE: {"path": "../v.csv"}})
    store, history_url = tmp_path / "store", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "GONGKAI_HISTORY_URL": history_url,
           "GONGKAI_PIPELINES": str(pipelines)}
    scheduler = subprocess.Popen([str(BIN / "gongkai"), "--store", str(store), "schedule", "run", "--queue", REDIS_URL,
                                  "--queue-name", queue.name], cwd=REPO, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and queue.count < 3 and scheduler.poll() is None:
            time.sleep(0.2)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        _, err = scheduler.communicate(timeout=60)
    assert scheduler.returncode == 0, err
    queued = queue.count
    assert queued >= 3  # one job per dataset and fire: a, a, b at least
    workers = [subprocess.Popen([str(BIN / "rq"), "worker", "--burst", "--url", REDIS_URL, "--name",
                                 f"w{i}-{uuid.uuid4().hex[:6]}", queue.name], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(2)]
    for w in workers:
        _, werr = w.communicate(timeout=300)
        assert w.returncode == 0, werr
    runs = History(history_url).runs(limit=100)
    assert len(runs) == queued and all(r.trigger == "queue" for r in runs)
    for dataset in (VILLAGE, AID):
        mine = [r for r in runs if r.dataset == dataset]
        assert [r.status for r in mine].count("released") == 1, [(r.pipeline, r.status) for r in mine]
        assert {r.status for r in mine} <= {"released", "skipped", "unchanged", "locked"}
        assert Project(REPO, store=store).store.versions(dataset) == ["v1"]


def test_a_history_password_never_goes_into_a_job(tmp_path: Path, queue: Queue) -> None:
    p = write_pipeline(tmp_path / "pipelines", "queued-secret")
    project = Project(REPO, store=tmp_path / "store")
    secret = Dispatcher(REDIS_URL, queue.name, project, "postgresql://gk:S3cret@db.example/runs")
    when = dt.datetime(2025, 10, 9, 0, 0, tzinfo=dt.UTC)
    secret.enqueue(p, when)
    job = queue.jobs[0]
    assert "history_url" not in job.kwargs and "S3cret" not in repr(job.kwargs)  # the worker's own env is used
    plain = Dispatcher(REDIS_URL, queue.name, project, "sqlite:///x.sqlite")
    plain.enqueue(p, when + dt.timedelta(minutes=1))
    assert queue.jobs[1].kwargs["history_url"] == "sqlite:///x.sqlite"
