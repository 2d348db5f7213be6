"""Per-level tables linked by 文号 (no ids): the province's table, the cities' and the counties', each in the shape
and format a clerk publishes it (XLSX with a unit note, GBK CSV in 万元, UTF-8 CSV in 元), plus the procurement
contracts — traced from the top to the projects and their contracts, with the same amounts as the released tree."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from gongkai import Project
from gongkai.flows import build, reconcile, trace
from gongkai.flows.files import build_files
from gongkai.release.reading import LocalReleases

from .conftest import REPO, load_sample_module
from .flows_support import PA, allocation_rows, release_all, yuan

SAMPLES = REPO / "datasets" / "samples"
DOCS = SAMPLES / "fund-documents"
PROVINCE, CITIES, COUNTIES = (next(DOCS.glob("云南省*.xlsx")), next(DOCS.glob("各州市*.csv")), next(DOCS.glob("各县*.csv")))
CONTRACTS = next((SAMPLES / "government-procurement").glob("*.xlsx"))
gen_procurement = load_sample_module("gen_procurement", "docs_gen_procurement")


def test_three_levels_traced_to_projects_and_contracts() -> None:
    m = build_files([PROVINCE, CITIES, COUNTIES, CONTRACTS])
    assert [f.unit for f in m.files] == ["万元", "万元", None, "万元"]
    rows = trace(m, PA, 2025).rows()
    alloc = {r["分配编号"]: r for r in allocation_rows() if r["资金名称"] == PA}
    levels = {"市": 0, "县": 1, "项目": 2}
    # every allocation of the released tree (below the central grant) is here, at its level, with its amount
    want = sorted((levels[r["层级"]], yuan(r["金额（万元）"])) for r in alloc.values() if r["层级"] in levels)
    got = sorted((r["depth"], r["amount"]) for r in rows if r["stage"] == "下达")
    assert got == want
    assert {r["file"] for r in rows if r["depth"] == 0} == {PROVINCE.name}  # the province's rows are the roots
    contracts = [r for r in rows if r["stage"] == "合同"]
    signed = [p for p in gen_procurement.procurements() if p["合同金额"] != "/" and p["资金项目编号"] in
              {r["项目编号"] for r in alloc.values()}]
    assert len(contracts) == len(signed) and {r["depth"] for r in contracts} == {3}
    parents = {r["flow_id"]: r for r in rows}
    assert all(parents[c["parent_id"]]["project_id"] for c in contracts)  # each contract under its project
    # the senders written another way were matched: 迪庆州财政局 by its 上级文号, 宣威市 财政局 after normalising
    for county in ("德钦县财政局", "宣威市财政局"):
        [row] = [r for r in rows if r["to_node"] == county]
        assert any(r["parent_id"] == row["flow_id"] for r in rows), county


def test_the_planted_gap_is_found_per_document() -> None:
    m = build_files([PROVINCE, CITIES, COUNTIES, CONTRACTS])
    found = {f.kind: f for f in reconcile(m, PA, 2025).findings if f.kind != "unused-allocation"}
    assert set(found) == {"sum-mismatch", "contract-above-funds"}
    gap = found["sum-mismatch"]
    doc = next(r["文号"] for r in allocation_rows() if r["分配编号"] == "FP2025-PA-530381")
    assert gap.node == f"宣威市财政局（{doc}）" and gap.difference == Decimal(125_000)
    assert {r["file"] for r in gap.rows} == {CITIES.name, COUNTIES.name}
    over = found["contract-above-funds"]
    assert over.rows and {r["file"] for r in over.rows if r["side"] == "out"} == {CONTRACTS.name}
    # the projects without a contract are the only other findings: inflow with no recorded use
    unsigned = {p["资金项目编号"] for p in gen_procurement.procurements() if p["合同金额"] == "/"}
    unused = {f.node for f in reconcile(m, PA, 2025).findings if f.kind == "unused-allocation"}
    names = {r["项目编号"]: r["资金用途"] for r in allocation_rows() if r["项目编号"]}
    assert unused == {names[p] for p in unsigned if p in names}


def test_the_same_contract_is_flagged_when_released(tmp_path: Path) -> None:
    p = Project(REPO, store=tmp_path / "store")
    release_all(p)
    assert p.release("government-procurement").status == "released"
    m = build(p.specs, LocalReleases(p.store))
    over = [f for f in reconcile(m, PA, 2025).findings if f.kind == "contract-above-funds"]
    [f] = over
    assert f.node == f"PP2025-{gen_procurement.OVER_FUNDS.split('-', 2)[2]}"
    assert f.difference == Decimal(-80_000)  # 8.00 万元 above the project's money from every level


def test_a_wrong_parent_document_is_named(tmp_path: Path) -> None:
    text = COUNTIES.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    target = next(r for r in rows if r["拨出单位"] == "会泽县财政局")
    real = target["上级文号"]
    target["上级文号"] = real.replace("〕", "〕9")
    out = tmp_path / COUNTIES.name
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    m = build_files([PROVINCE, CITIES, out])
    [f] = [f for f in reconcile(m, PA, 2025).findings if f.kind == "missing-parent"]
    assert target["上级文号"] in f.detail and real in f.detail and f.rows[0]["file"] == out.name
