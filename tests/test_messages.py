"""What a clerk reads: the cell as typed, its spreadsheet reference, the header as written, a hint per problem,
and counts that match the list."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gongkai import Project

from .conftest import lottery_csv, problems
from .test_county_workbook import county_workbook

LOTTERY = "lottery-welfare-projects"


def test_a_sheet_problem_quotes_the_cell_as_typed_with_its_reference(project: Project, tmp_path: Path,
                                                                      lottery_rows: list) -> None:
    wb, planted = county_workbook(tmp_path, lottery_rows[:12])
    outcome = project.validate(LOTTERY, [wb])
    date = next(p for p in problems(outcome) if p.field == "start_date")
    assert date.value == "2025年13月5日" and "「2025年13月5日」" in date.message  # not the normalised 2025-13-05
    assert (date.row, date.cell, date.sheet) == (planted["date"], f"I{planted['date']}", "资助项目")
    assert date.column == "项目周期/开始日期" and "单元格 I8" in date.where
    assert date.to_dict()["cell"] == "I8"


def test_html_report_gives_each_problem_its_hint_and_counts_match(project: Project, tmp_path: Path,
                                                                  lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:8]]
    rows[1]["下达资金"] = "约五十万"
    rows[2]["开始日期"] = "2025年13月5日"
    path = lottery_csv(tmp_path, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(5, "")  # a blank row: a warning beside the errors
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = project.validate(LOTTERY, [path])
    report = outcome.report
    report.write_html(tmp_path / "r.html")
    report.write_json(tmp_path / "r.json")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert "<title>校验报告 彩票公益金资助项目" in page or "<title>校验报告 " + report.title in page
    assert report.title and report.title in page and data["title"] == report.title
    number, date = (next(p for p in report.problems if p.field == f) for f in ("amount_allocated", "start_date"))
    assert number.hint != date.hint
    type_rows = page.split("<code>type-error</code>")[2].split("</table>")[0]
    assert number.hint in type_rows and date.hint in type_rows  # each row its own hint
    assert "「2025年13月5日」" in type_rows and "「约五十万」" in type_rows
    summary = dict(re.findall(r"<code>([a-z-]+)</code></td><td>[^<]+</td><td>(\d+)</td>", page))
    assert {k: int(v) for k, v in summary.items()} == data["counts"]
    assert data["errors"] == 2 and data["warnings"] == 1 and "2 个错误，1 个警告" in page
