"""Withdrawal: the store step and the catalog step, timed, with the catalog's writes counted.

    CKAN_PORT=5175 python benchmarks/bench_withdraw.py [--rows 80]

Releases the sample lottery projects twice (``rows``−20 then ``rows`` rows) into a temporary store, publishes
both to the local CKAN (``ckan_config/local-ckan up``; its token file), withdraws the current version and
publishes again. Prints seconds for each step and the writes the publish after the withdrawal sent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import ckanapi

from gongkai.ckan.client import Client
from tests.conftest import REPO, generator, lottery_csv, unpartitioned

DS = "lottery-welfare-projects"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=80)
    a = ap.parse_args()
    url = "http://127.0.0.1:" + os.environ.get("CKAN_PORT", "5070")
    token = (REPO / "ckan_config" / ".local" / "api-token").read_text(encoding="utf-8").strip()
    admin = ckanapi.RemoteCKAN(url, apikey=token)
    rows = generator.welfare_lottery(generator.lottery_projects(random.Random(generator.SEED)))[: a.rows]
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        project = unpartitioned(tmp)  # the dataset as an ordinary one: a partitioned version is not withdrawn
        with contextlib.suppress(ckanapi.NotFound):
            admin.action.dataset_purge(id=DS)
        project.release(DS, [lottery_csv(tmp, rows[:-20], "a.csv")])
        project.release(DS, [lottery_csv(tmp, rows, "b.csv")])
        t = time.perf_counter()
        project.publish([DS], Client(url, token))  # type: ignore[arg-type]
        first = time.perf_counter() - t
        t = time.perf_counter()
        project.withdraw(DS, "v2", "benchmark")
        store_s = time.perf_counter() - t
        client = Client(url, token)  # type: ignore[arg-type]
        t = time.perf_counter()
        [plan] = project.publish([DS], client)
        catalog_s = time.perf_counter() - t
        admin.action.dataset_purge(id=DS)
    print(json.dumps({"rows": a.rows, "publish_two_versions_s": round(first, 2), "withdraw_store_s": round(store_s, 3),
                      "withdraw_catalog_s": round(catalog_s, 2), "catalog_writes": client.writes,
                      "steps": [s.kind for s in plan.steps]}, indent=1))


if __name__ == "__main__":
    main()
