"""Partitioned release: N partitions × R rows stored, then one county re-submits; time and rows written.

    python benchmarks/bench_partitions.py [--partitions 3000] [--rows 100]

The stored parts are made from one real submission (the sample lottery projects of one county), copied with
their region code and project id rewritten, so the timing is of the re-release alone, not of making them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gongkai import Project
from gongkai.settings import Settings
from tests.conftest import REPO, generator, lottery_csv, strip_partition

DS = "lottery-welfare-projects"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--partitions", type=int, default=3000)
    ap.add_argument("--rows", type=int, default=100)
    a = ap.parse_args()
    import random

    rows = generator.welfare_lottery(generator.lottery_projects(random.Random(generator.SEED)))
    code = str(rows[0]["行政区划代码"])
    county = [r for r in rows if str(r["行政区划代码"]) == code]
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        root = tmp / "proj"
        for d in ("datasets", "schemas", "validation"):
            shutil.copytree(REPO / d, root / d, ignore=shutil.ignore_patterns("samples"))
        strip_partition(root, DS, keep_field=True)  # no registry: the generated counties submit unnamed
        project = Project(root, store=tmp / "store", settings=Settings(cache=tmp / "cache"))
        t = time.perf_counter()
        project.release(DS, [lottery_csv(tmp, county, "first.csv")])
        first = time.perf_counter() - t
        parts = project.store.dataset_dir(DS) / "partitions"
        seed = next(parts.glob("*/s1.parquet"))
        con = duckdb.connect()
        t = time.perf_counter()
        for i in range(a.partitions):
            value = f"9{i:05d}"
            d = parts / value
            d.mkdir(exist_ok=True)
            con.execute(f"COPY (SELECT * REPLACE ('{value}' AS region_code, 'P{value}-' || lpad(g::VARCHAR, 4, '0') "
                        f"AS project_id) FROM read_parquet('{seed}'), range({a.rows}) t(g) LIMIT {a.rows}) "
                        f"TO '{d / 's1.parquet'}' (FORMAT parquet)")
            (d / "s1.json").write_text(json.dumps({"partition": value, "rows": a.rows}), encoding="utf-8")
        made = time.perf_counter() - t
        t = time.perf_counter()
        o = project.release(DS, [lottery_csv(tmp, county[:1], "again.csv")])
        again = time.perf_counter() - t
        print(f"{a.partitions} stored partitions × {a.rows} rows (made in {made:.1f} s); first submission "
              f"{first:.1f} s; one county re-submitted: {o.status} {o.version}, {o.report.rows} row(s) gated, "
              f"{o.manifest['row_count'] if o.manifest else '?'} rows written, {again:.1f} s")


if __name__ == "__main__":
    main()
