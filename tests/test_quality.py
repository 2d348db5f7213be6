"""Quality suites: rules across columns and rows, on pandas and inside PostgreSQL, with the same findings."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from gongkai import Project

from .conftest import REPO, lottery_csv, problems, unpartitioned, write_csv

LOTTERY = "lottery-welfare-projects"
PG_URL = os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """lottery-welfare-projects as an ordinary dataset: these tests release rows of many counties in one file."""
    return unpartitioned(tmp_path)


def _planted_lottery(tmp_path: Path, lottery_rows: list) -> Path:
    rows = [dict(r) for r in lottery_rows[:30]]
    rows[3]["结束日期"] = rows[3]["开始日期"].replace(year=2024)  # type: ignore[union-attr]
    rows[5]["实际支出"] = rows[5]["下达资金"] + 1  # type: ignore[operator]
    rows[5]["结余"] = -1
    rows[8]["结余"] = rows[8]["结余"] + 0.5  # type: ignore[operator]
    rows[10]["完成情况"], rows[10]["实际支出"], rows[10]["结余"] = "未启动", 1, rows[10]["下达资金"] - 1  # type: ignore[operator]
    return lottery_csv(tmp_path, rows)


EXPECTED_LOTTERY = {("period-order", 5), ("spent-within-allocated", 7), ("balance-carries", 10),
                    ("unstarted-without-spending", 12)}


def _found(outcome) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return {(p.rule, p.row) for p in problems(outcome, "quality")}


def test_lottery_rules_find_planted_rows(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    outcome = project.validate(LOTTERY, [_planted_lottery(tmp_path, lottery_rows)])
    assert _found(outcome) == EXPECTED_LOTTERY
    p = next(p for p in problems(outcome, "quality") if p.rule == "spent-within-allocated")
    assert p.message == "实际支出超过下达资金" and p.hint and p.file == "lottery.csv"
    assert "amount_allocated=" in (p.value or "")


def _allocations(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    raw = next(REPO.glob("datasets/samples/fund-allocations/*.csv")).read_bytes().decode("gbk")
    rows = list(csv.DictReader(io.StringIO(raw)))
    edit(rows)
    return write_csv(tmp_path / "alloc.csv", rows)


def test_children_must_not_exceed_parent(project: Project, tmp_path: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        child = next(r for r in rows if r["上级分配编号"] == "FP2025-LT-530100")
        child["金额（万元）"] = "999,999.00"  # one county gets more than its city received

    outcome = project.validate("fund-allocations", [_allocations(tmp_path, edit)])
    found = {(p.rule, p.row) for p in problems(outcome, "quality") if p.severity == "error"}
    assert ("children-within-parent", 3) in found  # the city row (line 3) is the parent over-spent
    assert outcome.status == "invalid"


def test_clean_allocations_pass(project: Project, tmp_path: Path) -> None:
    outcome = project.validate("fund-allocations", [_allocations(tmp_path, lambda rows: None)])
    assert outcome.report.valid and not problems(outcome, "quality")


def test_level_and_date_order(project: Project, tmp_path: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        county = next(r for r in rows if r["层级"] == "县")
        county["层级"] = "省"
        county["下达日期"] = "2024年12月1日"

    outcome = project.validate("fund-allocations", [_allocations(tmp_path, edit)])
    rules = {p.rule for p in problems(outcome, "quality")}
    assert {"level-order", "follows-parent"} <= rules


def test_row_count_drop_is_a_warning_against_previous_release(project: Project, tmp_path: Path,
                                                              lottery_rows: list) -> None:
    assert project.release(LOTTERY).status == "released"
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:20])])
    [w] = [p for p in outcome.report.problems if p.rule == "row-count-vs-previous"]
    assert w.severity == "warning" and "20" in w.message
    assert outcome.status == "released" and outcome.version == "v2"  # warnings do not block
    assert outcome.report.warning_count == 1


def test_first_release_skips_relative_row_count(project: Project) -> None:
    outcome = project.validate(LOTTERY)
    assert any("row-count-vs-previous: skipped" in n for n in outcome.report.notes)


@pytest.mark.postgres
def test_postgres_engine_gives_same_findings(tmp_path: Path, lottery_rows: list) -> None:
    path = _planted_lottery(tmp_path, lottery_rows)
    pandas_outcome = Project(REPO, store=tmp_path / "a").validate(LOTTERY, [path])
    pg_outcome = Project(REPO, store=tmp_path / "b", database_url=PG_URL).validate(LOTTERY, [path])
    assert any("postgresql" in c for c in pg_outcome.report.checks)
    assert _found(pg_outcome) == _found(pandas_outcome) == EXPECTED_LOTTERY
    import psycopg2

    with psycopg2.connect(PG_URL) as con, con.cursor() as cur:  # the scratch table is gone
        cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'gongkai_work'")
        assert cur.fetchone()[0] == 0


@pytest.mark.postgres
def test_postgres_engine_on_hierarchy_rules(tmp_path: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        next(r for r in rows if r["上级分配编号"] == "FP2025-LT-530100")["金额（万元）"] = "999,999.00"

    path = _allocations(tmp_path, edit)
    outcome = Project(REPO, store=tmp_path / "s", database_url=PG_URL).validate("fund-allocations", [path])
    assert ("children-within-parent", 3) in {(p.rule, p.row) for p in problems(outcome, "quality")}


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    from gongkai.errors import DatabaseError

    project = Project(REPO, store=tmp_path / "s", database_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseError, match="cannot connect to the PostgreSQL database"):
        project.validate(LOTTERY)
