"""The local CKAN works without Solr: search (Chinese too), facets, private rules, pages and DCAT."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

import ckanapi
import pytest

from .conftest import CKAN_URL


def get(path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(CKAN_URL + path, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def names(result: dict) -> set[str]:
    return {r["name"] for r in result["results"]}


def test_organizations_and_groups_loaded(admin: ckanapi.RemoteCKAN) -> None:
    orgs = set(admin.action.organization_list())
    assert {"sheng-minzheng", "sheng-caizheng", "sheng-wenhua-lvyou", "sheng-tiyu", "xianggelila-minzheng"} <= orgs
    assert len(orgs) == len(set(orgs))
    assert {"poverty-alleviation", "social-assistance", "education", "health", "environment", "disaster-relief",
            "culture-sports", "budget", "open-government"} <= set(admin.action.group_list())
    assert admin.action.organization_show(id="sheng-caizheng")["title"] == "省财政厅"


@pytest.mark.parametrize(("q", "key"), [("低保", "dibao"), ("彩票公益金", "lottery"), ("开放时间", "facilities"),
                                        ("Dibao", "dibao"), ("设施名录", "facilities")])
def test_chinese_and_english_queries(admin: ckanapi.RemoteCKAN, datasets: dict, run_id: str, q: str, key: str) -> None:
    result = admin.action.package_search(q=f"{q} {run_id}", include_private=True)
    assert names(result) == {datasets[key]["name"]}


def test_anonymous_sees_only_public(anonymous: ckanapi.RemoteCKAN, admin: ckanapi.RemoteCKAN, datasets: dict,
                                    run_id: str) -> None:
    assert names(anonymous.action.package_search(q=run_id, rows=50)) == {datasets["dibao"]["name"],
                                                                          datasets["facilities"]["name"]}
    assert len(names(admin.action.package_search(q=run_id, include_private=True, rows=50))) == 3
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_show(id=datasets["lottery"]["name"])


def test_facets_filters_sort_and_paging(admin: ckanapi.RemoteCKAN, datasets: dict, run_id: str) -> None:
    facets = ["organization", "groups", "tags", "domain", "disclosure"]
    r = admin.action.package_search(fq=f'tags:"run-{run_id}"', include_private=True, **{"facet.field": json.dumps(facets)})
    assert r["count"] == 3
    f = r["facets"]
    assert f["domain"] == {"social-assistance": 2, "culture-sports": 1}
    assert f["disclosure"] == {"主动公开": 2, "依申请公开": 1}
    assert f["organization"]["sheng-caizheng"] == 1 and f["groups"]["social-assistance"] == 1
    r = admin.action.package_search(fq=f'tags:"run-{run_id}" +domain:social-assistance', include_private=True)
    assert names(r) == {datasets["dibao"]["name"], datasets["lottery"]["name"]}
    r = admin.action.package_search(fq=f'tags:"run-{run_id}" organization:"sheng-wenhua-lvyou"')
    assert names(r) == {datasets["facilities"]["name"]}
    ordered = admin.action.package_search(fq=f'tags:"run-{run_id}"', include_private=True, sort="title_string asc")
    titles = [x["title"] for x in ordered["results"]]
    assert titles == sorted(titles, key=str.lower)
    page2 = admin.action.package_search(fq=f'tags:"run-{run_id}"', include_private=True, sort="title_string asc",
                                        rows=2, start=2)
    assert [x["title"] for x in page2["results"]] == titles[2:] and page2["count"] == 3


def test_updates_and_deletes_reach_the_index(admin: ckanapi.RemoteCKAN, run_id: str) -> None:
    pkg = admin.action.package_create(name=f"temp-{run_id}", title=f"临时数据集 {run_id}", owner_org="sheng-tiyu",
                                      domain="culture-sports", disclosure="主动公开", update_frequency="yearly")
    admin.action.package_patch(id=pkg["id"], title=f"全民健身路径 {run_id}")
    assert names(admin.action.package_search(q=f"全民健身 {run_id}")) == {pkg["name"]}
    admin.action.package_delete(id=pkg["id"])
    assert admin.action.package_search(q=f"全民健身 {run_id}")["count"] == 0
    admin.action.dataset_purge(id=pkg["id"])


def test_organization_counts(admin: ckanapi.RemoteCKAN, datasets: dict) -> None:
    org = admin.action.organization_show(id="sheng-wenhua-lvyou", include_datasets=True)
    assert org["package_count"] >= 1 and datasets["facilities"]["name"] in {p["name"] for p in org["packages"]}


def test_pages_render(datasets: dict) -> None:
    dibao = datasets["dibao"]
    for path, expect in [("/", "gongkai"), ("/dataset/", dibao["title"]),
                         ("/dataset/?q=" + quote("低保"), dibao["title"]),
                         (f"/dataset/{dibao['name']}", dibao["title"]), ("/organization/?q=" + quote("财政"), "省财政厅"),
                         ("/group/", "公共文化体育")]:
        status, body = get(path)
        assert status == 200, (path, body[:300])
        assert expect in body, path
    status, body = get(f"/dataset/{dibao['name']}")
    assert "香格里拉市民政局" in body  # the organization shows on the dataset page


def test_dcat_exports(datasets: dict) -> None:
    dibao = datasets["dibao"]
    status, ttl = get("/catalog.ttl")
    assert status == 200 and "dcat:Catalog" in ttl and dibao["title"] in ttl
    status, jsonld = get(f"/dataset/{dibao['name']}.jsonld")
    assert status == 200
    graph = json.loads(jsonld)
    assert dibao["title"] in json.dumps(graph, ensure_ascii=False)
    status, ttl = get(f"/dataset/{dibao['name']}.ttl")
    assert status == 200 and "dcat:Dataset" in ttl
    status, catalog = get("/catalog.jsonld")
    assert status == 200 and dibao["title"] in json.dumps(json.loads(catalog), ensure_ascii=False)
