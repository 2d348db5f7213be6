"""Rebuild ``region-codes.csv`` (GB/T 2260 行政区划代码, current and abolished) from yescallop/areacodes.

    git clone https://github.com/yescallop/areacodes && python gongkai/data/build_region_codes.py areacodes/result.csv

yescallop/areacodes compiles every code the 民政部 has published since 1980 from its yearly lists and the State
Council approvals, with the year each code came into and went out of use (``result.csv``; the list shipped was
built from its state as of 2025-12-31, vendored by xihan123/gb2260 at commit 07044b2 in
``data/raw/areacodes/result.csv``, sha256 3958825fc7b97a3d4d9053c67a95d79f424830698c2919824d45ec6092478026; areacodes'
own commit eed219a holds data to 2024-12-31). Its years are those of the lists as of 31 December: 启用 is the
first list holding the code, 弃用 the first list without it. A code used more than once keeps the name of its
latest use; ``years`` holds every span of use (uses that follow each other, such as a rename, are one span), as
``1981-1983;1986-1993`` (end = 弃用, empty while in use), and ``valid_from``/``valid_to`` the latest span. The
市辖区/县 group codes (110100 …) that GB/T 2260 lists but areacodes leaves out are kept from the previous list, so
foreign keys to them still resolve. It also rewrites the foreign keys' code lists: ``schemas/codes/region-codes.csv``
(the current codes) and ``schemas/codes/region-codes-historical.csv`` (every code, with its years).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from gongkai.identifiers import OPEN  # the end of a span still in use

HERE = Path(__file__).resolve().parent
LEVELS = {"省级": "province", "地级": "prefecture", "县级": "county"}
GROUPS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
FIELDS = ["code", "name", "level", "parent", "valid_from", "valid_to", "years"]


def parse(text: str, previous: list[dict[str, str]] = ()) -> list[dict[str, str]]:  # type: ignore[assignment]
    """One row per code from areacodes' ``result.csv`` text, plus the group codes of ``previous``."""
    latest: dict[str, dict[str, str]] = {}
    uses: dict[str, list[tuple[int, int]]] = {}
    for r in csv.DictReader(text.lstrip("\ufeff").splitlines()):
        row = {"code": r["代码"], "name": r["名称"], "level": LEVELS[r["级别"]], "valid_from": r["启用时间"],
               "valid_to": "" if r["状态"] == "在用" else r["变更/弃用时间"]}
        uses.setdefault(row["code"], []).append((int(row["valid_from"]), int(row["valid_to"] or OPEN)))
        old = latest.get(row["code"])
        if old is None or (old["valid_to"] and (not row["valid_to"] or row["valid_to"] > old["valid_to"])):
            latest[row["code"]] = row
    for code, row in latest.items():
        spans = _merged(uses[code])
        row["valid_from"] = str(spans[-1][0])
        row["years"] = ";".join(f"{a}-{'' if b == OPEN else b}" for a, b in spans)
    for r in previous:
        if r["name"] in GROUPS and r["code"] not in latest:
            latest[r["code"]] = {k: r.get(k, "") for k in FIELDS if k != "parent"}
            latest[r["code"]]["years"] = f"{r['valid_from']}-{r['valid_to']}" if r["valid_from"] else ""
    rows = sorted(latest.values(), key=lambda r: r["code"])
    codes = set(latest)
    for r in rows:
        pref, prov = r["code"][:4] + "00", r["code"][:2] + "0000"
        r["parent"] = "" if r["level"] == "province" else pref if r["level"] == "county" and pref in codes else prov
    return [{k: r[k] for k in FIELDS} for r in rows]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of use joined where one starts by the year the other ended (a rename keeps the code in use)."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def main(source: Path) -> None:
    with open(HERE / "region-codes.csv", encoding="utf-8", newline="") as f:
        previous = list(csv.DictReader(f))
    rows = parse(source.read_text(encoding="utf-8"), previous)
    with open(HERE / "region-codes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    current = [r for r in rows if not r["valid_to"]]
    codes = HERE.parent.parent / "schemas" / "codes"
    for name, listed, fields in (("region-codes", current, FIELDS[:4]), ("region-codes-historical", rows, FIELDS)):
        with open(codes / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
            w.writeheader()
            w.writerows(listed)
    print(f"{len(rows)} codes, {len(current)} current")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
