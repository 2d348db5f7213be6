"""Partitioned release: N counties × R rows assembled, then one county re-submits; time, rows written, peak memory.

    python benchmarks/bench_partitions.py [--partitions 3000] [--rows 100] [--code DIR]

The stored parts are made from one real submission (the sample lottery projects of one county), copied with
their region code and project id rewritten, so the timing is of the releases alone, not of making them. Each
tool runs in its own process (peak RSS is that process's ``VmHWM``), side by side in one run:

- gongkai   ``Project.release`` of one county's whole file, which assembles every stored partition into a new
            version (``assemble``), then of one row of the same county (``re-release``: one county changed);
            each with the time spent in each step of the release
- pandas    ``concat`` of the N county CSVs + ``to_csv`` (just assembling: no checks, no other files)
- duckdb    ``read_csv([...N files])`` → ``COPY`` to one CSV (the same)

``--code DIR`` measures the gongkai package under DIR (an older checkout, e.g. from ``git archive``) on the same
stored parts, for before/after figures in the same sitting.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench_validate import cpu_seconds, peak_rss_mb

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DS = "lottery-welfare-projects"
# where a release spends its time: (step, module, function), inclusive times; "of which" steps run inside others
STEPS = [
    ("release (whole call)", "gongkai.release.assemble", "release_partition"),
    ("read the stored parts' list", "gongkai.release.partitions", "current_parts"),
    ("gate (the county's file)", "gongkai.gate.run", "run_gate"),
    ("assemble (read parts, order by key)", "gongkai.release.partitions", "assemble"),
    ("primary key across partitions", "gongkai.release.partitions", "check_whole"),
    ("build (every release file)", "gongkai.release.build", "build"),
    ("· write data.csv", "gongkai.release.writers", "write_csv"),
    ("· fingerprint", "gongkai.release.build", "fingerprint"),
    ("· write data.json", "gongkai.release.writers", "write_json"),
    ("· write data.parquet", "gongkai.release.writers", "write_parquet"),
    ("· write data.xlsx", "gongkai.release.writers", "write_xlsx"),
    ("· changelog compare", "gongkai.release.changelog", "compare"),
    ("· datapackage.json", "gongkai.release.build", "_datapackage"),
    ("manifest: partitions listed", "gongkai.release.assemble", "_add_partitions"),
    ("of all: sha256 of files", "gongkai.files", "sha256_file"),
    ("of all: scrubbing metadata", "gongkai.gate.pii", "scrub_tree"),
]


def setup(tmp: Path, partitions: int, rows: int) -> dict[str, Any]:
    """A project whose store holds one real county's submission and ``partitions`` made-up counties' parts (each
    also as a CSV for pandas and DuckDB); the county's files to submit again."""
    import random

    import duckdb

    sys.path.append(str(REPO))
    from gongkai import Project
    from gongkai.files import sha256_file
    from gongkai.settings import Settings
    from tests.conftest import generator, lottery_csv, project_copy, strip_partition

    lottery = generator.welfare_lottery(generator.lottery_projects(random.Random(generator.SEED)))  # 福彩 rows
    code = str(lottery[0]["行政区划代码"])
    county = [r for r in lottery if str(r["行政区划代码"]) == code]
    root = project_copy(tmp)
    strip_partition(root, DS, keep_field=True)  # no registry: the stored parts are of made-up counties
    project = Project(root, store=tmp / "store", settings=Settings(cache=tmp / "cache"))
    whole, one = lottery_csv(tmp, county, "county.csv"), lottery_csv(tmp, county[:1], "one-row.csv")
    first = project.release(DS, [whole])
    assert first.status == "released", [p.message for p in first.report.problems]
    parts = project.store.dataset_dir(DS) / "partitions"
    seed = next(parts.glob("*/s1.parquet"))
    csvs = tmp / "county-csv"
    csvs.mkdir()
    con = duckdb.connect()
    con.execute(f"CREATE TABLE seed AS SELECT *, row_number() OVER () - 1 AS i FROM read_parquet('{seed}')")
    k = con.execute("SELECT count(*) FROM seed").fetchone()[0]  # type: ignore[index]
    t = time.perf_counter()
    for n in range(partitions):
        value = f"9{n:05d}"
        d = parts / value
        d.mkdir()
        con.execute(f"CREATE OR REPLACE TABLE part AS SELECT s.* EXCLUDE (i) REPLACE ('{value}' AS region_code, "
                    f"'P{value}-' || lpad(g::VARCHAR, 4, '0') AS project_id) "
                    f"FROM range({rows}) t(g) JOIN seed s ON s.i = g % {k} ORDER BY g")
        con.execute(f"COPY part TO '{d / 's1.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
        con.execute(f"COPY part TO '{csvs / (value + '.csv')}' (FORMAT csv, HEADER true)")
        meta = {"source_sha256": None, "submitter": None, "sources": [], "partition": value, "rows": rows,
                "submitted": "2026-01-01T00:00:00+00:00", "sha256": sha256_file(d / "s1.parquet")}
        (d / "s1.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    con.close()
    return {"root": str(root), "store": str(tmp / "store"), "cache": str(tmp / "cache"), "whole": str(whole),
            "one": str(one), "csv_dir": str(csvs), "made_s": round(time.perf_counter() - t, 1),
            "first_rows": first.manifest["row_count"] if first.manifest else None}


@contextlib.contextmanager
def step_timer(totals: dict[str, float]) -> Iterator[None]:
    """Time each function of :data:`STEPS` wherever gongkai's modules refer to it (outermost call only)."""
    for _, mod, _ in STEPS:
        importlib.import_module(mod)
    for m in ("gongkai.gate", "gongkai.release.verify", "gongkai.project"):
        importlib.import_module(m)
    undo: list[tuple[object, str, object]] = []
    for label, mod, name in STEPS:
        target = getattr(sys.modules[mod], name, None)
        if target is None:
            totals[label] = float("nan")  # not in this version of the code
            continue
        wrapper = timed(target, label, totals)
        for module in [m for n, m in list(sys.modules.items()) if n.startswith("gongkai") and m is not None]:
            for attr, value in list(vars(module).items()):
                if value is target:
                    undo.append((module, attr, value))
                    setattr(module, attr, wrapper)
    try:
        yield
    finally:
        for module, attr, value in undo:
            setattr(module, attr, value)


def timed(fn: Callable[..., Any], label: str, totals: dict[str, float]) -> Callable[..., Any]:
    depth = [0]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                totals[label] = totals.get(label, 0.0) + time.perf_counter() - t
    return wrapper


def work_gongkai(env: dict[str, Any]) -> dict[str, Any]:
    from gongkai import Project
    from gongkai.settings import Settings

    project = Project(Path(env["root"]), store=Path(env["store"]), settings=Settings(cache=Path(env["cache"])))
    out: dict[str, Any] = {"code": str(Path(importlib.import_module("gongkai").__file__ or "").parent)}
    for name, source in (("assemble", env["whole"]), ("re-release", env["one"])):
        steps: dict[str, float] = {}
        t = time.perf_counter()
        with step_timer(steps):
            o = project.release(DS, [Path(source)])
        out[name] = {"seconds": round(time.perf_counter() - t, 2), "status": o.status, "version": o.version,
                     "rows_gated": o.report.rows, "rows_written": o.manifest["row_count"] if o.manifest else None,
                     "changes": o.manifest["changes"] if o.manifest else None,
                     "steps": {k: round(v, 3) for k, v in steps.items()}}
    return out


def work_pandas(env: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    files = sorted(Path(env["csv_dir"]).glob("*.csv"))
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    df.to_csv(Path(env["out_dir"]) / "pandas.csv", index=False)
    return {"rows_written": len(df), "files": len(files)}


def work_duckdb(env: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    files = sorted(str(p) for p in Path(env["csv_dir"]).glob("*.csv"))
    con = duckdb.connect()
    n = con.execute(f"COPY (SELECT * FROM read_csv({files!r})) TO '{Path(env['out_dir']) / 'duckdb.csv'}' "
                    "(FORMAT csv, HEADER true)").fetchone()[0]  # type: ignore[index]
    return {"rows_written": n, "files": len(files)}


WORKERS = {"gongkai": work_gongkai, "pandas": work_pandas, "duckdb": work_duckdb}


def worker_main(tool: str, env_json: str) -> None:
    t, c = time.perf_counter(), cpu_seconds()
    out = WORKERS[tool](json.loads(env_json))
    out["seconds"] = round(time.perf_counter() - t, 2)
    out["cpu_seconds"] = round(cpu_seconds() - c, 2)
    out["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(out, ensure_ascii=False, default=str))


def run_tool(tool: str, env: dict[str, Any], code: Path | None) -> dict[str, Any]:
    load = os.getloadavg()[0]
    penv = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    if code is not None:  # its gongkai package first on the path, before the installed one
        penv["PYTHONPATH"] = os.pathsep.join([str(code), penv.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run([sys.executable, __file__, "--worker", tool, json.dumps(env)], capture_output=True,
                          text=True, env=penv)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        return {"failed": (proc.stderr or proc.stdout)[-2000:], "load_before": round(load, 1)}
    return json.loads(line[7:]) | {"load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--partitions", type=int, default=3000)
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--tools", nargs="+", default=list(WORKERS))
    ap.add_argument("--code", type=Path, help="measure the gongkai package under this directory")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker_main(*a.worker)
        return
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        env = setup(tmp, a.partitions, a.rows) | {"out_dir": tmp_s}
        print(f"## {a.partitions:,} stored partitions × {a.rows} rows (made in {env['made_s']} s)", flush=True)
        results = {"partitions": a.partitions, "rows": a.rows, "tools": {}}
        for tool in a.tools:
            res = run_tool(tool, env, a.code if tool == "gongkai" else None)
            results["tools"][tool] = res
            print(f"- {tool}: {json.dumps(res, ensure_ascii=False)}", flush=True)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / f"partitions-{a.partitions}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1),
                                                                  encoding="utf-8")
    print_table(results)


def print_table(results: dict[str, Any]) -> None:
    print("\n| tool | wall s | CPU s | peak RSS MB | load | rows written |\n|---|---|---|---|---|---|")
    for tool, r in results["tools"].items():
        if "failed" in r:
            print(f"| {tool} | failed | | | | {r['failed'][-200:]!r} |")
            continue
        written = "; ".join(f"{k} {r[k]['seconds']} s, {r[k]['rows_written']:,} rows"
                            for k in ("assemble", "re-release") if k in r) or f"{r['rows_written']:,}"
        print(f"| {tool} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {r['peak_rss_mb']:,} | {r['load_before']} | "
              f"{written} |")
    g = results["tools"].get("gongkai", {})
    if "assemble" in g:
        print("\n| step | assemble s | re-release s |\n|---|---|---|")
        for label, _, _ in STEPS:
            a, b = g["assemble"]["steps"].get(label), g["re-release"]["steps"].get(label)
            print(f"| {label} | {'' if a is None else a} | {'' if b is None else b} |")


if __name__ == "__main__":
    main()
