"""Reading what agencies really send, and refusing what cannot be read with a clear, located error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from gongkai import Project

from .conftest import FIXTURES, REPO, lottery_csv, problems, unpartitioned, write_csv

LOTTERY = "lottery-welfare-projects"
SAMPLE_XLSX = next((REPO / "datasets" / "samples" / LOTTERY).glob("xianggelila-minzheng/*.xlsx"))  # one county's


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """lottery-welfare-projects as an ordinary dataset: these tests release rows of many counties in one file."""
    return unpartitioned(tmp_path)


def released_rows(outcome, sql: str = "SELECT * FROM t ORDER BY 1"):  # type: ignore[no-untyped-def]
    assert outcome.status == "released", [p.to_dict() for p in outcome.report.problems[:5]]
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{outcome.path / 'data.parquet'}')")
    return con.execute(sql).fetchall()


def assert_store_empty(project: Project, dataset: str) -> None:
    d = project.store.dataset_dir(dataset)
    assert not d.exists() or sorted(p.name for p in d.iterdir()) in ([], [".lock"]), list(d.iterdir())


# -- formats that must be read ----------------------------------------------------------------------------


def test_xlsx_two_row_merged_header_unit_note_and_total_row(project: Project, lottery_rows: list) -> None:
    outcome = project.release(LOTTERY)  # one workbook per county, each with its own 合计 row
    assert sum(s["rows"] for s in outcome.report.sources) == len(lottery_rows)
    assert all(s["header_row"] == 3 and s["total_rows_dropped"] == 1 for s in outcome.report.sources)
    src = outcome.report.sources[0]
    assert src["columns"]["start_date"]["label"] == "项目周期/开始日期"
    assert src["columns"]["amount_allocated"]["unit"] == "万元"  # from the 单位：万元 note above the header
    first = lottery_rows[0]
    got = released_rows(outcome, "SELECT amount_allocated, start_date FROM t WHERE project_id = 'CP2025-0001'")
    assert got == [(pytest.approx(first["下达资金"] * 10_000), first["开始日期"])]


def test_total_row_that_does_not_add_up_is_reported(project: Project, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(SAMPLE_XLSX)
    ws = wb["资助项目"]
    last = ws.max_row
    assert ws.cell(last, 1).value == "合计"
    ws.cell(last, 11).value = ws.cell(last, 11).value + 1  # 合计 of 下达资金 off by 1 万元
    bad = tmp_path / "合计不符.xlsx"
    wb.save(bad)
    outcome = project.validate(LOTTERY, [bad])
    [p] = problems(outcome, "total-mismatch")
    assert p.row == last and p.field == "amount_allocated" and "相差 1" in p.message


def test_gbk_csv_detected_and_units_converted(project: Project) -> None:
    outcome = project.release("fund-allocations")
    assert outcome.report.sources[0]["encoding"] == "gb18030"
    [(amount, date)] = released_rows(outcome, "SELECT amount, issued_date FROM t WHERE allocation_id = 'FP2025-LT-530000'")
    raw = next(REPO.glob("datasets/samples/fund-allocations/*.csv")).read_bytes().decode("gbk")
    line = next(ln for ln in raw.splitlines() if ln.startswith("FP2025-LT-530000,"))
    wan = float(line.split('"')[1].replace(",", ""))  # "10,249.28" 万元
    assert amount == pytest.approx(wan * 10_000)
    assert isinstance(date, dt.date)


def test_utf8_bom_fullwidth_digits_and_slash(project: Project) -> None:
    outcome = project.release("culture-sports-facilities")
    assert outcome.report.sources[0]["encoding"] == "utf-8-sig"
    phones = [r[0] for r in released_rows(outcome, "SELECT phone FROM t WHERE phone IS NOT NULL")]
    assert phones and all(p.isascii() for p in phones)
    raw = next(REPO.glob("datasets/samples/culture-sports-facilities/*.csv")).read_text(encoding="utf-8-sig")
    assert "０８７１－" in raw or "０" in raw  # the sample really has full-width digits
    n_slash = raw.count(",/,") + raw.count(",/\r\n")
    nulls = released_rows(outcome, "SELECT count(*) FROM t WHERE suspension IS NULL OR phone IS NULL")[0][0]
    assert n_slash > 0 and nulls > 0


def test_xls_file(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("资助项目")
    header = list(lottery_rows[0])
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for j, h in enumerate(header):
        ws.write(0, j, h + ("（万元）" if h in ("下达资金", "实际支出", "结余") else ""))
    for i, r in enumerate(lottery_rows[:10], start=1):
        for j, h in enumerate(header):
            v = r[h]
            ws.write(i, j, v, date_style) if isinstance(v, dt.date) else ws.write(i, j, v)
    path = tmp_path / "projects.xls"
    wb.save(str(path))
    outcome = project.release(LOTTERY, [path])
    assert outcome.report.sources[0]["format"] == "xls"
    rows = released_rows(outcome, "SELECT project_id, start_date, amount_spent FROM t ORDER BY 1")
    assert len(rows) == 10
    assert rows[0] == ("CP2025-0001", lottery_rows[0]["开始日期"], pytest.approx(lottery_rows[0]["实际支出"] * 10_000))


def test_json_source_with_chinese_keys(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "facilities.json"
    path.write_text(json.dumps({"data": [{
        "设施编号": "WT530102-900", "机构名称": "五华区图书馆", "类别": "文化", "类型": "公共图书馆", "行政区划代码": "530102",
        "地址": "五华区人民路1号", "开放时间": "周二至周日 9:00-17:00", "每周开放时长": 48, "开放项目": "借阅",
        "是否免费开放": "是", "联系电话": "0871-65550000", "管理单位": "五华区文化和旅游局", "临时停止开放信息": "/"}]},
        ensure_ascii=False), encoding="utf-8")
    rows = released_rows(project.release("culture-sports-facilities", [path]),
                         "SELECT facility_id, weekly_hours, free, suspension FROM t")
    assert rows == [("WT530102-900", 48.0, True, None)]


def test_cell_units_and_thousands_separators(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:3]]
    rows[0]["下达资金"], rows[0]["实际支出"], rows[0]["结余"] = "1,200.50万元", "１２００.５０", "0元"
    rows[1]["开始日期"] = "2025年3月5日"
    path = lottery_csv(tmp_path, rows)
    got = released_rows(project.release(LOTTERY, [path]),
                        "SELECT amount_allocated, amount_spent, balance, start_date FROM t ORDER BY project_id")
    assert got[0][:3] == (12_005_000.0, 12_005_000.0, 0.0)
    assert got[1][3] == dt.date(2025, 3, 5)


# -- bad input: a clear error, nothing released ----------------------------------------------------------


def test_gbk_file_declared_utf8(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    spec = project.spec("fund-allocations")
    project.specs.by_id["fund-allocations"] = spec.model_copy(
        update={"source": spec.source.model_copy(update={"encoding": "utf-8"})})
    outcome = project.release("fund-allocations")
    [p] = problems(outcome)
    assert p.type == "encoding-error" and p.row == 1
    assert "声明为 UTF-8" in p.message and "GBK" in p.message and "source.encoding" in p.hint
    assert outcome.status == "invalid"
    assert_store_empty(project, "fund-allocations")


def test_undecodable_bytes(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes("项目编号,年度\n".encode() + b"\xff\xfe\xfa\x80\x81 bad\n")
    outcome = project.release(LOTTERY, [path])
    [p] = problems(outcome)
    assert p.type == "encoding-error" and "无法识别" in p.message and p.row == 2 and p.file == "garbage.csv"
    assert_store_empty(project, LOTTERY)


def test_empty_file(project: Project) -> None:
    outcome = project.release(LOTTERY, [FIXTURES / "empty.csv"])
    assert [p.type for p in problems(outcome)] == ["empty-file"]
    assert_store_empty(project, LOTTERY)


def test_header_only_file(project: Project) -> None:
    outcome = project.release(LOTTERY, [FIXTURES / "header-only.csv"])
    [p] = problems(outcome)
    assert p.type == "header-only" and "只有表头" in p.message
    assert_store_empty(project, LOTTERY)


def test_not_really_excel(project: Project) -> None:
    outcome = project.release(LOTTERY, [FIXTURES / "not-really-excel.xlsx"])
    [p] = problems(outcome)
    assert p.type == "format-error" and "不是 Excel 工作簿" in p.message and "CSV" in p.message
    assert_store_empty(project, LOTTERY)


def test_password_protected_xlsx(project: Project, tmp_path: Path) -> None:
    import msoffcrypto.format.ooxml

    locked = tmp_path / "加密.xlsx"
    with SAMPLE_XLSX.open("rb") as fi, locked.open("wb") as fo:
        f = msoffcrypto.format.ooxml.OOXMLFile(fi)
        f.encrypt("secret", fo)
    outcome = project.release(LOTTERY, [locked])
    [p] = problems(outcome)
    assert p.type == "encrypted-file" and "密码" in p.message and "取消密码" in p.hint
    assert_store_empty(project, LOTTERY)


def test_missing_sheet(project: Project) -> None:
    spec = project.spec(LOTTERY)
    project.specs.by_id[LOTTERY] = spec.model_copy(update={"source": spec.source.model_copy(update={"sheet": "项目表"})})
    outcome = project.release(LOTTERY)  # every county's workbook lacks it: one problem each
    found = problems(outcome)
    assert len(found) == len(project.spec(LOTTERY).source_paths()) > 1
    for p in found:
        assert p.type == "sheet-not-found" and "项目表" in p.message and "资助项目" in p.message
    assert_store_empty(project, LOTTERY)


def test_missing_extra_and_renamed_columns(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = []
    for r in lottery_rows[:5]:
        r = dict(r)
        del r["完成情况"]  # missing
        r["备注"] = "无"  # extra
        r["项目名"] = r.pop("项目名称")  # renamed
        rows.append(r)
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, rows)])
    by_type = {(p.type, p.column or p.field) for p in problems(outcome)}
    assert ("missing-label", "status") in by_type
    assert ("missing-label", "project_name") in by_type
    assert ("extra-label", "备注") in by_type
    renamed = next(p for p in problems(outcome) if p.column == "项目名")
    assert "项目名称" in renamed.hint  # the suggestion points at the expected header
    assert all(p.row == 1 and p.file == "lottery.csv" for p in problems(outcome))
    assert_store_empty(project, LOTTERY)


def test_wrong_types_every_error_located(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:20]]
    rows[2]["下达资金"] = "约五十万"
    rows[5]["开始日期"] = "2025年3月"
    rows[7]["年度"] = "二〇二五"
    rows[9]["资金类别"] = "福彩"
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, rows)])
    got = {(p.type, p.row, p.field) for p in problems(outcome) if p.type in ("type-error", "enum-error")}
    assert got == {("type-error", 4, "amount_allocated"), ("type-error", 7, "start_date"),
                   ("type-error", 9, "year"), ("enum-error", 11, "fund_line")}
    p = next(p for p in problems(outcome) if p.field == "amount_allocated")
    assert p.value == "约五十万" and p.column == "下达资金（万元）" and p.hint  # the header as the clerk wrote it
    assert_store_empty(project, LOTTERY)


def test_duplicate_primary_keys(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:10]]
    rows[6]["项目编号"] = rows[1]["项目编号"]
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, rows)])
    [p] = problems(outcome, "primary-key")
    assert p.row == 8 and "第 3 行重复" in p.message and p.value == rows[1]["项目编号"]
    assert_store_empty(project, LOTTERY)


def test_header_found_below_title_rows(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    path = lottery_csv(tmp_path, lottery_rows[:4])
    path.write_text("2025年度彩票公益金资助项目,,\n填报单位：省财政厅,,\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    outcome = project.release(LOTTERY, [path])
    assert outcome.status == "released"
    assert outcome.report.sources[0]["header_row"] == 3


def test_several_errors_reported_at_once_across_files(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    a = [dict(r) for r in lottery_rows[:5]]
    b = [dict(r) for r in lottery_rows[5:10]]
    a[0]["行政区划代码"] = "999999"
    b[1]["结束日期"] = "2020-01-01"
    outcome = project.validate(LOTTERY, [lottery_csv(tmp_path, a, "a.csv"), lottery_csv(tmp_path, b, "b.csv")])
    got = {(p.type, p.file, p.row, p.rule) for p in problems(outcome)}
    assert ("foreign-key", "a.csv", 2, None) in got
    assert ("quality", "b.csv", 3, "period-order") in got


def test_a_damaged_sheet_inside_a_readable_workbook_is_a_format_error(project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The zip opens, but the sheet's XML is broken: a clear error naming the file and sheet, no traceback."""
    import zipfile

    src = SAMPLE_XLSX
    bad = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data[: len(data) // 2]  # cut mid-element
            zout.writestr(item, data)
    outcome = project.validate("lottery-welfare-projects", sources=[bad])
    [p] = [p for p in outcome.report.problems if p.type == "format-error"]
    assert p.file == "damaged.xlsx" and p.sheet and "重新保存" in p.hint


def test_cell_with_line_break_is_read(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:5]]
    rows[2]["实际效果"] = "第一期完成\n第二期实施中"
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, rows)])
    assert outcome.status == "released" and outcome.report.rows == 5


def test_total_row_with_fullwidth_space_is_recognised(project: Project, tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:4]]
    total = {k: "" for k in rows[0]}
    total["项目编号"] = "合　计"
    for k in ("下达资金", "实际支出", "结余"):
        total[k] = round(sum(float(r[k]) for r in rows), 2)  # type: ignore[arg-type]
    outcome = project.release(LOTTERY, [lottery_csv(tmp_path, [*rows, total])])
    assert outcome.status == "released" and outcome.report.rows == 4
    assert outcome.report.sources[0]["total_rows_dropped"] == 1


def test_total_in_wan_yuan_rounded_to_two_decimals_is_not_a_mismatch(project: Project, tmp_path: Path,
                                                                    lottery_rows: list) -> None:
    rows = [dict(r) for r in lottery_rows[:2]]
    rows[0]["下达资金"], rows[0]["实际支出"], rows[0]["结余"] = 1.234567, 1.0, 0.234567
    rows[1]["下达资金"], rows[1]["实际支出"], rows[1]["结余"] = 2.345678, 2.0, 0.345678
    total = {k: "" for k in rows[0]} | {"项目编号": "合计", "下达资金": 3.58, "实际支出": 3.0, "结余": 0.58}
    outcome = project.validate(LOTTERY, [lottery_csv(tmp_path, [*rows, total])])
    assert not problems(outcome, "total-mismatch")
    total["下达资金"] = 3.60  # 200 元 off: still found
    outcome = project.validate(LOTTERY, [lottery_csv(tmp_path, [*rows, total], "b.csv")])
    assert [p.field for p in problems(outcome, "total-mismatch")] == ["amount_allocated"]


def test_integer_beyond_bigint_is_a_type_error(project: Project, tmp_path: Path) -> None:
    import random

    from .conftest import generator

    rows = generator.dibao_roster(random.Random(generator.SEED))[:3]
    rows[1]["保障人数"] = "99999999999999999999"
    outcome = project.validate("dibao-recipients", [write_csv(tmp_path / "r.csv", rows)])
    assert [(p.type, p.row) for p in problems(outcome) if p.field == "persons"] == [("type-error", 3)]
