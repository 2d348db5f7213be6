"""DataStore ``q`` on Chinese text: substring search (gongkai_datastore_text, pg_trgm) over a 1M-row table.

    ckan_config/local-ckan up && python benchmarks/bench_datastore_text.py [--rows 1000000]

A DataStore table is created through CKAN (so the extension gives it its trigram index), filled in the DataStore
database with generated rows (agency names, place names, amounts), then ``datastore_search`` is timed over HTTP:
a 4-character substring (index scan), a 2-character one (too short for trigrams: a scan), a whole cell and a miss.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import time
from pathlib import Path

import ckanapi

REPO = Path(__file__).resolve().parent.parent
PORT = os.environ.get("CKAN_PORT", "5070")
DB = "datastore_" + os.environ.get("CKAN_DB", "gongkai")
NAME = "bench-datastore-text"
FILL = """
ALTER TABLE "{rid}" DISABLE TRIGGER zfulltext;
INSERT INTO "{rid}" (name, region, note, amount)
SELECT (ARRAY['香格里拉市','德钦县','维西县','昆明市五华区','大理市','丽江市古城区'])[1 + i % 6] ||
       (ARRAY['民政局','教育体育局','文化和旅游局','财政局','卫生健康局'])[1 + (i / 6) % 5],
       (ARRAY['迪庆州','昆明市','大理州','丽江市'])[1 + i % 4],
       '项目' || i || (ARRAY['适老化改造','全民健身','图书馆建设','临时救助'])[1 + (i / 30) % 4],
       round((i % 100000) * 12.5, 2)
FROM generate_series(1, {rows}) AS i;
UPDATE "{rid}" SET _full_text = to_tsvector(name || ' ' || region || ' ' || note);
ALTER TABLE "{rid}" ENABLE TRIGGER zfulltext;
ANALYZE "{rid}";
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    token = (REPO / "ckan_config" / ".local" / "api-token").read_text(encoding="utf-8").strip()
    ckan = ckanapi.RemoteCKAN(f"http://127.0.0.1:{PORT}", apikey=token)
    with contextlib.suppress(ckanapi.NotFound):
        ckan.action.dataset_purge(id=NAME)
    org = ckan.action.organization_list()[0]
    pkg = ckan.action.package_create(name=NAME, title="DataStore 中文检索基准", owner_org=org, resources=[
        {"name": "bench.csv", "url": "http://127.0.0.1/bench.csv", "format": "CSV"}])
    rid = pkg["resources"][0]["id"]
    ckan.action.datastore_create(resource_id=rid, force=True, fields=[
        {"id": "name", "type": "text"}, {"id": "region", "type": "text"}, {"id": "note", "type": "text"},
        {"id": "amount", "type": "numeric"}])
    t = time.perf_counter()
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    FILL.format(rid=rid, rows=args.rows)], check=True)
    print(f"filled {args.rows:,} rows (and the trigram index) in {time.perf_counter() - t:.0f} s")
    try:
        for q in ("香格里拉", "民政", "香格里拉市民政局", "不存在的单位"):
            times, total = [], 0
            for _ in range(args.repeat):
                t = time.perf_counter()
                total = ckan.action.datastore_search(resource_id=rid, q=q, limit=10)["total"]
                times.append(time.perf_counter() - t)
            print(f"q={q}: {total:,} rows, median {statistics.median(times) * 1000:.0f} ms over HTTP "
                  f"(min {min(times) * 1000:.0f} ms)")
    finally:
        ckan.action.dataset_purge(id=NAME)


if __name__ == "__main__":
    main()
