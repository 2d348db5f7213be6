"""Personal data: how to recognise it and how to mask it, in Python (short texts) and in DuckDB SQL (columns).

Recognised, wherever they stand in a text:

- 居民身份证号 (GB 11643): 18 characters, a plausible birth date (1800–today) and the ISO 7064 MOD 11-2 check
  character. Any region code is accepted (a number is never cleared because its region is unknown or was abolished),
  and every 18-character window of a longer digit run is tried;
- old 15-digit 身份证号: region digit 1–8 and a plausible YYMMDD date;
- mobile numbers: 1[3-9] and nine digits, optionally +86 / 86, contiguous or as 3-4-4 groups;
- bank card numbers: 16–19 digits passing the Luhn check, contiguous or in groups of four.

Masks follow the published conventions: 李**, 135****2210, 110101********1234, ************1234.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..identifiers import ID_CHECK, ID_WEIGHTS

KINDS = {"id18": "身份证号", "id15": "旧身份证号", "mobile": "手机号码", "bank": "银行卡号"}

# digit runs (an X may close an ID) and the grouped forms people type: 135 1234 5678, 6222-0202-0000-1234,
# 135.1234.5678, 0086 135…; scanning runs on a copy where full-width digits and other separators (。/_· and
# full-width or no-break spaces) are mapped one-to-one to ASCII, so positions stay those of the original text
SCAN_FROM = "０１２３４５６７８９　\u00a0./_·－"
SCAN_TO = "0123456789      -"
_SCAN_TABLE = str.maketrans(SCAN_FROM, SCAN_TO)
_RUN = re.compile(r"[0-9]+[Xx]?")
_GROUPED = re.compile(r"(?:(?:\+|00)?86[ -]*)?[0-9]{2,14}(?:[ -]+[0-9]{1,14}){1,5}[Xx]?")
_ID18 = re.compile(r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]")
_MOBILE = re.compile(r"(?:86)?1[3-9][0-9]{9}")


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str  # as it stands in the value

    @property
    def masked(self) -> str:
        return mask(self.kind, self.text)


def id18_valid(s: str) -> bool:
    if not _ID18.fullmatch(s):
        return False
    try:
        born = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if born > dt.date.today():
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == s[17].upper()


def id15_plausible(s: str) -> bool:
    if len(s) != 15 or not s.isdigit() or s[0] not in "12345678":
        return False
    try:
        dt.date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))
    except ValueError:
        return False
    return True


def luhn_valid(s: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(s)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def classify(candidate: str) -> str | None:
    """The kind of personal number ``candidate`` (separators allowed) is, or None."""
    d = re.sub(r"[ +\-]", "", candidate.translate(_SCAN_TABLE))
    if d.startswith("0086"):
        d = d[2:]
    if len(d) >= 18 and any(id18_valid(d[i:i + 18]) for i in range(len(d) - 17)):
        return "id18"
    d = d[:-1] if d[-1:] in ("X", "x") else d  # an X that closes no ID is just a letter after the number
    if not d.isdigit():
        return None
    if id15_plausible(d):
        return "id15"
    if _MOBILE.fullmatch(d):
        return "mobile"
    if 16 <= len(d) <= 19 and luhn_valid(d):
        return "bank"
    return None


def find(text: str) -> Iterator[Finding]:
    """Every personal number in ``text``."""
    seen: set[str] = set()
    scan = text.translate(_SCAN_TABLE)  # same length: match positions are positions in ``text``
    for m in (*_RUN.finditer(scan), *_GROUPED.finditer(scan)):
        s = text[m.start():m.end()]
        if len(re.sub(r"\D", "", s)) >= 11 and s not in seen:
            seen.add(s)
            kind = classify(s)
            if kind:
                yield Finding(kind, s)


def mask(kind: str, s: str) -> str:
    """The published mask of a personal value of ``kind`` (id18 → 110101********1234, mobile → 135****2210)."""
    d = re.sub(r"[ +\-]", "", s.translate(_SCAN_TABLE))
    if kind in ("id18", "id15"):
        return d[:6] + "*" * (len(d) - 10) + d[-4:]
    if kind == "mobile":
        d = d[-11:]
        return d[:3] + "****" + d[-4:]
    if kind == "bank":
        return "*" * (len(d) - 4) + d[-4:]
    if kind == "name":
        return s[:1] + "**" if s else s
    return "*" * len(s)


def scrub(text: str) -> str:
    """``text`` with every personal number masked (for messages, reports and logs)."""
    for f in sorted(find(text), key=lambda f: -len(f.text)):
        text = text.replace(f.text, f.masked)
    return text


# -- SQL ---------------------------------------------------------------------------------------------------

def create_macros(con) -> None:  # type: ignore[no-untyped-def]
    """DuckDB macros mirroring :func:`classify`, so whole columns are scanned inside the database."""
    if con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'gk_kind'").fetchone()[0]:
        return
    checksum = " + ".join(f"TRY_CAST(w[{i + 1}] AS INTEGER) * {wt}" for i, wt in enumerate(ID_WEIGHTS))
    con.execute(f"""
        CREATE OR REPLACE MACRO gk_id18(w) AS
            regexp_full_match(w, '{_ID18.pattern}')
            AND try_strptime(substr(w, 7, 8), '%Y%m%d') IS NOT NULL
            AND try_strptime(substr(w, 7, 8), '%Y%m%d') <= current_date
            AND '{ID_CHECK}'[(({checksum}) % 11) + 1] = upper(w[18])""")
    con.execute("""
        CREATE OR REPLACE MACRO gk_luhn(d) AS list_sum(list_transform(range(length(d)), lambda i:
            CASE WHEN i % 2 = 1 THEN
                CASE WHEN TRY_CAST(d[length(d) - i] AS INTEGER) > 4 THEN TRY_CAST(d[length(d) - i] AS INTEGER) * 2 - 9
                     ELSE TRY_CAST(d[length(d) - i] AS INTEGER) * 2 END
            ELSE TRY_CAST(d[length(d) - i] AS INTEGER) END)) % 10 = 0""")
    con.execute("""
        CREATE OR REPLACE MACRO gk_kind(d) AS CASE
            WHEN length(d) >= 18 AND len(list_filter(range(length(d) - 17), lambda o: gk_id18(substr(d, o + 1, 18)))) > 0
                THEN 'id18'
            ELSE gk_number(regexp_replace(d, '[Xx]$', '')) END""")
    con.execute("""
        CREATE OR REPLACE MACRO gk_number(d) AS CASE
            WHEN NOT regexp_full_match(d, '[0-9]+') THEN NULL
            WHEN length(d) = 15 AND d[1] BETWEEN '1' AND '8'
                 AND try_strptime('19' || substr(d, 7, 6), '%Y%m%d') IS NOT NULL THEN 'id15'
            WHEN regexp_full_match(d, '(86)?1[3-9][0-9]{9}') THEN 'mobile'
            WHEN length(d) BETWEEN 16 AND 19 AND gk_luhn(d) THEN 'bank'
        END""")


# a cheap test a (scan-mapped) cell must pass to hold a candidate at all: 11+ characters of digits and separators
PREFILTER = r"[0-9][0-9 -]{9,}[0-9]"


def scan_sql(expr: str) -> str:
    """SQL mapping full-width digits and other separators to ASCII, character for character."""
    return f"translate({expr}, '{SCAN_FROM}', '{SCAN_TO}')"


def digits_sql(expr: str) -> str:
    """SQL removing the separators :func:`classify` ignores (and a 00 before 86)."""
    return f"regexp_replace(regexp_replace({expr}, '[ +\\-]', '', 'g'), '^0086', '86')"


def candidates_sql(col: str) -> str:
    """SQL list of the digit runs and grouped numbers in ``col`` long enough to be personal numbers."""
    return (f"list_filter(list_concat(regexp_extract_all({col}, '{_RUN.pattern}'), "
            f"regexp_extract_all({col}, '{_GROUPED.pattern}')), lambda s: length(regexp_replace(s, '[^0-9]', '', 'g')) >= 11)")
