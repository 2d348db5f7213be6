"""Normalising source cells in SQL: the canonical text every check sees, whatever the clerk typed."""

from __future__ import annotations

from ..quoting import lit
from ..spec.schema import Field
from ..vocab import UNITS, unit_factor

FULLWIDTH = "０１２３４５６７８９　．，－＋％：／（）"
HALFWIDTH = "0123456789 .,-+%:/()"
SPACES = " \t\r\n\u3000\u00a0"


RAW = "_raw_"  # prefix of the column keeping a cell as typed where normalising changed it (never published)


def keeps_raw(f: Field) -> bool:
    """Fields whose normalised text can differ from the cell as typed: messages quote the cell as typed."""
    return not f.derived and (f.numeric or f.type in ("date", "datetime", "boolean") or bool(f.identifier)
                              or "pattern" in f.constraints)


def raw_sql(cell: str, normalised: str, f: Field) -> str:
    """SQL keeping ``cell`` as typed where normalising changed it and did not yield a settled value (a number, a
    real date): only cells a check may refuse pay for it, not a whole column converted from 万元."""
    n = f"({normalised})"
    settled = (f"regexp_full_match({n}, '-?[0-9]+(\\.[0-9]+)?')" if f.numeric
               else f"TRY_CAST({n} AS DATE) IS NOT NULL" if f.type == "date" else "false")
    return f"CASE WHEN {cell} IS DISTINCT FROM {n} AND NOT coalesce({settled}, false) THEN {cell} END"


def normalise_sql(col: str, f: Field, missing: tuple[str, ...], source_unit: str | None) -> str:
    """SQL that turns a raw text cell into the canonical text the checks see.

    Surrounding spaces go and missing-value markers become NULL. In numbers, dates and patterned codes,
    full-width digits and punctuation become half-width; numbers lose thousands separators and are converted
    to the field's unit (also from a unit written in the cell, 12.5万元); dates written 2025年3月5日, 2025/3/5
    or 2025.3.5 become 2025-03-05. A cell that cannot be normalised is kept as written, so the type check
    reports it as the clerk typed it. Cells already in canonical form take a fast path (one regex test).
    """
    v = f"trim(translate({col}, '{FULLWIDTH}', '{HALFWIDTH}'), {lit(SPACES)})"
    if missing:
        v = f"CASE WHEN {v} IN ({', '.join(lit(m) for m in missing)}) THEN NULL ELSE {v} END"
    if f.numeric:
        num = f"replace(replace({v}, ',', ''), ' ', '')"
        factor = unit_factor(source_unit, f.unit) if source_unit and f.unit else 1
        if f.unit:
            units = "|".join(sorted((u for u in UNITS if UNITS[u][0] == UNITS[f.unit][0]), key=len, reverse=True))
            cell_unit = f"regexp_extract({num}, '^[-+0-9.eE]+({units})$', 1)"
            factors = " ".join(f"WHEN '{u}' THEN {unit_factor(u, f.unit)}" for u in UNITS
                               if UNITS[u][0] == UNITS[f.unit][0])
            number = f"TRY_CAST(regexp_replace({num}, '({units})$', '') AS DECIMAL(38,8))"
            scaled = _decimal_text(f"{number} * (CASE {cell_unit} {factors} ELSE {factor} END)")
            slow = f"CASE WHEN {number} IS NOT NULL THEN {scaled} ELSE {num} END"
        else:
            slow = num
        plain = f"(length({col}) <= 28 AND regexp_full_match({col}, '-?[0-9]+(\\.[0-9]+)?'))"
        fast = col if factor == 1 else _decimal_text(f"CAST({col} AS DECIMAL(38,8)) * {factor}")
        return f"CASE WHEN {plain} THEN {fast} ELSE {slow} END"
    if f.type == "date":
        m = r"^(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?$"
        slow = (f"CASE WHEN regexp_matches({v}, '{m}') THEN regexp_extract({v}, '{m}', 1) || '-' || "
                f"lpad(regexp_extract({v}, '{m}', 2), 2, '0') || '-' || lpad(regexp_extract({v}, '{m}', 3), 2, '0') "
                f"ELSE {v} END")
        return f"CASE WHEN regexp_full_match({col}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN {col} ELSE {slow} END"
    if f.identifier in ("resident-id", "uscc"):
        return f"upper({v})"
    if f.identifier:
        return v
    if "pattern" in f.constraints:
        return f"CASE WHEN regexp_full_match({col}, {lit(f.constraints['pattern'])}) THEN {col} ELSE {v} END"
    # free text keeps its characters (，（）and full-width digits alike); only the ends are trimmed, and only
    # cells that start or end with a space pay for it
    spaces = ", ".join(lit(ch) for ch in SPACES)
    trimmed = f"trim({col}, {lit(SPACES)})"
    missing_list = ", ".join(lit(m) for m in missing) or "NULL"
    return (f"CASE WHEN {col}[1] IN ({spaces}) OR {col}[-1] IN ({spaces}) THEN "
            f"CASE WHEN {trimmed} IN ({missing_list}) THEN NULL ELSE {trimmed} END "
            f"WHEN {col} IN ({missing_list}) THEN NULL ELSE {col} END")


def _decimal_text(expr: str) -> str:
    """A DECIMAL as short text: 10249000.00000000 → 10249000, 0.50000000 → 0.5."""
    return f"rtrim(rtrim(CAST({expr} AS VARCHAR), '0'), '.')"
