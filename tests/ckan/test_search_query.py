"""``package_search`` on the PostgreSQL index with hostile and ordinary queries (issue 14, findings 3 and 7)."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import ckanapi
import pytest
import requests

from .conftest import CKAN_URL


@pytest.fixture(scope="module")
def opening(admin: ckanapi.RemoteCKAN, run_id: str):  # type: ignore[no-untyped-def]
    name = f"hours-{run_id}"
    d = admin.action.package_create(name=name, title=f"低保经办窗口 {run_id}", owner_org="xianggelila-minzheng",
                                    domain="social-assistance", disclosure="主动公开", update_frequency="monthly",
                                    license_id="cc-by", notes="每日 9:00 开放，详见 http://example.gov.cn/dibao")
    yield d
    admin.action.dataset_purge(id=name)


def names(anonymous: ckanapi.RemoteCKAN, q: str, **kw: str) -> list[str]:
    return [d["name"] for d in anonymous.action.package_search(q=q, rows=100, **kw)["results"]]


def test_free_words_are_kept_beside_field_clauses(anonymous: ckanapi.RemoteCKAN, opening: dict, run_id: str) -> None:
    assert opening["name"] in names(anonymous, f"低保 {run_id}")
    assert opening["name"] in names(anonymous, f"9:00 {run_id}")  # a colon inside a word is part of the word
    assert opening["name"] in names(anonymous, f"{run_id} http://example.gov.cn/dibao")
    assert opening["name"] in names(anonymous, f"低保 name:{opening['name']}")
    assert names(anonymous, f"低保 name:{opening['name']} 不存在的词") == []  # the words still filter


def test_overlong_q_and_fq_are_refused_with_a_clear_error(anonymous: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.SearchQueryError, match="搜索词过长"):
        anonymous.action.package_search(q="a" * 30_000)
    with pytest.raises(ckanapi.SearchQueryError, match="筛选条件过长"):
        anonymous.action.package_search(fq="name:" + "a" * 5000)


def _timed(url: str, **params: str) -> float:
    t = time.perf_counter()
    requests.get(url, params=params, timeout=120)
    return time.perf_counter() - t


def test_twenty_pathological_queries_leave_the_site_answering() -> None:
    """The old clause regex backtracked on a long word: one 30,000-character q held every request for 13 s."""
    status = f"{CKAN_URL}/api/3/action/status_show"
    search = f"{CKAN_URL}/api/3/action/package_search"
    idle = statistics.median(_timed(status) for _ in range(5))
    hostile = ["a" * 999, "a" * 30_000, ("x" * 50 + ":") * 19, "(" * 999, '"' * 999]
    with ThreadPoolExecutor(20) as pool:
        load = [pool.submit(_timed, search, q=hostile[i % len(hostile)]) for i in range(200)]
        time.sleep(0.2)
        during = statistics.median(_timed(status) for _ in range(5))
        slowest = max(f.result() for f in load)
    print(f"status_show idle {idle:.3f} s, under 20 pathological queries {during:.3f} s; slowest query {slowest:.2f} s")
    assert during < max(20 * idle, 2.0) and slowest < 30
