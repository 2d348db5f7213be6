"""Datasets of group social: 社会救助统计, 彩票公益金使用情况, 学生资助汇总 and 民办学校名录.

Each releases from its bundled messy samples, and a source broken in one known way is refused for that reason
(one test per domain rule). Broken sources are made with the sample generator's own builders and writers, so
they keep every other mess of the real samples (merged headers, 万元, full-width digits, GBK, 合计 rows).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from gongkai import Project
from gongkai.gate import pii

from .conftest import REPO, load_sample_module, problems
from .privacy_support import published_texts

SA, LF, SAS, PS = "social-assistance-statistics", "lottery-fund-summary", "student-aid-summary", "private-schools"




gen = load_sample_module("gen_social", "gen_social_for_tests")
Rows = list[dict[str, object]]


def rules(outcome, severity: str = "error") -> set[str]:  # type: ignore[no-untyped-def]
    return {p.rule for p in problems(outcome, "quality") if p.severity == severity}


def types(outcome) -> set[str]:  # type: ignore[no-untyped-def]
    return {p.type for p in outcome.report.problems if p.severity == "error"}


# -- every dataset releases from its samples ------------------------------------------------------------------------


@pytest.mark.parametrize(("dataset", "rows"), [(SA, 54), (LF, 30), (SAS, 92), (PS, 43)])
def test_releases_from_samples(project: Project, dataset: str, rows: int) -> None:
    outcome = project.release(dataset)
    assert outcome.status == "released", [p.message for p in outcome.report.problems]
    assert outcome.report.rows == rows and outcome.report.warning_count == 0
    assert outcome.path is not None
    cells = published_texts(outcome.path / "data.csv")
    assert not [c for c in cells if list(pii.find(c))]  # no ID, mobile or bank card number in any published cell
    package = json.loads((outcome.path / "datapackage.json").read_text(encoding="utf-8"))
    fields = package["resources"][0]["schema"]["fields"]
    assert all(f.get("title") for f in fields)


def _published(project: Project, dataset: str) -> list[dict[str, str]]:
    outcome = project.release(dataset)
    assert outcome.path is not None
    return list(csv.DictReader(io.StringIO((outcome.path / "data.csv").read_text(encoding="utf-8"))))


def test_social_assistance_values_are_converted_and_explained(project: Project) -> None:
    rows = {(r["quarter"], r["region_code"]): r for r in _published(project, SA)}
    src = {(q, str(r["行政区划代码"])): r for q, qrows in gen.social_assistance(gen.rng_for(SA)).items() for r in qrows}
    for (q, code), r in rows.items():  # 本年累计支出 was in 万元 (the sheet's 单位 note): now exactly 元
        assert float(r["urban_dibao_spending"]) == pytest.approx(float(src[(int(q), code)]["城市低保/本年累计支出"]) * 10000)
        # standards were headed （元）, so the 万元 note did not touch them
        assert 300 <= float(r["urban_dibao_standard"]) <= 2000 and 3000 <= float(r["rural_dibao_standard"]) <= 20000
    dropped = rows[("3", gen.EXPLAINED_DROP)]
    assert dropped["extreme_poverty_institutional_persons"] == "0" and "改造" in dropped["note"]
    assert rows[("1", "530102")]["rural_dibao_subsidy"] == ""  # "/": no rural recipients


def test_lottery_summary_keeps_diqing_2023_figures(project: Project) -> None:
    [row] = [r for r in _published(project, LF) if (r["year"], r["region_code"], r["fund_line"]) == ("2023", "533400", "体育")]
    assert (row["opening_balance"], row["income"], row["spent"], row["closing_balance"]) == (
        "4641400", "10249000", "10190400", "4700000")  # 464.14 + 1,024.90 − 1,019.04 = 470.00 万元
    assert row["announced_on"].startswith("2024-06-")


def test_student_aid_amounts_in_wan_yuan_cells_become_yuan(project: Project) -> None:
    rows = _published(project, SAS)
    source = gen.student_aid_summary(gen.rng_for(SAS))
    in_wan = [r for r in source if "万元" in str(r["资助金额"])]
    assert in_wan
    by_key = {(r["academic_year"], r["school_uscc"], r["programme"], r["standard"]): r for r in rows}
    for s in in_wan:
        r = by_key[(s["学年"], s["统一社会信用代码"], s["资助项目"], str(s["资助标准（元/人·年）"]))]
        assert abs(float(r["amount"]) - int(r["persons"]) * float(r["standard"])) <= 50
        assert float(r["amount"]) == pytest.approx(float(str(s["资助金额"]).removesuffix("万元")) * 10000)


def test_private_schools_full_width_codes_and_chinese_dates_are_normalised(project: Project) -> None:
    rows = _published(project, PS)
    assert any("０" in str(v) for r in gen.private_schools(gen.rng_for(PS)) for v in r.values())
    for r in rows:
        assert r["phone"].isascii() and r["licence_no"][2:-1].isdigit() and len(r["licence_no"]) == 18
        assert len(r["issue_date"]) == 10 and r["valid_to"] > r["issue_date"]
        assert r["uscc"].startswith("52")


# -- social-assistance-statistics: known-bad sources ----------------------------------------------------------------


def _sa_sources(tmp_path: Path, edit: Callable[[dict[int, Rows]], None]) -> list[Path]:
    quarters = gen.social_assistance(gen.rng_for(SA))
    edit(quarters)
    tmp_path.mkdir(parents=True, exist_ok=True)
    paths = []
    for q, rows in quarters.items():
        path = tmp_path / f"q{q}.xlsx"
        gen.write_social_assistance_xlsx(rows, path, q)
        paths.append(path)
    return paths


def _county(rows: Rows, code: str) -> dict[str, object]:
    return next(r for r in rows if r["行政区划代码"] == code)


# rule → (quarter, county, the cells to change given all quarters' rows)
SA_DROP = (3, "530326", lambda qs: {"农村低保/人数": 0, "农村低保/户数": 0})  # a finding, not a defect
SA_CASES: dict[str, tuple[int, str, Callable[[dict[int, Rows]], dict[str, object]]]] = {
    "households-within-persons": (2, "530302", lambda qs: {"城市低保/户数": 99999}),
    "urban-standard-range": (1, "530381", lambda qs: {"城市低保/月人均保障标准（元）": 9600}),  # a yearly figure
    "rural-standard-range": (1, "530381", lambda qs: {"农村低保/年人均保障标准（元）": 540}),  # a monthly figure
    "extreme-poverty-standard-range": (3, "533401", lambda qs: {"特困人员救助供养/分散供养月标准（元）": 8580}),
    "subsidy-within-standard": (2, "532501", lambda qs: {"城市低保/月人均补助水平（元）": 900}),
    "cumulative-not-decreasing": (2, "533423", lambda qs: {  # this quarter's spending instead of the year's
        "城市低保/本年累计支出": float(_county(qs[1], "533423")["城市低保/本年累计支出"]) / 2}),  # type: ignore[arg-type]
}
# a monthly figure typed as the rural (yearly) standard is also below the monthly subsidy: both rules name it
SA_ALSO = {"rural-standard-range": {"subsidy-within-standard"}}
FIRST_DATA_ROW = 5  # title, 单位 note, two header rows


@pytest.mark.parametrize("rule", list(SA_CASES))
def test_social_assistance_rule_rejects_bad_source(project: Project, tmp_path: Path, rule: str) -> None:
    quarter, code, change = SA_CASES[rule]
    outcome = project.validate(SA, _sa_sources(tmp_path, lambda qs: _county(qs[quarter], code).update(change(qs))))
    assert outcome.status == "invalid"
    assert rules(outcome) == {rule} | SA_ALSO.get(rule, set())
    [p] = [p for p in problems(outcome, "quality") if p.rule == rule]
    assert (p.file, p.sheet, p.row) == (f"q{quarter}.xlsx", "社会救助", FIRST_DATA_ROW + list(gen.COUNTY_NAMES).index(code))
    assert p.hint


def test_drop_without_explanation_is_a_published_finding(project: Project, tmp_path: Path) -> None:
    """A drop to 0 without 说明 is the agency's conduct to report, not a defect: the release goes ahead."""
    outcome = project.validate(SA, _sa_sources(tmp_path, lambda qs: _county(qs[3], "530326").update(SA_DROP[2](qs))))
    assert outcome.status == "valid"
    [p] = [p for p in problems(outcome, "quality") if p.rule == "unannounced-drop"]
    assert (p.finding, p.severity, p.file, p.row) == ("unexplained-drop", "warning", "q3.xlsx",
                                                      FIRST_DATA_ROW + list(gen.COUNTY_NAMES).index("530326"))


def test_drop_to_zero_with_explanation_passes(project: Project, tmp_path: Path) -> None:
    def edit(qs: dict[int, Rows]) -> None:
        _county(qs[3], "530326").update({"农村低保/人数": 0, "农村低保/户数": 0, "农村低保/月人均补助水平（元）": "/",
                                         "说明": "会泽县农村低保对象9月整体转入城市低保（撤县设市）。"})

    outcome = project.validate(SA, _sa_sources(tmp_path, edit))
    assert "unannounced-drop" not in rules(outcome) and outcome.status == "valid"


def test_social_assistance_total_row_is_verified(project: Project, tmp_path: Path) -> None:
    paths = _sa_sources(tmp_path, lambda qs: None)
    wb = openpyxl.load_workbook(paths[0])
    ws = wb.active
    last = ws.max_row
    assert ws.cell(last, 1).value == "合计"
    ws.cell(last, 6).value = int(ws.cell(last, 6).value) + 100  # 城市低保/人数 total
    wb.save(paths[0])
    outcome = project.validate(SA, paths)
    [p] = problems(outcome, "total-mismatch")
    assert p.field == "urban_dibao_persons" and p.row == last


def test_social_assistance_abolished_region_code(project: Project, tmp_path: Path) -> None:
    def edit(qs: dict[int, Rows]) -> None:
        for rows in qs.values():
            _county(rows, "533401").update({"行政区划代码": "533421"})  # 香格里拉县 until 2014, now 香格里拉市 533401

    outcome = project.validate(SA, _sa_sources(tmp_path, edit))
    found = [p for p in outcome.report.problems if p.type == "identifier-error"]
    row = FIRST_DATA_ROW + list(gen.COUNTY_NAMES).index("533401")
    assert sorted((p.file, p.row) for p in found) == [(f"q{q}.xlsx", row) for q in (1, 2, 3)]
    assert all(p.field == "region_code" and "已撤销" in p.message for p in found)
    assert {p.type for p in outcome.report.problems if p.severity == "error"} <= {"identifier-error", "foreign-key"}


# -- lottery-fund-summary -------------------------------------------------------------------------------------------


def _lf_sources(tmp_path: Path, edit: Callable[[dict[int, Rows]], None]) -> list[Path]:
    years = gen.lottery_fund(gen.rng_for(LF))
    edit(years)
    tmp_path.mkdir(parents=True, exist_ok=True)
    paths = []
    for year, rows in years.items():
        path = tmp_path / f"{year}.csv"
        gen.write_lottery_fund_csv(rows, path, "gbk", gen.rng_for(LF))
        paths.append(path)
    return paths


def _line(rows: Rows, code: str, line: str) -> dict[str, object]:
    return next(r for r in rows if r["行政区划代码"] == code and r["资金类别"] == line)


def _carry(years: dict[int, Rows], year: int, code: str, line: str, **change: int) -> None:
    """Change amounts (hundredths of 万元) of one row and keep its closing balance and later years consistent."""
    row = _line(years[year], code, line)
    row.update(change)
    row["closing"] = int(row["open"]) + int(row["income"]) - int(row["spent"])  # type: ignore[call-overload]
    for later in range(year + 1, max(years) + 1):
        nxt = _line(years[later], code, line)
        nxt["open"] = row["closing"]
        nxt["closing"] = int(nxt["open"]) + int(nxt["income"]) - int(nxt["spent"])  # type: ignore[call-overload]
        row = nxt


def _bump(row: dict[str, object], key: str, by: int) -> None:
    row[key] = int(row[key]) + by  # type: ignore[call-overload]


LF_CASES: dict[str, Callable[[dict[int, Rows]], None]] = {
    # the last year is edited, so that no later opening balance is disturbed
    "closing-balance": lambda ys: _bump(_line(ys[2025], "532900", "民政"), "closing", 100),  # 1.00 万元 too much
    "carry-over": lambda ys: (_bump(_line(ys[2025], "530300", "体育"), "open", 5_000),  # adds up, but 50 万元 appear
                              _bump(_line(ys[2025], "530300", "体育"), "closing", 5_000)),
}


@pytest.mark.parametrize("rule", list(LF_CASES))
def test_lottery_rule_rejects_bad_source(project: Project, tmp_path: Path, rule: str) -> None:
    outcome = project.validate(LF, _lf_sources(tmp_path, LF_CASES[rule]))
    assert rules(outcome) == {rule} and outcome.status == "invalid"
    [p] = [p for p in problems(outcome, "quality") if p.rule == rule]
    assert p.file == "2025.csv" and p.hint


def test_lottery_spending_beyond_available_money(project: Project, tmp_path: Path) -> None:
    def edit(ys: dict[int, Rows]) -> None:
        row = _line(ys[2025], "533400", "民政")
        _carry(ys, 2025, "533400", "民政", spent=int(row["open"]) + int(row["income"]) + 1_000)  # type: ignore[call-overload]

    outcome = project.validate(LF, _lf_sources(tmp_path, edit))
    assert "spent-within-available" in rules(outcome)
    [neg] = [p for p in outcome.report.problems if p.type == "minimum-error"]  # and the balance goes negative
    assert neg.field == "closing_balance" and neg.file == "2025.csv"


def test_lottery_negative_balance(project: Project, tmp_path: Path) -> None:
    outcome = project.validate(LF, _lf_sources(tmp_path, lambda ys: _carry(ys, 2023, "532500", "体育", open=-2_000)))
    assert {(p.type, p.field) for p in outcome.report.problems if p.severity == "error"} == {
        ("minimum-error", "opening_balance")}
    assert not rules(outcome)  # the balance still adds up and carries over: only the sign is wrong


def test_lottery_total_row_is_verified(project: Project, tmp_path: Path) -> None:
    paths = _lf_sources(tmp_path, lambda ys: None)
    text = paths[1].read_bytes().decode("gbk").splitlines()
    total = next(i for i, line in enumerate(text) if ",合计," in line)
    cells = next(csv.reader([text[total]]))
    cells[8] = f"{float(cells[8].replace(',', '')) + 10:,.2f}"  # 本年支出 total 10 万元 off
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    text[total] = buf.getvalue()
    paths[1].write_bytes(("\r\n".join(text) + "\r\n").encode("gbk"))
    outcome = project.validate(LF, paths)
    [p] = problems(outcome, "total-mismatch")
    assert p.field == "spent" and p.file == "2024.csv" and p.row == total + 1


# -- student-aid-summary --------------------------------------------------------------------------------------------


def _sas_source(tmp_path: Path, edit: Callable[[Rows], None]) -> list[Path]:
    rows = gen.student_aid_summary(gen.rng_for(SAS))
    edit(rows)
    path = tmp_path / "aid.xlsx"
    gen.write_student_aid_xlsx(rows, path)
    return [path]


def _aid(rows: Rows, programme: str, stage: str | None = None) -> dict[str, object]:
    return next(r for r in rows if r["资助项目"] == programme and (stage is None or r["学段"] == stage)
                and "万元" not in str(r["资助金额"]))


def _persons(r: dict[str, object]) -> int:
    return int(str(r["资助人数（人）"]).translate(str.maketrans("０１２３４５６７８９", "0123456789")))


SAS_CASES: dict[str, Callable[[Rows], None]] = {
    "amount-equals-persons-times-standard": lambda rows: _aid(rows, "免学费").update(
        {"资助金额": (_persons(_aid(rows, "免学费")) + 3) * 2000}),
    "standard-in-national-range": lambda rows: (r := _aid(rows, "国家奖学金", "普通本专科")).update(
        {"资助标准（元/人·年）": 8000, "资助金额": _persons(r) * 8000}),  # the standard before autumn 2024
    "programme-matches-stage": lambda rows: _aid(rows, "国家助学金", "普通高中").update({"资助项目": "国家励志奖学金"}),
}


@pytest.mark.parametrize("rule", list(SAS_CASES))
def test_student_aid_rule_rejects_bad_source(project: Project, tmp_path: Path, rule: str) -> None:
    outcome = project.validate(SAS, _sas_source(tmp_path, SAS_CASES[rule]))
    assert outcome.status == "invalid"
    found = rules(outcome)
    # a 国家励志奖学金 at a high school also has no valid standard there: both rules name the row
    assert rule in found and found <= {rule, "standard-in-national-range"}
    assert all(p.sheet == "资助汇总" and p.row and p.row >= 5 for p in problems(outcome, "quality"))


def test_student_aid_persons_must_be_positive(project: Project, tmp_path: Path) -> None:
    outcome = project.validate(SAS, _sas_source(tmp_path, lambda rows: _aid(rows, "生活补助").update(
        {"资助人数（人）": 0, "资助金额": 0})))
    assert {(p.type, p.field) for p in outcome.report.problems if p.severity == "error"} == {("minimum-error", "persons")}


def test_student_aid_bad_school_code(project: Project, tmp_path: Path) -> None:
    def edit(rows: Rows) -> None:
        code = str(rows[0]["统一社会信用代码"])
        wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
        for r in rows:
            if r["统一社会信用代码"] == code:
                r["统一社会信用代码"] = wrong

    outcome = project.validate(SAS, _sas_source(tmp_path, edit))
    found = [p for p in outcome.report.problems if p.severity == "error"]
    assert found and {(p.type, p.field) for p in found} == {("identifier-error", "school_uscc")}
    assert "校验码" in found[0].message


# -- private-schools ------------------------------------------------------------------------------------------------


def _ps_source(tmp_path: Path, edit: Callable[[Rows], None]) -> list[Path]:
    rows = gen.private_schools(gen.rng_for(PS))
    edit(rows)
    path = tmp_path / "schools.csv"
    gen.write_csv(rows, path, "gbk")
    return [path]


def test_private_school_licence_must_end_after_issue(project: Project, tmp_path: Path) -> None:
    outcome = project.validate(PS, _ps_source(tmp_path, lambda rows: rows[4].update({"有效期至": "2019年6月30日"})))
    assert rules(outcome) == {"licence-valid-after-issue"}
    [p] = problems(outcome, "quality")
    assert p.row == 6 and p.file == "schools.csv"  # line 6: header + 5th school


def test_private_school_fee_not_negative(project: Project, tmp_path: Path) -> None:
    def edit(rows: Rows) -> None:
        next(r for r in rows if r["住宿费标准"] != "/").update({"住宿费标准": "-1500"})

    outcome = project.validate(PS, _ps_source(tmp_path, edit))
    assert {(p.type, p.field) for p in outcome.report.problems if p.severity == "error"} == {("minimum-error", "boarding_fee")}


def test_private_school_credit_code_unique(project: Project, tmp_path: Path) -> None:
    outcome = project.validate(PS, _ps_source(tmp_path, lambda rows: rows[9].update({"统一社会信用代码": rows[2]["统一社会信用代码"]})))
    [p] = [p for p in outcome.report.problems if p.severity == "error"]
    assert (p.type, p.field, p.row) == ("unique-error", "uscc", 11)


def test_private_school_fee_needs_period(project: Project, tmp_path: Path) -> None:
    def edit(rows: Rows) -> None:
        next(r for r in rows if r["计费周期"] == "学期").update({"计费周期": "/"})

    outcome = project.validate(PS, _ps_source(tmp_path, edit))
    assert rules(outcome) == {"fee-period-given"}


def test_private_school_licence_number_format(project: Project, tmp_path: Path) -> None:
    outcome = project.validate(PS, _ps_source(tmp_path, lambda rows: rows[0].update({"办学许可证号": "教民15301021000001号"})))
    assert {(p.type, p.field) for p in outcome.report.problems if p.severity == "error"} == {("pattern-error", "licence_no")}


def test_private_school_mobile_phone_is_refused_as_personal_data(project: Project, tmp_path: Path) -> None:
    outcome = project.validate(PS, _ps_source(tmp_path, lambda rows: rows[3].update({"联系电话": "13987654321"})))
    found = [p for p in outcome.report.problems if p.severity == "error"]
    assert {p.type for p in found} == {"personal-data"} and found[0].field == "phone"
    assert "13987654321" not in json.dumps(outcome.report.to_dict(), ensure_ascii=False)  # masked in the report


# -- the self-joining rules are portable: PostgreSQL finds the same rows --------------------------------------------

PG_URL = os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.mark.postgres
def test_postgres_engine_finds_the_same_rows(tmp_path: Path) -> None:
    def sa_edit(qs: dict[int, Rows]) -> None:
        for rule in ("households-within-persons", "unannounced-drop", "cumulative-not-decreasing", "subsidy-within-standard"):
            quarter, code, change = SA_DROP if rule == "unannounced-drop" else SA_CASES[rule]
            _county(qs[quarter], code).update(change(qs))
        del qs[3][0]  # a county missing from the third quarter: a warning

    def lf_edit(ys: dict[int, Rows]) -> None:
        for edit in LF_CASES.values():
            edit(ys)

    sa_rules = {"households-within-persons", "unannounced-drop", "cumulative-not-decreasing", "subsidy-within-standard",
                "region-missing-next-quarter"}
    for dataset, paths, expected in ((SA, _sa_sources(tmp_path / "sa", sa_edit), sa_rules),
                                     (LF, _lf_sources(tmp_path / "lf", lf_edit), set(LF_CASES))):
        found = []
        for name, url in (("pandas", None), ("pg", PG_URL)):
            outcome = Project(REPO, store=tmp_path / name, database_url=url).validate(dataset, paths)
            found.append(sorted((p.rule, p.severity, p.file, p.row) for p in problems(outcome, "quality")))
        assert found[0] == found[1]
        assert {rule for rule, *_ in found[0]} == expected
