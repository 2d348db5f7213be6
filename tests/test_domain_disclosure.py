"""政策文件及解读 and 特困/临时/医疗救助 spending: the committed messy samples release, late 解读 and overspending are
published findings, and sums, dates and cumulative figures that do not hold refuse the release.

Samples: datasets/samples/policy-documents/ (GBK CSV of 14 documents of 云南省民政厅; the 解读 of 云民发〔2026〕21号,
published 2026-09-30, came on 10-12 — the 4th working day after 国庆 with the 10-10 调休 Saturday; 云民规〔2026〕6号 of
10-20 has none; 云政办发〔2026〕12号 of 02-12 was explained on 02-24, the 3rd working day across 春节 counting the
02-14 调休 Saturday) and datasets/samples/social-assistance-spending/ (three monthly CSVs of 8 counties in 万元, with
a title, a unit note and a 合计 row; 德钦县's 临时救助 goes above its budget in September and October).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from gongkai import Project

from .conftest import REPO, problems
from .privacy_support import published_texts

PD, SP = "policy-documents", "social-assistance-spending"
PD_FILE = REPO / "datasets/samples/policy-documents/云南省民政厅政策文件目录（2026年）.csv"
SP_DIR = REPO / "datasets/samples/social-assistance-spending"


def rules(outcome, severity: str = "error") -> set[str]:  # type: ignore[no-untyped-def]
    """Rules broken at this severity, conduct findings apart."""
    return {p.rule for p in problems(outcome, "quality") if p.severity == severity and not p.finding}


def findings(outcome) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    path = outcome.path / "findings.csv"
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))) if path.exists() else []


def _edited(src: Path, dst: Path, encoding: str, edit: Callable[[list[list[str]]], None]) -> Path:
    rows = list(csv.reader(io.StringIO(src.read_text(encoding=encoding))))
    edit(rows)
    with dst.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return dst


# -- 政策文件及解读 -----------------------------------------------------------------------------------------------


def test_policy_documents_release_with_late_interpretations_flagged(project: Project) -> None:
    outcome = project.release(PD)
    assert outcome.status == "released", [p.message for p in outcome.report.problems if p.severity == "error"]
    assert outcome.report.rows == 14
    flags = {(f["rule"], f["finding"], f["row"]) for f in findings(outcome)}
    assert flags == {("interpretation-within-3-working-days", "late", "13"),
                     ("normative-document-interpreted", "late", "14")}
    assert rules(outcome, "warning") == {"doc-no-form"}  # 云民函［2026］45号: full-width square brackets
    data = list(csv.DictReader(io.StringIO((outcome.path / "data.csv").read_text(encoding="utf-8"))))
    by_no = {r["doc_no"]: r for r in data}
    late = by_no["云民发〔2026〕21号"]  # the late row itself is published
    assert (late["publish_date"], late["interpretation_date"]) == ("2026-09-30", "2026-10-12")
    assert by_no["云民规〔2026〕3号"]["written_date"] == "2026-04-28"  # full-width digits in a Chinese date
    assert by_no["云政办发〔2026〕12号"]["interpretation_date"] == "2026-02-24"  # across 春节: on time, unflagged
    assert "" in by_no and by_no[""]["title"].endswith("名单的通知")  # "—" (no 文号) is empty
    assert outcome.manifest is not None and outcome.manifest["findings"]["by_category"] == {"late": 2}


@pytest.mark.parametrize("rule", ["published-after-written", "interpretation-after-document",
                                  "interpretation-complete"])
def test_policy_document_defects_refuse(project: Project, tmp_path: Path, rule: str) -> None:
    def edit(rows: list[list[str]]) -> None:
        row = rows[12]  # 云民发〔2026〕21号 (file row 13): written 09-24, published 09-30, 解读 10-12
        if rule == "published-after-written":
            row[7], row[8], row[13] = "2026-10-21", "2026-10-20", "2026-10-21"  # 成文 after 发布
        elif rule == "interpretation-after-document":
            row[13] = "2026-09-29"  # 解读 before the document
        else:
            row[13], row[14] = "", ""  # 解读 title kept, its date and link gone
    outcome = project.validate(PD, [_edited(PD_FILE, tmp_path / "政策文件.csv", "gbk", edit)])
    assert outcome.status == "invalid"
    assert rule in rules(outcome)
    [p] = [p for p in problems(outcome, "quality") if p.rule == rule]
    assert (p.file, p.row) == ("政策文件.csv", 13) and p.hint


def test_policy_document_number_year_must_match_written_date(project: Project, tmp_path: Path) -> None:
    def edit(rows: list[list[str]]) -> None:
        rows[2][3] = "云民发〔2026〕60号"  # written 2025-12-26
    outcome = project.validate(PD, [_edited(PD_FILE, tmp_path / "政策文件.csv", "gbk", edit)])
    assert outcome.status == "valid" and "doc-no-year" in rules(outcome, "warning")


# -- 特困供养、临时救助和医疗救助资金支出 ---------------------------------------------------------------------------

SP_MONTHS = {m: SP_DIR / f"2026年{m}月社会救助资金支出情况表.csv" for m in (8, 9, 10)}
SP_ENC = {8: "utf-8-sig", 9: "gbk", 10: "utf-8-sig"}
FIRST = 3  # title, unit note, header: data starts at list index 3 (file row 4)


def test_spending_releases_with_overspending_flagged(project: Project) -> None:
    outcome = project.release(SP)
    assert outcome.status == "released", [p.message for p in outcome.report.problems if p.severity == "error"]
    assert outcome.report.rows == 24
    flags = {(f["rule"], f["finding"], f["key"]) for f in findings(outcome)}
    assert flags == {("spent-within-budget", "overspent", k) for k in ("2026 / 9 / 533422", "2026 / 10 / 533422")}
    assert outcome.path is not None
    data = list(csv.DictReader(io.StringIO((outcome.path / "data.csv").read_text(encoding="utf-8"))))
    [deqin] = [r for r in data if r["region_code"] == "533422" and r["month"] == "10"]
    assert float(deqin["temporary_ytd"]) == 24886800  # 2,488.68 万元 in 元, exactly
    assert float(deqin["temporary_ytd"]) > float(deqin["temporary_budget"])
    [huize] = [r for r in data if r["region_code"] == "530326" and r["month"] == "9"]
    assert float(huize["extreme_poverty_month"]) > 0  # full-width digits read
    assert not [c for c in published_texts(outcome.path / "data.csv") if "合计" in c]


def _sp_sources(tmp_path: Path, month: int, edit: Callable[[list[list[str]]], None]) -> list[Path]:
    return [_edited(p, tmp_path / p.name, SP_ENC[m], edit if m == month else lambda rows: None)
            for m, p in SP_MONTHS.items()]


def _bump(rows: list[list[str]], index: int, column: int, by: float) -> None:
    rows[index][column] = f"{float(rows[index][column].replace(',', '')) + by:.2f}"


@pytest.mark.parametrize(("month", "column", "rule"), [
    (8, 16, "parts-sum-to-totals"),              # 三项合计本月支出 off by 1 万元
    (9, 12, "medical-parts-sum"),                # 直接救助 changed, 小计 not
    (10, 5, "ytd-carries-from-previous-month"),  # 特困 本月 up by 1 万元, 本年累计 not
])
def test_spending_defects_refuse(project: Project, tmp_path: Path, month: int, column: int, rule: str) -> None:
    def edit(rows: list[list[str]]) -> None:
        _bump(rows, FIRST, column, 1)
        _bump(rows, len(rows) - 1, column, 1)  # keep the 合计 row consistent: only the rule under test fails
        if rule == "ytd-carries-from-previous-month":  # 三项合计本月 follows, the 累计 columns do not
            _bump(rows, FIRST, 16, 1)
            _bump(rows, len(rows) - 1, 16, 1)
    outcome = project.validate(SP, _sp_sources(tmp_path, month, edit))
    assert outcome.status == "invalid"
    assert rules(outcome) == {rule}
    [p] = [p for p in problems(outcome, "quality") if p.rule == rule]
    assert (p.file, p.row) == (SP_MONTHS[month].name, FIRST + 1) and p.hint


def test_spending_total_row_is_verified(project: Project, tmp_path: Path) -> None:
    outcome = project.validate(SP, _sp_sources(tmp_path, 9, lambda rows: _bump(rows, len(rows) - 1, 4, 100)))
    assert outcome.status == "invalid"
    assert any("合计" in p.message for p in outcome.report.problems if p.severity == "error")


@pytest.mark.postgres
@pytest.mark.parametrize("dataset", [PD, SP])
def test_postgres_engine_gives_the_same_problems(tmp_path: Path, dataset: str) -> None:
    """The rules are portable SQL (LIKE, LEAST, date + integer, gk_working_days in both engines)."""
    from .services import PG_URL

    def seen(outcome) -> list[tuple]:  # type: ignore[no-untyped-def]
        return sorted((p.rule or "", p.file or "", p.row or 0, p.severity) for p in outcome.report.problems)

    duck = Project(REPO, store=tmp_path / "a").validate(dataset)
    pg = Project(REPO, store=tmp_path / "b", database_url=PG_URL).validate(dataset)
    assert any("postgresql" in c for c in pg.report.checks)
    assert seen(pg) == seen(duck) and duck.status == pg.status == "valid"
