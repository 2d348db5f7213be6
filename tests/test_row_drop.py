"""A release that drops rows: a warning by the suite's ``min_ratio_of_previous``, a refusal where it says error."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai import Project
from gongkai.settings import Settings

from .conftest import lottery_csv, project_copy, strip_partition

DS = "lottery-welfare-projects"
SUITE = "validation/lottery-welfare-projects.suite.yaml"


def project(tmp_path: Path, partitioned: bool, severity: str) -> Project:
    root = project_copy(tmp_path)
    strip_partition(root, DS, keep_field=partitioned)  # partitioned: without the registry, no submitter needed
    suite = root / SUITE
    text = suite.read_text(encoding="utf-8")
    assert "      severity: warning\n" in text
    assert "{min_ratio_of_previous: 0.5}" in text  # 0.95: one county's drop is enough to fall below it
    suite.write_text(text.replace("{min_ratio_of_previous: 0.5}", "{min_ratio_of_previous: 0.95}")
                     .replace("少了一半以上\n      hint: 确认是否漏报了项目；如确属调整，请在报送说明中解释。\n      severity: warning",
                              f"少了一半以上\n      hint: 确认是否漏报了项目；如确属调整，请在报送说明中解释。\n      severity: {severity}"),
                     encoding="utf-8")
    return Project(root, store=tmp_path / "store", settings=Settings(cache=tmp_path / "cache"))


def counties(rows: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        out.setdefault(str(r["行政区划代码"]), []).append(r)
    return out


def drop(p: Project, tmp_path: Path, lottery_rows: list[dict[str, object]], partitioned: bool):  # type: ignore[no-untyped-def]
    """Release everything, then a submission that loses most of the rows."""
    if partitioned:  # each county's file, its partition inferred from its rows (as a pipeline submits it)
        for code, rows in counties(lottery_rows).items():
            first = p.release(DS, [lottery_csv(tmp_path, rows, f"{code}.csv")])
            assert first.status == "released", [x.message for x in first.report.problems]
        fewer = max(counties(lottery_rows).values(), key=len)[:1]
    else:
        first = p.release(DS, [lottery_csv(tmp_path, lottery_rows, "all.csv")])
        assert first.status == "released", [x.message for x in first.report.problems]
        fewer = lottery_rows[: len(lottery_rows) // 4]
    return first, p.release(DS, [lottery_csv(tmp_path, fewer, "fewer.csv")])


@pytest.mark.parametrize("partitioned", [True, False])
def test_a_drop_warns_by_the_suite_share(tmp_path: Path, lottery_rows, partitioned: bool) -> None:
    p = project(tmp_path, partitioned, "warning")
    _, o = drop(p, tmp_path, lottery_rows, partitioned)
    assert o.status == "released"
    warned = [x for x in o.report.problems if x.rule == "row-count-vs-previous" and x.severity == "warning"]
    assert warned, [x.message for x in o.report.problems]
    assert "行数比上一版本少了一半以上" in warned[0].message
    if partitioned:  # the county's own gate does not compare an inferred partition: the assembled total does
        assert "全部分区合计" in warned[-1].message


@pytest.mark.parametrize("partitioned", [True, False])
def test_min_ratio_of_previous_refuses_at_release(tmp_path: Path, lottery_rows, partitioned: bool) -> None:
    p = project(tmp_path, partitioned, "error")
    first, o = drop(p, tmp_path, lottery_rows, partitioned)
    assert o.status == "invalid"
    refused = [x for x in o.report.problems if x.rule == "row-count-vs-previous" and x.severity == "error"]
    assert refused and ("全部分区合计" in refused[-1].message) == partitioned
    assert p.store.latest(DS) == first.version  # the store untouched
    assert p.store.manifest(DS, first.version)["row_count"] == len(lottery_rows)
    if partitioned:
        ddir = p.store.dataset_dir(DS)
        assert not [f for f in ddir.rglob(".*") if f.is_file() and "part" in f.name]  # no staged part left


def test_the_total_warns_when_the_suite_has_no_rule(tmp_path: Path, lottery_rows) -> None:
    p = project(tmp_path, True, "warning")
    suite = p.root / SUITE
    text = suite.read_text(encoding="utf-8")
    start = text.index("  - type: expect_table_row_count_to_be_between")
    end = text.index("      severity: warning\n", start) + len("      severity: warning\n")
    suite.write_text(text[:start] + text[end:], encoding="utf-8")
    p = Project(p.root, store=p.store.path, settings=p.settings)
    big, other = sorted(counties(lottery_rows).values(), key=len, reverse=True)[:2]
    for name, rows in (("big.csv", big), ("other.csv", other)):
        assert p.release(DS, [lottery_csv(tmp_path, rows, name)]).status == "released"
    o = p.release(DS, [lottery_csv(tmp_path, big[:1], "fewer.csv")])  # under 90% of the previous total
    assert o.status == "released"
    warned = [x for x in o.report.problems if "全部分区合计" in x.message]
    assert len(warned) == 1 and warned[0].severity == "warning", [x.message for x in o.report.problems]


def test_validating_one_county_does_not_compare_it_with_the_whole(tmp_path: Path, lottery_rows) -> None:
    p = project(tmp_path, True, "error")
    by_code = counties(lottery_rows)
    for code, rows in by_code.items():
        assert p.release(DS, [lottery_csv(tmp_path, rows, f"{code}.csv")]).status == "released"
    code, rows = next(iter(by_code.items()))
    o = p.validate(DS, [lottery_csv(tmp_path, rows, "again.csv")])  # the same county again: as its release says
    assert o.status == "valid", [x.message for x in o.report.problems if x.severity == "error"]
    assert p.release(DS, [lottery_csv(tmp_path, rows, "again.csv")]).status in ("released", "unchanged")
