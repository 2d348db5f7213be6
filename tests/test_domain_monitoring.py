"""Monitoring and registry datasets (``datasets/samples/gen_monitoring.py``): each releases from its samples, and
each rule rejects (or reports as a finding) a source that breaks it, on that row.

Known-bad sources are the generator's own rows with one defect planted; the clean rows must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai import Project

from .conftest import load_sample_module
from .test_domain_regulatory import Rows, check, errors, findings, first, line

gen = load_sample_module("gen_monitoring", "gen_monitoring_under_test")
DATASETS = ["key-polluter-emissions", "drinking-water-supply-quality"]


@pytest.mark.parametrize("dataset", DATASETS)
def test_releases_from_samples(project: Project, dataset: str) -> None:
    outcome = project.release(dataset)
    assert outcome.status == "released", [(p.type, p.rule, p.message) for p in outcome.report.problems][:5]
    assert outcome.report.rows > 0 and not [p for p in outcome.report.problems if p.severity == "error"]


# -- key-polluter-emissions -----------------------------------------------------------------------------------------

EMISSIONS = "key-polluter-emissions"


@pytest.fixture
def emissions() -> Rows:
    return gen.emission_rows()


def test_emissions_clean_rows_pass_and_exceedances_are_findings(project: Project, tmp_path: Path,
                                                                 emissions: Rows) -> None:
    outcome = check(project, EMISSIONS, tmp_path, emissions)
    assert errors(outcome) == set()
    over = {line(emissions, i) for i, r in enumerate(emissions) if r["排放浓度"] > r["标准限值"]}
    assert len(over) == 2
    assert {r for rule, r in findings(outcome) if rule == "concentration-over-limit"} == over


def test_emissions_undeclared_exceedance(project: Project, tmp_path: Path, emissions: Rows) -> None:
    i = first(emissions, lambda r: r["超标情况"] == "超标")

    def edit(rows: Rows) -> None:
        rows[i]["超标情况"] = "未超标"

    assert errors(check(project, EMISSIONS, tmp_path, emissions, edit)) == {("exceedance-matches-limit",
                                                                            line(emissions, i))}


def test_emissions_unit_fits_outlet(project: Project, tmp_path: Path, emissions: Rows) -> None:
    i = first(emissions, lambda r: r["浓度单位"] == "mg/L")

    def edit(rows: Rows) -> None:
        rows[i]["浓度单位"] = "mg/m³"

    assert errors(check(project, EMISSIONS, tmp_path, emissions, edit)) == {("unit-fits-outlet", line(emissions, i))}


def test_emissions_total_over_permit_is_a_finding(project: Project, tmp_path: Path, emissions: Rows) -> None:
    i = first(emissions, lambda r: r["监测日期"].month == 6)

    def edit(rows: Rows) -> None:
        rows[i]["排放总量（吨）"] = rows[i]["核定排放总量（吨）"] * 3

    outcome = check(project, EMISSIONS, tmp_path, emissions, edit)
    assert errors(outcome) == set()
    assert ("total-within-permit", line(emissions, i)) in findings(outcome)


def test_emissions_units_are_those_of_the_key_polluter_list(emissions: Rows) -> None:
    listed = {(r["统一社会信用代码"], r["单位名称"]) for r in gen.polluter_rows()[2025]}
    assert {(r["统一社会信用代码"], r["单位名称"]) for r in emissions} <= listed


# -- drinking-water-supply-quality ----------------------------------------------------------------------------------

SUPPLY = "drinking-water-supply-quality"


@pytest.fixture
def supply() -> Rows:
    return gen.supply_rows()


def test_supply_clean_rows_pass_and_failures_are_findings(project: Project, tmp_path: Path, supply: Rows) -> None:
    outcome = check(project, SUPPLY, tmp_path, supply)
    assert errors(outcome) == set()
    failed = {line(supply, i) for i, r in enumerate(supply) if r["是否达标"] == "不达标"}
    assert len(failed) == 2
    assert {r for rule, r in findings(outcome) if rule == "result-not-compliant"} == failed


@pytest.mark.parametrize(("limit", "value"), [("≤1", "1.3"), ("≥0.05", "0.03"), ("6.5-8.5", "8.6"),
                                              ("不得检出", "2")])
def test_supply_status_must_match_each_kind_of_limit(project: Project, tmp_path: Path, supply: Rows,
                                                     limit: str, value: str) -> None:
    i = first(supply, lambda r: r["限值"] == limit and r["是否达标"] == "达标")

    def edit(rows: Rows) -> None:
        rows[i]["检测值"] = value

    assert errors(check(project, SUPPLY, tmp_path, supply, edit)) == {("status-matches-limit", line(supply, i))}


def test_supply_compliant_value_marked_failed(project: Project, tmp_path: Path, supply: Rows) -> None:
    i = first(supply, lambda r: r["检测值"] == "未检出")

    def edit(rows: Rows) -> None:
        rows[i]["是否达标"] = "不达标"

    assert errors(check(project, SUPPLY, tmp_path, supply, edit)) == {("status-matches-limit", line(supply, i))}


def test_supply_tap_chlorine_needs_tap_limit(project: Project, tmp_path: Path, supply: Rows) -> None:
    i = first(supply, lambda r: r["检测指标"] == "游离氯" and r["水样类型"] == "出厂水")

    def edit(rows: Rows) -> None:
        rows[i]["限值"] = "≥0.05"

    assert errors(check(project, SUPPLY, tmp_path, supply, edit)) == {("chlorine-limit-of-type", line(supply, i))}


def test_supply_unreadable_limit_is_refused(project: Project, tmp_path: Path, supply: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[0]["限值"] = "小于1"

    assert any(row == line(supply, 0) for _, row in errors(check(project, SUPPLY, tmp_path, supply, edit)))
