"""What a scheduled run costs: the first run of a pipeline (a release) and then runs whose HTTP source answers
304 Not Modified (skipped before any validation), with the run history on SQLite and on PostgreSQL.

    python benchmarks/bench_schedule.py [--runs 50]

The source is served from 127.0.0.1, so network latency to a real agency server comes on top.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from gongkai import Project  # noqa: E402
from gongkai.schedule.history import History  # noqa: E402
from gongkai.schedule.runner import Runner  # noqa: E402
from gongkai.urls import engine_url  # noqa: E402
from tests.schedule_support import VILLAGE, SourceServer, village_csv, write_pipeline  # noqa: E402

PG_URL = os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    schema = f"gk_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(engine_url(PG_URL))
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            for label, url in [("sqlite", f"sqlite:///{tmp / 'runs.sqlite'}"),
                               ("postgresql", f"{PG_URL}?options=-csearch_path%3D{schema}")]:
                project = Project(REPO, store=tmp / f"store-{label}")
                runner = Runner(project, History(url))
                with SourceServer(village_csv(tmp / "v.csv").read_bytes()) as server:
                    p = write_pipeline(tmp / "pipelines", f"bench-{label}", sources={VILLAGE: {"url": server.url}})
                    t = time.perf_counter()
                    assert runner.run_pipeline(p)[0].status == "released"
                    first = time.perf_counter() - t
                    t = time.perf_counter()
                    for _ in range(args.runs):
                        assert runner.run_pipeline(p)[0].status == "skipped"
                    skipped = (time.perf_counter() - t) / args.runs
                print(f"{label:10} release {first:.2f} s; unchanged source (304) {skipped * 1000:.1f} ms per run "
                      f"({args.runs} runs)")
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
