"""Releases: immutable, versioned only when the data changes, verifiable by anyone, safe in Excel."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import frictionless
import pytest

from gongkai import Project, StoreError, verify
from gongkai.spec.agencies import load_registry

from .conftest import REPO, lottery_csv, unpartitioned

LOTTERY = "lottery-welfare-projects"
ALL = ["culture-sports-facilities", "fund-allocations", LOTTERY]
PARTITIONED = ["dibao-county-monthly", "dibao-recipients", "poverty-projects", LOTTERY, "sports-lottery-projects"]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """lottery-welfare-projects as an ordinary dataset: these tests release rows of many counties in one file."""
    return unpartitioned(tmp_path)


def tree(path: Path) -> dict[str, str]:
    """Every file below ``path`` with its sha256: a snapshot to prove nothing changed."""
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_main_job_releases_all_samples_then_nothing_new(tmp_path: Path) -> None:
    project = Project(REPO, store=tmp_path / "store")  # the bundled project as it is: partitioned datasets too
    first = project.run()
    assert sorted(o.dataset for o in first) == sorted(s.id for s in project.specs)
    assert set(ALL) <= {o.dataset for o in first}
    assert all(o.status == "released" and o.version == "v1" for o in first)
    for o in first:
        names = {p.name for p in o.path.iterdir()}
        assert {"data.csv", "data.json", "data.parquet", "data.xlsx", "datapackage.json", "validation.json",
                "validation.html", "changelog.json", "manifest.json"} <= names
        assert verify(o.path).ok
    from gongkai.schedule.compliance import build

    today = dt.date.fromisoformat(first[0].manifest["created"][:10])  # type: ignore[index]
    judged = build(project, today.year, as_of=today).releases
    assert len(judged) == len(first) and not [r.dataset for r in judged if r.status == "unknown"]  # no 无法判断
    counties = {c.dataset: {r.partition for r in c.rows} for c in build(project, today.year, as_of=today).partitions}
    for d in PARTITIONED:  # compliance lists every registered county of each, submitted or not
        registry = load_registry(project.spec(d).agencies_path)  # type: ignore[arg-type]
        assert counties[d] == set(registry.partitions), d
        assert {e["partition"] for e in project.store.manifest(d, "v1")["partitions"]} <= counties[d]
    snapshot = tree(project.store.path)
    second = project.run()
    assert all(o.status == "unchanged" and o.version == "v1" for o in second)
    assert tree(project.store.path) == snapshot


def test_a_store_path_with_an_apostrophe_releases_every_version(tmp_path: Path, lottery_rows: list) -> None:
    """Paths reach SQL as quoted literals: a store named like 李's store (or O'Brien) works past v1."""
    root = unpartitioned(tmp_path).root
    project = Project(root, store=tmp_path / "o'brien's store" / "it's")
    versions = [project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:n], f"{n}.csv")]).version
                for n in (8, 9, 10)]
    assert versions == ["v1", "v2", "v3"]
    assert verify(project.store.dataset_dir(LOTTERY)).ok
    changes = json.loads((project.store.release_dir(LOTTERY, "v3") / "changelog.json").read_text(encoding="utf-8"))
    assert (changes["added"], changes["removed"]) == (1, 0)


def test_new_version_has_changelog_and_chain(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    v1 = project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:10])])
    rows = [dict(r) for r in lottery_rows[1:12]]  # CP…0001 removed, 0011 and 0012 added
    rows[0]["完成情况"] = "已完成" if rows[0]["完成情况"] != "已完成" else "实施中"
    v2 = project.release(LOTTERY, [lottery_csv(tmp_path, rows, "v2.csv")])
    assert (v1.version, v2.version) == ("v1", "v2")
    changes = json.loads((v2.path / "changelog.json").read_text(encoding="utf-8"))
    assert (changes["added"], changes["removed"], changes["changed"]) == (2, 1, 1)
    assert changes["removed_keys"] == ["CP2025-0001"] and changes["added_keys"] == ["CP2025-0011", "CP2025-0012"]
    assert changes["changed_rows"][0]["key"] == "CP2025-0002" and "status" in changes["changed_rows"][0]["fields"]
    m2 = json.loads((v2.path / "manifest.json").read_text(encoding="utf-8"))
    assert m2["previous"] == {"version": "v1",
                              "manifest_sha256": hashlib.sha256((v1.path / "manifest.json").read_bytes()).hexdigest()}
    assert verify(project.store.dataset_dir(LOTTERY)).ok


def test_row_order_does_not_make_a_new_version(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    assert project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:15])]).status == "released"
    again = project.release(LOTTERY, [lottery_csv(tmp_path, list(reversed(lottery_rows[:15])), "rev.csv")])
    assert again.status == "unchanged"


def test_invalid_source_leaves_store_exactly_as_it_was(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    project.run()
    before = tree(project.store.path)
    rows = [dict(r) for r in lottery_rows]
    rows[50]["下达资金"] = "不详"
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, rows)])
    assert outcome.status == "invalid"
    assert tree(project.store.path) == before
    assert not list(project.store.dataset_dir(LOTTERY).glob(".tmp-*"))


def test_failure_while_writing_leaves_no_partial_release(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    import gongkai.release.build as release

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(release, "write_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        project.release(LOTTERY)
    d = project.store.dataset_dir(LOTTERY)
    assert project.store.versions(LOTTERY) == [] and not list(d.glob(".tmp-*"))


def test_verify_detects_tampering_and_broken_chain(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:10])])
    v2 = project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:12], "b.csv")])
    copy = tmp_path / "download"
    import shutil

    shutil.copytree(project.store.dataset_dir(LOTTERY), copy, ignore=shutil.ignore_patterns(".lock"))
    for p in copy.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    assert verify(copy).ok and verify(copy / "v2").ok
    data = copy / "v2" / "data.csv"
    data.write_text(data.read_text(encoding="utf-8").replace("CP2025-0003", "CP2025-9999"), encoding="utf-8")
    result = verify(copy / "v2")
    assert not result.ok and any("data.csv" in p and "sha256" in p for p in result.problems)
    data.write_bytes((v2.path / "data.csv").read_bytes())
    m1 = copy / "v1" / "manifest.json"
    doc = json.loads(m1.read_text(encoding="utf-8"))
    doc["row_count"] += 1  # rewrite history
    m1.write_text(json.dumps(doc), encoding="utf-8")
    result = verify(copy)
    assert not result.ok and any("v2" in p and "chain" in p for p in result.problems)


def test_published_csv_and_xlsx_are_safe_in_excel(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:5]]
    rows[0]["实际效果"] = '=HYPERLINK("http://evil.example","点击")'
    rows[1]["项目主要内容"] = "@SUM(1+1)"
    rows[2]["实际效果"] = "+86 满意"
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, rows)])
    text = (outcome.path / "data.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'@SUM(1+1)" in text and "'+86 满意" in text
    records = {r["project_id"]: r for r in json.loads((outcome.path / "data.json").read_text(encoding="utf-8"))}
    assert records["CP2025-0001"]["effect"].startswith("=HYPERLINK")  # JSON keeps the true value
    con = duckdb.connect()
    [(effect,)] = con.execute(f"SELECT effect FROM read_parquet('{outcome.path / 'data.parquet'}') "
                              "WHERE project_id = 'CP2025-0001'").fetchall()
    assert effect.startswith("=HYPERLINK")
    import openpyxl

    ws = openpyxl.load_workbook(outcome.path / "data.xlsx").active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)  # stored as text, never as a formula


def test_datapackage_validates_with_frictionless(project: Project) -> None:
    for o in project.run():
        pkg = json.loads((o.path / "datapackage.json").read_text(encoding="utf-8"))
        csv_res = next(r for r in pkg["resources"] if r["path"] == "data.csv")
        assert csv_res["hash"] == "sha256:" + hashlib.sha256((o.path / "data.csv").read_bytes()).hexdigest()
        # every resource: the tables row by row, data.parquet as a file (its bytes and sha256)
        assert next(r for r in pkg["resources"] if r["format"] == "parquet")["type"] == "file"
        report = frictionless.Package(pkg, basepath=str(o.path)).validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_release_is_read_only_and_locked(project: Project) -> None:
    o = project.release(LOTTERY)
    assert all(not os.access(p, os.W_OK) or os.geteuid() == 0 for p in o.path.iterdir())
    assert all((p.stat().st_mode & 0o222) == 0 for p in o.path.iterdir())
    project.settings = project.settings.with_(lock_wait=0.3)  # a writer waits that long for another, then gives up
    with project.store.lock(LOTTERY), pytest.raises(StoreError, match="another gongkai process"):
        project.release(LOTTERY)


def test_manifest_records_sources_and_validation(project: Project) -> None:
    o = project.release("fund-allocations")
    m = o.manifest
    assert m is not None
    [src] = m["sources"]
    assert src["encoding"] == "gb18030" and len(src["sha256"]) == 64
    assert m["validation"] == {"valid": True, "errors": 0, "warnings": 0}
    assert m["row_count"] == o.report.rows and m["publisher"]["name"] == "省财政厅"
    assert set(m["files"]) == {p.name for p in o.path.iterdir()} - {"manifest.json"}


def test_privacy_drop_removes_field_from_every_published_file(project: Project) -> None:
    from gongkai.spec import Privacy

    spec = project.spec(LOTTERY)
    project.specs.by_id[LOTTERY] = spec.model_copy(update={"privacy": Privacy(fields={"person_in_charge": "drop"})})
    o = project.release(LOTTERY)
    assert "person_in_charge" not in (o.path / "data.csv").read_text(encoding="utf-8").splitlines()[0]
    assert all("person_in_charge" not in r for r in json.loads((o.path / "data.json").read_text(encoding="utf-8")))
    con = duckdb.connect()
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{o.path / 'data.parquet'}')").fetchall()]
    assert "person_in_charge" not in cols
    pkg = json.loads((o.path / "datapackage.json").read_text(encoding="utf-8"))
    assert "person_in_charge" not in [f["name"] for f in pkg["resources"][0]["schema"]["fields"]]
    assert o.manifest["protection"]["dropped_fields"] == ["person_in_charge"]
    assert o.manifest["protection"]["counts"]["person_in_charge"]["drop"] == o.report.rows


def test_verify_notices_missing_first_versions(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:5])])
    project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:6], "b.csv")])
    copy = tmp_path / "copy"
    shutil.copytree(project.store.dataset_dir(LOTTERY), copy, ignore=shutil.ignore_patterns(".lock", "v1"))
    result = verify(copy)
    assert not result.ok and any("earlier versions are missing" in p for p in result.problems)


def test_published_schema_without_dropped_key(project: Project) -> None:
    from gongkai.spec import Privacy

    spec = project.spec("fund-allocations")
    project.specs.by_id["fund-allocations"] = spec.model_copy(update={"privacy": Privacy(fields={"allocation_id": "drop"})})
    o = project.release("fund-allocations")
    schema = json.loads((o.path / "datapackage.json").read_text(encoding="utf-8"))["resources"][0]["schema"]
    assert "primaryKey" not in schema and "allocation_id" not in [f["name"] for f in schema["fields"]]

