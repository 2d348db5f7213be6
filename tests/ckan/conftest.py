"""The local CKAN (``ckan_config/local-ckan up``), reached over HTTP with ckanapi like any client would."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import pytest

REPO = Path(__file__).resolve().parents[2]
CKAN_URL = os.environ.get("GONGKAI_TEST_CKAN_URL", "http://127.0.0.1:" + os.environ.get("CKAN_PORT", "5070"))
TOKEN_FILE = Path(os.environ.get("GONGKAI_TEST_CKAN_TOKEN_FILE", REPO / "ckan_config" / ".local" / "api-token"))


@pytest.fixture(scope="session")
def admin() -> ckanapi.RemoteCKAN:
    if not TOKEN_FILE.is_file():
        pytest.fail(f"no CKAN token at {TOKEN_FILE}: start the catalog with `ckan_config/local-ckan up`")
    ckan = ckanapi.RemoteCKAN(CKAN_URL, apikey=TOKEN_FILE.read_text(encoding="utf-8").strip())
    ckan.action.status_show()  # fails loudly when CKAN is not up
    return ckan


@pytest.fixture(scope="session")
def anonymous() -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(CKAN_URL)


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def datasets(admin: ckanapi.RemoteCKAN, run_id: str) -> Iterator[dict[str, dict]]:
    """Three datasets of this run: public 低保, public facilities, private lottery (依申请公开)."""
    made = {}
    specs = {
        "dibao": dict(title=f"最低生活保障对象公示 {run_id}", notes="低保对象名单公示，户主姓名已脱敏。", owner_org="xianggelila-minzheng",
                      domain="social-assistance", disclosure="主动公开", update_frequency="monthly",
                      title_en="Dibao recipients", tags=[{"name": "低保"}, {"name": f"run-{run_id}"}],
                      groups=[{"name": "social-assistance"}], license_id="cc-by"),
        "facilities": dict(title=f"公共文化体育设施名录 {run_id}", notes="图书馆、文化馆和体育场馆的开放时间。",
                           owner_org="sheng-wenhua-lvyou", domain="culture-sports", disclosure="主动公开",
                           update_frequency="yearly", tags=[{"name": "设施名录"}, {"name": f"run-{run_id}"}],
                           groups=[{"name": "culture-sports"}], license_id="cc-by"),
        "lottery": dict(title=f"彩票公益金资助项目 {run_id}", notes="依申请公开的项目明细。", owner_org="sheng-caizheng",
                        private=True, domain="social-assistance", disclosure="依申请公开", update_frequency="yearly",
                        tags=[{"name": "彩票公益金"}, {"name": f"run-{run_id}"}], license_id="cc-by"),
    }
    for key, spec in specs.items():
        name = f"{key}-{run_id}"
        made[key] = admin.action.package_create(name=name, resources=[
            {"url": f"http://127.0.0.1/{name}/data.csv", "name": "data.csv", "format": "CSV"}], **spec)
    yield made
    for pkg in made.values():
        admin.action.dataset_purge(id=pkg["id"])
