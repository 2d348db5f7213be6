"""``--file``: any CSV or XLSX, no spec — columns found by role or usual Chinese header (or ``--map``), read by the
ingest machinery (encodings, header rows, units, full-width digits), and every combination of optional roles
answers without a traceback."""

from __future__ import annotations

import csv
import itertools
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from gongkai.cli import cli
from gongkai.errors import UsageError
from gongkai.flows import reconcile, top, trace
from gongkai.flows.files import ROLE_HEADERS, build_files, parse_maps
from gongkai.flows.page import render

# the optional roles of an edge list the issue names, then the ones for 文号 tables, projects and contracts
OPTIONAL = ["fund", "year", "stage", "document", "date", "region"]
MORE = ["parent_document", "project", "project_name", "to_code"]
VALUES = {"fund": ["彩票公益金"] * 4, "year": ["2024年", "2024", "2024", "2024"], "stage": ["下达", "下达", "支出", "拨付"],
          "document": ["云财〔2024〕1号", "曲财〔2024〕5号", "", "宣财〔2024〕9号"],
          "date": ["2024年3月1日", "2024/3/9", "2024-04-01", "2024.4.2"], "region": ["530300", "530381", "", "530322"],
          "parent_document": ["", "云财〔2024〕1号", "曲财〔2024〕5号", "云财〔2024〕1号"],
          "project": ["", "", "PP-01", ""], "project_name": ["", "", "小河村道路", ""],
          "to_code": ["", "", "", ""]}
EDGES = [("云南省财政厅", "曲靖市财政局", "100"), ("曲靖市财政局", "宣威市财政局", "60"),
         ("宣威市财政局", "小河村道路", "60"), ("曲靖市财政局", "陆良县财政局", "30")]


def edge_file(path: Path, roles: tuple[str, ...]) -> Path:
    """Four rows 省 → 市 → 县 → 项目 with the given optional roles, under their role names."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["from", "to", "amount", *roles])
        for i, (a, b, v) in enumerate(EDGES):
            w.writerow([a, b, v, *(VALUES[r][i] for r in roles)])
    return path


def answers(paths: list[Path]) -> dict[str, object]:
    m = build_files(paths)
    return {"trace": trace(m).rows(), "reconcile": reconcile(m), "top": top(m, "recipient"),
            "regions": top(m, "region"), "page": render(m) if len(m.funds()) == 1 else None}


@pytest.mark.parametrize("roles", [c for n in range(len(OPTIONAL) + 1) for c in itertools.combinations(OPTIONAL, n)],
                         ids=lambda c: "+".join(c) or "bare")
def test_every_combination_of_optional_roles_answers(tmp_path: Path, roles: tuple[str, ...]) -> None:
    got = answers([edge_file(tmp_path / "edges.csv", roles)])
    rows = got["trace"]
    assert [r["to_node"] for r in rows][:2] == ["曲靖市财政局", "宣威市财政局"] and len(rows) == 4
    assert rows[0]["amount"] == Decimal(100)
    kinds = {(f.kind, f.node) for f in got["reconcile"].findings}
    expected = {("sum-mismatch", "曲靖市财政局")}  # 100 in, 90 out
    if "stage" not in roles:
        expected |= {("unused-allocation", "小河村道路"), ("unused-allocation", "陆良县财政局")}
    else:  # 小河村道路 is reached by 支出; 陆良县 got 拨付 and records no use
        expected |= {("unused-allocation", "陆良县财政局")}
    assert kinds == expected
    assert got["page"] is not None and got["page"].nodes >= 5


@pytest.mark.parametrize("roles", [c for n in range(len(MORE) + 1) for c in itertools.combinations(MORE, n)],
                         ids=lambda c: "+".join(c) or "bare")
def test_document_project_and_contract_roles_answer(tmp_path: Path, roles: tuple[str, ...]) -> None:
    got = answers([edge_file(tmp_path / "edges.csv", ("document", *roles))])
    assert len(got["trace"]) == 4 and got["reconcile"].findings


def test_usual_chinese_headers_in_a_titled_xlsx_with_a_unit_note(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年省级彩票公益金分配表"])
    ws.append([None, None, None, "单位：万元"])
    ws.append(["序号", "下达单位", "资金使用单位", "下达金额", "资金名称", "年度", "下达文号", "备注"])
    ws.append([1, "省民政厅", "昆明市民政局", "１２.５", "福利彩票公益金", 2024, "云民〔2024〕3号", ""])
    ws.append([2, "省民政厅", "大理州民政局", "1,000.00", "福利彩票公益金", 2024, "云民〔2024〕3号", "补助"])
    ws.append(["合计", None, None, 1012.5, None, None, None, None])
    path = tmp_path / "分配表.xlsx"
    wb.save(path)
    m = build_files([path])
    f = m.files[0]
    assert f.roles == {"amount": "下达金额", "document": "下达文号", "from": "下达单位", "fund": "资金名称",
                       "to": "资金使用单位", "year": "年度"}
    assert f.unit == "万元" and f.rows == 2
    assert [r["amount"] for r in trace(m).rows()] == [Decimal("10000000.00"), Decimal("125000.00")]


def test_a_gbk_csv_with_odd_headers_needs_map(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes("出钱的,拿钱的,多少钱\n县财政局,某某小学,1200\n".encode("gbk"))
    with pytest.raises(UsageError, match=r"odd.csv：.*找不到表头") as e:
        build_files([path])
    assert "--map" in str(e.value.hint)
    path.write_bytes("拨出单位,拿钱的,多少钱\n县财政局,某某小学,1200\n".encode("gbk"))
    with pytest.raises(UsageError, match=r"no column for to, amount") as e:
        build_files([path])
    assert "拨出单位 = from" in str(e.value.hint) and "--map to=" in str(e.value.hint)
    m = build_files([path], parse_maps(["to=拿钱的", "amount=多少钱"]), unit="元")
    assert trace(m).rows()[0]["to_node"] == "某某小学"
    with pytest.raises(UsageError, match="has no column '不存在'"):
        build_files([path], parse_maps(["from=不存在", "to=拿钱的", "amount=多少钱"]))
    assert trace(build_files([path], parse_maps(["to=拿钱的", "amount=多少钱"]), unit="万元")).rows()[0]["amount"] \
        == Decimal(12_000_000)
    with pytest.raises(UsageError, match="unknown role 'form'"):
        parse_maps(["form=出钱的"])


def test_rows_that_cannot_be_read_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("拨出单位,接收单位,金额,阶段\n县财政局,甲,abc,下达\n县财政局,乙,10,调剂\n,丙,5,下达\n县财政局,丁,7,支出\n",
                    encoding="utf-8")
    m = build_files([path])
    problems = {(p["row"], p["type"]) for p in m.files[0].problems}
    assert {(2, "type-error"), (3, "enum-error"), (4, "required-error")} <= problems
    assert {r["to_node"]: r["stage"] for r in trace(m).rows()} == {"乙": "下达", "丁": "支出"}


def test_a_contract_list_goes_from_the_project_to_the_supplier(tmp_path: Path) -> None:
    path = tmp_path / "合同.csv"
    path.write_text("项目编号,供应商名称,统一社会信用代码,合同金额（万元）\nPP-01,甲建设公司,91530100MA6K00001X,50\n"
                    "PP-01,乙公司,,20\nPP-02,甲建设公司,91530100MA6K00001X,30\n", encoding="utf-8")
    m = build_files([path])
    assert {r["stage"] for r in trace(m).rows()} == {"合同"}
    [first, second] = top(m, "supplier")
    assert (first["key"], first["amount"], first["contracts"], first["projects"]) == (
        "91530100MA6K00001X", Decimal(800000), 2, 2)
    assert second["name"] == "乙公司"


def test_cli_file_options(tmp_path: Path) -> None:
    path = edge_file(tmp_path / "e.csv", ("stage",))
    run = CliRunner().invoke
    out = run(cli, ["flows", "top", "--file", str(path), "--by", "supplier"], catch_exceptions=False)
    assert out.exit_code == 2 and "no contracts" in out.output
    out = run(cli, ["flows", "trace", "--map", "from=x"], catch_exceptions=False)
    assert out.exit_code == 2 and "go with --file" in out.output
    out = run(cli, ["flows", "trace", "--file", str(path), "--alias", "财政局"], catch_exceptions=False)
    assert out.exit_code == 2 and "NAME=SAME" in out.output
    out = run(cli, ["flows", "page", "--file", str(path), "-o", str(tmp_path / "x.html"), "--publish"],
              catch_exceptions=False)
    assert out.exit_code == 2 and "not published" in out.output


def test_role_headers_do_not_overlap() -> None:
    """A header names one role only, or the first pass could not tell which column is which."""
    seen: dict[str, str] = {}
    for role, headers in ROLE_HEADERS.items():
        for h in [*headers, role]:
            assert h not in seen, (h, seen.get(h), role)
            seen[h] = role


def test_file_reads_keep_the_source_limits(tmp_path: Path) -> None:
    """--file is a source like any other: a FIFO is refused at once, the size limit of the settings applies."""
    import os
    import time

    fifo = tmp_path / "flows.csv"
    os.mkfifo(fifo)
    run = CliRunner().invoke
    started = time.monotonic()
    out = run(cli, ["flows", "trace", "--file", str(fifo)], catch_exceptions=False)
    assert time.monotonic() - started < 10
    assert out.exit_code != 0 and "命名管道（FIFO）" in out.output and "no such file" not in out.output
    path = edge_file(tmp_path / "e.csv", ("stage",))
    out = run(cli, ["flows", "trace", "--file", str(path)], env={"GONGKAI_MAX_SOURCE_BYTES": "100B"},
              catch_exceptions=False)
    assert out.exit_code != 0 and "超过上限" in out.output, out.output
