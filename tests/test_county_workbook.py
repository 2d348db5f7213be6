"""A county clerk's workbook as agencies really make it: title row, 填报单位 line, 单位：万元, a merged two-row
header, an empty merged trailing column, a 备注 column, a 合计 row — and exactly three planted errors."""

from __future__ import annotations

from pathlib import Path

from gongkai import Project

from .conftest import problems

LOTTERY = "lottery-welfare-projects"
TOP = ["项目编号", "年度", "资金类别", "项目类别", "项目名称", "项目主要内容", "实施单位", "行政区划代码", "项目周期", None,
       "资金情况", None, None, "项目负责人", "联系电话", "完成情况", "实际效果", None, "备注"]
BOTTOM = [None] * 8 + ["开始日期", "结束日期", "下达资金", "实际支出", "结余"] + [None] * 6
KEYS = ["项目编号", "年度", "资金类别", "项目类别", "项目名称", "项目主要内容", "实施单位", "行政区划代码", "开始日期",
        "结束日期", "下达资金", "实际支出", "结余", "项目负责人", "联系电话", "完成情况", "实际效果"]


def county_workbook(path: Path, rows: list[dict[str, object]]) -> tuple[Path, dict[str, int]]:
    """Write the workbook; return it and the sheet rows of its planted errors."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "资助项目"
    ws.append(["2025年度县级彩票公益金资助项目情况表"])
    ws.merge_cells("A1:S1")
    ws.append(["填报单位：某某县民政局（盖章）"] + [None] * 14 + ["单位：万元"])
    ws.append(TOP)
    ws.append(BOTTOM)
    for c in "ABCDEFGHNOP":
        ws.merge_cells(f"{c}3:{c}4")
    ws.merge_cells("I3:J3")
    ws.merge_cells("K3:M3")
    ws.merge_cells("Q3:R4")  # 实际效果 spans two columns; the second stays empty
    ws.merge_cells("S3:S4")
    data = [dict(r) for r in rows]
    data[0]["项目负责人"] = "扎西"
    planted = {"date": 5 + 3, "number": 5 + 6, "duplicate": 5 + len(data)}
    data[3]["开始日期"] = "2025年13月5日"
    data[6]["下达资金"] = "约五十万"
    data.append(dict(data[1]))
    for r in data:
        ws.append([r[k] for k in KEYS[:16]] + [r[KEYS[16]], None, "无"])
    ws.append(["合计"] + [None] * 18)
    out = path / "某某县彩票公益金.xlsx"
    wb.save(out)
    return out, planted


def test_county_workbook_yields_exactly_its_planted_errors(tmp_path: Path, lottery_rows: list) -> None:
    from .conftest import REPO

    project = Project(REPO, store=tmp_path / "store")
    wb, planted = county_workbook(tmp_path, lottery_rows[:12])
    outcome = project.validate(LOTTERY, [wb])
    errors = [p for p in problems(outcome) if p.severity == "error"]
    assert sorted(p.row for p in errors) == sorted(planted.values()), [p.to_dict() for p in errors]
    warnings = [p for p in problems(outcome) if p.severity == "warning"]
    assert [(p.type, p.column) for p in warnings if p.type == "extra-label"] == [("extra-label", "备注")]
    assert not any("扎西" in (p.column or "") + p.message for p in outcome.report.problems)


def test_merges_are_read_from_the_sheet_xml(tmp_path: Path, lottery_rows: list) -> None:
    from gongkai.ingest.sheets import read_xlsx

    wb, _ = county_workbook(tmp_path, lottery_rows[:12])
    grid = read_xlsx(wb, None)
    assert grid.merged[(3, 17)] == (2, 16, "实际效果") and (2, 9) in grid.merged
