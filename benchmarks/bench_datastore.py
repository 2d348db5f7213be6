"""DataStore load benchmark: a 1M-row release published to the local CKAN, against a plain PostgreSQL COPY.

    ckan_config/local-ckan up && python benchmarks/bench_datastore.py [--rows 1000000]

Both load the same data.csv into a table with the same column types: `gongkai publish` through CKAN
(datastore_create + the extension's server-side COPY, in one transaction) and `psql \\copy` into a scratch table.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import ckanapi
import duckdb

from gongkai.ckan.client import Client
from gongkai.ckan.publish import DATASTORE_TYPES, Publisher
from tests.conftest import unpartitioned

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATASET = "lottery-welfare-projects"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    a = ap.parse_args()
    url = os.environ.get("CKAN_URL", "http://127.0.0.1:5070")
    token = (REPO / "ckan_config" / ".local" / "api-token").read_text().strip()
    admin = ckanapi.RemoteCKAN(url, apikey=token)
    spec_mod = importlib.util.spec_from_file_location("bench", HERE / "bench_validate.py")
    bench = importlib.util.module_from_spec(spec_mod)  # type: ignore[arg-type]
    spec_mod.loader.exec_module(bench)  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory() as tmp:
        raw, clean = Path(tmp) / "raw.csv", Path(tmp) / "lottery.csv"
        bench.generate(a.rows + a.rows // 1000, raw)
        con = duckdb.connect()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{raw}', all_varchar=true)")  # a plain scan: file order
        con.execute(f"COPY (SELECT * EXCLUDE (r) FROM (SELECT rowid AS r, * FROM t) WHERE r % 1000 <> 500 "
                    f"ORDER BY r LIMIT {a.rows}) TO '{clean}' (HEADER)")
        project = unpartitioned(Path(tmp))  # the generated rows span many counties: one ordinary release
        t = time.perf_counter()
        outcome = project.release(DATASET, [clean])
        assert outcome.status == "released", outcome.report.to_dict()["counts"]
        t_release = time.perf_counter() - t
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=DATASET)
        client = Client(url, token)
        pub = Publisher(project.store, client)
        plan = pub.plan(project.spec(DATASET))
        timings = {}
        for step in plan.steps:
            t = time.perf_counter()
            getattr(pub, "_" + step.kind.replace("-", "_"))(project.spec(DATASET), step)
            timings[step.kind] = timings.get(step.kind, 0) + time.perf_counter() - t
        csv = outcome.path / "data.csv"
        mb = csv.stat().st_size / 1e6
        res = next(r for r in admin.action.package_show(id=DATASET)["resources"] if r["name"] == "v1 data.csv")
        loaded = admin.action.datastore_search(resource_id=res["id"], limit=0)["total"]
        t = time.perf_counter()
        while not admin.action.datastore_search(resource_id=res["id"], q="按期完成", limit=1)["records"]:
            time.sleep(0.5)  # the worker fills the full-text column after the load
            if time.perf_counter() - t > 300:
                break
        t_fulltext = time.perf_counter() - t
        # the same file with plain COPY
        fields = [f for f in __import__("json").loads((outcome.path / "datapackage.json").read_text())["resources"][0]["schema"]["fields"]]
        cols = ", ".join(f'"{f["name"]}" {DATASTORE_TYPES[f.get("type", "string")]}' for f in fields)
        psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "datastore_gongkai", "-qc"]
        subprocess.run([*psql[:-1], "-qc", f"DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy ({cols}, PRIMARY KEY (project_id))"], check=True)
        t = time.perf_counter()
        subprocess.run([*psql, f"\\copy bench_copy FROM '{csv}' WITH (FORMAT csv, HEADER true)"], check=True)
        t_copy = time.perf_counter() - t
        subprocess.run([*psql, "DROP TABLE bench_copy"], check=True)
        admin.action.dataset_purge(id=DATASET)
    load = timings.get("load-datastore", 0)
    print(f"rows {a.rows:,} ({mb:.0f} MB CSV); gongkai release {t_release:.1f} s")
    print("| step | seconds | rows/s |\n|---|---|---|")
    for k, v in timings.items():
        print(f"| publish: {k} | {v:.1f} | {a.rows / v:,.0f} |" if k == "load-datastore" else f"| publish: {k} | {v:.1f} | |")
    print(f"| plain PostgreSQL COPY (psql \\copy, same table) | {t_copy:.1f} | {a.rows / t_copy:,.0f} |")
    print(f"DataStore rows after load: {loaded:,}; load / COPY = {load / t_copy:.2f}×; "
          f"full-text search answered {t_fulltext:.1f} s after the load")


if __name__ == "__main__":
    main()
