"""Reading numbers however they are written: one normalisation before any personal number is recognised.

Clerks and adversaries write a phone or ID number in many ways: ``(171)3140 0087``, ``171、3140、0087``,
``532122,19630814,2280``, with zero-width spaces or soft hyphens between the digits, in Arabic-Indic, Devanagari,
full-width, mathematical-bold or circled digits, or in Chinese numerals (一三五…, 壹叁伍…, 幺). :func:`fold` turns a
text into a canonical one, character by character, keeping where each character came from:

- every character whose NFKC form is made only of decimal digits and separators becomes those digits in ASCII
  (any script: ``unicodedata.decimal``; styled, enclosed and super/subscript digits through NFKC);
- format characters (category Cf: ZWSP, word joiner, soft hyphen…) and combining marks (Mn, Me: keycaps,
  variation selectors) are removed;
- the separators clerks type (spaces, tabs, line breaks, 、，,:：()（）[]【】, dashes, / _ · ・) become a space,
  a full stop (.．。) a ``.`` (a decimal point is told apart later, by the digits around it);
- Chinese numerals stay as they are: only a run of them long enough to be a phone (11) is read as digits
  (:data:`CN_RUN`, :func:`chinese_digits`), so 第一 next to a number does not change it.

The table is generated from :mod:`unicodedata` by :func:`build_table` and shipped in ``data/digit-folding.json``
(building it walks all of Unicode; a test checks the file is current). The same table gives the cheap raw-text
prefilter :func:`prefilter_pattern` that DuckDB runs over whole columns: only the cells it passes are read in
Python, so SQL and Python can never disagree on what a number is. (Folding in SQL with ``translate`` over this
table was measured at 0.85 ms a cell — too slow even for the few cells past the prefilter.)
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "digit-folding.json"
SEPARATORS = (" \t\n\r\v\f\x85\u2028\u2029、,:()[]【】-/_·・‧•。"
              "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b")
FULL_STOPS = ".。"
CHINESE = {"0": "〇○零", "1": "一壹幺", "2": "二贰貳", "3": "三叁參叄", "4": "四肆", "5": "五伍", "6": "六陆陸",
           "7": "七柒", "8": "八捌", "9": "九玖"}
CN_CHARS = "".join(CHINESE.values())
CN_FROM = CN_CHARS
CN_TO = "".join(d * len(chars) for d, chars in CHINESE.items())
CN_RUN = f"[{CN_CHARS}](?: *[{CN_CHARS}]){{10,}}(?: *[Xx])?"  # on folded text; an X may close an ID
_CN_TABLE = str.maketrans(CN_FROM, CN_TO)
_IGNORED = ("Cf", "Mn", "Me")


def _fold_char(c: str) -> str | None:
    """What ``c`` becomes, or None when it stays as it is."""
    cat = unicodedata.category(c)
    if cat in ("Cs", "Co", "Cn"):
        return None
    if cat in _IGNORED:
        return ""
    if c in SEPARATORS or cat in ("Zs", "Zl", "Zp", "Pd"):
        out = "." if c in FULL_STOPS else " "
        return None if out == c else out
    n = unicodedata.normalize("NFKC", c)
    out = []
    for ch in n:
        d = unicodedata.decimal(ch, None)
        if d is not None:
            out.append(str(d))
        elif ch in FULL_STOPS:
            out.append(".")
        elif ch in SEPARATORS or unicodedata.category(ch) in ("Zs", "Pd"):
            out.append(" ")
        else:
            return None
    folded = "".join(out)
    return None if folded == c or not folded else folded


def build_table() -> dict[str, str]:
    """Every character :func:`fold` changes, and what it becomes (seconds: it walks all of Unicode)."""
    table = {}
    for cp in range(0x110000):
        c = chr(cp)
        out = _fold_char(c)
        if out is not None:
            table[c] = out
    return table


@cache
def table() -> dict[str, str]:
    return json.loads(TABLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` folded, and for each folded character the index of the character of ``text`` it came from."""
    t = table()
    out: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        f = t.get(c, c)
        out.append(f)
        where.extend([i] * len(f))
    return "".join(out), where


def folded(text: str) -> str:
    return "".join(table().get(c, c) for c in text)


def chinese_digits(run: str) -> str:
    """A run of Chinese numerals read as digits (一三五 → 135)."""
    return run.translate(_CN_TABLE)


# -- SQL --------------------------------------------------------------------------------------------------

def _cls(chars: str) -> str:
    """A regex character class holding exactly ``chars`` (ranges where the code points follow each other)."""
    cps = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        a, b = chr(cps[i]), chr(cps[j])
        parts.append(_esc(a) if i == j else f"{_esc(a)}-{_esc(b)}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def _esc(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else c  # anything else stands for itself, in RE2 as in Python


# what most cells are made of: ASCII and full-width digits, and the separators of ordinary Chinese text
COMMON_DIGITS = "0123456789０１２３４５６７８９"
COMMON_SEPARATORS = " \t\n\r.,:()[]/_-、，：（）【】。·　\u00a0－．\u2014\u2013"


@cache
def prefilter_pattern() -> str:
    """A regex on the raw text, true wherever a personal number could stand after folding (RE2 and Python).

    On cells of ordinary characters: a personal number of 15+ digits is a run of 15+ digits (separators between)
    from some group start, and one of 11–14 digits is a mobile, whose group starts with 1, 8 (86…) or 01 (the
    trunk prefix 0). An office landline ``0871-65123456`` is neither (12 digits from a 0; its 8-digit group starts
    with 2–9) and never reaches :func:`~gongkai.gate.pii.find`. A cell holding any other character that folds
    (other scripts' digits, format characters, ⑩…) always passes, as does a run of 11 Chinese numerals. Small character classes keep the
    regex a fast automaton: the same test with every folding character in its classes was 100× slower.
    """
    d = _cls(COMMON_DIGITS)
    s = _cls(COMMON_SEPARATORS)
    exotic = _cls("".join(c for c in table() if c not in COMMON_DIGITS + COMMON_SEPARATORS))
    cn = _cls(CN_CHARS)
    return (f"(?:^|[^{d[1:-1]}])(?:{d}(?:{s}*{d}){{14}}|(?:[18１８]|[0０]{s}*[1１])(?:{s}*{d}){{10}})|{exotic}"
            f"|{cn}(?:{s}*{cn}){{10}}")


if __name__ == "__main__":  # python -m gongkai.digits: rewrite the shipped table
    TABLE.write_text(json.dumps(build_table(), ensure_ascii=False, sort_keys=True, indent=0) + "\n", encoding="utf-8")
