"""Withdrawal end to end on the real local CKAN: the withdrawn files are gone from the catalog (and its storage)
and from the store, the chain verifies, the previous version is current again and downloads intact."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import ckanapi
import pytest
from click.testing import CliRunner

from gongkai import Project, verify
from gongkai.ckan.publish import Publisher
from gongkai.ckan.remote import CkanReleases, download_release
from gongkai.cli import cli
from gongkai.errors import UsageError
from gongkai.files import sha256_file

from ..conftest import REPO, lottery_csv
from .conftest import CKAN_URL, TOKEN_FILE
from .test_publish import LOTTERY, client, project, publish  # noqa: F401 (the project fixture)

STORAGE = REPO / "ckan_config" / ".local" / "storage" / "resources"
ID = "532122196308142280"


def status(url: str) -> int:
    req = urllib.request.Request(url, headers={"Authorization": TOKEN_FILE.read_text(encoding="utf-8").strip()})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            return int(r.status)
    except urllib.error.HTTPError as e:
        return e.code


def stored(resource_id: str) -> Path:
    return STORAGE / resource_id[:3] / resource_id[3:6] / resource_id[6:]


def test_withdraw_current_version_on_the_catalog(project: Project, admin: ckanapi.RemoteCKAN,  # noqa: F811
                                                 tmp_path: Path, lottery_rows: list,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:60], "60.csv")])
    assert project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:80], "80.csv")]).version == "v2"
    publish(project, [LOTTERY])
    before = {r["name"]: r for r in admin.action.package_show(id=LOTTERY)["resources"]}
    v2_files = {n: r for n, r in before.items() if n.startswith("v2 ") and n != "v2 manifest.json"}
    assert v2_files["v2 data.csv"]["datastore_active"] and stored(v2_files["v2 data.csv"]["id"]).is_file()

    monkeypatch.setenv("CKAN_URL", CKAN_URL)
    monkeypatch.setenv("CKAN_API_TOKEN_FILE", str(TOKEN_FILE))
    monkeypatch.setenv("GONGKAI_PROJECT", str(project.root))  # the lottery dataset unpartitioned, as released
    out = CliRunner().invoke(cli, ["--store", str(project.store.path), "--json", "withdraw", LOTTERY, "v2",
                                   "--reason", f"第 5 行公开了身份证号 {ID}", "--by", "省民政厅 信息公开办", "--publish"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["current"] == "v1"

    pkg = admin.action.package_show(id=LOTTERY)
    names = {r["name"]: r for r in pkg["resources"]}
    assert not set(v2_files) & set(names)  # every data file, report and changelog of v2 is gone
    assert {"v2 manifest.json", "v2 withdrawal.json"} <= set(names)
    for r in v2_files.values():  # not downloadable, and not left in the server's storage either
        assert status(r["url"]) == 404, r["name"]
        assert not stored(r["id"]).exists(), r["name"]
    with pytest.raises(ckanapi.NotFound):
        admin.action.datastore_search(resource_id=v2_files["v2 data.csv"]["id"])
    assert pkg["current_version"] == "v1" and pkg["row_count"] == "60"
    assert pkg["sha256"] == sha256_file(project.store.release_dir(LOTTERY, "v1") / "manifest.json")
    v1_csv = names["v1 data.csv"]
    assert v1_csv["datastore_active"]
    assert admin.action.datastore_search(resource_id=v1_csv["id"], limit=0)["total"] == 60
    tomb = (project.store.release_dir(LOTTERY, "v2") / "withdrawal.json").read_text(encoding="utf-8")
    assert ID not in tomb

    # the store: v2 holds only its manifest and tombstone; the whole chain verifies
    assert sorted(p.name for p in project.store.release_dir(LOTTERY, "v2").iterdir()) == ["manifest.json",
                                                                                         "withdrawal.json"]
    result = verify(project.store.dataset_dir(LOTTERY))
    assert result.ok and result.withdrawn, result.problems

    # anyone: the current version downloads and verifies, and equals the store's v1
    releases = CkanReleases(CKAN_URL, TOKEN_FILE.read_text(encoding="utf-8").strip(), tmp_path / "cache")
    got = download_release(releases, LOTTERY, None, tmp_path / "dl")
    assert got.name == "v1" and verify(got).ok
    local = project.store.release_dir(LOTTERY, "v1")
    assert (got / "data.csv").read_bytes() == (local / "data.csv").read_bytes()

    with pytest.raises(UsageError, match="已撤回"):
        download_release(releases, LOTTERY, "v2", tmp_path / "dl2")

    # publishing again changes nothing
    assert Publisher(project.store, client()).plan(project.spec(LOTTERY)).status == "unchanged"


def test_withdraw_a_middle_version_keeps_the_chain_readable(project: Project, admin: ckanapi.RemoteCKAN,  # noqa: F811
                                                           tmp_path: Path, lottery_rows: list) -> None:
    """v2 of three withdrawn: v3 stays current, and v1 still downloads, checked through v2's kept manifest."""
    for n in (60, 70, 80):
        project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:n], f"{n}.csv")])
    publish(project, [LOTTERY])
    project.withdraw(LOTTERY, "v2", "测试撤回")
    plan = Publisher(project.store, client()).plan(project.spec(LOTTERY))
    assert {s.kind for s in plan.steps} == {"withdraw-resource", "upload"}  # v3 stays current: no load, no switch
    publish(project, [LOTTERY])
    pkg = admin.action.package_show(id=LOTTERY)
    assert pkg["current_version"] == "v3"
    assert sorted(r["name"] for r in pkg["resources"] if r["version"] == "v2") == ["v2 manifest.json",
                                                                                   "v2 withdrawal.json"]
    releases = CkanReleases(CKAN_URL, TOKEN_FILE.read_text(encoding="utf-8").strip(), tmp_path / "cache")
    assert [v for v, _ in releases.versions(LOTTERY)] == ["v1", "v3"]
    got = download_release(releases, LOTTERY, "v1", tmp_path / "dl")
    assert verify(got).ok
    assert (got / "data.csv").read_bytes() == (project.store.release_dir(LOTTERY, "v1") / "data.csv").read_bytes()


def test_the_withdraw_action_needs_delete_rights(project: Project, admin: ckanapi.RemoteCKAN,  # noqa: F811
                                                 anonymous: ckanapi.RemoteCKAN) -> None:
    project.release(LOTTERY)
    publish(project, [LOTTERY])
    csv = next(r for r in admin.action.package_show(id=LOTTERY)["resources"] if r["name"] == "v1 data.csv")
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.call_action("gongkai_resource_withdraw", {"id": csv["id"]})
    assert stored(csv["id"]).is_file() and admin.action.resource_show(id=csv["id"])["state"] == "active"
