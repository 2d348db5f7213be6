"""Fund-flow benchmark: trace and reconcile over a million allocation rows, against pandas and plain DuckDB SQL.

    .venv/bin/python benchmarks/bench_flows.py [--projects 1000000]

Generates one fund's tree (财政部 → 31 provinces → 310 prefectures → 3,100 counties → projects) and a project
record for each project, with problems planted so the truth is known: 100 counties that pass on less than they
received, 100 overspent projects (negative balance) and 100 projects with spending but no allocation. The three
release directories (data.parquet, validation.json, manifest.json with each file's sha256, as gongkai writes
them) go into a scratch store; building them through the whole validation gate is what bench_validate.py
measures, so it is left out here. Each contender then answers the same questions:

- gongkai: `flows.build` (checks every file against its manifest, builds the flows table with the 支出/结余 flows
  of each project), `trace` (to county level; one county's subtree; the whole tree), `reconcile`, `top`;
  and the same `gongkai flows reconcile` as a command, whole process, import included;
- pandas: what a journalist with a notebook writes: groupby-sum of the children against each parent, anti-joins
  for spending without allocation, a filter for negative balances, and the tree by repeated merges;
- DuckDB SQL: the same checks as hand-written SQL over the parquet files, the tree by a recursive CTE.

``--file`` (``--only file`` for this part alone) times the journalist's path: a 1M-edge CSV with no ids and no
spec (拨出单位, 接收单位, 金额（万元）, 阶段; 100 counties passing on less than they received), read by
``gongkai flows … --file`` (header detection, normalisation, 万元 → 元, name matching, the tree), against pandas
and DuckDB written by hand for the same node sums.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FUND, YEAR = "财政专项扶贫资金", 2025
PLANTED = 100


def generate(store: Path, projects: int, seed: int = 7) -> dict[str, int]:
    """Write the three releases; return the planted counts and the row counts."""
    rng = random.Random(seed)
    counties = [(p, c, k) for p in range(31) for c in range(10) for k in range(10)]
    per_county = max(1, projects // len(counties))
    gap_counties = set(rng.sample(range(len(counties)), PLANTED))
    alloc: dict[str, list[Any]] = {k: [] for k in ("allocation_id", "fund", "year", "level", "parent_id", "from_org",
                                                   "to_org", "to_region_code", "project_id", "amount", "purpose",
                                                   "document_no", "issued_date")}
    rec: dict[str, list[Any]] = {k: [] for k in ("project_id", "year", "project_name", "implementing_unit",
                                                 "region_code", "fund_central", "total_amount", "amount_spent",
                                                 "balance")}
    date = dt.date(YEAR, 3, 1)

    def add(aid: str, level: str, parent: str | None, frm: str, to: str, region: str, project: str | None,
            cents: int) -> None:
        for k, v in zip(alloc, (aid, FUND, YEAR, level, parent, frm, to, region, project, cents / 100, level,
                                f"财〔{YEAR}〕{len(alloc['allocation_id'])}号", date), strict=True):
            alloc[k].append(v)

    province_sum = [0] * 31
    pref_sum = [0] * 310
    county_rows: list[tuple[int, int]] = []
    unallocated = set(rng.sample(range(len(counties) * per_county), PLANTED))
    overspent = set(rng.sample(range(len(counties) * per_county), PLANTED)) - unallocated
    n = 0
    leaves: list[tuple[str, str, str, str, int, int]] = []
    for i, (p, c, k) in enumerate(counties):
        region = f"{11 + p:02d}{c + 1:02d}{k + 1:02d}"
        total = 0
        for j in range(per_county):
            pid = f"PP{YEAR}-{region}-{j:04d}"
            cents = rng.randint(100_000, 5_000_000)
            spent = cents * rng.randint(0, 100) // 100
            if n in overspent:
                spent = cents + rng.randint(100, 10_000)
            for key, v in zip(rec, (pid, YEAR, f"项目{pid}", f"实施单位{region}", region, cents / 100, cents / 100,
                                    spent / 100, (cents - spent) / 100), strict=True):
                rec[key].append(v)
            if n not in unallocated:
                leaves.append((pid, region, f"县{region}", f"实施单位{region}", cents, i))
                total += cents
            n += 1
        gap = rng.randint(10_000, 1_000_000) if i in gap_counties else 0
        county_rows.append((i, total + gap))
        pref_sum[p * 10 + c] += total + gap
        province_sum[p] += total + gap
    add("FP-ROOT", "省", None, "财政部", "全国", "100000", None, sum(province_sum))
    for p in range(31):
        add(f"FP-{p}", "省", "FP-ROOT", "财政部", f"省{p}", f"{11 + p:02d}0000", None, province_sum[p])
        for c in range(10):
            add(f"FP-{p}-{c}", "市", f"FP-{p}", f"省{p}", f"市{p}-{c}", f"{11 + p:02d}{c + 1:02d}00", None,
                pref_sum[p * 10 + c])
    for i, cents in county_rows:
        p, c, k = counties[i]
        add(f"FP-{p}-{c}-{k}", "县", f"FP-{p}-{c}", f"市{p}-{c}", f"县{11 + p:02d}{c + 1:02d}{k + 1:02d}",
            f"{11 + p:02d}{c + 1:02d}{k + 1:02d}", None, cents)
    for pid, region, frm, to, cents, i in leaves:
        p, c, k = counties[i]
        add(f"FP-{pid}", "项目", f"FP-{p}-{c}-{k}", frm, to, region, pid, cents)
    _release(store, "fund-allocations", pa.table(alloc), {"amount": "万元"})
    _release(store, "poverty-projects", pa.table(rec), {"amount_spent": "万元"})
    lottery = pa.table({"project_id": pa.array([], pa.string()), "year": pa.array([], pa.int32()),
                        "project_name": pa.array([], pa.string()), "implementing_unit": pa.array([], pa.string()),
                        "region_code": pa.array([], pa.string()), "amount_allocated": pa.array([], pa.float64()),
                        "amount_spent": pa.array([], pa.float64()), "balance": pa.array([], pa.float64())})
    _release(store, "lottery-welfare-projects", lottery, {})
    return {"allocations": len(alloc["allocation_id"]), "project_records": n, "gaps": PLANTED,
            "overspent": len(overspent), "unallocated": PLANTED}


def _release(store: Path, dataset: str, table: pa.Table, units: dict[str, str]) -> None:
    d = store / dataset / "v1"
    d.mkdir(parents=True)
    pq.write_table(table, d / "data.parquet", compression="zstd")
    columns = {k: {"label": k, "unit": u} for k, u in units.items()}
    (d / "validation.json").write_text(json.dumps({"sources": [{"columns": columns}]}), encoding="utf-8")
    files = {n: {"sha256": hashlib.sha256((d / n).read_bytes()).hexdigest(), "bytes": (d / n).stat().st_size}
             for n in ("data.parquet", "validation.json")}
    manifest = {"dataset": dataset, "version": "v1", "created": dt.datetime.now(dt.UTC).isoformat(), "files": files}
    (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench_gongkai(store: Path) -> dict[str, Any]:
    from gongkai import Project
    from gongkai.flows import build, reconcile, top, trace
    from gongkai.release.reading import LocalReleases

    project = Project(REPO, store=store)
    r: dict[str, Any] = {}
    r["build"], model = timed(lambda: build(project.specs, LocalReleases(project.store)))
    r["flows_rows"] = model.con.execute("SELECT count(*) FROM flows").fetchone()[0]  # type: ignore[index]
    r["trace_to_county"], rows = timed(lambda: trace(model, FUND, YEAR, depth=3))
    r["trace_to_county_rows"] = len(rows)
    r["trace_one_county"], rows = timed(lambda: trace(model, FUND, YEAR, start="FP-3-4-5"))
    r["trace_one_county_rows"] = len(rows)
    r["reconcile"], result = timed(lambda: reconcile(model, FUND, YEAR))
    kinds: dict[str, int] = {}
    for f in result.findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    r["findings"] = kinds
    r["top_projects"], _ = timed(lambda: top(model, "project", FUND, YEAR, limit=20))
    r["trace_whole_tree"], rows = timed(lambda: trace(model, FUND, YEAR))
    r["trace_whole_tree_rows"] = len(rows)
    r["trace_whole_tree_as_dicts"], _ = timed(rows.rows)
    del rows, _
    model.con.close()  # free its memory before the command-line runs
    env = {**os.environ, "GONGKAI_PROJECT": str(REPO)}
    exe = str(Path(sys.executable).parent / "gongkai")
    for name, args in [("cli_reconcile", ["flows", "reconcile", "--format", "json"]),
                       ("cli_trace_to_county", ["flows", "trace", "--fund", FUND, "--year", str(YEAR), "--depth", "3"]),
                       ("cli_trace_whole_tree_csv", ["flows", "trace", "--fund", FUND, "--year", str(YEAR),
                                                     "--format", "csv"])]:
        with open(os.devnull, "wb") as devnull:
            r[name], _ = timed(lambda a=args, o=devnull: subprocess.run(  # type: ignore[misc]
                [exe, "--store", str(store), *a], env=env, check=True, stdout=o, stderr=subprocess.PIPE))
    return r


def bench_pandas(store: Path) -> dict[str, Any]:
    r: dict[str, Any] = {}

    def load() -> tuple[pd.DataFrame, pd.DataFrame]:
        return (pd.read_parquet(store / "fund-allocations/v1/data.parquet"),
                pd.read_parquet(store / "poverty-projects/v1/data.parquet"))

    r["load"], (a, p) = timed(load)

    def check() -> dict[str, int]:
        kids = a.groupby("parent_id")["amount"].sum().rename("children")
        nodes = a.set_index("allocation_id")[["amount"]].join(kids, how="inner")
        mismatch = nodes[(nodes["amount"] - nodes["children"]).abs() > 0.005]
        allocated = a.loc[a["project_id"].notna()].groupby("project_id")["amount"].sum()
        unallocated = p[~p["project_id"].isin(allocated.index) & (p["amount_spent"] > 0)]
        negative = p[p["balance"] < 0]
        return {"sum-mismatch": len(mismatch), "unallocated-spending": len(unallocated), "negative-balance": len(negative)}

    r["reconcile"], r["findings"] = timed(check)

    def tree(depth: int | None) -> int:
        level = a[a["parent_id"].isna()][["allocation_id"]]
        total, d = len(level), 0
        while len(level) and (depth is None or d < depth):
            level = a.merge(level.rename(columns={"allocation_id": "parent_id"}), on="parent_id")[["allocation_id"]]
            total += len(level)
            d += 1
        return total

    r["trace_to_county"], r["trace_to_county_rows"] = timed(lambda: tree(3))
    r["trace_whole_tree"], r["trace_whole_tree_rows"] = timed(lambda: tree(None))
    return r


def bench_duckdb(store: Path) -> dict[str, Any]:
    con = duckdb.connect()
    a, p = store / "fund-allocations/v1/data.parquet", store / "poverty-projects/v1/data.parquet"
    r: dict[str, Any] = {}

    def check() -> dict[str, int]:
        mismatch = con.execute(f"""
            WITH a AS (SELECT * FROM '{a}'), k AS (SELECT parent_id, sum(amount) s FROM a GROUP BY parent_id)
            SELECT count(*) FROM a JOIN k ON k.parent_id = a.allocation_id WHERE abs(a.amount - k.s) > 0.005""").fetchone()
        unallocated = con.execute(f"""SELECT count(*) FROM '{p}' r WHERE amount_spent > 0 AND NOT EXISTS
            (SELECT 1 FROM '{a}' x WHERE x.project_id = r.project_id)""").fetchone()
        negative = con.execute(f"SELECT count(*) FROM '{p}' WHERE balance < 0").fetchone()
        return {"sum-mismatch": mismatch[0], "unallocated-spending": unallocated[0],  # type: ignore[index]
                "negative-balance": negative[0]}  # type: ignore[index]

    r["reconcile"], r["findings"] = timed(check)

    def tree(depth: int) -> int:
        return con.execute(f"""
            WITH RECURSIVE a AS (SELECT * FROM '{a}'),
            t AS (SELECT allocation_id, 0 AS d FROM a WHERE parent_id IS NULL
                  UNION ALL SELECT a.allocation_id, t.d + 1 FROM a JOIN t ON a.parent_id = t.allocation_id WHERE t.d < {depth})
            SELECT count(*) FROM t""").fetchone()[0]  # type: ignore[index]

    r["trace_to_county"], r["trace_to_county_rows"] = timed(lambda: tree(3))
    r["trace_whole_tree"], r["trace_whole_tree_rows"] = timed(lambda: tree(100))
    return r


EDGE_HEADER = ["资金名称", "年度", "拨出单位", "接收单位", "金额（万元）", "阶段"]


def generate_edges(path: Path, edges: int, encoding: str = "utf-8", seed: int = 11) -> dict[str, int]:
    """A journalist's edge list: 财政部 → 31 provinces → 310 prefectures → 3,100 counties → projects (支出), names
    only, amounts in 万元 with two decimals; 100 counties pass on less than they received."""
    import csv

    rng = random.Random(seed)
    counties = [(p, c, k) for p in range(31) for c in range(10) for k in range(10)]
    per_county = max(1, (edges - 1 - 31 - 310 - 3100) // len(counties))
    gaps = set(rng.sample(range(len(counties)), PLANTED))
    rows, county_total, pref_total, prov_total = [], [], [0] * 310, [0] * 31
    for i, (p, c, k) in enumerate(counties):
        total = 0
        for j in range(per_county):
            cents = rng.randint(100, 500_000)
            rows.append([f"县{p}-{c}-{k}财政局", f"项目{p}-{c}-{k}-{j}", cents, "支出"])
            total += cents
        total += rng.randint(100, 10_000) if i in gaps else 0
        county_total.append(total)
        pref_total[p * 10 + c] += total
        prov_total[p] += total
    head = [["财政部", "全国", sum(prov_total), "下达"]]
    head += [["全国", f"省{p}财政厅", prov_total[p], "下达"] for p in range(31)]
    head += [[f"省{p}财政厅", f"市{p}-{c}财政局", pref_total[p * 10 + c], "下达"] for p in range(31) for c in range(10)]
    head += [[f"市{p}-{c}财政局", f"县{p}-{c}-{k}财政局", county_total[i], "下达"] for i, (p, c, k) in enumerate(counties)]
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(EDGE_HEADER)
        for frm, to, cents, stage in [*head, *rows]:
            w.writerow([FUND, YEAR, frm, to, f"{cents / 100:.2f}", stage])
    return {"edges": len(head) + len(rows), "gaps": PLANTED}


def bench_file_gongkai(path: Path, gbk: Path) -> dict[str, Any]:
    from gongkai.flows import reconcile, top, trace
    from gongkai.flows.files import build_files

    r: dict[str, Any] = {}
    r["build"], model = timed(lambda: build_files([path], memory_limit="4GB"))
    r["flows_rows"] = model.con.execute("SELECT count(*) FROM flows").fetchone()[0]  # type: ignore[index]
    r["trace_to_county"], rows = timed(lambda: trace(model, depth=3))
    r["trace_to_county_rows"] = len(rows)
    r["reconcile"], result = timed(lambda: reconcile(model))
    r["findings"] = {k: sum(1 for f in result.findings if f.kind == k) for k in {f.kind for f in result.findings}}
    r["top_recipients"], _ = timed(lambda: top(model, "recipient", limit=20))
    model.con.close()
    r["build_gbk"], m2 = timed(lambda: build_files([gbk], memory_limit="4GB"))
    m2.con.close()
    exe = str(Path(sys.executable).parent / "gongkai")
    for name, args in [("cli_reconcile", ["flows", "reconcile", "--file", str(path), "--format", "json"]),
                       ("cli_trace_to_county", ["flows", "trace", "--file", str(path), "--depth", "3"])]:
        with open(os.devnull, "wb") as devnull:
            r[name], _ = timed(lambda a=args, o=devnull: subprocess.run(  # type: ignore[misc]
                [exe, *a], check=True, stdout=o, stderr=subprocess.PIPE))
    return r


def bench_file_pandas(path: Path) -> dict[str, Any]:
    """What a notebook does: read, 万元 → 元, node sums by name, compare."""
    def check() -> dict[str, int]:
        e = pd.read_csv(path)
        e["amount"] = (e["金额（万元）"] * 10_000).round(2)
        inflow = e.groupby("接收单位")["amount"].sum()
        outflow = e.groupby("拨出单位")["amount"].sum()
        both = pd.concat([inflow.rename("inflow"), outflow.rename("outflow")], axis=1, join="inner")
        mismatch = both[(both["inflow"] - both["outflow"]).abs() > 100]
        return {"sum-mismatch": len(mismatch)}
    t, found = timed(check)
    return {"reconcile_whole": t, "findings": found}


def bench_file_duckdb(path: Path) -> dict[str, Any]:
    con = duckdb.connect()

    def check() -> dict[str, int]:
        n = con.execute(f"""
            WITH e AS (SELECT 接收单位 AS t, 拨出单位 AS f, CAST("金额（万元）" AS DECIMAL(18,2)) * 10000 AS a
                       FROM read_csv('{path}')),
            i AS (SELECT t AS node, sum(a) AS s FROM e GROUP BY t), o AS (SELECT f AS node, sum(a) AS s FROM e GROUP BY f)
            SELECT count(*) FROM i JOIN o USING (node) WHERE abs(i.s - o.s) > 100""").fetchone()[0]  # type: ignore[index]
        return {"sum-mismatch": n}
    t, found = timed(check)
    return {"reconcile_whole": t, "findings": found}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=1_000_000, help="rows of the --file edge list")
    ap.add_argument("--only", choices=["releases", "file"], help="run one part only")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "file":
            store = Path(tmp) / "store"
            gen_s, truth = timed(lambda: generate(store, args.projects))
            print(f"generated in {gen_s:.1f} s: {truth}")
            results |= {"truth": truth, "gongkai": bench_gongkai(store), "pandas": bench_pandas(store),
                        "duckdb_sql": bench_duckdb(store)}
        if args.only != "releases":
            path, gbk = Path(tmp) / "edges.csv", Path(tmp) / "edges-gbk.csv"
            gen_s, file_truth = timed(lambda: generate_edges(path, args.edges))
            generate_edges(gbk, args.edges, "gbk")
            print(f"edge list generated in {gen_s:.1f} s: {file_truth}, {path.stat().st_size / 1e6:.0f} MB")
            results |= {"file_truth": file_truth, "file_gongkai": bench_file_gongkai(path, gbk),
                        "file_pandas": bench_file_pandas(path), "file_duckdb_sql": bench_file_duckdb(path)}
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    name = f"flows-{results['truth']['allocations']}" if "truth" in results else f"flows-file-{args.edges}"
    path = out / f"{name}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    for tool in ("gongkai", "pandas", "duckdb_sql", "file_gongkai", "file_pandas", "file_duckdb_sql"):
        if tool in results:
            print(tool, json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in results[tool].items()},
                                   ensure_ascii=False))
    print(f"→ {path}")


if __name__ == "__main__":
    main()
