"""Partitioned datasets: one county's submission replaces only its own partition."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pytest

from gongkai import Project
from gongkai.release.verify import verify
from gongkai.settings import Settings

from .conftest import lottery_csv, problems, project_copy, strip_partition

DS = "lottery-welfare-projects"


@pytest.fixture
def partitioned(tmp_path: Path) -> Project:
    """The bundled project with the lottery dataset partitioned by region code and no agency registry (submissions
    need no submitter)."""
    root = project_copy(tmp_path)
    strip_partition(root, DS, keep_field=True)
    return Project(root, store=tmp_path / "store", settings=Settings(cache=tmp_path / "cache"))


def by_county(rows: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        out.setdefault(str(r["行政区划代码"]), []).append(r)
    return out


def test_one_county_keeps_the_others(partitioned: Project, lottery_rows, tmp_path: Path) -> None:
    counties = by_county(lottery_rows)
    assert len(counties) >= 2
    for code, rows in counties.items():
        o = partitioned.release(DS, [lottery_csv(tmp_path, rows, f"{code}.csv")], submitter=f"agency-{code}")
        assert o.status == "released", [p.message for p in o.report.problems]
    first, *_ = counties
    changed = [dict(r) for r in counties[first]][:1]
    o = partitioned.release(DS, [lottery_csv(tmp_path, changed, "again.csv")])
    assert o.status == "released"
    m = o.manifest
    assert m is not None
    assert m["row_count"] == len(lottery_rows) - len(counties[first]) + 1  # the others kept, not replaced
    assert m["partition_changed"]["partition"] == first
    assert sorted(e["partition"] for e in m["partitions"]) == sorted(counties)
    assert verify(partitioned.store.dataset_dir(DS)).ok


def test_rows_of_another_partition_are_refused(partitioned: Project, lottery_rows, tmp_path: Path) -> None:
    counties = by_county(lottery_rows)
    a, b = list(counties)[:2]
    o = partitioned.release(DS, [lottery_csv(tmp_path, counties[a] + counties[b][:1], "mixed.csv")], partition=a)
    assert o.status == "invalid"
    refused = problems(o, "partition-error")
    assert len(refused) == 1 and refused[0].value == b and refused[0].row
    assert partitioned.store.latest(DS) is None


def test_verify_rebuilds_from_submissions(partitioned: Project, lottery_rows, tmp_path: Path) -> None:
    for code, rows in by_county(lottery_rows).items():
        partitioned.release(DS, [lottery_csv(tmp_path, rows, f"{code}.csv")])
    latest = partitioned.store.latest(DS)
    assert latest
    m = partitioned.store.manifest(DS, latest)
    part = partitioned.store.dataset_dir(DS) / m["partitions"][0]["file"]
    part.chmod(0o644)
    part.write_bytes(part.read_bytes()[:-8] + b"xxxxxxxx")  # a tampered submission
    result = verify(partitioned.store.dataset_dir(DS) / latest)
    assert not result.ok and any("sha256" in p for p in result.problems)


def test_simultaneous_counties_lose_no_update(partitioned: Project, lottery_rows, tmp_path: Path) -> None:
    counties = by_county(lottery_rows)
    files = {c: lottery_csv(tmp_path, rows, f"{c}.csv") for c, rows in counties.items()}
    errors: list[BaseException] = []

    def submit(code: str) -> None:
        try:
            Project(partitioned.root, store=partitioned.store.path, settings=partitioned.settings).release(DS, [files[code]])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=submit, args=(c,)) for c in counties]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    m = partitioned.store.manifest(DS, partitioned.store.latest(DS) or "")
    assert Counter(e["partition"] for e in m["partitions"]) == Counter(list(counties))
    assert m["row_count"] == len(lottery_rows)
    json.dumps(m)


def test_a_partitioned_version_cannot_be_withdrawn_yet(partitioned: Project, lottery_rows, tmp_path: Path) -> None:
    """Its rows live on in the partitions' submissions: withdrawing only the version would hide nothing."""
    from gongkai.errors import UsageError

    code, rows = next(iter(by_county(lottery_rows).items()))
    assert partitioned.release(DS, [lottery_csv(tmp_path, rows, f"{code}.csv")]).version == "v1"
    with pytest.raises(UsageError, match="分区"):
        partitioned.withdraw(DS, "v1", "泄露")
    assert not partitioned.store.is_withdrawn(DS, "v1") and verify(partitioned.store.dataset_dir(DS)).ok


def test_changelog_of_the_changed_partitions_equals_the_whole_compare(partitioned: Project, lottery_rows,
                                                                      tmp_path: Path, monkeypatch) -> None:
    """The changelog of a re-release compares only the changed partitions' rows; it must say what comparing the
    whole versions says: a changed value, a removed and an added row, a new county, a project moving county."""
    from gongkai.gate.pii import scrub_tree
    from gongkai.release import build as build_mod
    from gongkai.release.assemble import Submission, release_partition
    from gongkai.release.diff import diff_versions

    counties = by_county(lottery_rows)
    a, b, d, *kept = sorted(counties, key=lambda k: -len(counties[k]))[:6]
    for code in (a, b, *kept):
        assert partitioned.release(DS, [lottery_csv(tmp_path, counties[code], f"{code}.csv")]).status == "released"
    before = partitioned.store.latest(DS)
    assert before
    rows_a = [dict(r) for r in counties[a]]
    moved = {**rows_a.pop(0), "行政区划代码": b}  # the same project, now county b's
    rows_a[0]["项目名称"] = f"{rows_a[0]['项目名称']}（二期）"
    removed = rows_a.pop()
    rows_a.append({**rows_a[1], "项目编号": "CP2025-9999"})
    files = {a: rows_a, b: [*counties[b], moved], d: counties[d]}
    seen: list[tuple[str | None, str]] = []
    real = build_mod.compare

    def compare(con, old, new, *rest):  # type: ignore[no-untyped-def]
        seen.append((old, new))
        return real(con, old, new, *rest)

    monkeypatch.setattr(build_mod, "compare", compare)
    spec = partitioned.spec(DS)
    subs = [Submission([lottery_csv(tmp_path, rows, f"new-{code}.csv")]) for code, rows in files.items()]
    with partitioned.store.lock(DS):
        status, report, version, path, _ = release_partition(partitioned.store, spec, subs, None, None,
                                                             partitioned.settings.memory_limit, None)
    assert status == "released" and version and path, [p.message for p in report.problems]
    assert seen == [("previous_changed", "final_changed")]  # the kept counties' rows were not compared
    logged = json.loads((path / "changelog.json").read_text(encoding="utf-8"))
    whole = scrub_tree(diff_versions(partitioned.store, spec, before, version))
    assert logged == whole
    assert (logged["added"], logged["removed"], logged["changed"]) == (1 + len(counties[d]), 1, 2)
    assert logged["removed_keys"] == [removed["项目编号"]]
    assert moved["项目编号"] in [r["key"] for r in logged["changed_rows"]]
    assert logged["unchanged"] == len(counties[a]) - 3 + sum(len(counties[k]) for k in (b, *kept))  # kept: too


def test_a_parts_sha256_is_recorded_when_it_is_staged(partitioned: Project, lottery_rows, tmp_path: Path) -> None:
    """Each version lists every part: their sha256 come from s<N>.json, not from hashing them all again;
    a part staged before the sha256 was recorded is hashed. The submitter's personal number is not published."""
    from gongkai.files import sha256_file

    counties = by_county(lottery_rows)
    a, b = list(counties)[:2]
    for code in (a, b):
        o = partitioned.release(DS, [lottery_csv(tmp_path, counties[code], f"{code}.csv")],
                                submitter="联系人 13912345678")
        assert o.status == "released"
    ddir = partitioned.store.dataset_dir(DS)
    meta_a = json.loads((ddir / "partitions" / a / "s1.json").read_text(encoding="utf-8"))
    assert meta_a["sha256"] == sha256_file(ddir / "partitions" / a / "s1.parquet")
    old = ddir / "partitions" / b / "s1.json"
    old.write_text(json.dumps({k: v for k, v in json.loads(old.read_text(encoding="utf-8")).items()
                               if k != "sha256"}), encoding="utf-8")
    o = partitioned.release(DS, [lottery_csv(tmp_path, counties[a][:1], "again.csv")])
    assert o.status == "released" and o.path and o.manifest
    assert {e["file"]: e["sha256"] for e in o.manifest["partitions"]} == {
        f"partitions/{v}/s{n}.parquet": sha256_file(ddir / "partitions" / v / f"s{n}.parquet") for v, n in ((a, 2), (b, 1))}
    assert "13912345678" not in (o.path / "manifest.json").read_text(encoding="utf-8")
    assert verify(ddir).ok


def test_a_personal_number_is_no_partition_name() -> None:
    """A part's path is listed in every manifest: a partition value that reads as a mobile number is refused, and
    the refusal shows it masked."""
    import duckdb

    from gongkai.ingest.workspace import PROTECTED
    from gongkai.release.partitions import submission_value
    from gongkai.report import Report
    from tests.conftest import REPO

    spec = Project(REPO).spec("dibao-county-monthly")
    con = duckdb.connect()
    for value, accepted in (("13512342210", False), ("533422", True)):
        con.execute(f"CREATE OR REPLACE TABLE {PROTECTED} AS SELECT 'f.csv' AS _file, NULL AS _sheet, 2 AS _row, "
                    f"0 AS _src, '{value}' AS region_code")
        report = Report(spec.id)
        assert (submission_value(spec, con, None, report) == value) is accepted
        assert "13512342210" not in json.dumps([p.__dict__ for p in report.problems], ensure_ascii=False)
        assert [p.type for p in report.problems] == ([] if accepted else ["partition-error"])
