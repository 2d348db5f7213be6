"""Rebuild ``region-codes.csv`` (GB/T 2260 行政区划代码, current and abolished) from python-stdnum's ``cn/loc.dat``.

    pip install 'python-stdnum==2.2' && python gongkai/data/build_region_codes.py

python-stdnum compiles the list from Wikipedia's 中华人民共和国行政区划代码 pages (which follow the 民政部 yearly
publications); each entry carries the years it was in use, e.g. ``[1983-2011]呈贡县``. The output has one row per code
with the name it had last, the first and last year it was in use (empty when unknown / still in use), its level
and its parent. It also rewrites ``schemas/codes/region-codes.csv``, the current codes, for foreign keys.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
PERIOD = re.compile(r"^\[(\d{4})?-(\d{4})?\](.*)$")


def parse(text: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        suffix, _, rest = line.strip().partition(" ")
        names = re.search(r'county="(.*)"', rest)
        assert names, line
        periods = []
        for part in names.group(1).split(","):
            m = PERIOD.match(part)
            periods.append((m.group(1) or "", m.group(2) or "", m.group(3)) if m else ("", "", part))
        code = province + suffix
        level = "province" if code.endswith("0000") else "prefecture" if code.endswith("00") else "county"
        rows.append({"code": code, "name": periods[-1][2], "level": level, "valid_from": periods[0][0],
                     "valid_to": periods[-1][1]})
    codes = {r["code"] for r in rows}
    for r in rows:
        pref, prov = r["code"][:4] + "00", r["code"][:2] + "0000"
        r["parent"] = "" if r["level"] == "province" else pref if r["level"] == "county" and pref in codes else prov
    return rows


def main() -> None:
    import stdnum

    loc = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    rows = parse(loc.read_text(encoding="utf-8"))
    fields = ["code", "name", "level", "parent", "valid_from", "valid_to"]
    with open(HERE / "region-codes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    current = [r for r in rows if not r["valid_to"]]
    with open(HERE.parent.parent / "schemas" / "codes" / "region-codes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["code", "name", "level", "parent"], lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(current)
    print(f"{len(rows)} codes, {len(current)} current ({stdnum.__version__})")


if __name__ == "__main__":
    main()
