"""Fund flows read from the real local CKAN: same answers as the local store, files downloaded once and checked
against their manifests, tampering refused, SQL beside CKAN's datastore_search_sql, the page published."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.ckan.publish import Publisher
from gongkai.ckan.remote import CkanReleases
from gongkai.cli import cli
from gongkai.errors import IntegrityError, UsageError
from gongkai.flows import build, reconcile, top, trace
from gongkai.flows.sql import run_sql
from gongkai.release.reading import LocalReleases

from ..conftest import REPO
from ..flows_support import FLOW_DATASETS, LT, PA, release_all
from ..test_flows_page import browser, open_page  # noqa: F401  (the Chromium fixture)
from .conftest import CKAN_URL, TOKEN_FILE

QUESTION = ("SELECT to_region_code, sum(amount) AS amount FROM {table} WHERE fund = '中央专项彩票公益金' "
            "AND level = '项目' GROUP BY to_region_code ORDER BY amount DESC, to_region_code LIMIT 5")


def token() -> str:
    return TOKEN_FILE.read_text(encoding="utf-8").strip()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, admin: ckanapi.RemoteCKAN) -> Iterator[Project]:
    """The flow datasets released from the samples and published to the local CKAN (purged before and after)."""
    p = Project(REPO, store=tmp_path_factory.mktemp("flows-ckan") / "store")

    def purge() -> None:
        for d in FLOW_DATASETS:
            with contextlib.suppress(ckanapi.NotFound):
                admin.action.dataset_purge(id=d)

    purge()
    release_all(p)
    from gongkai.ckan.client import Client

    pub = Publisher(p.store, Client(CKAN_URL, token()))
    for d in FLOW_DATASETS:
        pub.apply(p.spec(d), pub.plan(p.spec(d)))
    yield p
    purge()


def remote(cache: Path) -> CkanReleases:
    return CkanReleases(CKAN_URL, None, cache)  # public datasets: no token needed to read


def test_same_answers_from_ckan_as_from_the_store(published: Project, tmp_path: Path) -> None:
    here = build(published.specs, LocalReleases(published.store))
    there = build(published.specs, remote(tmp_path / "cache"))
    assert [(r["version"], r["manifest_sha256"]) for r in there.versions] == \
        [(r["version"], r["manifest_sha256"]) for r in here.versions]
    assert there.versions[0]["url"] == f"{CKAN_URL}/dataset/fund-allocations"
    assert trace(there, PA, 2025).rows() == trace(here, PA, 2025).rows()
    assert top(there, "region", LT, 2025) == top(here, "region", LT, 2025)
    found = reconcile(there, PA, 2025)
    assert [f.to_dict() for f in found.findings] == [f.to_dict() for f in reconcile(here, PA, 2025).findings]
    assert len(found.findings) == 3 and reconcile(there, LT, 2025).clean


def test_each_file_downloaded_once_and_checked_before_use(published: Project, tmp_path: Path) -> None:
    first = remote(tmp_path / "cache")
    build(published.specs, first)
    assert first.downloads == 3 * len(FLOW_DATASETS)  # manifest, data.parquet, validation.json of each
    again = remote(tmp_path / "cache")
    build(published.specs, again)
    assert again.downloads == 0
    cached = next((tmp_path / "cache").rglob("poverty-projects/v1/data.parquet"))
    cached.write_bytes(b"not parquet")  # a damaged cache is noticed and fetched again
    healed = remote(tmp_path / "cache")
    assert reconcile(build(published.specs, healed), PA, 2025).checked[0]["findings"] == 3
    assert healed.downloads == 1


def test_a_tampered_catalog_file_is_refused(published: Project, tmp_path: Path, admin: ckanapi.RemoteCKAN) -> None:
    pkg = admin.action.package_show(id="poverty-projects")
    res = next(r for r in pkg["resources"] if r["name"] == "v1 data.parquet")
    original = published.store.release_dir("poverty-projects", "v1") / "data.parquet"
    other = published.store.release_dir("lottery-welfare-projects", "v1") / "data.parquet"
    with other.open("rb") as f:
        admin.call_action("resource_patch", {"id": res["id"]}, files={"upload": ("data.parquet", f)})
    try:
        with pytest.raises(IntegrityError, match=r"downloaded poverty-projects v1 data\.parquet does not match its manifest"):
            build(published.specs, remote(tmp_path / "cache"))
        assert not list((tmp_path / "cache").rglob("poverty-projects/v1/data.parquet"))  # nothing cached
    finally:
        with original.open("rb") as f:
            admin.call_action("resource_patch", {"id": res["id"]}, files={"upload": ("data.parquet", f)})
    admin.action.package_patch(id="poverty-projects", sha256="0" * 64)  # the manifest's anchor
    try:
        with pytest.raises(IntegrityError, match="manifest"):
            build(published.specs, remote(tmp_path / "cache2"))
    finally:
        admin.action.package_patch(id="poverty-projects", sha256=pkg["sha256"])
    assert build(published.specs, remote(tmp_path / "cache3")).releases["poverty-projects"].version == "v1"


def test_as_of_on_ckan(published: Project, tmp_path: Path) -> None:
    import datetime as dt

    with pytest.raises(UsageError, match="had no release on or before 2000-01-01"):
        build(published.specs, remote(tmp_path / "cache"), dt.date(2000, 1, 1))
    today = build(published.specs, remote(tmp_path / "cache"), dt.datetime.now(dt.UTC).date())
    assert {r.version for r in today.releases.values()} == {"v1"}


def test_sql_beside_datastore_search_sql(published: Project, tmp_path: Path, anonymous: ckanapi.RemoteCKAN) -> None:
    """The README's question, asked through gongkai sql and through CKAN's datastore_search_sql: same answer."""
    ours = run_sql(published.specs, remote(tmp_path / "cache"), QUESTION.format(table="fund_allocations"))
    pkg = anonymous.action.package_show(id="fund-allocations")
    csv = next(r for r in pkg["resources"] if r["name"] == f"{pkg['current_version']} data.csv")
    theirs = anonymous.action.datastore_search_sql(sql=QUESTION.format(table=f'"{csv["id"]}"'))["records"]
    assert [(r["to_region_code"], pytest.approx(float(r["amount"]))) for r in theirs] == \
        [(code, float(amount)) for code, amount in ours.rows]


def test_cli_page_published_to_ckan_and_rendered(published: Project, tmp_path: Path, anonymous: ckanapi.RemoteCKAN,
                                                 browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    runner = CliRunner()
    args = ["--store", str(tmp_path / "empty-store"), "flows", "page", "--fund", PA, "--year", "2025",
            "-o", str(tmp_path / "pa.html"), "--publish", "--ckan-url", CKAN_URL,
            "--ckan-token-file", str(TOKEN_FILE), "--cache", str(tmp_path / "cache")]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert token() not in result.output and "已发布" in result.output
    name = f"v1 flows-{PA}-2025.html"
    res = next(r for r in anonymous.action.package_show(id="fund-allocations")["resources"] if r["name"] == name)
    with urllib.request.urlopen(res["url"], timeout=60) as r:
        served = r.read()
    assert served == (tmp_path / "pa.html").read_bytes()
    html = served.decode("utf-8")
    assert f"{CKAN_URL}/dataset/poverty-projects" in html and "发现 3 处问题" in html
    result = runner.invoke(cli, ["--json", *args], catch_exceptions=False)  # the same page again: no new write
    again = json.loads(result.output)["resource"]
    assert again["id"] == res["id"] and again["metadata_modified"] == res["metadata_modified"]
    seen = open_page(browser, tmp_path / "pa.html", "ckan-pa")
    assert "宣威市财政局" in seen["nodes"] and not [e for e in seen["log"] if e["level"] == "SEVERE"]


def test_cli_reads_ckan(published: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--store", str(tmp_path / "empty-store")]
    ckan = ["--ckan-url", CKAN_URL, "--cache", str(tmp_path / "cache")]
    out = runner.invoke(cli, [*base, "--json", "flows", "reconcile", *ckan], catch_exceptions=False).output
    doc = json.loads(out)
    assert {c["fund"]: c["clean"] for c in doc["checked"]} == {LT: True, PA: False}
    assert {v["source"] for v in doc["versions"]} == {CKAN_URL}
    out = runner.invoke(cli, [*base, "flows", "trace", "--fund", LT, "--year", "2025", "--depth", "0", *ckan],
                        catch_exceptions=False).output
    assert "云南省财政厅" in out and "fund-allocations v1" in out
    out = runner.invoke(cli, [*base, "sql", QUESTION.format(table="fund_allocations"), "--format", "csv", *ckan],
                        catch_exceptions=False).output
    assert out.splitlines()[0] == "to_region_code,amount" and len(out.splitlines()) == 6
    out = runner.invoke(cli, [*base, "flows", "top", "--by", "project", "--limit", "3", "--format", "json", *ckan],
                        catch_exceptions=False).output
    assert len(json.loads(out)["rows"]) == 3


def test_private_dataset_needs_a_token(published: Project, tmp_path: Path, admin: ckanapi.RemoteCKAN) -> None:
    """依申请公开 data is private in CKAN: without a token it is not found; with one it downloads (the token goes in
    the Authorization header, never into output or the cache path)."""
    from gongkai.ckan.client import Client

    spec = published.spec("poverty-projects")
    admin.action.dataset_purge(id=spec.id)
    published.specs.by_id[spec.id] = spec.model_copy(update={"disclosure": "依申请公开"})
    try:
        pub = Publisher(published.store, Client(CKAN_URL, token()))
        pub.apply(published.spec(spec.id), pub.plan(published.spec(spec.id)))
        assert admin.action.package_show(id=spec.id)["private"] is True
        with pytest.raises(UsageError, match="not in the CKAN catalog"):
            build(published.specs, remote(tmp_path / "cache"))
        member = CkanReleases(CKAN_URL, token(), tmp_path / "cache")
        assert "Authorization" not in repr(member) and token() not in repr(member)
        model = build(published.specs, member)
        assert reconcile(model, PA, 2025).checked[0]["findings"] == 3
        assert not [p for p in (tmp_path / "cache").rglob("*") if token() in str(p)]
        # the page shows private data: it is not put on the public allocation dataset
        from gongkai.flows.page import write_page

        page = write_page(model, PA, 2025, tmp_path / "pa.html")
        before = admin.action.package_show(id="fund-allocations")
        with pytest.raises(UsageError, match=r"not public.*poverty-projects"):
            published.publish_page(page, tmp_path / "pa.html", member.client)
        assert admin.action.package_show(id="fund-allocations")["metadata_modified"] == before["metadata_modified"]
    finally:
        admin.action.dataset_purge(id=spec.id)
        published.specs.by_id[spec.id] = spec
        pub = Publisher(published.store, Client(CKAN_URL, token()))
        pub.apply(spec, pub.plan(spec))
