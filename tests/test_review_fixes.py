"""Regression tests for defects found in review: each names the input that used to go wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gongkai import Project, verify
from gongkai.ckan import CkanUnavailable, Client

from .conftest import lottery_csv, problems, write_csv

LOTTERY = "lottery-welfare-projects"


def test_cell_with_line_break_is_read(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:5]]
    rows[2]["实际效果"] = "第一期完成\n第二期实施中"
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, rows)])
    assert outcome.status == "released" and outcome.report.rows == 5


def test_total_row_with_fullwidth_space_is_recognised(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:4]]
    total = {k: "" for k in rows[0]}
    total["项目编号"] = "合　计"
    for k in ("下达资金", "实际支出", "结余"):
        total[k] = round(sum(float(r[k]) for r in rows), 2)  # type: ignore[arg-type]
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, [*rows, total])])
    assert outcome.status == "released" and outcome.report.rows == 4
    assert outcome.report.sources[0]["total_rows_dropped"] == 1


def test_total_in_wan_yuan_rounded_to_two_decimals_is_not_a_mismatch(project: Project, tmp_path: Path,
                                                                    lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:2]]
    rows[0]["下达资金"], rows[0]["实际支出"], rows[0]["结余"] = 1.234567, 1.0, 0.234567
    rows[1]["下达资金"], rows[1]["实际支出"], rows[1]["结余"] = 2.345678, 2.0, 0.345678
    total = {k: "" for k in rows[0]} | {"项目编号": "合计", "下达资金": 3.58, "实际支出": 3.0, "结余": 0.58}
    outcome = project.validate(LOTTERY, [lottery_csv(tmp_path, [*rows, total])])
    assert not problems(outcome, "total-mismatch")
    total["下达资金"] = 3.60  # 200 元 off: still found
    outcome = project.validate(LOTTERY, [lottery_csv(tmp_path, [*rows, total], "b.csv")])
    assert [p.field for p in problems(outcome, "total-mismatch")] == ["amount_allocated"]


def test_integer_beyond_bigint_is_a_type_error(project: Project, tmp_path: Path) -> None:
    import random

    from .conftest import generator

    rows = generator.dibao_roster(random.Random(generator.SEED))[:3]
    rows[1]["保障人数"] = "99999999999999999999"
    outcome = project.validate("dibao-recipients", [write_csv(tmp_path / "r.csv", rows)])
    assert [(p.type, p.row) for p in problems(outcome) if p.field == "persons"] == [("type-error", 3)]


def test_verify_notices_missing_first_versions(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:5])])
    project.release(LOTTERY, [lottery_csv(tmp_path, lottery_rows[:6], "b.csv")])
    copy = tmp_path / "copy"
    shutil.copytree(project.store.dataset_dir(LOTTERY), copy, ignore=shutil.ignore_patterns(".lock", "v1"))
    result = verify(copy)
    assert not result.ok and any("earlier versions are missing" in p for p in result.problems)


def test_schema_unit_must_be_the_base_unit(tmp_path: Path) -> None:
    from gongkai.errors import ConfigError
    from gongkai.schema import check_schema

    with pytest.raises(ConfigError, match="publish in the base unit '元', not '万元'"):
        check_schema(tmp_path / "x.schema.json", {"fields": [{"name": "a", "type": "number", "unit": "万元"}]})


def test_ckan_writes_are_not_retried_blindly() -> None:
    c = Client("http://127.0.0.1:9", "secret-token", retries=2, backoff=0.01, timeout=2)
    with pytest.raises(CkanUnavailable, match="run the same command again"):
        c.call("package_patch", {"id": "x"})
    assert c.calls["package_patch"] == 1  # a write CKAN may have saved is never sent twice
    with pytest.raises(CkanUnavailable):
        c.call("package_show", {"id": "x"})
    assert c.calls["package_show"] == 3  # reads are retried
    assert "secret-token" not in repr(c)


def test_published_schema_without_dropped_key(project: Project) -> None:
    from gongkai.spec import Privacy

    spec = project.spec("fund-allocations")
    project.catalog.specs["fund-allocations"] = spec.model_copy(update={"privacy": Privacy(fields={"allocation_id": "drop"})})
    o = project.release("fund-allocations")
    schema = json.loads((o.path / "datapackage.json").read_text(encoding="utf-8"))["resources"][0]["schema"]
    assert "primaryKey" not in schema and "allocation_id" not in [f["name"] for f in schema["fields"]]
