"""The PostgreSQL search index of ckanext-gongkai deletes by exact id or name (issue 14, finding 8): CKAN's delete
query ``+site_id:"S" +(id:"X" OR name:"X")`` once also matched ``id:"S"`` inside ``site_id``, so purging any
dataset removed the index entry of a dataset named like the site id."""

from __future__ import annotations

import configparser
import contextlib

import ckanapi

from .conftest import REPO


def site_id() -> str:
    ini = configparser.RawConfigParser(strict=False)
    ini.read(REPO / "ckan_config" / ".local" / "ckan.ini")
    return ini.get("app:main", "ckan.site_id")


def test_purging_a_dataset_leaves_the_one_named_like_the_site_id(admin: ckanapi.RemoteCKAN, run_id: str) -> None:
    named, other = site_id(), f"purged-{run_id}"
    for name in (named, other):
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=name)
        admin.action.package_create(name=name, title=f"索引 {name}", owner_org="xianggelila-minzheng",
                                    domain="social-assistance", disclosure="主动公开", update_frequency="monthly",
                                    license_id="cc-by", notes="删除索引的测试")
    try:
        admin.action.dataset_purge(id=other)
        found = admin.action.package_search(fq=f'name:"{named}"', include_private=True)["results"]
        assert [d["name"] for d in found] == [named]
    finally:
        admin.action.dataset_purge(id=named)
