"""Fund flows on the local store: trace, reconcile (planted mismatches found, a clean fund clean), top, as-of,
integrity, and the command line."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import gongkai.release.build
from gongkai import Project
from gongkai.cli import cli
from gongkai.errors import IntegrityError, UsageError
from gongkai.flows import graph, reconcile, top, trace

from .conftest import REPO
from .flows_support import (
    LT,
    PA,
    allocation_rows,
    gen_poverty,
    generator,
    model,
    release_all,
    write_allocations,
    yuan,
)


def test_trace_follows_the_tree_with_shares(flow_sample: Project) -> None:
    m = model(flow_sample)
    rows = trace(m, PA, 2025, depth=1).rows()
    source = {r["分配编号"]: r for r in allocation_rows()}
    root = rows[0]
    assert root["depth"] == 0 and root["flow_id"] == "FP2025-PA-530000" and root["to_node"] == "云南省财政厅"
    assert root["amount"] == yuan(source["FP2025-PA-530000"]["金额（万元）"]) and root["source_unit"] == "万元"
    cities = [r for r in rows if r["depth"] == 1]
    assert {r["flow_id"] for r in cities} == {k for k, r in source.items() if r["上级分配编号"] == "FP2025-PA-530000"}
    assert [r["amount"] for r in cities] == sorted((r["amount"] for r in cities), reverse=True)
    assert sum(r["share"] for r in cities) == pytest.approx(1.0)
    assert {(r["dataset"], r["version"]) for r in rows} == {("fund-allocations", "v1")}
    assert [v["dataset"] for v in m.versions] == ["fund-allocations", "lottery-welfare-projects",
                                                  "sports-lottery-projects", "poverty-projects"]


def test_trace_reaches_spending_and_balance_of_projects(flow_sample: Project) -> None:
    rows = trace(model(flow_sample), LT, 2025, start="CP2025-0001").rows()
    [alloc] = [r for r in rows if r["depth"] == 0]
    lottery = {r["项目编号"]: r for r in generator.lottery_projects(random.Random(generator.SEED))}
    p = lottery["CP2025-0001"]
    assert alloc["project_id"] == "CP2025-0001" and alloc["project_name"] == p["项目名称"]
    uses = {r["stage"]: r for r in rows if r["depth"] == 1}
    assert uses["支出"]["amount"] == Decimal(str(p["实际支出"])) * 10_000
    assert uses["结余"]["amount"] == Decimal(str(p["结余"])) * 10_000
    assert uses["支出"]["dataset"] == "lottery-welfare-projects"


def test_trace_from_a_region_with_depth(flow_sample: Project) -> None:
    rows = trace(model(flow_sample), PA, 2025, start="530381", depth=1).rows()
    assert rows[0]["flow_id"] == "FP2025-PA-530381" and rows[0]["region_name"] == "宣威市"
    assert {r["depth"] for r in rows} == {0, 1} and all(r["project_id"] for r in rows[1:])
    with pytest.raises(UsageError, match="did you mean 宣威市财政局"):
        trace(model(flow_sample), PA, 2025, start="宣威市")
    with pytest.raises(UsageError, match="did you mean '财政专项扶贫资金'"):
        trace(model(flow_sample), "财政专项扶贫", 2025)


def test_clean_fund_is_reported_clean(flow_sample: Project) -> None:
    result = reconcile(model(flow_sample), LT, 2025)
    assert result.clean and result.findings == []
    [checked] = result.checked
    assert checked["clean"] and checked["allocations"] == sum(1 for r in allocation_rows() if r["资金名称"] == LT)


def test_planted_findings_in_the_samples(flow_sample: Project) -> None:
    """The generator plants three problems in 财政专项扶贫资金; reconcile finds those and nothing else."""
    result = reconcile(model(flow_sample), PA, 2025)
    found = {(f.kind, f.node): f for f in result.findings}
    tag, county, cents = generator.UNASSIGNED
    assert set(found) == {("sum-mismatch", f"FP2025-{tag}-{county}"),
                          ("unallocated-spending", gen_poverty.UNALLOCATED),
                          ("negative-balance", gen_poverty.OVERSPENT)}
    assert found["sum-mismatch", f"FP2025-{tag}-{county}"].difference == Decimal(cents) * 100  # 分 of 万元 → 元
    overspent = next(p for p in gen_poverty.projects() if p["项目编号"] == gen_poverty.OVERSPENT)
    assert found["negative-balance", gen_poverty.OVERSPENT].amount == Decimal(str(overspent["结余"])) * 10_000
    assert not result.clean and result.checked[0]["findings"] == 3


def test_mismatches_planted_in_test_data(tmp_path: Path) -> None:
    """One project allocation cut by 1 万元 (its county no longer adds up, and the project's own record disagrees),
    one pointed at a project that does not exist (unused, and the real project now spent without allocation)."""
    rows = allocation_rows()
    projects = [r for r in rows if r["资金名称"] == LT and r["层级"] == "项目"]
    cut, moved = projects[0], next(r for r in projects if r["上级分配编号"] != projects[0]["上级分配编号"])
    cut["金额（万元）"] = f"{Decimal(cut['金额（万元）'].replace(',', '')) - 1:,.2f}"
    orphan = moved["项目编号"]
    moved["项目编号"] = "CP2025-9999"
    p = Project(REPO, store=tmp_path / "store")
    release_all(p, {"fund-allocations": write_allocations(tmp_path / "alloc.csv", rows)})
    result = reconcile(model(p), LT, 2025)
    found = {(f.kind, f.node): f for f in result.findings}
    assert found["sum-mismatch", cut["上级分配编号"]].difference == Decimal(10_000)
    assert found["record-mismatch", cut["项目编号"]].difference == Decimal(10_000)
    assert "CP2025-9999" in found["unused-allocation", moved["分配编号"]].detail
    lottery = {r["项目编号"]: r for r in generator.lottery_projects(random.Random(generator.SEED))}
    kind = "unallocated-spending" if lottery[orphan]["实际支出"] else "record-mismatch"
    assert found[kind, orphan].dataset == "lottery-welfare-projects"
    assert len(found) == 4 and not result.checked[0]["clean"]


def test_top_counts_each_yuan_once(flow_sample: Project) -> None:
    m = model(flow_sample)
    by_project = top(m, "project", LT, 2025, limit=1000)
    root = trace(m, LT, 2025, depth=0).rows()[0]["amount"]
    assert sum(r["amount"] for r in by_project) == root  # the clean fund: every yuan reaches a project
    assert [r["amount"] for r in by_project] == sorted((r["amount"] for r in by_project), reverse=True)
    regions = top(m, "region", LT, 2025, limit=3)
    assert len(regions) == 3 and regions[0]["name"] and regions[0]["key"].isdigit()
    assert sum(r["share"] for r in top(m, "recipient", LT, 2025, limit=1000)) == pytest.approx(1.0)


class _Clock:
    """Release timestamps on chosen dates (manifests record when a version was made)."""

    UTC = dt.UTC
    date = dt.date
    when = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)

    class datetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
            return _Clock.when


def test_as_of_answers_from_the_versions_current_then(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gongkai.release.build, "dt", _Clock)
    monkeypatch.setattr(_Clock, "when", dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC))
    p = Project(REPO, store=tmp_path / "store")
    release_all(p)
    rows = allocation_rows()
    rows = [r for r in rows if r["资金名称"] == LT]  # v2 drops the poverty fund
    monkeypatch.setattr(_Clock, "when", dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC))
    assert p.release("fund-allocations", [write_allocations(tmp_path / "a.csv", rows)]).version == "v2"
    from gongkai.flows import build
    from gongkai.release.reading import LocalReleases

    then = build(p.specs, LocalReleases(p.store), dt.date(2025, 6, 30))
    now = build(p.specs, LocalReleases(p.store))
    assert then.releases["fund-allocations"].version == "v1" and now.releases["fund-allocations"].version == "v2"
    assert (PA, 2025) in then.funds() and (PA, 2025) not in now.funds()
    with pytest.raises(UsageError, match="had no release on or before 2025-02-01"):
        build(p.specs, LocalReleases(p.store), dt.date(2025, 2, 1))


def test_a_changed_release_file_is_refused(tmp_path: Path) -> None:
    p = Project(REPO, store=tmp_path / "store")
    release_all(p)
    parquet = p.store.release_dir("poverty-projects", "v1") / "data.parquet"
    parquet.chmod(0o644)
    parquet.write_bytes(parquet.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(IntegrityError, match=r"data\.parquet of poverty-projects v1 does not match its manifest"):
        model(p)


def test_books_that_do_not_balance_inside_a_project(flow_sample: Project) -> None:
    """A project whose 支出 + 结余 differ from its money (the gate normally stops this) shows under its allocation."""
    m = model(flow_sample)
    m.con.execute("UPDATE project_records SET balance = balance + 500 WHERE project_id = 'CP2025-0001'")
    m.con.execute("UPDATE flows SET amount = amount + 500 WHERE flow_id LIKE '%/结余' AND project_id = 'CP2025-0001'")
    graph.nodes(m.con)  # the nodes of the changed flows
    [f] = reconcile(m, LT, 2025).findings
    assert f.kind == "sum-mismatch" and f.difference == Decimal(-500) and "CP2025-0001" in f.detail


# -- the command line ----------------------------------------------------------------------------------------

def gk(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_trace_reconcile_top_in_three_formats(flow_sample: Project) -> None:
    store = flow_sample.store.path
    code, out = gk(store, "flows", "trace", "--fund", PA, "--year", "2025", "--depth", "1")
    assert code == 0 and "云南省财政厅" in out and "100.0%" in out and "fund-allocations v1" in out
    code, out = gk(store, "flows", "trace", "--fund", PA, "--year", "2025", "--from", "530381", "--format", "csv")
    header, first = out.splitlines()[:2]
    assert header.startswith("depth,flow_id,parent_id,stage") and first.startswith("0,FP2025-PA-530381,")
    assert ",万元," in first and first.endswith(",fund-allocations,v1")
    code, out = gk(store, "--json", "flows", "reconcile")
    doc = json.loads(out)
    assert code == 0 and doc["clean"] is False and {c["fund"]: c["clean"] for c in doc["checked"]} == {LT: True, PA: False}
    assert {v["dataset"]: v["version"] for v in doc["versions"]}["poverty-projects"] == "v1"
    code, out = gk(store, "flows", "reconcile", "--fund", LT)
    assert code == 0 and "✓ 中央专项彩票公益金 2025：没有发现问题" in out
    code, out = gk(store, "flows", "reconcile", "--fund", PA, "--year", "2025", "--tolerance", "0.01", "--format", "csv")
    assert out.count("\n") == 4 and "negative-balance" in out
    code, out = gk(store, "flows", "top", "--by", "region", "--fund", PA, "--year", "2025", "--limit", "2",
                   "--format", "json")
    doc = json.loads(out)
    assert [r["rank"] for r in doc["rows"]] == [1, 2] and doc["rows"][0]["name"]
    code, out = gk(store, "flows", "top", "--by", "project", "--format", "csv")
    assert out.splitlines()[0] == "rank,key,name,amount,share,allocations,spent,balance,funds,versions"


def test_cli_errors_are_clear(flow_sample: Project) -> None:
    code, out = gk(flow_sample.store.path, "flows", "trace", "--fund", PA, "--year", "2024")
    assert code == 2 and "funds and years" in out
    code, out = gk(flow_sample.store.path, "flows", "top", "--as-of", "2025/1/1")
    assert code == 2 and "YYYY-MM-DD" in out


def test_disbursement_stage_from_a_declared_field(tmp_path: Path) -> None:
    """A dataset that records 拨付 beside 下达 maps its stage field; those flows stay in the tree as allocations."""
    import shutil

    import yaml

    root = tmp_path / "project"
    for d in ("datasets", "schemas", "validation"):
        shutil.copytree(REPO / d, root / d, ignore=shutil.ignore_patterns("samples"))
    (root / "datasets" / "samples").symlink_to(REPO / "datasets" / "samples")
    schema_path = root / "schemas" / "fund-allocations.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["fields"].append({"name": "stage", "title": "阶段", "type": "string",
                             "constraints": {"enum": ["下达", "拨付"]}})
    schema_path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    spec_path = root / "datasets" / "fund-allocations.dataset.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["flows"]["stage"] = "stage"
    spec["source"]["columns"]["stage"] = ["阶段"]
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    rows = allocation_rows()
    for r in rows:
        r["阶段"] = "拨付" if r["分配编号"] == "FP2025-PA-530381" else ""
    p = Project(root, store=tmp_path / "store")
    release_all(p, {"fund-allocations": write_allocations(tmp_path / "alloc.csv", rows)})
    m = model(p)
    stages = dict(m.con.execute("SELECT flow_id, stage FROM flows WHERE flow_id LIKE 'FP2025-PA-5303%'").fetchall())
    assert stages["FP2025-PA-530381"] == "拨付" and stages["FP2025-PA-530300"] == "下达"
    assert trace(m, PA, 2025, start="FP2025-PA-530381", depth=0).rows()[0]["stage"] == "拨付"
    assert {(f.kind, f.node) for f in reconcile(m, PA, 2025).findings} >= {("sum-mismatch", "FP2025-PA-530381")}
    spec["flows"]["stage"] = "purpose"  # a field without the 下达/拨付 enum is refused
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    from gongkai import ConfigError, load_spec

    with pytest.raises(ConfigError, match=r"key 'flows\.stage' must name a field whose enum is 下达"):
        load_spec(spec_path)
