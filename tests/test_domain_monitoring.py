"""Monitoring and registry datasets (``datasets/samples/gen_monitoring.py``): each releases from its samples, and
each rule rejects (or reports as a finding) a source that breaks it, on that row.

Known-bad sources are the generator's own rows with one defect planted; the clean rows must pass.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gongkai import Project

from .conftest import load_sample_module
from .privacy_support import published_texts
from .test_domain_regulatory import Rows, check, errors, findings, first, line

gen = load_sample_module("gen_monitoring", "gen_monitoring_under_test")
DATASETS = ["key-polluter-emissions", "drinking-water-supply-quality", "social-organizations"]


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


# -- social-organizations -------------------------------------------------------------------------------------------

ORGS = "social-organizations"


@pytest.fixture
def orgs() -> Rows:
    return gen.organisation_rows()


def test_orgs_clean_rows_pass_and_missed_inspections_are_findings(project: Project, tmp_path: Path,
                                                                   orgs: Rows) -> None:
    outcome = check(project, ORGS, tmp_path, orgs)
    assert errors(outcome) == set()
    bad = {line(orgs, i) for i, r in enumerate(orgs) if r["年检（年报）结论"] in ("不合格", "未参加年检")}
    assert len(bad) >= 3
    assert {r for rule, r in findings(outcome) if rule == "inspection-failed"} == bad


def test_orgs_type_matches_credit_code(project: Project, tmp_path: Path, orgs: Rows) -> None:
    i = first(orgs, lambda r: r["社会组织类型"] == "基金会")

    def edit(rows: Rows) -> None:
        rows[i]["社会组织类型"] = "社会团体"

    found = errors(check(project, ORGS, tmp_path, orgs, edit))
    assert ("type-matches-code", line(orgs, i)) in found
    assert {rule for rule, _ in found} <= {"type-matches-code", "one-organisation-per-code"}


def test_orgs_one_registration_per_code(project: Project, tmp_path: Path, orgs: Rows) -> None:
    i = first(orgs, lambda r: r["年度"] == 2024 and any(o["统一社会信用代码"] == r["统一社会信用代码"]
                                                        for o in orgs if o["年度"] == 2023))

    def edit(rows: Rows) -> None:
        rows[i]["社会组织名称"] += "（更名）"

    found = errors(check(project, ORGS, tmp_path, orgs, edit))
    assert ("one-organisation-per-code", line(orgs, i)) in found and {r for r, _ in found} == {
        "one-organisation-per-code"}


def test_orgs_no_inspection_before_registration(project: Project, tmp_path: Path, orgs: Rows) -> None:
    i = first(orgs, lambda r: len({o["成立登记日期"] for o in orgs if o["统一社会信用代码"] == r["统一社会信用代码"]}) == 1
              and sum(o["统一社会信用代码"] == r["统一社会信用代码"] for o in orgs) == 1)

    def edit(rows: Rows) -> None:
        rows[i]["成立登记日期"] = dt.date(rows[i]["年度"] + 1, 3, 1)

    assert errors(check(project, ORGS, tmp_path, orgs, edit)) == {("inspected-after-registration", line(orgs, i))}


def test_orgs_credit_code_check_character(project: Project, tmp_path: Path, orgs: Rows) -> None:
    code = orgs[0]["统一社会信用代码"]

    def edit(rows: Rows) -> None:
        for r in rows:
            if r["统一社会信用代码"] == code:
                r["统一社会信用代码"] = code[:17] + ("0" if code[17] != "0" else "1")

    assert any(row == line(orgs, 0) for _, row in errors(check(project, ORGS, tmp_path, orgs, edit)))


def test_orgs_publish_no_legal_representative(project: Project, orgs: Rows) -> None:
    outcome = project.release(ORGS)
    assert outcome.status == "released" and outcome.path is not None
    published = "\n".join(t for p in outcome.path.rglob("*") if p.is_file() for t in published_texts(p))
    names = {r["法定代表人"] for r in orgs}
    assert names and not [n for n in names if n in published]
