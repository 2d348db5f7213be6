"""Conduct findings are published with the release and counted in compliance; data defects still refuse."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from gongkai import Project
from gongkai.errors import ConfigError
from gongkai.schedule.compliance import build
from gongkai.spec.suite import load_suite

from .conftest import REPO
from .test_domain_regulatory import LIC, gen, write_rows


def test_a_late_licence_is_published_with_its_flag_and_counted_late(tmp_path: Path) -> None:
    rows = [dict(r) for r in gen.licensing_rows()]
    # 10 working days: Sep 22–26, the 调休 Sunday 28th, 29, 30, Oct 9, 10 → late (the rule is 7)
    rows[5].update({"许可决定日期": dt.date(2025, 9, 19), "有效期自": dt.date(2025, 9, 19), "公示日期": dt.date(2025, 10, 10)})
    project = Project(REPO, store=tmp_path / "store")
    outcome = project.release(LIC, [write_rows(tmp_path, rows)])
    assert outcome.status == "released" and outcome.path is not None and outcome.manifest is not None
    [flag] = list(csv.DictReader(io.StringIO((outcome.path / "findings.csv").read_text(encoding="utf-8"))))
    assert (flag["rule"], flag["finding"], flag["finding_zh"], flag["row"]) == (
        "published-within-7-working-days", "late", "逾期公示", "7")
    assert flag["key"] == rows[5]["行政许可决定文书号"]
    assert outcome.manifest["findings"]["by_category"] == {"late": 1}
    data = (outcome.path / "data.csv").read_text(encoding="utf-8")
    assert rows[5]["行政许可决定文书号"] in data  # the late record itself is published
    today = dt.date.fromisoformat(outcome.manifest["created"][:10])
    report = build(project, today.year, agency="省市场监管局", as_of=today)
    [row] = [r for r in report.rows if r.domain == project.spec(LIC).domain]
    assert (row.late_rows, row.findings) == (1, 1)
    assert "逾期公示记录" in report.to_markdown()


def test_a_clean_release_has_no_findings_file(tmp_path: Path) -> None:
    project = Project(REPO, store=tmp_path / "store")
    outcome = project.release(LIC, [write_rows(tmp_path, [dict(r) for r in gen.licensing_rows()])])
    assert outcome.path is not None and outcome.manifest is not None
    assert not (outcome.path / "findings.csv").exists() and outcome.manifest["findings"] == {"total": 0}


@pytest.mark.parametrize(("meta", "message"), [
    ("kind: conduct", "must be defect or finding"),
    ("kind: finding\n      finding: rude", "must be one of late"),
])
def test_a_wrong_kind_is_named(tmp_path: Path, meta: str, message: str) -> None:
    path = tmp_path / "x.suite.yaml"
    path.write_text("expectations:\n  - type: unexpected_rows_expectation\n    kwargs:\n"
                    "      unexpected_rows_query: SELECT * FROM {batch}\n    meta:\n      id: r\n      " + meta + "\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_suite(path, ["a"])


def test_a_finding_never_blocks_even_if_it_says_error(tmp_path: Path) -> None:
    path = tmp_path / "x.suite.yaml"
    path.write_text("expectations:\n  - type: unexpected_rows_expectation\n    kwargs:\n"
                    "      unexpected_rows_query: SELECT * FROM {batch}\n    meta:\n      id: r\n      kind: finding\n"
                    "      finding: late\n      severity: error\n", encoding="utf-8")
    [e] = load_suite(path, ["a"]).expectations
    assert (e.kind, e.finding, e.severity) == ("finding", "late", "warning")
