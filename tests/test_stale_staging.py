"""A release killed during commit leaves a `.tmp-*` staging folder: verify names it, the next release removes it
(issue 14, finding 9)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gongkai import Project, verify

from .conftest import REPO, lottery_csv, unpartitioned

LOTTERY = "lottery-welfare-projects"

KILLED = """
import os, signal, sys
from pathlib import Path
from gongkai import Project
from gongkai.release.store import Store

def commit(self, dataset, staging, version):
    os.kill(os.getpid(), signal.SIGKILL)  # the files are staged, the version not yet renamed into place

Store.commit = commit
Project(sys.argv[1], store=sys.argv[2]).release(sys.argv[3], [Path(sys.argv[4])])
"""


def test_a_sigkill_during_commit_is_reported_then_swept(tmp_path: Path, lottery_rows: list[dict[str, object]]) -> None:
    p = unpartitioned(tmp_path)  # lottery-welfare-projects as an ordinary dataset: rows of many counties in one file
    store = p.store.path
    assert p.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:10])]).version == "v1"
    source = lottery_csv(tmp_path, lottery_rows[:12], "v2.csv")
    killed = subprocess.run([sys.executable, "-c", KILLED, str(p.root), str(store), LOTTERY, str(source)])
    assert killed.returncode == -9
    left = sorted((store / LOTTERY).glob(".tmp-*"))
    assert len(left) == 1 and any(left[0].iterdir())
    assert p.store.stale_staging(LOTTERY) == left

    for where in (store / LOTTERY, store / LOTTERY / "v1"):
        result = verify(where)
        assert not result.ok
        assert [m for m in result.problems if left[0].name in m and "unfinished release" in m], result.problems

    assert p.release(LOTTERY, [source]).version == "v2"
    assert not list((store / LOTTERY).glob(".tmp-*"))
    assert verify(store / LOTTERY).ok


def test_the_lock_alone_sweeps(tmp_path: Path) -> None:
    """Any locked write of the dataset sweeps, not only a release; other datasets' folders are left alone."""
    p = Project(REPO, store=tmp_path / "store")
    planted = p.store.dataset_dir(LOTTERY) / ".tmp-0123456789ab"
    other = p.store.dataset_dir("fund-allocations") / ".tmp-ba9876543210"
    for d in (planted, other):
        d.mkdir(parents=True)
        (d / "data.csv").write_text("x\n")
    with p.store.lock(LOTTERY):
        assert not planted.exists()
    assert other.exists()
