"""The command line: thin over the library, exit codes 0 / 1 / 2, stable JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai.cli import cli

from .conftest import FIXTURES, generator, lottery_csv

LOTTERY = "lottery-welfare-projects"


@pytest.fixture
def gk(tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, ["--store", str(tmp_path / "store"), *args], catch_exceptions=False)
        return result.exit_code, result.output

    return run


def test_list_shows_datasets(gk) -> None:  # type: ignore[no-untyped-def]
    code, out = gk("--json", "list")
    assert code == 0
    assert {d["id"] for d in json.loads(out)} >= {LOTTERY, "fund-allocations", "culture-sports-facilities"}


def test_run_then_history_verify_diff(gk, tmp_path: Path, lottery_rows: list) -> None:  # type: ignore[no-untyped-def]
    code, out = gk("run")
    assert code == 0 and "已发布" in out
    code, out = gk("run")
    assert code == 0 and "无变化" in out
    own = generator.by_county(lottery_rows)["533401"]  # 香格里拉市 re-submits its file, two projects fewer
    code, out = gk("release", LOTTERY, "--source", str(lottery_csv(tmp_path, own[:-2])), "--submitter",
                   "xianggelila-minzheng")
    assert code == 0 and "v2" in out
    code, out = gk("--json", "history", LOTTERY)
    assert [h["version"] for h in json.loads(out)] == ["v1", "v2"]
    code, out = gk("--json", "diff", LOTTERY, "v1", "v2")
    assert code == 0 and json.loads(out)["removed"] == 2  # every other county's rows kept
    code, out = gk("verify", str(tmp_path / "store" / LOTTERY))
    assert code == 0 and "verified 2 release(s)" in out
    manifest = tmp_path / "store" / LOTTERY / "v1" / "data.json"
    manifest.chmod(0o644)
    manifest.write_text("[]", encoding="utf-8")
    code, out = gk("verify", str(tmp_path / "store" / LOTTERY))
    assert code == 1 and "data.json" in out


def test_validate_invalid_exits_1_with_location(gk, tmp_path: Path, lottery_rows: list) -> None:  # type: ignore[no-untyped-def]
    rows = [dict(r) for r in lottery_rows[:5]]
    rows[2]["年度"] = "去年"
    html = tmp_path / "report.html"
    code, out = gk("validate", LOTTERY, "--source", str(lottery_csv(tmp_path, rows)), "--report-html", str(html))
    assert code == 1
    assert "校验未通过" in out and "第 4 行" in out and "去年" in out
    assert "去年" in html.read_text(encoding="utf-8")


def test_validate_json_error_shape(gk, tmp_path: Path, lottery_rows: list) -> None:  # type: ignore[no-untyped-def]
    """Scripts depend on this shape: change it only with a version bump."""
    rows = [dict(r) for r in lottery_rows[:5]]
    rows[1]["下达资金"] = "x"
    code, out = gk("--json", "validate", LOTTERY, "--source", str(lottery_csv(tmp_path, rows)))
    assert code == 1
    doc = json.loads(out)
    assert {"dataset", "valid", "rows", "errors", "warnings", "counts", "problems", "sources", "checks"} <= set(doc)
    assert doc["valid"] is False and doc["counts"] == {"type-error": 1}
    [p] = doc["problems"]
    assert p == {"type": "type-error", "title": "数据类型错误", "message": "「x」不是有效的数字",
                 "hint": p["hint"], "file": "lottery.csv", "row": 3, "field": "amount_allocated",
                 "column": "下达资金（万元）", "cell": "O3", "value": "x", "severity": "error"}


def test_bad_source_exits_1(gk) -> None:  # type: ignore[no-untyped-def]
    code, out = gk("release", LOTTERY, "--source", str(FIXTURES / "not-really-excel.xlsx"))
    assert code == 1 and "不是 Excel 工作簿" in out and "未发布" in out


@pytest.mark.parametrize("args", [
    ("validate", "no-such-dataset"),
    ("diff", LOTTERY, "v1", "v9"),
    ("history",),
])
def test_usage_errors_exit_2(gk, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    code, _ = gk(*args)
    assert code == 2


def test_unknown_dataset_suggests_name(gk) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", "lottery-welfare-project"])
    assert result.exit_code == 2 and "did you mean 'lottery-welfare-projects'" in result.output
