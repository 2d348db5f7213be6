"""Regulatory and environmental datasets: each releases from its samples, and each domain rule rejects a source
that breaks it, for that reason and on that row.

Known-bad sources are the generator's own rows (``datasets/samples/gen_regulatory.py``) with one defect planted,
written as a plain UTF-8 CSV; a clean copy of the same rows must pass, so every failure below is the planted one.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gongkai import Project
from gongkai.gate import pii

from .conftest import REPO, load_sample_module, problems
from .privacy_support import published_texts

PG_URL = os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATASETS = ["food-safety-sampling", "administrative-licensing", "administrative-penalties", "key-polluters",
            "drinking-water-quality", "eia-approvals", "department-budgets", "disaster-donations",
            "government-purchased-services"]




gen = load_sample_module("gen_regulatory", "gen_regulatory_under_test")
Rows = list[dict[str, Any]]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def write_rows(tmp_path: Path, rows: Rows, name: str = "source.csv") -> Path:
    """Rows as a one-header UTF-8 CSV: data row i is on line i + 2."""
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(rows[0]))
        w.writerows([[_cell(v) for v in r.values()] for r in rows])
    return path


def check(project: Project, dataset: str, tmp_path: Path, rows: Rows,
          edit: Callable[[Rows], None] | None = None) -> Any:
    rows = [dict(r) for r in rows]
    if edit:
        edit(rows)
    return project.validate(dataset, [write_rows(tmp_path, rows)])


def errors(outcome: Any) -> set[tuple[str, int | None]]:
    """(rule or problem type, row) of every error."""
    return {(p.rule or p.type, p.row) for p in outcome.report.problems if p.severity == "error"}


def findings(outcome: Any) -> set[tuple[str, int | None]]:
    """(rule, row) of every conduct finding: published with the release, never blocking it."""
    return {(p.rule or p.type, p.row) for p in outcome.report.problems if p.finding}


def line(rows: Rows, index: int) -> int:
    return index + 2


def first(rows: Rows, pred: Callable[[dict[str, Any]], bool]) -> int:
    return next(i for i, r in enumerate(rows) if pred(r))


def published(project: Project, dataset: str) -> tuple[Path, list[dict[str, str]]]:
    outcome = project.release(dataset)
    assert outcome.status == "released", [p.message for p in outcome.report.problems][:5]
    assert outcome.path is not None
    with (outcome.path / "data.csv").open(encoding="utf-8") as f:
        return outcome.path, list(csv.DictReader(f))


# -- every dataset releases from its samples ------------------------------------------------------------------------

@pytest.mark.parametrize("dataset", DATASETS)
def test_releases_from_samples(project: Project, dataset: str) -> None:
    outcome = project.release(dataset)
    assert outcome.status == "released", [(p.type, p.rule, p.message) for p in outcome.report.problems][:5]
    assert outcome.report.valid and outcome.report.rows > 0
    assert not [p for p in outcome.report.problems if p.severity == "error"]


# -- food-safety-sampling -------------------------------------------------------------------------------------------

FOOD = "food-safety-sampling"


@pytest.fixture
def food() -> Rows:
    return gen.food_rows()


def test_food_clean_rows_pass(project: Project, tmp_path: Path, food: Rows) -> None:
    assert errors(check(project, FOOD, tmp_path, food)) == set()


def test_food_failed_sample_must_name_item(project: Project, tmp_path: Path, food: Rows) -> None:
    i = first(food, lambda r: r["结果"] == "不合格")

    def edit(rows: Rows) -> None:
        rows[i]["不合格项目"] = rows[i]["检验结果"] = rows[i]["标准值"] = "/"

    assert errors(check(project, FOOD, tmp_path, food, edit)) == {("failed-names-item", line(food, i))}


def test_food_passed_sample_has_no_item(project: Project, tmp_path: Path, food: Rows) -> None:
    i = first(food, lambda r: r["结果"] == "合格")

    def edit(rows: Rows) -> None:
        rows[i].update({"不合格项目": "菌落总数", "检验结果": "2.1×10⁵CFU/g", "标准值": "≤10⁵CFU/g"})

    assert errors(check(project, FOOD, tmp_path, food, edit)) == {("passed-has-no-item", line(food, i))}


def test_food_failed_item_needs_result_and_limit(project: Project, tmp_path: Path, food: Rows) -> None:
    i = first(food, lambda r: r["结果"] == "不合格")

    def edit(rows: Rows) -> None:
        rows[i]["标准值"] = None

    assert errors(check(project, FOOD, tmp_path, food, edit)) == {("failed-item-has-values", line(food, i))}


def test_food_produced_before_announcement(project: Project, tmp_path: Path, food: Rows) -> None:
    i = first(food, lambda r: r["生产日期/批号"] is not None)

    def edit(rows: Rows) -> None:
        rows[i]["生产日期/批号"] = rows[i]["公告日期"] + dt.timedelta(days=1)

    assert errors(check(project, FOOD, tmp_path, food, edit)) == {("produced-before-announcement", line(food, i))}


def test_food_one_date_per_announcement(project: Project, tmp_path: Path, food: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[0]["公告日期"] = dt.date(2025, 9, 25)

    found = errors(check(project, FOOD, tmp_path, food, edit))
    same = {line(food, i) for i, r in enumerate(food) if r["公告号"] == food[0]["公告号"]}
    assert found == {("one-date-per-announcement", n) for n in same}


# -- administrative-licensing ---------------------------------------------------------------------------------------

LIC = "administrative-licensing"


@pytest.fixture
def licensing() -> Rows:
    return gen.licensing_rows()


def test_licensing_clean_rows_pass(project: Project, tmp_path: Path, licensing: Rows) -> None:
    assert errors(check(project, LIC, tmp_path, licensing)) == set()


def test_licensing_published_late(project: Project, tmp_path: Path, licensing: Rows) -> None:
    def edit(rows: Rows) -> None:  # 10 working days: Sep 22–26, the 调休 Sunday 28th, 29, 30, Oct 9, 10
        rows[5].update({"许可决定日期": dt.date(2025, 9, 19), "有效期自": dt.date(2025, 9, 19),
                        "公示日期": dt.date(2025, 10, 10)})

    outcome = check(project, LIC, tmp_path, licensing, edit)
    assert errors(outcome) == set() and outcome.status == "valid"
    assert findings(outcome) == {("published-within-7-working-days", 7)}


def test_licensing_deadline_follows_the_holiday_calendar(project: Project, tmp_path: Path, licensing: Rows) -> None:
    """Counting Monday–Friday would accept row 7 and reject row 8; China's calendar says the opposite."""
    def edit(rows: Rows) -> None:
        # 国庆 2025: Sep 30 → Oct 10 is 8 weekdays but only 2 working days (Oct 1–8 are holidays)
        rows[5].update({"许可决定日期": dt.date(2025, 9, 30), "有效期自": dt.date(2025, 9, 30),
                        "公示日期": dt.date(2025, 10, 10)})
        # 春节 2026 调休: Saturday Feb 28 is a working day, so Feb 24 → Mar 5 is 8 working days (7 weekdays)
        rows[6].update({"许可决定日期": dt.date(2026, 2, 24), "有效期自": dt.date(2026, 2, 24),
                        "公示日期": dt.date(2026, 3, 5)})

    assert findings(check(project, LIC, tmp_path, licensing, edit)) == {("published-within-7-working-days", 8)}


def test_licensing_published_before_decision(project: Project, tmp_path: Path, licensing: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[10]["公示日期"] = rows[10]["许可决定日期"] - dt.timedelta(days=1)

    assert errors(check(project, LIC, tmp_path, licensing, edit)) == {("published-after-decision", 12)}


def test_licensing_validity_in_order(project: Project, tmp_path: Path, licensing: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[11]["有效期至"] = rows[11]["有效期自"] - dt.timedelta(days=1)

    assert errors(check(project, LIC, tmp_path, licensing, edit)) == {("validity-in-order", 13)}


def test_licensing_natural_person_is_masked_and_companies_are_not(project: Project, tmp_path: Path,
                                                                    licensing: Rows) -> None:
    """privacy.only_if: a person's name is masked, a company's name in the same column is published whole."""
    i = first(licensing, lambda r: r["行政相对人类别"] == "自然人")
    k = first(licensing, lambda r: r["行政相对人类别"] == "法人")
    rows = [dict(r) for r in licensing]
    rows[i]["行政相对人名称"] = "李建国"
    outcome = project.release(LIC, [write_rows(tmp_path, rows)])
    assert outcome.status == "released", [p.message for p in outcome.report.problems][:5]
    assert outcome.path is not None
    with (outcome.path / "data.csv").open(encoding="utf-8") as f:
        names = [r["party_name"] for r in csv.DictReader(f)]
    assert "李**" in names and rows[k]["行政相对人名称"] in names
    for path in outcome.path.iterdir():
        assert "李建国".encode() not in path.read_bytes(), path.name
    assert outcome.report.protection["counts"]["party_name"]["mask-name"] == sum(
        1 for r in rows if r["行政相对人类别"] == "自然人")


def test_licensing_natural_person_has_no_code(project: Project, tmp_path: Path, licensing: Rows) -> None:
    i = first(licensing, lambda r: r["行政相对人类别"] == "自然人")
    j = first(licensing, lambda r: r["行政相对人类别"] == "法人")

    def edit(rows: Rows) -> None:
        rows[i]["统一社会信用代码"] = rows[j]["统一社会信用代码"]

    assert errors(check(project, LIC, tmp_path, licensing, edit)) == {("natural-person-no-code", line(licensing, i))}


def test_licensing_organisation_has_code(project: Project, tmp_path: Path, licensing: Rows) -> None:
    j = first(licensing, lambda r: r["行政相对人类别"] == "个体工商户")

    def edit(rows: Rows) -> None:
        rows[j]["统一社会信用代码"] = "/"

    assert errors(check(project, LIC, tmp_path, licensing, edit)) == {("organisation-has-code", line(licensing, j))}


def test_licensing_credit_code_check_character(project: Project, tmp_path: Path, licensing: Rows) -> None:
    j = first(licensing, lambda r: r["行政相对人类别"] == "法人")
    code = licensing[j]["统一社会信用代码"]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")

    def edit(rows: Rows) -> None:
        rows[j]["统一社会信用代码"] = wrong

    outcome = check(project, LIC, tmp_path, licensing, edit)
    assert errors(outcome) == {("identifier-error", line(licensing, j))}
    assert next(p for p in outcome.report.problems if p.type == "identifier-error").field == "party_uscc"


def test_licensing_id_number_in_licence_no_is_refused(project: Project, tmp_path: Path, licensing: Rows) -> None:
    """特种设备作业人员证 numbers used to be the holder's ID number: one typed that way must not be published."""
    i = first(licensing, lambda r: r["许可证书名称"] == "特种设备安全管理和作业人员证")

    def edit(rows: Rows) -> None:
        rows[i]["许可编号"] = rows[i]["证件号码"]

    outcome = check(project, LIC, tmp_path, licensing, edit)
    assert errors(outcome) == {("personal-data", line(licensing, i))}
    p = problems(outcome, "personal-data")[0]
    assert p.field == "licence_no" and licensing[i]["证件号码"] not in (p.message + (p.value or ""))


def _no_personal_data(path: Path, source_ids: set[str]) -> None:
    for f in ("data.csv", "data.json"):
        text = (path / f).read_text(encoding="utf-8")
        assert not [x for x in source_ids if x in text], f
        assert not [c for c in published_texts(path / f) if list(pii.find(c))], f
    import pyarrow.parquet as pq

    assert "id_number" not in pq.read_schema(path / "data.parquet").names
    fields = [fld["name"] for fld in json.loads((path / "datapackage.json").read_text())["resources"][0]["schema"]["fields"]]
    assert "id_number" not in fields


def test_licensing_publishes_no_personal_data(project: Project, licensing: Rows) -> None:
    path, rows = published(project, LIC)
    ids = {r[k] for r in licensing for k in ("证件号码", "法定代表人证件号码") if r[k]}
    assert len(ids) == len(licensing)  # every source row carried an ID number
    _no_personal_data(path, ids)
    assert "legal_rep_id_number" not in rows[0]
    persons = [r for r in rows if r["party_type"] == "自然人"]
    assert persons and all(len(r["party_name"]) == 3 and r["party_name"].endswith("**") for r in persons)
    assert all(r["party_uscc"] == "" for r in persons)


# -- administrative-penalties ---------------------------------------------------------------------------------------

PEN = "administrative-penalties"


@pytest.fixture
def penalties() -> Rows:
    return gen.penalty_rows()


def test_penalties_clean_rows_pass(project: Project, tmp_path: Path, penalties: Rows) -> None:
    assert errors(check(project, PEN, tmp_path, penalties)) == set()


def test_penalties_published_late(project: Project, tmp_path: Path, penalties: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[8].update({"处罚决定日期": dt.date(2025, 9, 19), "公示日期": dt.date(2025, 10, 10)})

    assert findings(check(project, PEN, tmp_path, penalties, edit)) == {("published-within-7-working-days", 10)}


def test_penalties_sample_uses_holiday_calendar(penalties: Rows) -> None:
    """The samples carry decisions before 国庆 2025 and 春节 2026 and a publication on a 调休 Saturday."""
    pairs = {(r["处罚决定日期"], r["公示日期"]) for r in penalties}
    assert (dt.date(2025, 9, 30), dt.date(2025, 10, 10)) in pairs  # 8 weekdays, 2 working days
    assert (dt.date(2026, 2, 13), dt.date(2026, 2, 28)) in pairs  # Saturday Feb 28, 2026 is a working day
    assert not gen.is_workday(dt.date(2025, 10, 6)) and gen.is_workday(dt.date(2026, 2, 28))


def test_penalties_publicity_ends_after_decision(project: Project, tmp_path: Path, penalties: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[9]["公示截止期"] = rows[9]["处罚决定日期"]

    assert errors(check(project, PEN, tmp_path, penalties, edit)) == {("publicity-ends-after-decision", 11)}


def test_penalties_fine_category_needs_amount(project: Project, tmp_path: Path, penalties: Rows) -> None:
    i = first(penalties, lambda r: r["处罚类别"] == "罚款")

    def edit(rows: Rows) -> None:
        rows[i]["罚款金额（万元）"] = "/"

    assert errors(check(project, PEN, tmp_path, penalties, edit)) == {("fine-has-amount", line(penalties, i))}


def test_penalties_amount_needs_fine_category(project: Project, tmp_path: Path, penalties: Rows) -> None:
    i = first(penalties, lambda r: r["处罚类别"] == "警告")

    def edit(rows: Rows) -> None:
        rows[i]["罚款金额（万元）"] = "0.2"

    assert errors(check(project, PEN, tmp_path, penalties, edit)) == {("amount-has-fine", line(penalties, i))}


def test_penalties_revocation_names_licence(project: Project, tmp_path: Path, penalties: Rows) -> None:
    i = first(penalties, lambda r: "吊销" in r["处罚类别"])

    def edit(rows: Rows) -> None:
        rows[i]["暂扣或吊销证照名称及编号"] = None

    assert errors(check(project, PEN, tmp_path, penalties, edit)) == {("licence-action-named", line(penalties, i))}


def test_penalties_fine_not_negative(project: Project, tmp_path: Path, penalties: Rows) -> None:
    i = first(penalties, lambda r: r["处罚类别"] == "罚款")

    def edit(rows: Rows) -> None:
        rows[i]["罚款金额（万元）"] = "-3"

    assert errors(check(project, PEN, tmp_path, penalties, edit)) == {("minimum-error", line(penalties, i))}


def test_penalties_natural_person_is_masked(project: Project, tmp_path: Path, penalties: Rows) -> None:
    i = first(penalties, lambda r: r["行政相对人类别"] == "自然人")
    rows = [dict(r) for r in penalties]
    rows[i]["行政相对人名称"] = "王芳"
    rows[i]["违法事实"] = "当事人王芳未取得许可从事经营"  # the full name elsewhere in the row is refused
    outcome = project.validate(PEN, [write_rows(tmp_path, rows)])
    assert errors(outcome) == {("personal-data", line(penalties, i))}
    assert not any("王芳" in (p.message + (p.value or "")) for p in outcome.report.problems)


def test_penalties_published_in_yuan_without_personal_data(project: Project, penalties: Rows) -> None:
    path, rows = published(project, PEN)
    by_no = {r["decision_no"]: r for r in rows}
    for src in penalties:
        out = by_no[src["行政处罚决定书文号"]]
        fine = src["罚款金额（万元）"]
        assert out["fine"] == (str(round(float(fine) * 10000)) if fine else ""), src["行政处罚决定书文号"]
    _no_personal_data(path, {r["证件号码"] for r in penalties if r["证件号码"]})


# -- key-polluters --------------------------------------------------------------------------------------------------

KP = "key-polluters"


@pytest.fixture
def polluters() -> Rows:
    lists = gen.polluter_rows()
    return [{k: v for k, v in r.items() if k != "序号"} for year in sorted(lists) for r in lists[year]]


def test_polluters_clean_rows_pass(project: Project, tmp_path: Path, polluters: Rows) -> None:
    assert errors(check(project, KP, tmp_path, polluters)) == set()


def test_polluters_code_and_category_unique(project: Project, tmp_path: Path, polluters: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows.insert(4, dict(rows[3]))  # the same unit listed twice for one category

    assert errors(check(project, KP, tmp_path, polluters, edit)) == {("primary-key", 6)}


def test_polluters_region_code_must_exist(project: Project, tmp_path: Path, polluters: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[2]["行政区划代码"] = "539999"
        rows[20]["行政区划代码"] = "533421"  # 中甸县: renamed 香格里拉县 in 2001, since 2014 香格里拉市 533401

    found = errors(check(project, KP, tmp_path, polluters, edit))
    assert {("identifier-error", 4), ("identifier-error", 22)} <= found
    assert {t for t, _ in found} <= {"identifier-error", "one-unit-per-code"}


def test_polluters_one_name_per_code(project: Project, tmp_path: Path, polluters: Rows) -> None:
    i = next(i for i in range(len(polluters) - 1) if polluters[i]["统一社会信用代码"] == polluters[i + 1]["统一社会信用代码"])

    def edit(rows: Rows) -> None:
        rows[i + 1]["单位名称"] += "（新）"

    assert errors(check(project, KP, tmp_path, polluters, edit)) == {("one-unit-per-code", i + 2), ("one-unit-per-code", i + 3)}


def test_polluters_category_from_list(project: Project, tmp_path: Path, polluters: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[0]["重点单位类别"] = "水、大气"  # one row per category

    assert errors(check(project, KP, tmp_path, polluters, edit)) == {("enum-error", 2)}


# -- drinking-water-quality ------------------------------------------------------------------------------------------

DW = "drinking-water-quality"


@pytest.fixture
def water() -> Rows:
    return gen.water_rows()


def test_water_clean_rows_pass(project: Project, tmp_path: Path, water: Rows) -> None:
    assert errors(check(project, DW, tmp_path, water)) == set()


def test_water_compliant_within_intake(project: Project, tmp_path: Path, water: Rows) -> None:
    i = first(water, lambda r: r["达标情况"] == "不达标")

    def edit(rows: Rows) -> None:
        rows[i]["达标水量（万吨）"] = rows[i]["取水量（万吨）"] + 1

    assert errors(check(project, DW, tmp_path, water, edit)) == {("compliant-within-intake", line(water, i))}


def test_water_compliant_has_no_exceedance(project: Project, tmp_path: Path, water: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[0]["超标指标及超标倍数"] = "总磷（0.1倍）"

    assert errors(check(project, DW, tmp_path, water, edit)) == {("compliant-has-no-exceedance", 2)}


def test_water_noncompliant_names_exceedance(project: Project, tmp_path: Path, water: Rows) -> None:
    i = first(water, lambda r: r["达标情况"] == "不达标")

    def edit(rows: Rows) -> None:
        rows[i]["超标指标及超标倍数"] = "/"

    assert errors(check(project, DW, tmp_path, water, edit)) == {("noncompliant-names-exceedance", line(water, i))}


def test_water_intake_stop_needs_explanation(project: Project, tmp_path: Path, water: Rows) -> None:
    i = first(water, lambda r: r["水源名称"] == "清水海" and r["季度"] == 2)

    def edit(rows: Rows) -> None:
        rows[i]["取水量（万吨）"] = rows[i]["达标水量（万吨）"] = 0
        j = first(rows, lambda r: r["取水量（万吨）"] == 0 and r["备注"])
        rows[j]["备注"] = "水库除险加固"  # the sample's explained stop, explanation no longer names a reason

    found = errors(check(project, DW, tmp_path, water, edit))
    j = first(water, lambda r: r["取水量（万吨）"] == 0)
    assert found == {("intake-stop-explained", line(water, i)), ("intake-stop-explained", line(water, j))}


def test_water_published_in_tonnes(project: Project, water: Rows) -> None:
    _, rows = published(project, DW)
    by_key = {(r["city"], r["source_name"], r["quarter"]): r for r in rows}
    for src in water:
        out = by_key[(src["城市"], src["水源名称"], str(src["季度"]))]
        assert float(out["intake"]) == pytest.approx(src["取水量（万吨）"] * 10000)


# -- eia-approvals ---------------------------------------------------------------------------------------------------

EIA = "eia-approvals"


@pytest.fixture
def eia() -> Rows:
    return gen.eia_rows()


def test_eia_clean_rows_pass(project: Project, tmp_path: Path, eia: Rows) -> None:
    assert errors(check(project, EIA, tmp_path, eia)) == set()


def test_eia_notice_after_acceptance(project: Project, tmp_path: Path, eia: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[4]["受理日期"] = rows[4]["公示开始日期"] + dt.timedelta(days=1)

    assert errors(check(project, EIA, tmp_path, eia, edit)) == {("notice-after-acceptance", 6)}


def test_eia_notice_period_in_order(project: Project, tmp_path: Path, eia: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[6]["公示开始日期"], rows[6]["公示结束日期"] = rows[6]["公示结束日期"], rows[6]["公示开始日期"]

    found = errors(check(project, EIA, tmp_path, eia, edit))
    assert ("notice-period-in-order", 8) in found
    assert {t for t, _ in found} <= {"notice-period-in-order", "notice-five-working-days", "notice-after-acceptance"}


def test_eia_decision_after_notice(project: Project, tmp_path: Path, eia: Rows) -> None:
    i = first(eia, lambda r: r["审批决定日期"] is not None and r is not eia[0])

    def edit(rows: Rows) -> None:
        rows[i]["审批决定日期"] = rows[i]["公示结束日期"] - dt.timedelta(days=1)

    assert errors(check(project, EIA, tmp_path, eia, edit)) == {("decision-after-notice", line(eia, i))}


def test_eia_notice_five_working_days(project: Project, tmp_path: Path, eia: Rows) -> None:
    """Sep 29 – Oct 9, 2025 spans nine weekdays but only three working days (国庆)."""
    i = first(eia, lambda r: r["审批决定日期"] is None)

    def edit(rows: Rows) -> None:
        rows[i].update({"受理日期": dt.date(2025, 9, 15), "公示开始日期": dt.date(2025, 9, 29),
                        "公示结束日期": dt.date(2025, 10, 9)})

    assert errors(check(project, EIA, tmp_path, eia, edit)) == {("notice-five-working-days", line(eia, i))}


def test_eia_decision_has_number(project: Project, tmp_path: Path, eia: Rows) -> None:
    i = first(eia, lambda r: r["审批文号"] is not None)

    def edit(rows: Rows) -> None:
        rows[i]["审批文号"] = None

    assert errors(check(project, EIA, tmp_path, eia, edit)) == {("decision-has-number", line(eia, i))}


def test_eia_builder_credit_code(project: Project, tmp_path: Path, eia: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[3]["建设单位统一社会信用代码"] = rows[3]["建设单位统一社会信用代码"][:17] + "I"

    assert errors(check(project, EIA, tmp_path, eia, edit)) == {("identifier-error", 5)}


# -- department-budgets ------------------------------------------------------------------------------------------------

DB = "department-budgets"


@pytest.fixture
def budgets() -> Rows:
    return [r for rows in gen.budget_rows().values() for r in rows]


def _index(rows: Rows, dept: str, code: str) -> int:
    return first(rows, lambda r: r["部门"] == dept and r["科目编码"] == code)


def test_budgets_clean_rows_pass(project: Project, tmp_path: Path, budgets: Rows) -> None:
    assert errors(check(project, DB, tmp_path, budgets)) == set()


def test_budgets_section_is_sum_of_items(project: Project, tmp_path: Path, budgets: Rows) -> None:
    item = _index(budgets, "省民政厅", "2080202")

    def edit(rows: Rows) -> None:
        rows[item]["决算数（万元）"] = round(rows[item]["决算数（万元）"] + 12.5, 2)

    assert errors(check(project, DB, tmp_path, budgets, edit)) == {
        ("section-is-sum-of-items", line(budgets, _index(budgets, "省民政厅", "20802")))}


def test_budgets_class_is_sum_of_sections(project: Project, tmp_path: Path, budgets: Rows) -> None:
    item, section = _index(budgets, "省教育厅", "2050205"), _index(budgets, "省教育厅", "20502")

    def edit(rows: Rows) -> None:  # item and section agree with each other, the class no longer does
        for k in (item, section):
            rows[k]["预算数（万元）"] = round(rows[k]["预算数（万元）"] + 100, 2)

    assert errors(check(project, DB, tmp_path, budgets, edit)) == {
        ("class-is-sum-of-sections", line(budgets, _index(budgets, "省教育厅", "205")))}


def test_budgets_parent_listed(project: Project, tmp_path: Path, budgets: Rows) -> None:
    section = _index(budgets, "省生态环境厅", "22102")
    items = [i for i, r in enumerate(budgets) if r["部门"] == "省生态环境厅" and str(r["科目编码"]).startswith("22102")
             and i != section]

    def edit(rows: Rows) -> None:
        del rows[section]

    found = errors(check(project, DB, tmp_path, budgets, edit))
    assert found == {("parent-listed", line(budgets, i) - 1) for i in items}  # rows below moved up one line


def test_budgets_outturn_not_negative(project: Project, tmp_path: Path, budgets: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[5]["决算数（万元）"] = -rows[5]["决算数（万元）"]

    found = errors(check(project, DB, tmp_path, budgets, edit))
    assert ("minimum-error", 7) in found


def test_budgets_published_without_total_rows(project: Project, budgets: Rows) -> None:
    _, rows = published(project, DB)
    assert len(rows) == len(budgets) and not [r for r in rows if "合计" in r["subject_code"]]
    assert all(r["subject_name"] == r["subject_name"].strip("\u3000 ") for r in rows)  # indentation trimmed


# -- disaster-donations ------------------------------------------------------------------------------------------------

DD = "disaster-donations"


@pytest.fixture
def donations() -> Rows:
    return gen.donation_rows()


def test_donations_clean_rows_pass(project: Project, tmp_path: Path, donations: Rows) -> None:
    assert errors(check(project, DD, tmp_path, donations)) == set()


def test_donations_used_within_received(project: Project, tmp_path: Path, donations: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[0]["直接用于受助人的款物"] = rows[0]["捐赠资金"] * 20

    event, report = donations[0]["项目编号"], donations[0]["截至日期"]
    same = {line(donations, i) for i, r in enumerate(donations) if (r["项目编号"], r["截至日期"]) == (event, report)}
    assert errors(check(project, DD, tmp_path, donations, edit)) == {("used-within-received", n) for n in same}


def test_donations_operating_cost_share_is_a_warning(project: Project, tmp_path: Path, donations: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[0]["项目运行费用"] = rows[0]["捐赠资金"] - rows[0]["直接用于受助人的款物"]

    outcome = check(project, DD, tmp_path, donations, edit)
    assert errors(outcome) == set() and outcome.report.valid
    assert any(p.rule == "operating-cost-share" and p.severity == "warning" for p in outcome.report.problems)


def test_donations_progress_never_decreases(project: Project, tmp_path: Path, donations: Rows) -> None:
    i = first(donations, lambda r: r["截至日期"] == gen.REPORT_DATES[2])

    def edit(rows: Rows) -> None:
        rows[i]["恢复重建进展（%）"] = 5

    assert errors(check(project, DD, tmp_path, donations, edit)) == {("progress-not-decreasing", line(donations, i))}


def test_donations_progress_is_a_percentage(project: Project, tmp_path: Path, donations: Rows) -> None:
    def edit(rows: Rows) -> None:
        rows[-1]["恢复重建进展（%）"] = 120

    assert errors(check(project, DD, tmp_path, donations, edit)) == {("maximum-error", len(donations) + 1)}


def test_donations_mixed_units_published_in_yuan(project: Project, donations: Rows) -> None:
    _, rows = published(project, DD)
    by_key = {(r["event_id"], r["report_date"], r["village"]): r for r in rows}
    for src in donations:
        out = by_key[(src["项目编号"], src["截至日期"].isoformat(), src["村（社区）"])]
        assert (float(out["donation_money"]), float(out["direct_aid"])) == (src["捐赠资金"], src["直接用于受助人的款物"])


# -- government-purchased-services ----------------------------------------------------------------------------------

GPS = "government-purchased-services"


@pytest.fixture
def services() -> Rows:
    return gen.service_rows()


def test_services_clean_rows_pass(project: Project, tmp_path: Path, services: Rows) -> None:
    assert errors(check(project, GPS, tmp_path, services)) == set()


def test_services_code_matches_level(project: Project, tmp_path: Path, services: Rows) -> None:
    i = first(services, lambda r: r["目录编码"] == "A0101")

    def edit(rows: Rows) -> None:
        rows[i]["级次"] = "二级"

    assert errors(check(project, GPS, tmp_path, services, edit)) == {("code-matches-level", line(services, i))}


def test_services_parent_listed(project: Project, tmp_path: Path, services: Rows) -> None:
    i = first(services, lambda r: r["目录编码"] == "A05")

    def edit(rows: Rows) -> None:
        del rows[i]

    children = {line(services, k) - 1 for k, r in enumerate(services) if r["目录编码"].startswith("A05") and k != i}
    assert errors(check(project, GPS, tmp_path, services, edit)) == {("parent-listed", n) for n in children}


def test_services_third_level_names_purchaser(project: Project, tmp_path: Path, services: Rows) -> None:
    i = first(services, lambda r: r["级次"] == "三级")

    def edit(rows: Rows) -> None:
        rows[i]["购买主体"] = None

    assert errors(check(project, GPS, tmp_path, services, edit)) == {("purchaser-named", line(services, i))}


# -- the same rules inside PostgreSQL ----------------------------------------------------------------------------------

@pytest.mark.postgres
def test_working_day_rules_run_in_postgres(tmp_path: Path, licensing: Rows) -> None:
    rows = [dict(r) for r in licensing]
    rows[5].update({"许可决定日期": dt.date(2025, 9, 30), "有效期自": dt.date(2025, 9, 30), "公示日期": dt.date(2025, 10, 10)})
    rows[6].update({"许可决定日期": dt.date(2026, 2, 24), "有效期自": dt.date(2026, 2, 24), "公示日期": dt.date(2026, 3, 5)})
    source = write_rows(tmp_path, rows)
    outcome = Project(REPO, store=tmp_path / "s", database_url=PG_URL).validate(LIC, [source])
    assert any("postgresql" in c for c in outcome.report.checks)
    assert findings(outcome) == {("published-within-7-working-days", 8)}
