"""Authorization as agencies meet it: an editor of organization A can neither write to B nor read B's private data."""

from __future__ import annotations

from collections.abc import Iterator

import ckanapi
import pytest

from .conftest import CKAN_URL

ORG_A, ORG_B = "xianggelila-minzheng", "sheng-caizheng"


@pytest.fixture(scope="module")
def editor_a(admin: ckanapi.RemoteCKAN, run_id: str) -> Iterator[ckanapi.RemoteCKAN]:
    name = f"editor-a-{run_id}"
    admin.action.user_create(name=name, email=f"{name}@gongkai.invalid", password="Gongkai-test-" + run_id * 2)
    admin.action.organization_member_create(id=ORG_A, username=name, role="editor")
    token = admin.action.api_token_create(user=name, name="tests")["token"]
    yield ckanapi.RemoteCKAN(CKAN_URL, apikey=token)
    admin.action.user_delete(id=name)


@pytest.fixture(scope="module")
def private_table(admin: ckanapi.RemoteCKAN, datasets: dict) -> str:
    """A DataStore table on organization B's private dataset."""
    resource_id = datasets["lottery"]["resources"][0]["id"]
    admin.action.datastore_create(resource_id=resource_id, force=True, primary_key=["project_id"],
                                  fields=[{"id": "project_id", "type": "text"}, {"id": "amount", "type": "numeric"}],
                                  records=[{"project_id": "CP2025-0001", "amount": 3749500}])
    return resource_id


def test_editor_writes_only_to_own_organization(editor_a: ckanapi.RemoteCKAN, admin: ckanapi.RemoteCKAN,
                                                datasets: dict, run_id: str) -> None:
    own = editor_a.action.package_create(name=f"editor-own-{run_id}", title="编辑自建", owner_org=ORG_A,
                                         domain="social-assistance", disclosure="主动公开", update_frequency="monthly")
    try:
        with pytest.raises(ckanapi.NotAuthorized):
            editor_a.action.package_create(name=f"editor-b-{run_id}", title="越权", owner_org=ORG_B,
                                           domain="budget", disclosure="主动公开", update_frequency="yearly")
        with pytest.raises(ckanapi.NotAuthorized):
            editor_a.action.package_patch(id=datasets["lottery"]["id"], title="改标题")
        with pytest.raises(ckanapi.NotAuthorized):
            editor_a.action.resource_create(package_id=datasets["lottery"]["id"], url="http://127.0.0.1/x.csv")
        with pytest.raises(ckanapi.NotAuthorized):
            editor_a.action.organization_patch(id=ORG_B, title="改名")
    finally:
        admin.action.dataset_purge(id=own["id"])
    assert admin.action.package_show(id=datasets["lottery"]["id"])["title"] == datasets["lottery"]["title"]
    with pytest.raises(ckanapi.NotFound):
        admin.action.package_show(id=f"editor-b-{run_id}")


def test_editor_cannot_read_other_organizations_private_data(editor_a: ckanapi.RemoteCKAN, datasets: dict,
                                                             run_id: str, private_table: str) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        editor_a.action.package_show(id=datasets["lottery"]["id"])
    found = editor_a.action.package_search(q=run_id, include_private=True, rows=50)
    assert datasets["lottery"]["name"] not in {r["name"] for r in found["results"]}
    with pytest.raises(ckanapi.NotAuthorized):
        editor_a.action.datastore_search(resource_id=private_table)
    with pytest.raises(ckanapi.NotAuthorized):
        editor_a.action.datastore_search_sql(sql=f'SELECT * FROM "{private_table}"')


def test_anonymous_cannot_read_private_datastore(anonymous: ckanapi.RemoteCKAN, admin: ckanapi.RemoteCKAN,
                                                 private_table: str) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.datastore_search(resource_id=private_table)
    assert admin.action.datastore_search(resource_id=private_table)["total"] == 1  # the table is really there


def test_public_datastore_sql_works(admin: ckanapi.RemoteCKAN, anonymous: ckanapi.RemoteCKAN, datasets: dict) -> None:
    resource_id = datasets["dibao"]["resources"][0]["id"]
    admin.action.datastore_create(resource_id=resource_id, force=True, fields=[
        {"id": "village", "type": "text"}, {"id": "persons", "type": "int"}],
        records=[{"village": "尼史村", "persons": 5}, {"village": "尼史村", "persons": 2}, {"village": "红坡村", "persons": 3}])
    r = anonymous.action.datastore_search_sql(
        sql=f'SELECT village, sum(persons) AS n FROM "{resource_id}" GROUP BY village ORDER BY village')
    assert {row["village"]: int(row["n"]) for row in r["records"]} == {"尼史村": 7, "红坡村": 3}
