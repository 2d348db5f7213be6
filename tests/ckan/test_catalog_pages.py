"""The catalog as its users meet it, on the real local CKAN: a download that verifies (gongkai download, a ckanapi
dump, one file), DataStore types and Chinese substring search, DCAT, and the dataset and resource pages in Chromium."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import pytest
from click.testing import CliRunner

from gongkai import Project, verify
from gongkai.ckan.client import Client
from gongkai.ckan.publish import Publisher, release_files
from gongkai.cli import cli
from gongkai.release.coverage import common_region, full_name

from ..conftest import REPO
from .conftest import CKAN_URL, TOKEN_FILE

FACILITIES, LOTTERY = "culture-sports-facilities", "lottery-welfare-projects"
SAMPLE = next((REPO / "datasets" / "samples" / FACILITIES).glob("*.csv"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, admin: ckanapi.RemoteCKAN) -> Iterator[Project]:
    """Facilities in two versions (v2: the first 39 rows, three of them in 香格里拉) and lottery in one, published."""
    tmp = tmp_path_factory.mktemp("catalog")
    project = Project(REPO, store=tmp / "store")

    def purge() -> None:
        for d in (FACILITIES, LOTTERY):
            with contextlib.suppress(ckanapi.NotFound):
                admin.action.dataset_purge(id=d)

    purge()
    client = Client(CKAN_URL, TOKEN_FILE.read_text(encoding="utf-8").strip())
    pub = Publisher(project.store, client)
    assert project.release(FACILITIES).version == "v1" and project.release(LOTTERY).version == "v1"
    for d in (FACILITIES, LOTTERY):
        pub.apply(project.spec(d), pub.plan(project.spec(d)))
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    v2 = tmp / "facilities.csv"
    v2.write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    assert project.release(FACILITIES, [v2]).version == "v2"
    pub.apply(project.spec(FACILITIES), pub.plan(project.spec(FACILITIES)))
    yield project
    purge()


def gk(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def resource(admin: ckanapi.RemoteCKAN, name: str, dataset: str = FACILITIES) -> dict[str, Any]:
    return next(r for r in admin.action.package_show(id=dataset)["resources"] if r["name"] == name)


def test_every_file_of_every_version_is_in_the_catalog(published: Project, admin: ckanapi.RemoteCKAN) -> None:
    names = {r["name"] for r in admin.action.package_show(id=FACILITIES)["resources"]}
    for v in ("v1", "v2"):
        listed = json.loads((published.store.release_dir(FACILITIES, v) / "manifest.json").read_text())["files"]
        assert {f"{v} {n}" for n in [*listed, "manifest.json"]} <= names
        assert f"{v} region-codes.csv" in names and f"{v} data.xlsx" in names  # what the 8-file list missed


def test_download_verifies_and_frictionless_accepts_it(published: Project, tmp_path: Path) -> None:
    out = tmp_path / "dl"
    for v in ("v1", ""):
        code, text = gk("download", FACILITIES, *([v] if v else []), "--ckan-url", CKAN_URL, "-o", str(out))
        assert code == 0 and "已下载并校验" in text, text
    assert sorted(p.name for p in (out / FACILITIES).iterdir()) == ["v1", "v2"]
    assert verify(out / FACILITIES).ok
    for v in ("v1", "v2"):
        assert sorted(p.name for p in (out / FACILITIES / v).iterdir()) == \
            sorted(release_files(published.store.release_dir(FACILITIES, v)))
    frictionless = Path(sys.executable).parent / "frictionless"
    run = subprocess.run([str(frictionless), "validate", "datapackage.json"], cwd=out / FACILITIES / "v2",
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:]


def test_one_file_checked_beside_its_manifest_and_against_the_catalog(published: Project, tmp_path: Path) -> None:
    code, _ = gk("download", FACILITIES, "--ckan-url", CKAN_URL, "-o", str(tmp_path))
    one = tmp_path / "data.csv"
    shutil.copyfile(tmp_path / FACILITIES / "v2" / "data.csv", one)
    code, text = gk("verify", str(tmp_path / FACILITIES / "v2" / "data.csv"))
    assert code == 0 and "verified data.csv" in text
    code, text = gk("verify", str(one))
    assert code == 2 and "no manifest" in text  # alone: nothing to check it against, and the user is told how
    code, text = gk("verify", str(one), "--dataset", FACILITIES, "--ckan-url", CKAN_URL)
    assert code == 0 and f"{FACILITIES} v2 data.csv" in text
    one.write_bytes(one.read_bytes().replace("五华区".encode(), "五华县".encode(), 1))
    code, text = gk("verify", str(one), "--dataset", FACILITIES, "--ckan-url", CKAN_URL)
    assert code == 1 and "no file of" in text


def test_ckanapi_dump_is_checked_file_by_file(published: Project, admin: ckanapi.RemoteCKAN, tmp_path: Path) -> None:
    """A real `ckanapi dump datasets --datapackages`. ckanapi 4.11 writes the last resource's bytes into every file
    (its create_datapackage passes the loop variable of an earlier loop): verify must say so, not pass it."""
    ckanapi_cli = Path(sys.executable).parent / "ckanapi"
    env = {"PATH": f"{ckanapi_cli.parent}:/usr/bin:/bin"}  # its workers run `ckanapi` from PATH
    run = subprocess.run([str(ckanapi_cli), "dump", "datasets", FACILITIES, "-D", str(tmp_path / "dump"), "-r",
                          CKAN_URL, "-q"], capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    dump = tmp_path / "dump" / FACILITIES
    files = sorted((dump / "data").iterdir())
    result = verify(dump)
    if len({p.read_bytes() for p in files}) == 1:
        assert not result.ok and "ckanapi 4.11" in result.problems[0]
    else:  # a ckanapi that downloads each resource
        assert result.ok, result.problems
    # the same layout with each resource's own bytes (what a fixed ckanapi writes) passes, and a changed file fails
    package = json.loads((dump / "datapackage.json").read_text(encoding="utf-8"))
    by_title = {r["name"]: r for r in admin.action.package_show(id=FACILITIES)["resources"]}
    for res in package["resources"]:
        (dump / res["path"]).write_bytes(get(by_title[res["title"]]["url"]))
    assert verify(dump).ok, verify(dump).problems
    assert len(verify(dump).checked) == 2
    code, text = gk("verify", str(dump / "data" / "v1-data-.csv"))
    assert code == 0, text
    (dump / "data" / "v1-data-.csv").write_text("facility_id\n", encoding="utf-8")
    assert any("v1/data.csv" in p for p in verify(dump).problems)


def test_datastore_types_keep_values_exact(published: Project, admin: ckanapi.RemoteCKAN) -> None:
    res = resource(admin, "v1 data.csv", LOTTERY)
    found = admin.action.datastore_search(resource_id=res["id"], limit=1000)
    types = {f["id"]: f["type"] for f in found["fields"]}
    schema = json.loads((REPO / "schemas" / f"{LOTTERY}.schema.json").read_text(encoding="utf-8"))
    want = {"number": "numeric", "integer": "int8", "date": "date", "string": "text"}
    for f in schema["fields"]:
        if f["type"] in want and f["name"] in types:
            assert types[f["name"]] == want[f["type"]], f["name"]
    local = {r["project_id"]: r["amount_allocated"] for r in
             csv.DictReader((published.store.release_dir(LOTTERY, "v1") / "data.csv").open(encoding="utf-8"))}
    remote = {r["project_id"]: str(r["amount_allocated"]) for r in found["records"]}
    assert remote == local  # 3749500 as published, not 3749500.0


def test_datastore_q_finds_chinese_substrings(published: Project, admin: ckanapi.RemoteCKAN) -> None:
    res = resource(admin, "v2 data.csv")
    rows = list(csv.DictReader((published.store.release_dir(FACILITIES, "v2") / "data.csv").open(encoding="utf-8")))
    for q in ("香格里拉", "文化站", "香格里拉市文化馆"):
        expected = {r["facility_id"] for r in rows if any(q in v for v in r.values())}
        found = admin.action.datastore_search(resource_id=res["id"], q=q, limit=100)
        assert expected and {r["facility_id"] for r in found["records"]} == expected, q
        assert found["total"] == len(expected)


def test_dcat_names_license_publisher_contact_version_schema_coverage(published: Project) -> None:
    import rdflib

    g = rdflib.Graph().parse(data=get(f"{CKAN_URL}/dataset/{FACILITIES}.ttl").decode("utf-8"), format="turtle")
    dcat, dct = rdflib.Namespace("http://www.w3.org/ns/dcat#"), rdflib.Namespace("http://purl.org/dc/terms/")
    foaf, vcard = rdflib.Namespace("http://xmlns.com/foaf/0.1/"), rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
    [ds] = list(g.subjects(rdflib.RDF.type, dcat.Dataset))
    assert list(g.objects(ds, dct.license))
    [publisher] = list(g.objects(ds, dct.publisher))
    assert str(g.value(publisher, foaf.name)) == "省文化和旅游厅"
    [contact] = list(g.objects(ds, dcat.contactPoint))
    assert str(g.value(contact, vcard.fn)) == "省文化和旅游厅"
    assert str(g.value(ds, dcat.version)) == "v2"
    [schema] = list(g.objects(ds, dct.conformsTo))
    assert json.loads(get(str(schema)))["version"] == "v2"  # the current datapackage.json, with its Table Schema
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    codes = {r["region_code"] for r in csv.DictReader(
        io.StringIO((published.store.release_dir(FACILITIES, "v2") / "data.csv").read_text(encoding="utf-8")))}
    [place] = list(g.objects(ds, dct.spatial))  # the smallest region holding every facility of v2
    assert str(g.value(place, dct.identifier)) == common_region(sorted(codes))
    assert str(g.value(place, skos.prefLabel)) == full_name(common_region(sorted(codes)))


@pytest.mark.browser
def test_dataset_page_current_version_first_dictionary_citation_chinese(published: Project) -> None:
    from .test_browser import open_page, screenshot_on_failure, visible_text

    path = f"/dataset/{FACILITIES}"
    text = visible_text(open_page(path))
    order = [text.find(s) for s in ("当前版本 v2", "v2 data.csv", "版本历史", "v1", "数据字典", "引用本数据集")]
    problems = [s for s, i in zip(("当前版本 v2", "v2 data.csv", "版本历史", "v1", "数据字典", "引用本数据集"), order,
                                  strict=True) if i < 0]
    if not problems and order != sorted(order):
        problems.append(f"sections out of order: {order}")
    manifest_sha = published.store.release_dir(FACILITIES, "v1") / "manifest.json"
    import hashlib

    problems += [s for s in ("设施编号", "必填", "通过校验", "附加信息", "项目 内容",
                             hashlib.sha256(manifest_sha.read_bytes()).hexdigest(), "省文化和旅游厅．公共文化体育设施名录（v2）")
                 if s not in text]
    problems += [f"English or empty label: {s}" for s in ("域 价值", "Additional Info", "信息形成或变更日期 公开期限")
                 if s in text]
    if re.search(r"校验状态 valid|\bvalid\b(?!ation)", text):
        problems.append("validation status in English")
    if problems:
        pytest.fail(f"{path}: {problems} (screenshot: {screenshot_on_failure('dataset-versions', path)})")


@pytest.mark.browser
def test_resource_page_shows_a_table_preview(published: Project, admin: ckanapi.RemoteCKAN) -> None:
    """CKAN's datatables view, with its JavaScript running in the zh_Hans_CN locale (rows fetched and drawn)."""
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    res = resource(admin, "v2 data.csv")
    [view] = [v for v in admin.action.resource_view_list(id=res["id"]) if v["view_type"] == "datatables_view"]
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--lang=zh-CN"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "chromium"
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "chromedriver"))
    try:
        driver.get(f"{CKAN_URL}/dataset/{FACILITIES}/resource/{res['id']}")
        page = driver.find_element(By.TAG_NAME, "body").text
        assert "数据预览" in page and "该资源暂时没有视图" not in page and "Datastore active" not in page
        assert "数据字典" in page and "每周开放时长" in page and "数值" in page and "float8" not in page
        assert "Data last updated" not in page and "数据最近更新" in page
        driver.get(f"{CKAN_URL}/dataset/{res['package_id']}/resource/{res['id']}/view/{view['id']}")
        try:
            WebDriverWait(driver, 60).until(lambda d: "共 39 项" in d.find_element(By.TAG_NAME, "body").text)
        except TimeoutException:
            pytest.fail("no rows in the preview: " + driver.find_element(By.TAG_NAME, "body").text[:300])
        assert "五华区健身广场" in driver.find_element(By.TAG_NAME, "body").text
    finally:
        driver.quit()


def test_publish_ends_with_a_summary_and_the_dataset_urls(published: Project) -> None:
    result = CliRunner().invoke(cli, ["--store", str(published.store.path), "publish", FACILITIES, LOTTERY,
                                      "--ckan-url", CKAN_URL, "--ckan-token-file", str(TOKEN_FILE)],
                                catch_exceptions=False, terminal_width=80)
    assert result.exit_code == 0
    summary = result.stdout[result.stdout.index("发布结果"):]
    for d in (FACILITIES, LOTTERY):
        assert f"{CKAN_URL}/dataset/{d}" in summary and "无变化" in summary
