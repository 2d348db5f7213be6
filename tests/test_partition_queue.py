"""Fifty counties' submissions into one partitioned dataset through pipelines on two RQ workers: each is in the
result exactly once, and none is lost when two counties submit at the same moment."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from gongkai import Project
from gongkai.identifiers import REGION_CODES
from gongkai.schedule.history import History
from gongkai.schedule.workers import Dispatcher

from .conftest import REPO, project_copy, strip_partition
from .schedule_support import write_pipeline

REDIS_URL = os.environ.get("GONGKAI_TEST_PARTITION_REDIS_URL", "redis://127.0.0.1:6379/14")
pytestmark = pytest.mark.redis
DS = "dibao-county-monthly"
COUNTIES = 50
HEADER = ["统计年度", "月份", "县（市、区）", "行政区划代码", "城市低保户数", "城市低保人数", "城市低保支出（元）",
          "农村低保户数", "农村低保人数", "农村低保支出（元）"]


@pytest.fixture
def queue() -> Iterator[Queue]:
    q = Queue(f"gongkai-test-{uuid.uuid4().hex[:8]}", connection=Redis.from_url(REDIS_URL))
    yield q
    q.delete(delete_jobs=True)
    q.connection.delete(f"rq:finished:{q.name}")
    for pattern in ("rq:job:county-*", "rq:results:county-*"):  # finished jobs and their results are kept 7 days
        for key in q.connection.scan_iter(pattern):
            q.connection.delete(key)


def counties() -> list[tuple[str, str]]:
    """Fifty current county-level codes of the official GB/T 2260 list, with their names."""
    with open(REGION_CODES, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["level"] == "county" and not r["valid_to"]]
    return [(r["code"], r["name"]) for r in rows[:COUNTIES]]


def test_fifty_counties_on_two_workers_lose_no_update(tmp_path: Path, queue: Queue) -> None:
    root = project_copy(tmp_path)
    strip_partition(root, DS, keep_field=True)  # no registry: a pipeline submits without --submitter
    project = Project(root, store=tmp_path / "store")
    history_url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    dispatcher = Dispatcher(REDIS_URL, queue.name, project, history_url)
    when = dt.datetime(2025, 12, 2, 0, 0, tzinfo=dt.UTC)  # every county's pipeline fires at the same moment
    files = tmp_path / "counties"
    files.mkdir()
    codes = counties()
    assert len(codes) == COUNTIES
    for i, (code, name) in enumerate(codes):
        with open(files / f"{code}.csv", "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([HEADER, [2025, 11, name, code, 300 + i, 500 + i, 340000 + i, 4800 + i,
                                              13000 + i, 5400000 + i]])
        p = write_pipeline(tmp_path / "pipelines", f"county-{code}", datasets=[DS],
                           sources={DS: {"path": f"../counties/{code}.csv"}})
        assert len(dispatcher.enqueue(p, when)) == 1
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "GONGKAI_HISTORY_URL": history_url}
    workers = [subprocess.Popen([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--url", REDIS_URL,
                                 "--worker-class", "rq.worker.SimpleWorker", "--name",
                                 f"w{i}-{uuid.uuid4().hex[:6]}", queue.name], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(2)]
    for w in workers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
    runs = History(history_url).runs(limit=200)
    assert len(runs) == COUNTIES
    assert [r.status for r in runs].count("released") == COUNTIES, sorted({(r.status, r.error) for r in runs})
    spans = sorted((r.started, r.finished or r.started) for r in runs)
    assert any(b[0] < a[1] for a, b in itertools.pairwise(spans))  # the two workers' runs overlapped
    versions = project.store.versions(DS)
    assert len(versions) == COUNTIES  # one version per submission, none overwritten
    latest = project.store.manifest(DS, versions[-1])
    assert sorted(e["partition"] for e in latest["partitions"]) == sorted(c for c, _ in codes)
    assert latest["row_count"] == COUNTIES
    changed = [c["partition"] for v in versions for c in project.store.manifest(DS, v)["partitions_changed"]]
    assert sorted(changed) == sorted(c for c, _ in codes)  # each submission in exactly one version
    counts = [project.store.manifest(DS, v)["row_count"] for v in versions]
    assert counts == list(range(1, COUNTIES + 1))  # each version holds every earlier county's: no update lost
