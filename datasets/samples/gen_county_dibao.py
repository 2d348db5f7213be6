"""Sample sources of ``dibao-county-monthly``, a partitioned dataset: each county's 民政局 submits its own file.

One CSV per county in the folder of the CKAN organization that submits it (the agency's inbox):
``dibao-county-monthly/<organization>/2025年1-11月城乡低保月度统计（<county>）.csv`` — 香格里拉市 in UTF-8 with BOM,
德钦县 in GBK with thousands separators, 维西县 in UTF-8 with full-width digits in its code and "/" where it has no
urban recipients one month. Amounts in 元. Counts are county totals, so no person can be singled out. Fixed seed:
the same files every run.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # generate.py normally does this
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import SEED, write_csv

DATASET = "dibao-county-monthly"
YEAR = 2025
MONTHS = range(1, 12)
# organization, code, name, encoding, (urban households, rural households) in January
COUNTIES = [
    ("xianggelila-minzheng", "533401", "香格里拉市", "utf-8-sig", (1180, 5620)),
    ("deqin-minzheng", "533422", "德钦县", "gbk", (310, 4870)),
    ("weixi-minzheng", "533423", "维西傈僳族自治县", "utf-8", (265, 9310)),
]
URBAN_MONTHLY, RURAL_MONTHLY = 680, 420  # average payment per person and month, 元 (2025 迪庆州 levels, rounded)
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def county_rows(rng: random.Random, code: str, name: str, start: tuple[int, int], style: str) -> list[dict[str, object]]:
    urban, rural = start
    rows: list[dict[str, object]] = []
    for m in MONTHS:
        urban = max(0, urban + rng.randint(-12, 8))
        rural = max(0, rural + rng.randint(-40, 25))
        up, rp = round(urban * rng.uniform(1.55, 1.75)), round(rural * rng.uniform(2.6, 2.9))
        us, rs = up * (URBAN_MONTHLY + rng.randint(-15, 15)), rp * (RURAL_MONTHLY + rng.randint(-10, 10))
        cells: list[object] = [urban, up, us, rural, rp, rs]
        if style == "gbk":
            cells = [f"{v:,}" for v in cells]
        if style == "utf-8" and m == 7:
            cells[:3] = ["/", "/", "/"]  # a month the county reported no urban recipients
        shown_code = code.translate(FULLWIDTH) if style == "utf-8" else code
        rows.append({"统计年度": YEAR, "月份": m, "县（市、区）": name, "行政区划代码": shown_code,
                     "城市低保户数": cells[0], "城市低保人数": cells[1], "城市低保支出（元）": cells[2],
                     "农村低保户数": cells[3], "农村低保人数": cells[4], "农村低保支出（元）": cells[5]})
    return rows


def paths(out: Path) -> list[tuple[Path, str, str, str, tuple[int, int]]]:
    return [(out / DATASET / org / f"{YEAR}年1-11月城乡低保月度统计（{name}）.csv", code, name, enc, start)
            for org, code, name, enc, start in COUNTIES]


def generate(out: Path) -> list[Path]:
    rng = random.Random(f"{SEED}/{DATASET}")
    made = []
    for path, code, name, enc, start in paths(out):
        write_csv(county_rows(rng, code, name, start, enc.replace("-sig", "")), path, enc)
        made.append(path)
    return made


if __name__ == "__main__":
    for p in generate(Path(__file__).resolve().parent):
        print(p)
