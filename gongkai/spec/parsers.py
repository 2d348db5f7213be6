"""Derived-field parsers: structured values parsed from the free text agencies publish, kept beside the original.

A schema field with ``"derivedFrom": {"field": "opening_hours", "parser": "opening-hours"}`` is not read from the
source; it is computed from the named field. Parsers:

- ``opening-hours`` → JSON text: ``{"rules": [{"season": "夏季", "days": [1, …, 7], "hours": [["09:00", "12:00"], …]}],
  "notes": ["16:30 停止入馆"], "weekly_hours": 39.0, "osm": "Tu-Su 09:00-12:00,14:00-17:30"}`` (days 1 = Monday;
  ``weekly_hours`` is the smallest over the seasons; ``osm`` is the OpenStreetMap ``opening_hours`` syntax);
- ``weekly-hours`` → the same ``weekly_hours`` as a number.

"/" and the schema's other missing values give NULL (not applicable); a text the parser cannot read gives NULL and a
warning, so the release goes on and the clerk learns which cell to rewrite (``gongkai.ingest.derived``
computes them in DuckDB).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DAY = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7, "1": 1, "2": 2, "3": 3, "4": 4,
       "5": 5, "6": 6, "7": 7}
OSM_DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
ALL_WEEK = list(range(1, 8))
SEASONS = "春季|夏季|秋季|冬季|旺季|淡季|夏令时|冬令时|寒暑假|暑假|寒假"
WD = r"(?:周|星期|礼拜)([一二三四五六日天1-7])"
TIME = r"(\d{1,2})[:：](\d{2})"
TIME_RANGE = re.compile(rf"(上午|下午|晚上)?{TIME}\s*[-~至到—–－]+\s*(上午|下午|晚上)?{TIME}")
DAY_RANGE = re.compile(rf"{WD}\s*(?:至|到|[-~—–－])\s*{WD}")
DAY_LIST = re.compile(rf"{WD}((?:[、,和及]\s*{WD})*)")
EVERY_DAY = re.compile(r"每天|每日|全周|全年|周一至周日|天天")
WORKDAYS = re.compile(r"工作日")
WEEKEND = re.compile(r"周末|双休日")
HOLIDAYS = re.compile(r"节假日|节日|春节|国庆")
CLOSED = re.compile(rf"(?:{WD}(?:[、,和及]{WD})*)\s*(?:闭馆|休馆|休息|不开放|闭园)")
ALL_DAY = re.compile(r"全天开放|24\s*小时|全天候|全天")
NOTE = re.compile(r"[（(]([^）)]*)[）)]")


@dataclass(frozen=True)
class Parser:
    type: str
    parse: Callable[[str], Any]


def _days(segment: str) -> tuple[list[int] | None, str]:
    """The days a segment names (None: none named) and the segment without them."""
    m = DAY_RANGE.search(segment)
    if m:
        a, b = DAY[m.group(1)], DAY[m.group(2)]
        days = list(range(a, b + 1)) if a <= b else [*range(a, 8), *range(1, b + 1)]
        return days, segment[:m.start()] + segment[m.end():]
    if EVERY_DAY.search(segment):
        return ALL_WEEK, EVERY_DAY.sub("", segment)
    if WORKDAYS.search(segment):
        return [1, 2, 3, 4, 5], WORKDAYS.sub("", segment)
    if WEEKEND.search(segment):
        return [6, 7], WEEKEND.sub("", segment)
    m = DAY_LIST.search(segment)
    if m:
        return sorted({DAY[d] for d in re.findall(WD, m.group(0))}), segment[:m.start()] + segment[m.end():]
    return None, segment


def _minutes(h: str, m: str) -> int:
    return int(h) * 60 + int(m)


def _clock(period: str, h: str, m: str) -> int:
    """Minutes since midnight; 下午 2:00 and 晚上 8:00 are on a 12-hour clock."""
    return _minutes(str(int(h) + 12) if period in ("下午", "晚上") and int(h) < 12 else h, m)


def opening_hours(text: str) -> dict[str, Any] | None:
    """Parse Chinese opening hours; None when no opening time can be read."""
    s = unicodedata.normalize("NFKC", text).strip()
    notes = [n.strip() for n in NOTE.findall(s)]
    s = NOTE.sub(" ", s)
    closed: set[int] = set()
    for m in CLOSED.finditer(s):
        closed |= {DAY[d] for d in re.findall(WD, m.group(0))}
    s = CLOSED.sub(" ", s)
    rules: list[dict[str, Any]] = []
    season: str | None = None
    for part in re.split(r"[；;。\n]|(?=(?:" + SEASONS + "))", s):
        part = part.strip(" ，,、/")
        if not part:
            continue
        sm = re.match(rf"({SEASONS})\s*[:：]?", part)
        if sm:
            season, part = sm.group(1), part[sm.end():]
        # within a segment: day groups, each followed by its time ranges ("周一至周五 9:00-17:00，周末 9:00-21:00")
        for chunk in re.split(r"[，,](?=\s*(?:周|星期|礼拜|每天|每日|工作日|周末|双休日|节假日|法定))", part):
            if HOLIDAYS.search(chunk):  # holiday hours are kept as a note, not as weekly hours
                notes.append(chunk.strip(" ，,、/"))
                continue
            days, rest = _days(chunk)
            hours = [(_clock(p1, a, b), _clock(p2 or p1, c, d)) for p1, a, b, p2, c, d in TIME_RANGE.findall(rest)]
            if not hours and ALL_DAY.search(rest):
                hours = [(0, 24 * 60)]
            if not hours:
                continue
            if any(not 0 <= a < b <= 24 * 60 for a, b in hours):
                return None
            days = [d for d in (days or ALL_WEEK) if d not in closed]
            rules.append({"season": season, "days": days,
                          "hours": [[f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"] for a, b in hours]})
    if not rules:
        return None
    weekly: dict[str | None, float] = {}
    for r in rules:
        span = sum(_minutes(*b.split(":")) - _minutes(*a.split(":")) for a, b in r["hours"]) / 60
        weekly[r["season"]] = weekly.get(r["season"], 0.0) + span * len(r["days"])
    return {"rules": rules, "notes": notes, "weekly_hours": round(min(weekly.values()), 2), "osm": _osm(rules)}


def _osm(rules: list[dict[str, Any]]) -> str:
    """OpenStreetMap ``opening_hours`` for the rules of the first season (OSM seasons need dates we lack)."""
    first = rules[0]["season"]
    parts = []
    for r in (r for r in rules if r["season"] == first):
        days = r["days"]
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            d = f"{OSM_DAYS[days[0] - 1]}-{OSM_DAYS[days[-1] - 1]}"
        else:
            d = ",".join(OSM_DAYS[x - 1] for x in days)
        times = ",".join(f"{a}-{b}" for a, b in r["hours"])
        parts.append("24/7" if times == "00:00-24:00" and len(days) == 7 else f"{d} {times}")
    return "; ".join(parts)


def _json(text: str) -> str | None:
    parsed = opening_hours(text)
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":")) if parsed else None


def _weekly(text: str) -> float | None:
    parsed = opening_hours(text)
    return parsed["weekly_hours"] if parsed else None


PARSERS: dict[str, Parser] = {
    "opening-hours": Parser("string", _json),
    "weekly-hours": Parser("number", _weekly),
}
