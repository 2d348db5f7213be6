"""A county's own CKAN token submits only its own partition: two real CKAN users, editors of two counties."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.ckan.client import Client
from gongkai.cli import cli
from gongkai.settings import Settings

from .conftest import CKAN_URL, REPO

DS = "dibao-county-monthly"
SAMPLES = REPO / "datasets" / "samples" / DS


@pytest.fixture(scope="module")
def county_tokens(admin: ckanapi.RemoteCKAN, run_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """An editor of 德钦县民政局 and one of 维西县民政局, each with a token file of their own."""
    d = tmp_path_factory.mktemp("tokens")
    out, users = {}, []
    for org in ("deqin-minzheng", "weixi-minzheng"):
        name = f"{org}-{run_id}"
        admin.action.user_create(name=name, email=f"{name}@gongkai.invalid", password="Gongkai-test-" + run_id * 2)
        admin.action.organization_member_create(id=org, username=name, role="editor")
        (d / org).write_text(admin.action.api_token_create(user=name, name="tests")["token"], encoding="utf-8")
        out[org] = d / org
        users.append(name)
    yield out
    for name in users:
        admin.action.user_delete(id=name)


def test_token_edits_only_its_own_county(county_tokens: dict[str, Path]) -> None:
    orgs = Client(CKAN_URL, county_tokens["deqin-minzheng"].read_text(encoding="utf-8")).editable_organizations()
    assert orgs == {"deqin-minzheng"}


def test_county_token_submits_own_partition_not_another(county_tokens: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "proj"
    for d in ("datasets", "schemas", "validation"):
        shutil.copytree(REPO / d, root / d)
    store = tmp_path / "store"
    deqin = next((SAMPLES / "deqin-minzheng").glob("*.csv"))
    weixi = next((SAMPLES / "weixi-minzheng").glob("*.csv"))
    runner = CliRunner()
    env = {"GONGKAI_PROJECT": str(root), "GONGKAI_CACHE": str(tmp_path / "cache"), "CKAN_URL": CKAN_URL}

    def release(src: Path, org: str, claimed: str | None = None) -> tuple[int, str]:
        args = ["--store", str(store), "release", DS, "--source", str(src),
                "--submitter-token-file", str(county_tokens[org])] + (["--submitter", claimed] if claimed else [])
        res = runner.invoke(cli, args, env=env)
        return res.exit_code, res.output

    code, out = release(deqin, "deqin-minzheng")
    assert code == 0, out
    code, out = release(weixi, "weixi-minzheng")
    assert code == 0, out
    # 维西's editor sends 德钦's file, even claiming to be 德钦县民政局: CKAN's membership decides
    code, out = release(deqin, "weixi-minzheng", claimed="deqin-minzheng")
    assert code == 1
    assert "CKAN 令牌的用户不是德钦县民政局（deqin-minzheng）的编辑" in out
    p = Project(root, store=store, settings=Settings(cache=tmp_path / "cache"))
    m = p.store.manifest(DS, p.store.latest(DS))
    assert {e["partition"]: e["submitter"] for e in m["partitions"]} == {
        "533422": "deqin-minzheng", "533423": "weixi-minzheng"}
    assert p.store.latest(DS) == "v2"
