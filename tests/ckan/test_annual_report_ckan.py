"""The annual report published to the real local CKAN, into the agency's own dataset of annual reports."""

from __future__ import annotations

import contextlib
import urllib.request
from pathlib import Path

import ckanapi
import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.ckan.client import Client
from gongkai.cli import cli
from gongkai.schedule.annual import build, dataset_name, publish

from ..conftest import REPO
from .conftest import CKAN_URL, TOKEN_FILE


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(REPO, store=tmp_path / "store")
    assert p.release("information-requests").status == "released"
    return p


def client() -> Client:
    return Client(CKAN_URL, TOKEN_FILE.read_text(encoding="utf-8").strip())


def test_published_in_the_agency_organization_and_republished_without_writes(
        project: Project, admin: ckanapi.RemoteCKAN, anonymous: ckanapi.RemoteCKAN, run_id: str) -> None:
    name = f"annual-reports-test-{run_id}"
    report = build(project, "省财政厅", 2026)
    try:
        first = publish(report, client(), name=name)
        assert first["writes"] == 4  # the dataset and three resources
        pkg = anonymous.action.package_show(id=name)
        assert pkg["private"] is False and pkg["organization"]["title"] == "省财政厅"
        assert pkg["title"] == "省财政厅政府信息公开工作年度报告" and pkg["update_frequency"] == "yearly"
        res = {r["name"]: r for r in pkg["resources"]}
        assert sorted(res) == [f"annual-report-2026.{e}" for e in ("csv", "html", "md")]
        with urllib.request.urlopen(res["annual-report-2026.md"]["url"], timeout=60) as r:
            assert r.read().decode("utf-8") == report.to_markdown()
        assert publish(build(project, "省财政厅", 2026), client(), name=name)["writes"] == 0
        other_year = publish(build(project, "省财政厅", 2025), client(), name=name)
        assert other_year["writes"] == 3  # a year more: three new resources beside 2026's
        assert anonymous.action.package_show(id=name)["num_resources"] == 6
    finally:
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=name)


def test_cli_publish(project: Project, admin: ckanapi.RemoteCKAN, anonymous: ckanapi.RemoteCKAN) -> None:
    name = dataset_name("sheng-caizheng")
    with contextlib.suppress(ckanapi.NotFound):
        admin.action.dataset_purge(id=name)
    try:
        r = CliRunner().invoke(cli, ["--store", str(project.store.path), "annual-report", "--agency", "省财政厅",
                                     "--year", "2026", "--publish", "--ckan-url", CKAN_URL,
                                     "--ckan-token-file", str(TOKEN_FILE)])
        assert r.exit_code == 0, r.output
        assert f"/dataset/{name}" in r.output and "4 write(s)" in r.output
        assert anonymous.action.package_show(id=name)["num_resources"] == 3
    finally:
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=name)
