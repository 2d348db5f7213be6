"""`gongkai_datastore_load` matches CSV columns to the table by header name (issue 14, finding 6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ckanapi
import pytest


@pytest.fixture
def table(admin: ckanapi.RemoteCKAN, datasets: dict, tmp_path: Path) -> Iterator[callable]:  # type: ignore[valid-type]
    """An uploaded CSV on the facilities dataset with a DataStore table of fields code, title."""
    made: list[str] = []

    def upload(text: str) -> str:
        path = tmp_path / f"load-{len(made)}.csv"
        path.write_text(text, encoding="utf-8")
        with path.open("rb") as f:
            res = admin.action.resource_create(package_id=datasets["facilities"]["id"], name=path.name,
                                               format="CSV", upload=f)
        made.append(res["id"])
        admin.action.datastore_create(resource_id=res["id"], force=True, primary_key=["code"],
                                      fields=[{"id": "code", "type": "text"}, {"id": "title", "type": "text"}])
        return res["id"]

    yield upload
    for rid in made:
        admin.action.resource_delete(id=rid)


def test_columns_are_matched_by_header_name(admin: ckanapi.RemoteCKAN, table) -> None:  # type: ignore[no-untyped-def]
    rid = table("title,code\n香格里拉市图书馆,T001\n\"德钦县文化馆，二楼\",T002\n")
    assert admin.action.gongkai_datastore_load(resource_id=rid)["rows"] == 2
    records = admin.action.datastore_search(resource_id=rid, sort="code")["records"]
    assert [(r["code"], r["title"]) for r in records] == [("T001", "香格里拉市图书馆"), ("T002", "德钦县文化馆，二楼")]


def test_a_header_that_does_not_match_is_refused(admin: ckanapi.RemoteCKAN, table) -> None:  # type: ignore[no-untyped-def]
    rid = table("code,name\nT001,香格里拉市图书馆\n")
    with pytest.raises(ckanapi.ValidationError) as e:
        admin.action.gongkai_datastore_load(resource_id=rid)
    text = str(e.value)
    assert "CSV 表头与数据表的字段不一致" in text and "缺少 title" in text and "多出 name" in text
    assert "/" not in text.replace("/api", "")  # no server path
    assert admin.action.datastore_search(resource_id=rid)["total"] == 0


def test_a_copy_error_shows_no_server_path(admin: ckanapi.RemoteCKAN, table) -> None:  # type: ignore[no-untyped-def]
    rid = table("code,title\nT001,a,extra\n")
    with pytest.raises(ckanapi.ValidationError) as e:
        admin.action.gongkai_datastore_load(resource_id=rid)
    assert "COPY failed" in str(e.value) and "/var/" not in str(e.value) and ".local" not in str(e.value)
