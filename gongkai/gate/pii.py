"""Personal data: how to recognise it and how to mask it.

Every text is first folded (:mod:`gongkai.digits`: any script's digits, styled and enclosed digits, format
characters, the separators clerks type, runs of Chinese numerals); a number is then one or several whole digit
groups of a run (3-4-4, 6-8-4, one digit a group…), or any 18 digits of a run that make a valid ID. Columns are
scanned in DuckDB by :func:`prefilter_sql`, a cheap regex that passes every cell that could hold one; only those
cells are read here. Recognised, wherever they stand in a text:

- 居民身份证号 (GB 11643): 18 characters, a plausible birth date (1800–today) and the ISO 7064 MOD 11-2 check
  character. Any region code is accepted (a number is never cleared because its region is unknown or was abolished),
  and every 18-character window of a longer digit run is tried;
- old 15-digit 身份证号: region digit 1–8 and a plausible YYMMDD date;
- mobile numbers: 1[3-9] and nine digits, optionally +86 / 86 / 0086, or the trunk prefix 0 (013512342210, as
  dialled from a landline in another city: no area code begins 01[3-9], so the form is no landline);
- bank card numbers: 16–19 digits passing the Luhn check.

A full stop between 2+ digits and 1–2 final digits is a decimal point (135123422.10 is an amount).

Masks follow the published conventions: 李**, 135****2210, 110101********1234, ************1234.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import digits
from ..identifiers import ID_CHECK, ID_WEIGHTS
from ..quoting import lit

KINDS = {"id18": "身份证号", "id15": "旧身份证号", "mobile": "手机号码", "bank": "银行卡号"}

_ID18 = re.compile(r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]")
_MOBILE = re.compile(r"(?:86|0)?1[3-9][0-9]{9}")
# on folded text: groups of digits with spaces between (an X may close an ID); a full stop between 2+ digits and
# 1-2 digits that end the number is a decimal point (12.50, 135123422.10), any other full stop a separator
_RUN = re.compile(r"[0-9]+(?: +[0-9]+)*(?: *[Xx])?")
_GROUP = re.compile(r"[0-9]+|[Xx]")
_DECIMAL = re.compile(r"(?<=[0-9]{2})\.(?=[0-9]{1,2}(?:$|[^0-9.]))")
_CN_RUN = re.compile(digits.CN_RUN)
# a hex digest (md5, sha1, sha256: the manifest's and the catalog's hashes) is no number: 1 in ~30 holds a
# 16-digit run that passes Luhn by chance
_DIGEST = re.compile(r"(?<![0-9A-Za-z])(?=[0-9]*[a-f])(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})(?![0-9A-Za-z])")
LENGTHS = (11, 12, 13, 15, 16, 17, 18, 19)  # mobile, 0 / 86 + mobile, old ID or 0086 + mobile, cards, ID


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
    """The kind of personal number ``candidate`` (separators and any digits allowed) is, or None."""
    d = digits_of(candidate)
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


def digits_of(text: str) -> str:
    """The ASCII digits (and X) ``text`` reads as, after folding; Chinese numerals count."""
    return re.sub(r"[^0-9Xx]", "", digits.chinese_digits(digits.folded(text)))


def find(text: str) -> Iterator[Finding]:
    """Every personal number in ``text``, however it is written (see :mod:`gongkai.digits`).

    A number is a whole group or several whole groups of a digit run (a mobile split 3-4-4, an ID 6-8-4), or any
    18 consecutive digits of a run that make a valid ID (an ID glued to other digits).
    """
    folded, where = digits.fold(text)
    folded = _DECIMAL.sub("p", folded).replace(".", " ")
    folded = _DIGEST.sub(lambda m: "h" * len(m.group()), folded)
    runs = [(m.start(), m.group()) for m in _RUN.finditer(folded)]
    runs += [(m.start(), digits.chinese_digits(m.group())) for m in _CN_RUN.finditer(folded)]
    spans: dict[tuple[int, int], str] = {}
    for at, run in runs:
        for (a, b), kind in _numbers(run):
            spans.setdefault((where[at + a], where[at + b - 1] + 1), kind)
    for (a, b), kind in spans.items():  # 135 1234 2210 inside 86 135 1234 2210 is the same number
        if not any(a2 <= a and b <= b2 and (a2, b2) != (a, b) and k2 == kind for (a2, b2), k2 in spans.items()):
            yield Finding(kind, text[a:b])


def _numbers(run: str) -> Iterator[tuple[tuple[int, int], str]]:
    """(span in ``run``, kind) of each personal number in one run of digit groups."""
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)]
    chars = [i for a, b in groups for i in range(a, b)]  # run position of each digit
    d = "".join(run[i] for i in chars)
    for k in range(len(d) - 17):
        if id18_valid(d[k:k + 18]):
            yield (chars[k], chars[k + 17] + 1), "id18"
    for gi, (a, _) in enumerate(groups):
        n = 0
        for gj, (a2, b2) in enumerate(groups[gi:], gi):
            n += b2 - a2
            if n > 19 or run[a2] in "Xx":  # an X closes only an ID (found above); 135….x of a file name is a mobile
                break
            if n in LENGTHS:
                kind = classify(run[a:b2])
                if kind in ("bank", "id15") and not _whole_or_fours(groups, gi, gj, kind):
                    continue  # no check digit (id15) or one in ten (Luhn): 2508-530112-44-03-709234 is a project code
                if kind and kind != "id18":
                    yield (a, b2), kind


def _whole_or_fours(groups: list[tuple[int, int]], gi: int, gj: int, kind: str) -> bool:
    """Weakly checked numbers count only as one group, (old IDs) a whole run, or (cards) groups of four: a card is
    written whole or 4-4-4-4(-3), never 9/4-5 like the 索引号 015110483/2026-00014 on every disclosure page."""
    if gi == gj:
        return True
    if kind == "bank":
        return all(b - a == 4 for a, b in groups[gi:gj])
    return gi == 0 and gj == len(groups) - 1


def mask(kind: str, s: str) -> str:
    """The published mask of a personal value of ``kind`` (id18 → 110101********1234, mobile → 135****2210)."""
    d = digits_of(s) if kind != "name" else s
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
    """``text`` with every personal number masked (for messages, reports, logs and published metadata)."""
    for f in sorted(set(find(text)), key=lambda f: -len(f.text)):
        text = text.replace(f.text, f.masked)
    return text


def prefilter_sql(col: str) -> str:
    """SQL true for the text cells that may hold a personal number; only those are read by :func:`find`."""
    return f"regexp_matches({col}, {lit(digits.prefilter_pattern())})"


HASH_KEYS = frozenset({"sha256", "hash", "fingerprint", "manifest_sha256", "datastore_sha256"})


def scrub_tree(obj: Any, keep: frozenset[str] = HASH_KEYS) -> Any:
    """A copy of a JSON-like ``obj`` with every personal number in its texts masked (keys included): for published
    metadata, where a file, sheet or column name may carry one. Values under ``keep`` keys (hashes) stay."""
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, dict):
        return {scrub(k) if isinstance(k, str) else k: v if k in keep else scrub_tree(v, keep) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_tree(v, keep) for v in obj]
    return obj
