"""政府采购 (government-procurement): the messy sample releases with exactly its planted warning; a wrong
统一社会信用代码 and dates out of order are refused with file and row; the contracts link into the flows, and
``flows top --by supplier`` ranks the suppliers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.cli import cli
from gongkai.flows import build, top, trace
from gongkai.release.reading import LocalReleases

from .conftest import REPO, load_sample_module
from .flows_support import PA, release_all

DATASET = "government-procurement"
SAMPLE = next((REPO / "datasets" / "samples" / DATASET).glob("*.xlsx"))
gen = load_sample_module("gen_procurement", "test_gen_procurement")
FIRST_ROW = 5  # title, note, two header rows


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = Project(REPO, store=tmp_path_factory.mktemp("procurement") / "store")
    release_all(p)
    outcome = p.release(DATASET)
    assert outcome.status == "released", [x.message for x in outcome.report.problems][:5]
    return p


def test_the_messy_sample_releases_with_its_planted_warnings(released: Project) -> None:
    report = json.loads((released.store.release_dir(DATASET, "v1") / "validation.json").read_text(encoding="utf-8"))
    warnings = {(p["rule"], p["row"]) for p in report["problems"]}
    row = FIRST_ROW + [r["采购项目编号"] for r in gen.procurements()].index(gen.OVER_BUDGET)
    assert warnings == {("contract-above-budget", row), ("award-above-budget", row)}
    src = report["sources"][0]
    assert src["total_rows_dropped"] == 1 and src["columns"]["contract_amount"]["unit"] == "万元"


def edit_sample(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb.active
    header = {(ws.cell(4, c).value or ws.cell(3, c).value): c for c in range(1, ws.max_column + 1)}
    edit(ws, header)
    out = tmp_path / SAMPLE.name
    wb.save(out)
    return out


def test_a_wrong_credit_code_is_refused(tmp_path: Path) -> None:
    def edit(ws, header) -> None:  # type: ignore[no-untyped-def]
        cell = ws.cell(FIRST_ROW, header["统一社会信用代码"])
        last = cell.value[-1]
        cell.value = cell.value[:-1] + ("0" if last != "0" else "1")
    outcome = Project(REPO, store=tmp_path / "store").release(DATASET, [edit_sample(tmp_path, edit)])
    assert outcome.status == "invalid"
    [p] = [p for p in outcome.report.problems if p.severity == "error"]
    assert (p.type, p.row, p.field) == ("identifier-error", FIRST_ROW, "supplier_uscc") and "校验码应为" in p.message


def test_dates_out_of_order_are_refused(tmp_path: Path) -> None:
    def edit(ws, header) -> None:  # type: ignore[no-untyped-def]
        ws.cell(FIRST_ROW, header["签订日期"]).value = dt.date(2025, 1, 2)  # before the award
    outcome = Project(REPO, store=tmp_path / "store").release(DATASET, [edit_sample(tmp_path, edit)])
    assert outcome.status == "invalid"
    errors = [(p.rule, p.row) for p in outcome.report.problems if p.severity == "error"]
    assert errors == [("dates-in-order", FIRST_ROW)]


def test_contracts_hang_under_their_projects(released: Project) -> None:
    m = build(released.specs, LocalReleases(released.store))
    signed = [p for p in gen.procurements() if p["合同金额"] != "/"]
    contracts = m.con.execute("SELECT count(*), count(parent_id), count(DISTINCT fund) FROM flows WHERE stage = '合同'"
                              ).fetchone()
    unallocated = load_sample_module("gen_poverty", "test_gen_poverty_p").UNALLOCATED
    orphans = sum(1 for p in signed if p["资金项目编号"] == unallocated)  # a project no allocation reaches
    assert contracts == (len(signed), len(signed) - orphans, 1)
    p = signed[0]
    rows = trace(m, PA, 2025, start=str(p["资金项目编号"])).rows()
    [c] = [r for r in rows if r["stage"] == "合同"]
    assert (c["to_node"], c["to_code"], c["amount"], c["document_no"]) == (
        p["供应商名称"], p["统一社会信用代码"], Decimal(str(p["合同金额"])) * 10_000, p["合同编号"])
    assert c["file"] == f"{DATASET}/v1/data.csv" and c["depth"] == 1


def test_top_by_supplier(released: Project) -> None:
    m = build(released.specs, LocalReleases(released.store))
    expected: dict[str, Decimal] = {}
    for p in gen.procurements():
        if p["合同金额"] != "/":
            expected[str(p["统一社会信用代码"])] = expected.get(str(p["统一社会信用代码"]), Decimal(0)) \
                + Decimal(str(p["合同金额"])) * 10_000
    rows = top(m, "supplier", limit=100)
    assert {r["key"]: r["amount"] for r in rows} == expected
    assert [r["amount"] for r in rows] == sorted(expected.values(), reverse=True)
    result = CliRunner().invoke(cli, ["--store", str(released.store.path), "flows", "top", "--by", "supplier",
                                      "--fund", PA, "--limit", "3"], catch_exceptions=False)
    assert result.exit_code == 0 and rows[0]["name"] in result.output and "合同数" in result.output
