"""Withdrawal: a version's files leave the store, its tombstone keeps the chain, the one before is current again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai import Project, verify
from gongkai.cli import cli
from gongkai.errors import UsageError
from gongkai.release.reading import LocalReleases, pick_version
from gongkai.release.store import TOMBSTONE

from .conftest import lottery_csv, unpartitioned

LOTTERY = "lottery-welfare-projects"
ID = "532122196308142280"  # a valid resident ID number (check digit right)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """lottery-welfare-projects as an ordinary dataset: these tests release rows of many counties in one file."""
    return unpartitioned(tmp_path)


def three_versions(project: Project, tmp_path: Path, rows: list) -> list[Path]:
    paths = [lottery_csv(tmp_path, rows[:n], f"{n}.csv") for n in (8, 9, 10)]
    assert [project.release(LOTTERY, [p]).version for p in paths] == ["v1", "v2", "v3"]
    return paths


def test_withdraw_leaves_tombstone_and_manifest_and_chain_verifies(project: Project, tmp_path: Path,
                                                                    lottery_rows: list) -> None:
    three_versions(project, tmp_path, lottery_rows)
    store = project.store
    manifest = (store.release_dir(LOTTERY, "v2") / "manifest.json").read_bytes()
    tomb = project.withdraw(LOTTERY, "v2", f"第 3 行公开了完整身份证号 {ID}", by="张三")
    d = store.release_dir(LOTTERY, "v2")
    assert sorted(p.name for p in d.iterdir()) == ["manifest.json", TOMBSTONE]
    assert (d / "manifest.json").read_bytes() == manifest
    on_disk = json.loads((d / TOMBSTONE).read_text(encoding="utf-8"))
    assert on_disk == tomb and tomb["version"] == "v2" and "data.csv" in tomb["files"] and tomb["by"] == "张三"
    assert ID not in (d / TOMBSTONE).read_text(encoding="utf-8") and "2280" in tomb["reason"]
    result = verify(store.dataset_dir(LOTTERY))
    assert result.ok, result.problems
    assert len(result.withdrawn) == 1 and result.withdrawn[0].startswith("v2: withdrawn")
    assert store.latest(LOTTERY) == "v3" and store.newest(LOTTERY) == "v3"


def test_withdrawing_the_current_version_makes_the_previous_current(project: Project, tmp_path: Path,
                                                                    lottery_rows: list) -> None:
    three_versions(project, tmp_path, lottery_rows)
    project.withdraw(LOTTERY, "v3", "泄露")
    assert project.store.latest(LOTTERY) == "v2"
    assert pick_version(LocalReleases(project.store), LOTTERY, None) == "v2"  # what sql and flows read
    project.withdraw(LOTTERY, "v2", "泄露")
    assert project.store.latest(LOTTERY) == "v1"
    assert verify(project.store.dataset_dir(LOTTERY)).ok
    # the next release gets a new number and links to the newest (withdrawn) manifest, compares with v1
    out = project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:12], "12.csv")])
    assert out.version == "v4" and out.manifest["previous"]["version"] == "v3"
    changes = json.loads((out.path / "changelog.json").read_text(encoding="utf-8"))
    assert changes["from_version"] == "v1" and changes["added"] == 4
    assert verify(project.store.dataset_dir(LOTTERY)).ok


def test_a_release_equal_to_a_withdrawn_version_is_refused(project: Project, tmp_path: Path,
                                                           lottery_rows: list) -> None:
    paths = three_versions(project, tmp_path, lottery_rows)
    project.withdraw(LOTTERY, "v3", "泄露")
    with pytest.raises(UsageError, match="已撤回的 v3"):
        project.release(LOTTERY, [paths[2]])
    assert project.store.versions(LOTTERY) == ["v1", "v2", "v3"]  # nothing written
    assert not list(project.store.dataset_dir(LOTTERY).glob(".tmp-*"))
    # equal to the current version: unchanged, as before
    assert project.release(LOTTERY, [paths[1]]).status == "unchanged"


def test_a_changed_or_extra_file_in_a_withdrawn_version_fails_verification(project: Project, tmp_path: Path,
                                                                           lottery_rows: list) -> None:
    three_versions(project, tmp_path, lottery_rows)
    project.withdraw(LOTTERY, "v2", "泄露")
    d = project.store.release_dir(LOTTERY, "v2")
    (d / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # the leak put back
    problems = verify(project.store.dataset_dir(LOTTERY)).problems
    assert any("v2/data.csv" in p and "withdrawn" in p for p in problems)
    (d / "data.csv").unlink()
    (d / "manifest.json").chmod(0o644)
    (d / "manifest.json").write_text((d / "manifest.json").read_text(encoding="utf-8").replace('"v2"', '"v2" '),
                                     encoding="utf-8")
    problems = verify(project.store.dataset_dir(LOTTERY)).problems
    assert any(TOMBSTONE in p for p in problems) and any("v3" in p and "chain" in p for p in problems)


def test_withdraw_needs_a_reason_and_an_existing_version(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    three_versions(project, tmp_path, lottery_rows)
    with pytest.raises(UsageError, match="理由"):
        project.withdraw(LOTTERY, "v2", "  ")
    with pytest.raises(UsageError, match="v9"):
        project.withdraw(LOTTERY, "v9", "泄露")
    assert not project.store.withdrawals(LOTTERY)


def test_withdraw_again_finishes_an_interrupted_withdrawal(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    three_versions(project, tmp_path, lottery_rows)
    first = project.withdraw(LOTTERY, "v2", "泄露")
    d = project.store.release_dir(LOTTERY, "v2")
    (d / "data.json").write_text("[]", encoding="utf-8")  # as if the process died before deleting it
    assert project.withdraw(LOTTERY, "v2", "another reason") == first  # the first tombstone stays
    assert not (d / "data.json").exists()


def test_cli_withdraw_then_verify(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    three_versions(project, tmp_path, lottery_rows)
    runner = CliRunner()
    store = ["--store", str(project.store.path)]
    out = runner.invoke(cli, [*store, "--json", "withdraw", LOTTERY, "v3", "--reason", f"泄露 {ID}", "--by", "审核员"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["current"] == "v2" and body["withdrawal"]["by"] == "审核员" and ID not in out.output
    out = runner.invoke(cli, [*store, "verify", str(project.store.dataset_dir(LOTTERY))])
    assert out.exit_code == 0 and "v3: withdrawn" in out.output
    out = runner.invoke(cli, [*store, "list"])
    assert "v2" in out.output
    out = runner.invoke(cli, [*store, "--json", "history", LOTTERY])
    assert [bool(r["withdrawn"]) for r in json.loads(out.output)] == [False, False, True]
    out = runner.invoke(cli, [*store, "diff", LOTTERY, "v2", "v3"])
    assert out.exit_code == 2 and "v3 已撤回" in out.output and ID not in out.output
