"""Identifier checks: gongkai's SQL rules in DuckDB against python-stdnum called per value (what a developer would
otherwise write), on the same N rows of 统一社会信用代码, 身份证号, 行政区划代码 and phone numbers, 1% of them bad.

    .venv/bin/python benchmarks/bench_identifiers.py --rows 1000000
"""

from __future__ import annotations

import argparse
import random
import re
import time

import duckdb

from gongkai import identifiers
from gongkai.identifiers import id_check_char, uscc_check_char


def make(n: int, seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    regions = [c for c, r in identifiers.regions().items() if not r.valid_to and c[4:] != "00"]
    cols: dict[str, list[str]] = {"uscc": [], "resident-id": [], "region-code": [], "phone": []}
    for _ in range(n):
        region = rng.choice(regions)
        first = "91" + region + "".join(rng.choice(identifiers.USCC_CHARS) for _ in range(9))
        cols["uscc"].append(first + uscc_check_char(first))
        first = f"{region}{rng.randint(1950, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        cols["resident-id"].append(first + id_check_char(first))
        cols["region-code"].append(region)
        cols["phone"].append(f"0871-6{rng.randint(0, 9999999):07d}" if rng.random() < 0.5 else f"13{rng.randint(0, 999999999):09d}")
    for kind, values in cols.items():  # 1% bad: the last character changed (a phone loses it: no check digit)
        for i in rng.sample(range(n), n // 100):
            values[i] = values[i][:-1] + ("" if kind == "phone" else "0" if values[i][-1] != "0" else "1")
    return cols


def gongkai_sql(cols: dict[str, list[str]]) -> dict[str, int]:
    import pyarrow as pa

    con = duckdb.connect()
    identifiers.create_sql(con)
    con.register("t_arrow", pa.table({k.replace("-", "_"): v for k, v in cols.items()}))
    con.execute("CREATE TABLE t AS SELECT * FROM t_arrow")
    out = {}
    for kind in cols:
        col = kind.replace("-", "_")
        out[kind] = con.execute(f"SELECT count(*) FROM t WHERE ({identifiers.reason_sql(kind, col)}) IS NOT NULL").fetchall()[0][0]
    return out


def stdnum_loop(cols: dict[str, list[str]]) -> dict[str, int]:
    from stdnum.cn import ric, uscc

    mobile = re.compile(identifiers.MOBILE)
    landline = re.compile(identifiers.LANDLINE)
    region_set = {c for c, r in identifiers.regions().items() if not r.valid_to}
    checks = {"uscc": uscc.is_valid, "resident-id": ric.is_valid, "region-code": region_set.__contains__,
              "phone": lambda v: bool(mobile.fullmatch(v) or landline.fullmatch(v))}
    return {kind: sum(1 for v in values if not checks[kind](v)) for kind, values in cols.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    n = ap.parse_args().rows
    cols = make(n)
    print(f"{n:,} rows × 4 identifier columns, 1% bad in each")
    print("| tool | wall s | cells/s | invalid found (uscc, id, region, phone) |")
    print("|---|---|---|---|")
    for name, fn in (("gongkai SQL rules (DuckDB)", gongkai_sql), ("python-stdnum per value", stdnum_loop)):
        t = time.perf_counter()
        found = fn(cols)
        wall = time.perf_counter() - t
        print(f"| {name} | {wall:.2f} | {4 * n / wall:,.0f} | {', '.join(str(found[k]) for k in cols)} |")


if __name__ == "__main__":
    main()
