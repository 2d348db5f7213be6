"""A scheduled pipeline whose target is the real local CKAN: it republishes when its source changes, makes no call
at all when it does not, and a CKAN outage leaves the catalog's current version as it was until the next run."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import pytest

from gongkai import Project
from gongkai.ckan.client import Client
from gongkai.schedule.history import History
from gongkai.schedule.runner import Runner

from ..conftest import REPO
from ..schedule_support import VILLAGE, SourceServer, village_csv, write_pipeline
from .conftest import CKAN_URL, TOKEN_FILE


@pytest.fixture
def project(tmp_path: Path, admin: ckanapi.RemoteCKAN) -> Iterator[Project]:
    def purge() -> None:
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=VILLAGE)

    purge()
    yield Project(REPO, store=tmp_path / "store")
    purge()


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pipeline_republishes_to_ckan_only_when_the_source_changes(tmp_path: Path, project: Project,
                                                                   anonymous: ckanapi.RemoteCKAN) -> None:
    clients: list[Client] = []
    ckan_down = False

    def factory(url: str, token: str | None) -> Client:
        c = Client(f"http://127.0.0.1:{dead_port()}" if ckan_down else url, token, retries=0)
        clients.append(c)
        return c

    history = History(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    runner = Runner(project, history, sleep=lambda s: None, client_factory=factory)
    with SourceServer(village_csv(tmp_path / "v.csv").read_bytes()) as server:
        p = write_pipeline(tmp_path / "pipelines", "to-ckan", sources={VILLAGE: {"url": server.url}},
                           target={"kind": "ckan", "url": CKAN_URL, "token_file": str(TOKEN_FILE)},
                           retry={"attempts": 2, "backoff_seconds": 1})
        first = runner.run_pipeline(p)[0]
        assert (first.status, first.versions, first.detail["ckan"]["status"]) == ("released", ["v1"], "create")
        assert anonymous.action.package_show(id=VILLAGE)["current_version"] == "v1"

        unchanged = runner.run_pipeline(p)[0]
        assert unchanged.status == "skipped" and len(clients) == 1  # a 304, and not a single call to CKAN

        server.body = village_csv(tmp_path / "v.csv", change="4711.00").read_bytes()
        second = runner.run_pipeline(p)[0]
        assert (second.status, second.versions, second.detail["ckan"]["status"]) == ("released", ["v2"], "update")
        pkg = anonymous.action.package_show(id=VILLAGE)
        assert pkg["current_version"] == "v2"
        assert {r["version"] for r in pkg["resources"]} == {"v1", "v2"}

        server.body = village_csv(tmp_path / "v.csv", change="4811.00").read_bytes()
        ckan_down = True
        down = runner.run_pipeline(p)[0]
        assert (down.status, down.attempts, down.versions) == ("failed", 2, ["v3"])  # released here, not published
        assert "CKAN" in (down.error or "")
        assert anonymous.action.package_show(id=VILLAGE)["current_version"] == "v2"  # the catalog is untouched

        ckan_down = False
        back = runner.run_pipeline(p)[0]  # same source, but its publication never completed: not skipped
        assert back.status == "unchanged" and back.detail["ckan"]["status"] == "update"
        assert anonymous.action.package_show(id=VILLAGE)["current_version"] == "v3"
        assert runner.run_pipeline(p)[0].status == "skipped"
    history.dispose()
