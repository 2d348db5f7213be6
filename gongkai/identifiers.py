"""Chinese identifiers and codes as Table Schema field checks: ``"identifier": "<kind>"`` on a string field.

    {"name": "credit_code", "type": "string", "identifier": "uscc"}

Kinds (see ``KINDS``): 居民身份证号 (GB 11643: structure, birth date, address code, MOD 11-2 check character),
统一社会信用代码 (GB 32100: character set, GB/T 2260 region part, check character), 行政区划代码 (GB/T 2260 against
the national list in ``gongkai/data/region-codes.csv``: current codes only, or abolished ones too, or — given the
record's date — the codes in use that year), phone numbers
(mobile or landline, several separated by 、/；) and hotlines (a phone or a service number such as 12317 or 400).

:func:`reason` gives the reason a value is invalid, or None; :mod:`gongkai.gate.identifier_sql` is the same rule
as one DuckDB expression per kind, for whole columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REGION_CODES = Path(__file__).resolve().parent / "data" / "region-codes.csv"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_NATIONAL = "100000"  # central-government registrations carry no province code
MOBILE = r"(\+86|0086)?-?1[3-9][0-9]{9}"
LANDLINE = r"(\(0[0-9]{2,3}\)|0[0-9]{2,3}-?)[2-9][0-9]{6,7}((-|转)[0-9]{1,6})?"
SERVICE = r"1[0-9]{4}|[48]00-?[0-9]{3}-?[0-9]{4}|9[56][0-9]{3,6}"
PHONE_SEPARATORS = "[、，,；;/]"


@dataclass(frozen=True)
class Kind:
    title: str
    hint: str


KINDS: dict[str, Kind] = {
    "resident-id": Kind("居民身份证号", "18位：6位地址码、8位出生日期、3位顺序码和1位校验码（数字或大写X）；请对照证件核对。"),
    "uscc": Kind("统一社会信用代码", "18位，由数字和大写字母组成（不含 I、O、S、V、Z），第3–8位为行政区划代码，最后一位为校验码；"
                 "请对照营业执照或登记证书核对。"),
    "region-code": Kind("行政区划代码", "填写现行的6位行政区划代码（GB/T 2260，见 gongkai/data/region-codes.csv）；"
                        "已撤销的代码请改为现行代码。"),
    "region-code-historical": Kind("行政区划代码", "填写6位行政区划代码（GB/T 2260，现行或已撤销，见 gongkai/data/region-codes.csv）。"),
    "phone": Kind("电话号码", "手机号填写11位（如 13512345678），固定电话填写区号-号码（如 0871-65123456）；多个号码用“、”分隔。"),
    "hotline": Kind("服务电话", "填写固定电话（区号-号码）、手机号，或 12317、12345、400-xxx-xxxx 这样的服务号码；多个号码用“、”分隔。"),
}


OPEN = 9999  # the last year of a span still in use
# the hint of a region-code field judged on the record's own date (a spec whose deadline.from names a date field)
DATED_REGION_HINT = ("填写记录日期当年使用的6位行政区划代码（GB/T 2260，各代码的使用年份见 gongkai/data/region-codes.csv "
                     "的 years 列）；若代码无误，请核对记录的日期。")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    valid_to: str  # the first year whose 31 December list no longer holds the code; empty while current
    level: str = ""  # province, prefecture or county
    parent: str = ""  # the prefecture's (or province's) code
    years: str = ""  # every span of use, "1983-1986;1990-1994" (end as valid_to); empty: always (group codes)

    def spans(self) -> list[tuple[int, int]]:
        """The spans of use as (first, last) years a record may be dated in. The lists are as of 31 December,
        so a code created or abolished during a year is accepted for that whole year: both ends count."""
        return [(int(a), int(b or OPEN)) for a, b in (s.split("-") for s in self.years.split(";"))] if self.years \
            else [(0, OPEN)]

    def in_use(self, year: int) -> bool:
        return any(a <= year <= b for a, b in self.spans())

    def used(self) -> str:
        """The years of use as a clerk reads them: 1983年启用，1986年停用；1990年启用，1994年停用."""
        return "；".join(f"{a}年启用" + (f"，{b}年停用" if b != OPEN else "") for a, b in self.spans())


@cache
def regions() -> dict[str, Region]:
    """The GB/T 2260 list shipped with gongkai, by code."""
    with open(REGION_CODES, encoding="utf-8", newline="") as f:
        return {r["code"]: Region(r["code"], r["name"], r["valid_to"], r["level"], r["parent"], r["years"])
                for r in csv.DictReader(f)}


# -- Python rules -------------------------------------------------------------------------------------------------

def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def reason(kind: str, value: str, today: dt.date | None = None, on: dt.date | None = None,
           date_label: str = "记录日期") -> str | None:
    """Why ``value`` is not a valid ``kind``, or None when it is. ``on``: the record's date, by which a
    ``region-code`` is judged when given (else by today); ``date_label``: that date's column, for the message."""
    v = value.strip()
    match kind:
        case "resident-id":
            if not re.fullmatch(r"[0-9]{17}[0-9X]", v):
                return "15位旧号码，应换成18位号码" if re.fullmatch(r"[0-9]{15}", v) else "应为18位，前17位为数字，最后一位为数字或X"
            if v[:6] not in regions():
                return f"前6位地址码 {v[:6]} 不是行政区划代码"
            try:
                born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
            except ValueError:
                return f"出生日期 {v[6:14]} 不存在"
            if not dt.date(1900, 1, 1) <= born <= (today or dt.date.today()):
                return f"出生日期 {v[6:14]} 不合理"
            expected = id_check_char(v[:17])
            return None if v[17] == expected else f"校验码应为 {expected}"
        case "uscc":
            if len(v) != 18:
                return f"应为18位，实有{len(v)}位"
            bad = sorted({c for c in v if c not in USCC_CHARS})
            if bad:
                return f"含有不允许的字符 {''.join(bad)}（只允许数字和除 I、O、S、V、Z 以外的大写字母）"
            # The registration part may be a development-zone or statistical code (320594 苏州工业园区) that
            # GB/T 2260 does not list; the check character is authoritative, so the region part is not checked.
            expected = uscc_check_char(v[:17])
            return None if v[17] == expected else f"校验码应为 {expected}"
        case "region-code" | "region-code-historical":
            region = regions().get(v)
            if region is None:
                return "不是行政区划代码" if re.fullmatch(r"[0-9]{6}", v) else "应为6位数字"
            if kind == "region-code" and on is not None:
                if region.in_use(on.year):
                    return None
                when = "尚未启用" if on.year < region.spans()[0][0] else "已停用"
                return f"{date_label} {on.isoformat()} 时该代码{when}（{region.name}，{region.used()}）"
            if kind == "region-code" and region.valid_to:
                return f"是已撤销的代码（{region.name}，{region.valid_to}年起不再使用）"
            return None
        case "phone" | "hotline":
            allowed = f"{MOBILE}|{LANDLINE}" + (f"|{SERVICE}" if kind == "hotline" else "")
            for part in re.split(PHONE_SEPARATORS, v):
                number = re.sub(r"[\s]", "", part)
                if not re.fullmatch(allowed, number):
                    return f"「{part.strip()}」不是有效的{'服务电话' if kind == 'hotline' else '电话号码'}"
            return None
    raise ValueError(f"unknown identifier kind {kind!r}")
