"""Validation benchmark: gongkai against the tools a user would otherwise pick, side by side in one run.

    python benchmarks/bench_validate.py --rows 1000000 5000000 [--database-url postgresql://…]

For each size it generates lottery-project rows (17 columns, ~0.1% injected errors of eight kinds, a known
truth), then runs each tool in its own process and records wall time, rows/s, peak RSS and the errors found:

- pyarrow      a raw CSV read (the floor)
- gongkai      `Project.validate` (Table Schema in DuckDB + quality suite by Great Expectations on pandas)
- gongkai-pg   the same with the quality suite computed in PostgreSQL
- frictionless frictionless-py 5 validating the same schema, all rows (limit_errors=0)
- gx-pandas    Great Expectations on pandas with the same rules written as expectations

Results go to benchmarks/out/results-<rows>.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
REGIONS = ["530102", "530103", "530111", "530112", "530114", "530181", "530302", "530303", "530322", "530326",
           "530381", "532901", "533401", "533422", "533423", "532501", "532502", "532503"]
KINDS = {  # injected error kind → (what a correct tool reports, tool-independent label)
    0: "type-error amount_allocated", 1: "enum fund_line", 2: "type-error start_date", 3: "foreign-key region_code",
    4: "primary-key project_id", 5: "quality period-order", 6: "quality spent-within-allocated",
    7: "pattern contact_phone",
}


def generate(rows: int, path: Path) -> dict[str, int]:
    """Write the CSV with DuckDB (fast, deterministic); return how many errors of each kind it holds."""
    import duckdb

    regions = "[" + ", ".join(f"'{r}'" for r in REGIONS) + "]"
    con = duckdb.connect()
    bad = "(i % 1000 = 500)"
    kind = "((i // 1000) % 8)"
    sql = f"""
    COPY (
      WITH base AS (
        SELECT i,
          'CP' || lpad(CAST(2000 + i // 10000 AS VARCHAR), 4, '0') || '-' || lpad(CAST(i % 10000 AS VARCHAR), 4, '0') AS pid,
          'CP' || lpad(CAST(2000 + (i - 1) // 10000 AS VARCHAR), 4, '0') || '-' || lpad(CAST((i - 1) % 10000 AS VARCHAR), 4, '0') AS prev_pid,
          1000000 + (i * 7919) % 50000000 AS a_c,
          DATE '2025-01-01' + CAST(i % 180 AS INTEGER) AS start_d
        FROM range({rows}) t(i)
      )
      SELECT
        CASE WHEN {bad} AND {kind} = 4 THEN prev_pid ELSE pid END AS project_id,
        CAST(2000 + i % 26 AS VARCHAR) AS year,
        CASE WHEN {bad} AND {kind} = 1 THEN '福彩' ELSE '民政' END AS fund_line,
        (['老年人福利类', '残疾人福利类', '儿童福利类', '社会公益类'])[1 + i % 4] AS category,
        '项目' || CAST(i AS VARCHAR) || '：社区养老服务设施改造' AS project_name,
        '改造社区养老服务设施，惠及群众约' || CAST(100 + i % 5000 AS VARCHAR) || '人' AS content,
        '昆明市民政局' AS implementing_unit,
        CASE WHEN {bad} AND {kind} = 3 THEN '530199' ELSE ({regions})[1 + i % {len(REGIONS)}] END AS region_code,
        CASE WHEN {bad} AND {kind} = 2 THEN '2025-02-30' ELSE strftime(start_d, '%Y-%m-%d') END AS start_date,
        strftime(CASE WHEN {bad} AND {kind} = 5 THEN start_d - 10 ELSE start_d + 200 END, '%Y-%m-%d') AS end_date,
        CASE WHEN {bad} AND {kind} = 0 THEN 'abc' ELSE printf('%.2f', a_c / 100) END AS amount_allocated,
        printf('%.2f', (CASE WHEN {bad} AND {kind} = 6 THEN a_c + 100 ELSE a_c * 3 // 5 END) / 100) AS amount_spent,
        printf('%.2f', (a_c - CASE WHEN {bad} AND {kind} = 6 THEN a_c + 100 ELSE a_c * 3 // 5 END) / 100) AS balance,
        (['张伟', '李娜', '王芳', '刘洋'])[1 + i % 4] AS person_in_charge,
        CASE WHEN {bad} AND {kind} = 7 THEN '12345678' ELSE '0871-6' || lpad(CAST(i % 10000000 AS VARCHAR), 7, '0') END AS contact_phone,
        CASE WHEN i % 2 = 0 THEN '已完成' ELSE '实施中' END AS status,
        '按期完成' AS effect
      FROM base ORDER BY i
    ) TO '{path}' (FORMAT csv, HEADER true)
    """
    con.execute(sql)
    n_bad = len(range(500, rows, 1000))
    return {KINDS[k]: sum(1 for i in range(500, rows, 1000) if (i // 1000) % 8 == k) for k in KINDS} | {"total": n_bad}


# -- workers: each runs in its own process so peak RSS is its own ---------------------------------------------


def work_pyarrow(csv: Path, _: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.csv as pc

    t = pc.read_csv(csv)
    return {"rows": t.num_rows, "errors": None}


def work_gongkai(csv: Path, opts: dict[str, Any]) -> dict[str, Any]:
    import tempfile

    from gongkai import Project

    with tempfile.TemporaryDirectory() as store:
        project = Project(REPO, store=Path(store), database_url=opts.get("database_url"))
        outcome = project.validate("lottery-welfare-projects", [csv])
    r = outcome.report
    counts = r.to_dict()["counts"]
    quality: dict[str, int] = {}
    for p in r.problems:
        if p.type == "quality":
            quality[p.rule or "?"] = quality.get(p.rule or "?", 0) + 1
    injected = {i + 2 for i in range(500, r.rows, 1000)}  # line = record index + 2
    return {"rows": r.rows, "errors": r.error_count, "counts": counts, "quality": quality,
            "rows_exact": {p.row for p in r.problems} == injected,
            "timings": {k: round(v, 2) for k, v in r.timings.items()}}


def work_frictionless(csv: Path, _: dict[str, Any]) -> dict[str, Any]:
    import frictionless

    schema = json.loads((REPO / "schemas" / "lottery-welfare-projects.schema.json").read_text(encoding="utf-8"))
    codes = csv.parent / "region-codes.csv"
    codes.write_bytes((REPO / "schemas" / "codes" / "region-codes.csv").read_bytes())
    pkg = frictionless.Package({"resources": [
        {"name": "projects", "path": csv.name, "schema": schema},
        {"name": "region-codes", "path": codes.name,
         "schema": {"fields": [{"name": n, "type": "string"} for n in ("code", "name", "level", "parent")]}}]},
        basepath=str(csv.parent))
    report = pkg.validate(limit_errors=0)
    counts: dict[str, int] = {}
    rows = 0
    for task in report.tasks:
        if task.name == "projects":
            rows = task.stats.get("rows", 0)
            for e in task.errors:
                counts[e.type] = counts.get(e.type, 0) + 1
    return {"rows": rows, "errors": sum(counts.values()), "counts": counts}


def work_gx_pandas(csv: Path, _: dict[str, Any]) -> dict[str, Any]:
    """The same rules as the Table Schema and suite, written as Great Expectations expectations on pandas."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration as C

    df = pd.read_csv(csv, dtype=str, keep_default_na=False, engine="pyarrow")
    for c in ("amount_allocated", "amount_spent", "balance"):
        df[c + "_n"] = pd.to_numeric(df[c], errors="coerce")
    for c in ("start_date", "end_date"):
        df[c + "_d"] = pd.to_datetime(df[c], format="%Y-%m-%d", errors="coerce")
    df["year_n"] = pd.to_numeric(df["year"], errors="coerce")
    codes = pd.read_csv(REPO / "schemas" / "codes" / "region-codes.csv", dtype=str)["code"].tolist()
    schema = json.loads((REPO / "schemas" / "lottery-welfare-projects.schema.json").read_text(encoding="utf-8"))
    exps: list[C] = []
    for f in schema["fields"]:
        name, cons = f["name"], f.get("constraints", {})
        if cons.get("required"):
            exps.append(C(type="expect_column_values_to_not_match_regex", kwargs={"column": name, "regex": r"^\s*$"}))
        if "enum" in cons:
            exps.append(C(type="expect_column_values_to_be_in_set", kwargs={"column": name, "value_set": cons["enum"]}))
        if "pattern" in cons:
            exps.append(C(type="expect_column_values_to_match_regex",
                          kwargs={"column": name, "regex": f"^(?:{cons['pattern']})$|^$"}))
    for c in ("amount_allocated", "amount_spent", "balance", "start_date", "end_date", "year"):
        exps.append(C(type="expect_column_values_to_not_be_null",
                      kwargs={"column": c + ("_d" if "date" in c else "_n"), "mostly": 1.0}))
    exps += [
        C(type="expect_column_values_to_be_between", kwargs={"column": "year_n", "min_value": 2000, "max_value": 2100}),
        C(type="expect_column_values_to_be_between", kwargs={"column": "amount_allocated_n", "min_value": 0}),
        C(type="expect_column_values_to_be_between", kwargs={"column": "amount_spent_n", "min_value": 0}),
        C(type="expect_column_values_to_be_unique", kwargs={"column": "project_id"}),
        C(type="expect_column_values_to_be_in_set", kwargs={"column": "region_code", "value_set": codes}),
        C(type="expect_column_pair_values_a_to_be_greater_than_b",
          kwargs={"column_A": "end_date_d", "column_B": "start_date_d", "or_equal": True,
                  "ignore_row_if": "either_value_is_missing"}),
        C(type="expect_column_pair_values_a_to_be_greater_than_b",
          kwargs={"column_A": "amount_allocated_n", "column_B": "amount_spent_n", "or_equal": True,
                  "ignore_row_if": "either_value_is_missing"}),
    ]
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    suite = ctx.suites.add(gx.ExpectationSuite(name="bench", expectations=[e.to_domain_obj() for e in exps]))
    bd = ctx.data_sources.add_pandas("p").add_dataframe_asset("t").add_batch_definition_whole_dataframe("all")
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="v", data=bd, suite=suite))
    res = vd.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    counts: dict[str, int] = {}
    for r in res.results:
        cfg = r.expectation_config
        key = f"{cfg.type}:{cfg.kwargs.get('column') or cfg.kwargs.get('column_A')}"
        n = (r.result or {}).get("unexpected_count", 0) or 0
        if n:
            counts[key] = n
    return {"rows": len(df), "errors": sum(counts.values()), "counts": counts, "expectations": len(exps)}


WORKERS = {"pyarrow": work_pyarrow, "gongkai": work_gongkai, "gongkai-pg": work_gongkai,
           "frictionless": work_frictionless, "gx-pandas": work_gx_pandas}


def peak_rss_mb() -> int:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a
    worker would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def cpu_seconds() -> float:
    """User + system CPU of this process and its children: steadier than wall time on a shared machine."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def worker_main(tool: str, csv: str, opts: str) -> None:
    t, c = time.perf_counter(), cpu_seconds()
    out = WORKERS[tool](Path(csv), json.loads(opts))
    out["seconds"] = round(time.perf_counter() - t, 2)
    out["cpu_seconds"] = round(cpu_seconds() - c, 2)
    out["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(out, ensure_ascii=False, default=str))


def run_tool(tool: str, csv: Path, opts: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    load = os.getloadavg()[0]
    try:
        proc = subprocess.run([sys.executable, __file__, "--worker", tool, str(csv), json.dumps(opts)],
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "GX_ANALYTICS_ENABLED": "false"})
    except subprocess.TimeoutExpired:
        return {"failed": f"timeout after {timeout:.0f} s", "load_before": load}
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        return {"failed": (proc.stderr or proc.stdout)[-2000:], "load_before": load}
    return json.loads(line[7:]) | {"load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--tools", nargs="+", default=list(WORKERS))
    ap.add_argument("--database-url", default=os.environ.get("GONGKAI_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--timeout", type=float, default=None, help="seconds per tool run; a slower run is reported")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker_main(*a.worker)
        return
    OUT.mkdir(exist_ok=True)
    for rows in a.rows:
        csv = OUT / f"lottery-{rows}.csv"
        t = time.perf_counter()
        truth = generate(rows, csv)
        print(f"\n## {rows:,} rows ({csv.stat().st_size / 1e6:.0f} MB, generated in {time.perf_counter() - t:.1f} s); "
              f"injected errors: {truth['total']}", flush=True)
        results: dict[str, Any] = {"rows": rows, "bytes": csv.stat().st_size, "truth": truth, "tools": {}}
        for tool in a.tools:
            opts = {"database_url": a.database_url} if tool == "gongkai-pg" else {}
            res = run_tool(tool, csv, opts, a.timeout)
            results["tools"][tool] = res
            print(f"- {tool}: {json.dumps(res, ensure_ascii=False)}", flush=True)
        (OUT / f"results-{rows}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print_table(results)
        csv.unlink()  # 20M rows are 5 GB: do not leave them behind


def print_table(results: dict[str, Any]) -> None:
    rows = results["rows"]
    print("\n| tool | wall s | CPU s | rows/s | peak RSS MB | load | errors found | notes |\n|---|---|---|---|---|---|---|---|")
    for tool, r in results["tools"].items():
        if "failed" in r:
            print(f"| {tool} | failed | | | | | | {r['failed'][-200:]!r} |")
            continue
        notes = ", ".join(f"{k} {v}" for k, v in (r.get("timings") or {}).items())
        print(f"| {tool} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {rows / r['seconds']:,.0f} | "
              f"{r['peak_rss_mb']:,} | {r['load_before']} | "
              f"{'' if r.get('errors') is None else r['errors']} | {notes} |")


if __name__ == "__main__":
    main()
