"""Rebuild ``region-codes.csv`` (GB/T 2260 行政区划代码, current and abolished) from yescallop/areacodes.

    git clone https://github.com/yescallop/areacodes && python gongkai/data/build_region_codes.py areacodes/result.csv

yescallop/areacodes compiles every code the 民政部 has published since 1980 from its yearly lists and the State
Council approvals, with the year each code came into and went out of use (``result.csv``; the list shipped was
built from commit eed219a, data to 2024-12-31). A code used more than once keeps its latest use. The 市辖区/县
group codes (110100 …) that GB/T 2260 lists but areacodes leaves out are kept from the previous list, so foreign
keys to them still resolve. It also rewrites ``schemas/codes/region-codes.csv``, the current codes, for foreign keys.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LEVELS = {"省级": "province", "地级": "prefecture", "县级": "county"}
GROUPS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
FIELDS = ["code", "name", "level", "parent", "valid_from", "valid_to"]


def parse(text: str, previous: list[dict[str, str]] = ()) -> list[dict[str, str]]:  # type: ignore[assignment]
    """One row per code from areacodes' ``result.csv`` text, plus the group codes of ``previous``."""
    latest: dict[str, dict[str, str]] = {}
    for r in csv.DictReader(text.lstrip("\ufeff").splitlines()):
        row = {"code": r["代码"], "name": r["名称"], "level": LEVELS[r["级别"]], "valid_from": r["启用时间"],
               "valid_to": "" if r["状态"] == "在用" else r["变更/弃用时间"]}
        old = latest.get(row["code"])
        if old is None or (old["valid_to"] and (not row["valid_to"] or row["valid_to"] > old["valid_to"])):
            latest[row["code"]] = row
    for r in previous:
        if r["name"] in GROUPS and r["code"] not in latest:
            latest[r["code"]] = {k: r[k] for k in FIELDS if k != "parent"}
    rows = sorted(latest.values(), key=lambda r: r["code"])
    codes = set(latest)
    for r in rows:
        pref, prov = r["code"][:4] + "00", r["code"][:2] + "0000"
        r["parent"] = "" if r["level"] == "province" else pref if r["level"] == "county" and pref in codes else prov
    return [{k: r[k] for k in FIELDS} for r in rows]


def main(source: Path) -> None:
    with open(HERE / "region-codes.csv", encoding="utf-8", newline="") as f:
        previous = list(csv.DictReader(f))
    rows = parse(source.read_text(encoding="utf-8"), previous)
    with open(HERE / "region-codes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    current = [r for r in rows if not r["valid_to"]]
    with open(HERE.parent.parent / "schemas" / "codes" / "region-codes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["code", "name", "level", "parent"], lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(current)
    print(f"{len(rows)} codes, {len(current)} current")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
