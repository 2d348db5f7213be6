"""Structural problems of agency files as typed problems with row and column, every other check still running:
missing cells, blank labels, blank rows, trailing commas, empty first sheets, long cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai import Project

from .conftest import lottery_csv, problems, unpartitioned
from .table_support import gate

LOTTERY = "lottery-welfare-projects"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """lottery-welfare-projects as an ordinary dataset: these tests release rows of many counties in one file."""
    return unpartitioned(tmp_path)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_short_row_is_a_missing_cell_and_other_rows_are_still_checked(project: Project, tmp_path: Path,
                                                                       lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:6]]
    rows[4]["年度"] = "20x5"
    path = lottery_csv(tmp_path, rows)
    lines = _lines(path)
    lines[2] = ",".join(lines[2].split(",")[:5])  # row 3 cut after 项目名称
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = project.validate(LOTTERY, [path])
    missing = problems(outcome, "missing-cell")
    assert [(p.row, p.column) for p in missing] == [(3, "项目主要内容")]
    assert "缺少「项目主要内容」" in missing[0].message and missing[0].hint
    assert ("type-error", 6) in {(p.type, p.row) for p in problems(outcome)}


def test_blank_header_cell_with_values_is_a_blank_label_and_rows_are_still_checked(project: Project, tmp_path: Path,
                                                                                    lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:5]]
    rows[3]["下达资金"] = "约五十万"
    path = lottery_csv(tmp_path, rows)
    lines = _lines(path)
    at = lines[0].split(",").index("完成情况")
    lines[0] = lines[0].replace("完成情况", "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = project.validate(LOTTERY, [path])
    blank = problems(outcome, "blank-label")
    assert [(p.row, p.column) for p in blank] == [(1, "ABCDEFGHIJKLMNOPQRS"[at])]
    assert f"第 {at + 1} 列" in blank[0].message and "5 个单元格有内容" in blank[0].message
    assert ("missing-label", "status") in {(p.type, p.field) for p in problems(outcome)}
    assert [(p.type, p.row) for p in problems(outcome, "type-error")] == [("type-error", 5)]
    assert not any("/" in (p.column or "") for p in problems(outcome))  # no data row pulled into the header


def test_trailing_comma_on_every_line_keeps_the_header_one_row(project: Project, tmp_path: Path,
                                                               lottery_rows: list) -> None:
    path = lottery_csv(tmp_path, lottery_rows[:5])
    path.write_text("".join(line + ",\n" for line in _lines(path)), encoding="utf-8")
    outcome = project.validate(LOTTERY, [path])
    assert outcome.report.valid, [p.to_dict() for p in outcome.report.problems]
    assert outcome.report.rows == 5 and outcome.report.sources[0]["header_row"] == 1


def test_blank_rows_are_warnings_and_empty_lines_do_not_shift_row_numbers(project: Project, tmp_path: Path,
                                                                         lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:6]]
    rows[5]["年度"] = "20x5"
    path = lottery_csv(tmp_path, rows)
    lines = _lines(path)
    lines[3:3] = ["", "," * 18]  # an empty line (DuckDB skips it) and a line of commas: rows 4 and 5
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = project.validate(LOTTERY, [path])
    assert [(p.row, p.severity) for p in problems(outcome, "blank-row")] == [(4, "warning"), (5, "warning")]
    assert [(p.row, p.value) for p in problems(outcome, "type-error")] == [(9, "20x5")]
    assert outcome.report.rows == 6


def test_blank_row_inside_a_sheet_is_a_warning_trailing_ones_are_not(project: Project, tmp_path: Path,
                                                                    lottery_rows: list) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "资助项目"
    path = lottery_csv(tmp_path, lottery_rows[:4])
    import csv

    with path.open(encoding="utf-8") as f:
        grid = list(csv.reader(f))
    for i, row in enumerate(grid):
        ws.append(row)
        if i == 2:
            ws.append([None] * len(row))
    ws.append([None] * 3)
    ws.cell(row=20, column=1).number_format = "0.00"  # formatting left below the data
    wb.save(tmp_path / "p.xlsx")
    outcome = project.validate(LOTTERY, [tmp_path / "p.xlsx"])
    assert [(p.row, p.sheet, p.severity) for p in problems(outcome, "blank-row")] == [(4, "资助项目", "warning")]
    assert outcome.report.valid and outcome.report.rows == 4


def test_empty_first_sheet_says_so_and_names_the_other_sheets(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.create_sheet("数据").append(["id"])
    wb.save(tmp_path / "w.xlsx")
    [p] = gate(tmp_path, tmp_path / "w.xlsx", [{"name": "id", "type": "integer"}]).problems
    assert (p.type, p.sheet) == ("empty-file", "说明")
    assert "工作表「说明」是空的" in p.message and "数据" in p.hint and "source.sheet" in p.hint


def test_a_one_megabyte_cell_is_read_whole(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:3]]
    rows[1]["项目主要内容"] = "建设内容说明。" * 150_000  # ≈ 3 MB of UTF-8 in one cell
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, rows)])
    assert outcome.report.valid, [p.message[:200] for p in outcome.report.problems]
    import csv
    import sys

    csv.field_size_limit(sys.maxsize)
    with (outcome.path / "data.csv").open(encoding="utf-8") as f:
        got = max(len(r["content"]) for r in csv.DictReader(f))
    assert got == len("建设内容说明。") * 150_000


def test_values_under_no_header_in_a_sheet_are_a_blank_label(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["编号", None, "金额"])
    ws.append([1, "备注写在这里", 10])
    ws.append([2, None, 20])
    wb.save(tmp_path / "b.xlsx")
    fields = [{"name": "id", "title": "编号", "type": "integer"}, {"name": "amount", "title": "金额", "type": "number"}]
    report = gate(tmp_path, tmp_path / "b.xlsx", fields)
    [p] = report.problems
    assert (p.type, p.sheet, p.row, p.column) == ("blank-label", "数据", 1, "B") and "第 2 行" in p.message
    assert report.rows == 2


def test_ragged_rows_far_below_the_head_are_found(tmp_path: Path) -> None:
    """Rows past the lines read for header detection: a long and a short one, found by their numbers."""
    lines = ["id,name,age"] + [f"{i},n{i},{20 + i % 50}" for i in range(1, 200)]
    lines[120] += ",extra"
    lines[150] = "150,n150"
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fields = [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}, {"name": "age", "type": "integer"}]
    report = gate(tmp_path, tmp_path / "r.csv", fields)
    assert [(p.type, p.row) for p in report.problems] == [("extra-cell", 121), ("missing-cell", 151)]
    assert report.rows == 199


def test_a_short_row_is_one_missing_cell_but_a_blank_cell_inside_it_is_still_required(project: Project, tmp_path: Path,
                                                                                       lottery_rows: list) -> None:
    path = lottery_csv(tmp_path, lottery_rows[:6])
    lines = _lines(path)
    cells = lines[2].split(",")[:5]
    cells[4] = ""  # 项目名称 left blank, then the row cut
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = [(p.type, p.row, p.column) for p in problems(project.validate(LOTTERY, [path]))]
    assert sorted(got) == [("missing-cell", 3, "项目主要内容"), ("required-error", 3, "项目名称")], got
