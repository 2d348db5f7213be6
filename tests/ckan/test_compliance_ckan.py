"""The compliance report published to the real local CKAN as a public dataset of its own."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import urllib.request
from pathlib import Path
from typing import Any

import ckanapi
import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.ckan.client import Client
from gongkai.cli import cli
from gongkai.schedule.compliance import build
from gongkai.schedule.compliance import publish as publish_report

from ..conftest import REPO
from ..schedule_support import VILLAGE, fake_release
from .conftest import CKAN_URL, TOKEN_FILE


@pytest.fixture
def project(tmp_path: Path) -> Project:
    store = tmp_path / "store"
    fake_release(store, "fund-allocations", "v1", "2025-10-30T08:00:00+00:00", "2025-09-26")  # on time
    fake_release(store, "fund-allocations", "v2", "2025-12-05T01:00:00+00:00", "2025-11-03")  # 4 working days late
    fake_release(store, VILLAGE, "v1", "2025-09-05T02:00:00+00:00")  # monthly: overdue from 2025-11-05
    return Project(REPO, store=store)


def client() -> Client:
    return Client(CKAN_URL, TOKEN_FILE.read_text(encoding="utf-8").strip())


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def test_published_for_the_public_and_republished_without_writes(project: Project, admin: ckanapi.RemoteCKAN,
                                                                 anonymous: ckanapi.RemoteCKAN, run_id: str) -> None:
    name = f"gongkai-compliance-test-{run_id}"
    report = build(project, 2025, as_of=dt.date(2025, 12, 31))
    try:
        first = publish_report(report, client(), "sheng-caizheng", name=name)
        assert first["writes"] == 5  # the dataset and four resources
        pkg = anonymous.action.package_show(id=name)
        assert pkg["private"] is False and pkg["organization"]["title"] == "省财政厅"
        assert pkg["title"] == "政府信息公开时效统计 2025" and pkg["date_published"] == "2025-12-31"
        res = {r["name"]: r for r in pkg["resources"]}
        assert sorted(res) == [f"compliance-2025.{e}" for e in ("csv", "html", "json", "md")]
        assert {r["format"] for r in res.values()} == {"CSV", "HTML", "JSON", "Markdown"}
        published = json.loads(download(res["compliance-2025.json"]["url"]))
        assert published == report.to_dict()
        funds = next(a for a in published["agencies"] if a["agency"] == "省财政厅" and a["domain"] == "poverty-alleviation")
        assert (funds["on_time"], funds["late"], funds["on_time_rate"]) == (1, 1, 0.5)
        assert published["overdue"][0]["dataset"] == VILLAGE
        assert "省财政厅" in download(res["compliance-2025.csv"]["url"]).decode("utf-8")

        again = publish_report(build(project, 2025, as_of=dt.date(2025, 12, 31)), client(), "sheng-caizheng", name=name)
        assert again["writes"] == 0
        later = build(project, 2025, as_of=dt.date(2025, 11, 10))
        changed = publish_report(later, client(), "sheng-caizheng", name=name)
        assert changed["writes"] == 5  # metadata (date) and the four files, replaced in place
        pkg = anonymous.action.package_show(id=name)
        assert len(pkg["resources"]) == 4 and pkg["date_published"] == "2025-11-10"
        json_url = next(r["url"] for r in pkg["resources"] if r["name"].endswith(".json"))
        assert json.loads(download(json_url))["as_of"] == "2025-11-10"
    finally:
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=name)


def test_cli_publish(project: Project, admin: ckanapi.RemoteCKAN, anonymous: ckanapi.RemoteCKAN) -> None:
    name = "gongkai-compliance-2025"
    with contextlib.suppress(ckanapi.NotFound):
        admin.action.dataset_purge(id=name)
    try:
        r = CliRunner().invoke(cli, ["--store", str(project.store.path), "compliance", "--year", "2025", "--publish",
                                     "--ckan-url", CKAN_URL, "--ckan-token-file", str(TOKEN_FILE)])
        assert r.exit_code == 0, r.output
        assert anonymous.action.package_show(id=name)["num_resources"] == 4
        r = CliRunner().invoke(cli, ["--store", str(project.store.path), "compliance", "--agency", "省财政厅",
                                     "--publish", "--ckan-url", CKAN_URL, "--ckan-token-file", str(TOKEN_FILE)])
        assert r.exit_code == 2 and "without --agency" in r.output
    finally:
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=name)


class _FailingUploads(Client):
    """A client whose second file upload fails (a network drop midway)."""

    tried = 0

    def call(self, action: str, data: dict | None = None, files: dict | None = None) -> Any:  # type: ignore[override]
        if action in ("resource_create", "resource_patch"):
            self.tried += 1
            if self.tried == 2:
                raise RuntimeError("connection lost")
        return super().call(action, data, files=files)


def test_a_failure_during_the_uploads_leaves_the_old_metadata(project: Project, admin: ckanapi.RemoteCKAN,
                                                              anonymous: ckanapi.RemoteCKAN, run_id: str) -> None:
    name = f"gongkai-compliance-partial-{run_id}"
    try:
        publish_report(build(project, 2025, as_of=dt.date(2025, 11, 10)), client(), "sheng-caizheng", name=name)
        failing = _FailingUploads(CKAN_URL, TOKEN_FILE.read_text(encoding="utf-8").strip())
        with pytest.raises(RuntimeError, match="connection lost"):
            publish_report(build(project, 2025, as_of=dt.date(2025, 12, 31)), failing, "sheng-caizheng", name=name)
        pkg = anonymous.action.package_show(id=name)
        assert pkg["date_published"] == "2025-11-10" and "截至 2025-11-10" in pkg["notes"]
        again = publish_report(build(project, 2025, as_of=dt.date(2025, 12, 31)), client(), "sheng-caizheng", name=name)
        assert again["writes"] == 4  # three files still to replace, then the metadata
        assert anonymous.action.package_show(id=name)["date_published"] == "2025-12-31"
    finally:
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=name)
