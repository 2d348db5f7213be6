"""gongkai publish against the real local CKAN: plan, apply, idempotence, versions, DataStore, faults, auth."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import duckdb
import pytest

from gongkai import Project, verify
from gongkai.ckan.client import Client
from gongkai.ckan.publish import Publisher, release_files
from gongkai.errors import CkanUnavailable, NotAuthorized

from ..conftest import REPO, lottery_csv, unpartitioned
from .conftest import CKAN_URL, TOKEN_FILE

LOTTERY, FUNDS, FACILITIES = "lottery-welfare-projects", "fund-allocations", "culture-sports-facilities"
SCRIPT = REPO / "ckan_config" / "local-ckan"


@pytest.fixture
def project(tmp_path: Path, admin: ckanapi.RemoteCKAN) -> Iterator[Project]:
    """A fresh store with the catalog's copies of its datasets purged before and after; lottery-welfare-projects
    as an ordinary dataset (these tests release rows of many counties in one file)."""
    p = unpartitioned(tmp_path)

    def purge() -> None:
        for spec in p.specs:
            with contextlib.suppress(ckanapi.NotFound):
                admin.action.dataset_purge(id=spec.id)

    purge()
    yield p
    purge()


def client(**kw: object) -> Client:
    return Client(CKAN_URL, TOKEN_FILE.read_text(encoding="utf-8").strip(), **kw)  # type: ignore[arg-type]


def publish(project: Project, ids: list[str], c: Client | None = None) -> Client:
    c = c or client()
    pub = Publisher(project.store, c)
    for d in ids:
        spec = project.spec(d)
        pub.apply(spec, pub.plan(spec))
    return c


def n_files(project: Project, dataset: str, *versions: str) -> int:
    """How many files the releases hold: every one is uploaded (code lists and data.xlsx too)."""
    return sum(len(release_files(project.store.release_dir(dataset, v))) for v in versions)


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def test_department_parts_are_published_by_their_assemblers(project: Project,
                                                            anonymous: ckanapi.RemoteCKAN) -> None:
    """Each department submits its part; the whole goes to the assembler's organization and its domain's group."""
    ids = ["department-budgets", "information-requests"]
    for d in ids:
        assert project.release(d).status == "released"
    publish(project, ids)
    got = {d: anonymous.action.package_show(id=d) for d in ids}
    assert {d: (p["organization"]["title"], p["domain"], [g["name"] for g in p["groups"]]) for d, p in got.items()} == {
        "department-budgets": ("省财政厅", "budget", ["budget"]),
        "information-requests": ("省人民政府办公厅", "open-government", ["open-government"])}


def test_publish_then_republish_makes_no_writes(project: Project, admin: ckanapi.RemoteCKAN,
                                                anonymous: ckanapi.RemoteCKAN) -> None:
    ids = [LOTTERY, FUNDS, "dibao-recipients"]
    for d in ids:
        assert project.release(d).status == "released"
    first = publish(project, ids)
    assert first.uploads == sum(n_files(project, d, "v1") for d in ids) and first.writes > 0
    for d in ids:
        pkg = anonymous.action.package_show(id=d)
        assert pkg["current_version"] == "v1" and pkg["private"] is False
        assert pkg["organization"]["title"] == project.spec(d).publisher.name
        assert [g["name"] for g in pkg["groups"]] == [project.spec(d).domain]
        assert pkg["row_count"] == str(project.store.manifest(d, "v1")["row_count"])
    again = client()
    pub = Publisher(project.store, again)
    plans = [pub.plan(project.spec(d)) for d in ids]
    assert [p.status for p in plans] == ["unchanged"] * 3
    for d, p in zip(ids, plans, strict=True):
        pub.apply(project.spec(d), p)
    assert again.writes == 0 and again.uploads == 0, again.calls
    assert set(again.calls) <= {"organization_list_for_user", "package_show"}


def test_datastore_typed_by_schema_with_dictionary(project: Project, admin: ckanapi.RemoteCKAN) -> None:
    project.release(LOTTERY)
    publish(project, [LOTTERY])
    csv = next(r for r in admin.action.package_show(id=LOTTERY)["resources"] if r["name"] == "v1 data.csv")
    info = admin.action.datastore_info(id=csv["id"])
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert types["amount_allocated"] == "numeric" and types["start_date"] == "date" and types["year"] == "int4"
    assert types["project_id"] == "text"
    labels = {f["id"]: f.get("info", {}).get("label") for f in info["fields"]}
    assert labels["amount_allocated"] == "下达资金"
    assert admin.action.datastore_search(resource_id=csv["id"], limit=0)["total"] == 80
    import time

    deadline = time.monotonic() + 60  # CKAN's worker fills the full-text column right after the COPY
    while not admin.action.datastore_search(resource_id=csv["id"], q="已完成", limit=1)["records"]:
        assert time.monotonic() < deadline, "full-text search never found the loaded rows"
        time.sleep(0.5)
    with pytest.raises(ckanapi.ValidationError):  # the primary key really is one
        admin.action.datastore_upsert(resource_id=csv["id"], method="insert", force=True,
                                      records=[{"project_id": "CP2025-0001", "year": 2025}])


def test_on_request_is_private_and_not_disclosed_is_refused(project: Project, anonymous: ckanapi.RemoteCKAN) -> None:
    spec = project.spec(FACILITIES)
    project.specs.by_id[FACILITIES] = spec.model_copy(update={"disclosure": "依申请公开"})
    project.release(FACILITIES)
    publish(project, [FACILITIES])
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_show(id=FACILITIES)
    assert FACILITIES not in {r["name"] for r in anonymous.action.package_search(q="公共文化体育设施", rows=100)["results"]}
    project.specs.by_id[FACILITIES] = spec.model_copy(update={"disclosure": "不予公开"})
    c = client()
    plan = Publisher(project.store, c).plan(project.spec(FACILITIES))
    assert plan.status == "refused" and "不予公开" in plan.reasons[0] and not c.calls


def test_new_version_switches_and_old_stays_downloadable(project: Project, admin: ckanapi.RemoteCKAN,
                                                         tmp_path: Path, lottery_rows: list) -> None:
    project.release(LOTTERY)
    publish(project, [LOTTERY])
    v1_csv = next(r for r in admin.action.package_show(id=LOTTERY)["resources"] if r["name"] == "v1 data.csv")
    assert project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:60])]).version == "v2"
    plan = Publisher(project.store, client()).plan(project.spec(LOTTERY))
    assert plan.status == "update" and {s.kind for s in plan.steps} == {"upload", "load-datastore", "update-metadata",
                                                                        "drop-old-table"}
    publish(project, [LOTTERY])
    pkg = admin.action.package_show(id=LOTTERY)
    assert pkg["current_version"] == "v2" and pkg["row_count"] == "60"
    n = n_files(project, LOTTERY, "v1", "v2")
    assert len(pkg["resources"]) == n and len({r["name"] for r in pkg["resources"]}) == n
    m1 = project.store.manifest(LOTTERY, "v1")
    assert hashlib.sha256(download(v1_csv["url"])).hexdigest() == m1["files"]["data.csv"]["sha256"]
    v2_csv = next(r for r in pkg["resources"] if r["name"] == "v2 data.csv")
    assert v2_csv["datastore_active"] and not next(r for r in pkg["resources"] if r["id"] == v1_csv["id"])["datastore_active"]
    assert admin.action.datastore_search(resource_id=v2_csv["id"], limit=0)["total"] == 60


def test_verified_by_a_real_client(project: Project, admin: ckanapi.RemoteCKAN, tmp_path: Path) -> None:
    project.release(FUNDS)
    publish(project, [FUNDS])
    ckanapi_cli = Path(sys.executable).parent / "ckanapi"  # the ckanapi command line, installed with gongkai
    out = subprocess.run([str(ckanapi_cli), "action", "package_show", f"id={FUNDS}", "-r", CKAN_URL],
                         capture_output=True, text=True, timeout=60)
    dumped = json.loads(out.stdout)
    assert dumped["current_version"] == "v1" and dumped["publisher"] == "省财政厅"
    local = project.store.release_dir(FUNDS, "v1")
    download_dir = tmp_path / "download" / FUNDS / "v1"
    download_dir.mkdir(parents=True)
    for r in dumped["resources"]:
        name = r["name"].split(" ", 1)[1]
        (download_dir / name).write_bytes(download(r["url"]))
    assert verify(download_dir).ok
    csv = next(r for r in dumped["resources"] if r["name"] == "v1 data.csv")
    sql = f'SELECT fund, level, sum(amount) AS total FROM "{csv["id"]}" GROUP BY fund, level ORDER BY fund, level'
    remote = {(r["fund"], r["level"]): round(float(r["total"]), 2)
              for r in admin.action.datastore_search_sql(sql=sql)["records"]}
    rows = duckdb.connect().execute(f"SELECT fund, level, round(sum(amount), 2) FROM read_parquet('{local / 'data.parquet'}') "
                                    "GROUP BY 1, 2").fetchall()
    assert remote == {(f, lvl): t for f, lvl, t in rows}


def test_token_of_another_organization_is_refused(project: Project, admin: ckanapi.RemoteCKAN, run_id: str) -> None:
    name = f"pub-editor-{run_id}"
    admin.action.user_create(name=name, email=f"{name}@gongkai.invalid", password="Gongkai-test-" + run_id * 2)
    admin.action.organization_member_create(id="xianggelila-minzheng", username=name, role="editor")
    token = admin.action.api_token_create(user=name, name="tests")["token"]
    try:
        project.release(LOTTERY)
        c = Client(CKAN_URL, token)
        with pytest.raises(NotAuthorized, match="not authorized for organization 省民政厅"):
            publish(project, [LOTTERY], c)
        assert c.writes == 0
        with pytest.raises(ckanapi.NotFound):
            admin.action.package_show(id=LOTTERY)
        assert str(c).startswith("Client(") and token not in repr(c)
    finally:
        admin.action.user_delete(id=name)


class DiesAfter(Client):
    """Kills the real CKAN server right after the n-th upload."""

    def __init__(self, n: int) -> None:
        super().__init__(CKAN_URL, TOKEN_FILE.read_text(encoding="utf-8").strip(), retries=1, backoff=0.2, timeout=10)
        self.n = n

    def call(self, action, data=None, files=None):  # type: ignore[no-untyped-def]
        result = super().call(action, data, files)
        if files and self.uploads == self.n:
            pid = int((REPO / "ckan_config" / ".local" / "ckan.pid").read_text())
            os.kill(pid, 9)
        return result


def test_ckan_dying_mid_publish_keeps_previous_version_and_rerun_converges(
        project: Project, tmp_path: Path, lottery_rows: list) -> None:
    project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:50])])
    publish(project, [LOTTERY])
    project.release(LOTTERY)  # v2: all 80 rows
    try:
        with pytest.raises(CkanUnavailable, match="run the same command again"):
            publish(project, [LOTTERY], DiesAfter(3))
    finally:
        subprocess.run(["bash", str(SCRIPT), "up"], check=True, capture_output=True, timeout=300)
    admin = ckanapi.RemoteCKAN(CKAN_URL, apikey=TOKEN_FILE.read_text(encoding="utf-8").strip())
    pkg = admin.action.package_show(id=LOTTERY)
    assert pkg["current_version"] == "v1" and pkg["row_count"] == "50"  # the public version is untouched
    v1_csv = next(r for r in pkg["resources"] if r["name"] == "v1 data.csv")
    assert download(v1_csv["url"]) == (project.store.release_dir(LOTTERY, "v1") / "data.csv").read_bytes()
    assert admin.action.datastore_search(resource_id=v1_csv["id"], limit=0)["total"] == 50
    publish(project, [LOTTERY])
    pkg = admin.action.package_show(id=LOTTERY)
    assert pkg["current_version"] == "v2" and pkg["row_count"] == "80"
    names = [r["name"] for r in pkg["resources"]]
    assert len(names) == len(set(names)) == n_files(project, LOTTERY, "v1", "v2")  # no duplicates after the retry
    assert len(admin.action.organization_list()) == len(set(admin.action.organization_list()))
    assert Publisher(project.store, client()).plan(project.spec(LOTTERY)).status == "unchanged"


def test_cli_plan_then_publish(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from gongkai.cli import cli

    monkeypatch.setenv("CKAN_URL", CKAN_URL)
    monkeypatch.setenv("CKAN_API_TOKEN_FILE", str(TOKEN_FILE))
    store = str(project.store.path)
    runner = CliRunner()
    assert runner.invoke(cli, ["--store", store, "release", FUNDS]).exit_code == 0
    plan = runner.invoke(cli, ["--store", store, "--json", "publish", "--plan", FUNDS])
    assert plan.exit_code == 0 and json.loads(plan.output)[0]["status"] == "create"
    assert TOKEN_FILE.read_text().strip() not in plan.output
    with pytest.raises(ckanapi.NotFound):  # --plan wrote nothing
        ckanapi.RemoteCKAN(CKAN_URL, apikey=TOKEN_FILE.read_text().strip()).action.package_show(id=FUNDS)
    done = runner.invoke(cli, ["--store", store, "publish", FUNDS])
    assert done.exit_code == 0 and "新建 ✓" in done.output
    again = runner.invoke(cli, ["--store", store, "--json", "run", "--publish", FUNDS])
    assert again.exit_code == 0 and json.loads(again.output)["published"][0]["status"] == "unchanged"
