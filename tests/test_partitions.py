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
