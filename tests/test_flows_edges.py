"""Edge lists: the flows a journalist actually has (from, to, amount, no ids), given as a file with no spec or
released through a spec — the same findings either way, and none that are false.

The material is 迪庆州's real 2023 sports-lottery distribution (the issue's edge list, figures as published), with
one mismatch planted in a copy."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from gongkai import Project
from gongkai.cli import cli
from gongkai.files import sha256_file
from gongkai.flows import build, reconcile, top, trace
from gongkai.flows.files import build_files
from gongkai.flows.page import render
from gongkai.release.reading import LocalReleases

from .conftest import REPO

DIQING = next((REPO / "datasets" / "samples" / "lottery-fund-flows").glob("*.csv"))
FUND, YEAR = "体育彩票公益金", 2023


def edited(path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    """The 迪庆 edge list with ``edit(rows)`` applied, written as the journalist's CSV."""
    rows = list(csv.DictReader(io.StringIO(DIQING.read_text(encoding="utf-8"))))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def plant(rows: list[dict[str, str]]) -> None:
    """科研宣传 8.00 instead of 10.00 万元: 州本级 passes on 2.00 万元 less than it received."""
    next(r for r in rows if r["to"] == "科研宣传")["amount_wan_yuan"] = "8.00"


def gk(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def summary(findings) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(f.kind, f.node, f.amount, f.counterpart, f.difference) for f in findings}


def test_the_real_distribution_is_clean_and_traced_from_its_root() -> None:
    m = build_files([DIQING])
    result = reconcile(m)
    assert result.clean, [f.detail for f in result.findings]  # no leaf with 支出 or 结余 is "unused"
    rows = trace(m, FUND, YEAR, start="迪庆州本级留用").rows()  # a root that only gives: no "did you mean" itself
    assert rows[0]["to_node"] == "迪庆州本级" and rows[0]["amount"] == Decimal("10249000.00")
    stages = {r["to_node"]: r["stage"] for r in rows}
    assert stages["州本级"] == "支出" and stages["年末结余"] == "结余"  # 支出 stays 支出, not 下达
    by = {r["to_node"]: r for r in trace(m).rows()}
    assert by["场地设施"]["share"] == pytest.approx(143.40 / 320.90)
    assert {r["to_node"] for r in trace(m).rows() if r["depth"] == 0} == {"迪庆州本级"}
    assert sum(r["amount"] for r in top(m, "recipient", limit=100)) == Decimal("10190400.00")  # 支出 destinations


def test_one_planted_mismatch_is_the_only_finding_from_a_file_and_from_a_release(tmp_path: Path) -> None:
    path = edited(tmp_path / "迪庆州2023体彩.csv", plant)
    code, out = gk("--json", "flows", "reconcile", "--file", str(path))
    doc = json.loads(out)
    assert code == 0 and doc["clean"] is False
    [f] = doc["findings"]
    assert (f["kind"], f["node"], f["amount"], f["counterpart"], f["difference"]) == (
        "sum-mismatch", "州本级", 3209000.0, 3189000.0, 20000.0)
    assert {(r["file"], r["line"], r["side"]) for r in f["rows"]} == {
        (path.name, 5, "in"), *((path.name, n, "out") for n in range(6, 11))}
    assert doc["sources"][0]["sha256"] == sha256_file(path) and doc["sources"][0]["unit"] == "万元"

    p = Project(REPO, store=tmp_path / "store")
    assert p.release("lottery-fund-flows", [path]).status == "released"
    released = reconcile(build(p.specs, LocalReleases(p.store)), FUND, YEAR)
    from_file = reconcile(build_files([path]), FUND, YEAR)
    assert summary(released.findings) == summary(from_file.findings) == {
        ("sum-mismatch", "州本级", Decimal("3209000.00"), Decimal("3189000.00"), Decimal("20000.00"))}
    [r] = released.findings
    assert r.dataset == "lottery-fund-flows" and {x["file"] for x in r.rows} == {"lottery-fund-flows/v1/data.csv"}


def test_cli_answers_name_the_file_and_its_sha256(tmp_path: Path) -> None:
    path = edited(tmp_path / "flows.csv", plant)
    sha = sha256_file(path)
    for args in (["flows", "trace"], ["flows", "reconcile"], ["flows", "top"]):
        code, out = gk(*args, "--file", str(path))
        assert code == 0 and sha in out and path.name in out, out
    code, out = gk("flows", "trace", "--file", str(path), "--from", "迪庆州本级留用", "--format", "csv")
    assert out.splitlines()[0].endswith("file,line,merged,dataset,version")
    code, out = gk("flows", "reconcile", "--file", str(path), "--format", "csv")
    assert "flows.csv:5 flows.csv:6" in out
    code, out = gk("flows", "page", "--file", str(path), "-o", str(tmp_path / "p.html"))
    assert code == 0 and "个节点，1 处问题" in out and sha in (tmp_path / "p.html").read_text(encoding="utf-8")
    code, out = gk("flows", "trace", "--file", str(path), "--as-of", "2025-01-01")
    assert code == 2 and "--file reads a file" in out


def test_issue_regressions_on_the_released_edge_list(tmp_path: Path) -> None:
    """Any flows dataset without `uses:` builds (no NULL::INTEGER ParserException); the page has nodes and is not
    painted as unaccounted money; a trace from the root works."""
    p = Project(REPO, store=tmp_path / "store")
    assert p.release("lottery-fund-flows").status == "released"
    m = build(p.specs, LocalReleases(p.store))
    assert reconcile(m).clean
    page = render(m, FUND, YEAR)
    kinds = {n["kind"] for n in page.graph["nodes"]}
    assert page.nodes == 15 and "gap" not in kinds and "sink" in kinds
    assert page.totals["支出"] + page.totals["结余"] == Decimal("10249000.00") + Decimal("4641400.00")
    assert trace(m, FUND, YEAR, start="迪庆州本级留用", depth=0).rows()[0]["to_node"] == "迪庆州本级"


def test_a_tree_by_id_without_uses_builds(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for d in ("datasets", "schemas", "validation"):
        shutil.copytree(REPO / d, root / d, ignore=shutil.ignore_patterns("samples"))
    (root / "datasets" / "samples").symlink_to(REPO / "datasets" / "samples")
    spec_path = root / "datasets" / "fund-allocations.dataset.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    del spec["flows"]["uses"], spec["links"]
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    p = Project(root, store=tmp_path / "store")
    assert p.release("fund-allocations").status == "released"
    m = build(p.specs, LocalReleases(p.store))
    result = reconcile(m, "中央专项彩票公益金", 2025)
    assert result.findings and {f.kind for f in result.findings} == {"unused-allocation"}  # no use is recorded
    assert trace(m, "中央专项彩票公益金", 2025, depth=1).rows()[0]["to_node"] == "云南省财政厅"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def kinds(path: Path, **kw) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(f.kind, f.node) for f in reconcile(build_files([path], **kw), tolerance=kw.pop("tol", Decimal("0.01"))).findings}


def test_spending_above_receipts_and_unused_inflow(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "拨出单位,接收单位,金额（元）,阶段\n"
                 "省财政厅,甲县财政局,100,下达\n甲县财政局,道路工程,120,支出\n"
                 "省财政厅,乙县财政局,50,下达\n")
    m = build_files([path])
    found = {(f.kind, f.node): f for f in reconcile(m).findings}
    assert set(found) == {("spending-above-receipts", "甲县财政局"), ("unused-allocation", "乙县财政局")}
    assert found["spending-above-receipts", "甲县财政局"].difference == Decimal(-20)
    assert found["unused-allocation", "乙县财政局"].rows == [
        {"side": "in", "file": "a.csv", "line": 4, "stage": "下达", "amount": Decimal("50.00")}]


def test_names_match_after_normalising_and_with_aliases(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", "拨出单位,接收单位,金额（万元）\n"
                 "云南省财政厅,曲靖市财政局（本级）,10\n"
                 "曲靖市财政局(本级),宣威市 财政局,10\n"        # full-width brackets, a space: the same nodes
                 "宣威市财政部门,宣威市第一中学,10\n")          # 财政部门 = 财政局 only with the alias
    assert kinds(path) == {("unused-allocation", "宣威市 财政局"), ("unused-allocation", "宣威市第一中学")}
    assert kinds(path, aliases={"财政部门": "财政局"}) == {("unused-allocation", "宣威市第一中学")}
    m = build_files([path], aliases={"财政部门": "财政局"})
    assert [r["depth"] for r in trace(m).rows()] == [0, 1, 2]


def test_a_sender_named_by_region_code_and_a_node_with_many_inflows(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "from,to,amount,region,stage\n"
                 "财政部,香格里拉市财政局,100,533401,下达\n"
                 "云南省财政厅,香格里拉市财政局,50,533401,下达\n"   # the same node, twice received
                 "533401,建塘镇,150,,支出\n")                        # the sender written as its region code
    m = build_files([path])
    assert reconcile(m).clean
    rows = trace(m).rows()
    assert sum(1 for r in rows if r["merged"]) == 1 and rows[1]["share"] == pytest.approx(1.0)
    path = write(tmp_path / "d.csv", path.read_text().replace("150,,支出", "140,,支出"))
    [f] = reconcile(build_files([path])).findings
    assert f.kind == "sum-mismatch" and f.difference == Decimal(10) and {r["line"] for r in f.rows} == {2, 3, 4}


def test_tolerance_is_in_the_unit_the_source_wrote(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", "拨出单位,接收单位,金额（万元）,阶段\n"
                 "州财政局,县财政局,10.01,下达\n县财政局,项目甲,5.00,支出\n县财政局,项目乙,5.00,支出\n")
    m = build_files([path])
    assert reconcile(m).clean  # 0.01 万元 apart: within the default 0.01 (of the source's 万元)
    [f] = reconcile(m, tolerance=Decimal("0.001")).findings
    assert f.difference == Decimal(100) and f.tolerance == Decimal("10.000")


def test_a_cycle_does_not_break_the_tree(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", "from,to,amount\n根,甲,10\n甲,乙,10\n乙,甲,4\n乙,丙,6\n")
    m = build_files([path], stage="拨付")
    rows = trace(m).rows()
    assert [r["to_node"] for r in rows][:2] == ["甲", "乙"] and len(rows) == 4
    found = {(f.kind, f.node) for f in reconcile(m).findings}
    assert found == {("sum-mismatch", "甲"), ("unused-allocation", "丙")}  # 甲 got 14, passed on 10
    assert render(m).nodes > 0


def test_names_are_normalised_alike_in_python_and_in_sql() -> None:
    """``--from`` is matched in Python, the rows in SQL: both must normalise every name the same way."""
    import duckdb
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from gongkai.flows.edges import node_name, node_name_sql
    from gongkai.quoting import lit

    con = duckdb.connect()
    aliases = {"财政部门": "财政局", "（本级）": ""}
    chars = st.sampled_from([*"财政局部门省市县（）() \t\u3000\u00a0ＡＢ１２ab12-－·", "（本级）"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(chars, max_size=12).map("".join))
    def same(text: str) -> None:
        assert con.execute(f"SELECT {node_name_sql(lit(text), aliases)}").fetchone()[0] == node_name(text, aliases)

    same()
