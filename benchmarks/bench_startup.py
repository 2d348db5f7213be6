"""What users feel on small work: start-up of light commands, a 120-row release, and `gongkai run` with nothing
changed. Each figure is a whole `gongkai` process (wall and CPU seconds), the median of ``--repeat``
runs, with the load average beside it (the machine is shared: CPU seconds are the steadier figure).

    .venv/bin/python benchmarks/bench_startup.py --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GONGKAI = [sys.executable, "-m", "gongkai"]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([*GONGKAI, *args], env=env, cwd=ROOT, capture_output=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gongkai-startup-"))
    store = tmp / "store"
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "GONGKAI_STORE": str(store),
           "GONGKAI_CACHE": str(tmp / "cache")}
    env.pop("GONGKAI_DATABASE_URL", None)
    subprocess.run([*GONGKAI, "run"], env=env, cwd=ROOT, capture_output=True, check=False)  # releases, warms the cache
    cases = {
        "gongkai --help": ["--help"],
        "gongkai list": ["list"],
        "gongkai history lottery-welfare-projects": ["history", "lottery-welfare-projects"],
        "gongkai verify store/lottery-welfare-projects": ["verify", str(store / "lottery-welfare-projects")],
        "gongkai run, nothing changed (all datasets)": ["run"],
    }
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| command | wall s (median) | CPU s (median) |\n|---|---|---|")
    for name, args in cases.items():
        runs = [timed(args, env) for _ in range(a.repeat)]
        print(f"| {name} | {statistics.median(r[0] for r in runs):.2f} | {statistics.median(r[1] for r in runs):.2f} |")
    runs = []
    for _ in range(a.repeat):  # a first release of the 120-row dataset (xlsx source) into an empty store
        shutil.rmtree(store / "lottery-welfare-projects", ignore_errors=True)
        runs.append(timed(["release", "lottery-welfare-projects"], env))
    print(f"| gongkai release lottery-welfare-projects (120 rows, new version) | "
          f"{statistics.median(r[0] for r in runs):.2f} | {statistics.median(r[1] for r in runs):.2f} |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
