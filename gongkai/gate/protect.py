"""Protect: apply the privacy policy (drop, mask, generalise) and suppress small counts, as views and tables in
DuckDB; :mod:`.scan` then looks through everything that would be published."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..ingest.workspace import FINAL, PROTECTED, TYPED
from ..quoting import lit, q
from ..spec.dataset import DatasetSpec

RULE_TITLES = {"drop": "不公开", "mask-name": "姓名脱敏", "mask-phone": "电话脱敏", "mask-id": "证件号脱敏",
               "mask-bank": "账号脱敏", "generalise-address": "地址概化到村（社区）"}


@dataclass
class Protection:
    dropped_fields: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # field -> rule -> cells changed
    suppression: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, object]:
        return {"dropped_fields": self.dropped_fields, "counts": self.counts,
                **({"suppression": self.suppression} if self.suppression else {})}


def rule_sql(rule: str, col: str) -> str:
    """SQL publishing the cell ``col`` under ``rule``."""
    digits = f"regexp_replace(CAST({col} AS VARCHAR), '[^0-9Xx]', '', 'g')"
    match rule:
        case "mask-name":
            return f"CASE WHEN {col} IS NULL THEN NULL ELSE left(trim({col}), 1) || '**' END"
        case "mask-phone":
            return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({digits}) >= 7 "
                    f"THEN left(right({digits}, 11), 3) || '****' || right({digits}, 4) ELSE '****' END")
        case "mask-id":
            return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({digits}) >= 15 "
                    f"THEN left({digits}, 6) || repeat('*', length({digits}) - 10) || right({digits}, 4) ELSE '****' END")
        case "mask-bank":
            return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({digits}) >= 8 "
                    f"THEN repeat('*', length({digits}) - 4) || right({digits}, 4) ELSE '****' END")
        case "generalise-address":
            village = f"regexp_extract({col}, '^(.*?(村|社区|居委会))', 1)"
            town = f"regexp_extract({col}, '^(.*?(街道|镇|乡))', 1)"
            return f"nullif(CASE WHEN {village} <> '' THEN {village} ELSE {town} END, '')"
    raise ValueError(rule)


def condition_sql(spec: DatasetSpec, name: str, prefix: str = "") -> str:
    """SQL true in the rows where field ``name``'s privacy rule applies (every row unless ``only_if`` says)."""
    condition = spec.privacy.only_if.get(name)
    if not condition:
        return "true"
    return " AND ".join(f"coalesce({prefix}{q(f)} IN ({', '.join(lit(v) for v in values)}), false)"
                        for f, values in condition.items())


def protect(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, source: str = TYPED) -> Protection:
    """Create ``protected`` (a view, or a table when counts are suppressed) from ``source``."""
    result = Protection()
    cols = []
    for name in spec.field_names:
        rule = spec.privacy.fields.get(name)
        if rule == "drop":
            result.dropped_fields.append(name)
            result.counts[name] = {"drop": _count(con, f"SELECT count({q(name)}) FROM {source}")}
        elif rule:
            when = condition_sql(spec, name)
            cols.append(f"CASE WHEN {when} THEN {rule_sql(rule, q(name))} ELSE {q(name)} END AS {q(name)}")
            result.counts[name] = {rule: _count(con, f"SELECT count({q(name)}) FROM {source} WHERE {when}")}
        else:
            cols.append(q(name))
    select = f"SELECT _src, _file, _sheet, _row, {', '.join(cols)} FROM {source}"
    if spec.privacy.suppress:  # aggregate tables are small: a table, so suppression can update it
        con.execute(f"CREATE OR REPLACE TABLE {PROTECTED} AS {select}")
        result.suppression = _suppress(spec, con)
        for f, n in result.suppression["cells"].items():
            result.counts.setdefault(f, {})["suppress"] = n
    else:  # a view: millions of rows are not copied just to be scanned
        con.execute(f"CREATE OR REPLACE VIEW {PROTECTED} AS {select}")
    return result


def materialise(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, protection: Protection,
                where: str = "TRUE") -> None:
    """Table ``final``: the published rows (those ``where`` keeps), without bookkeeping columns, ordered by
    primary key."""
    keep = ", ".join(q(n) for n in spec.field_names if n not in protection.dropped_fields)
    order = ", ".join(q(k) for k in spec.primary_key if k not in protection.dropped_fields) or "_src, _row"
    con.execute(f"CREATE OR REPLACE TABLE {FINAL} AS SELECT {keep} FROM {PROTECTED} WHERE {where} ORDER BY {order}")


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])  # type: ignore[index]


def _suppress(spec: DatasetSpec, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Primary: counts 1..threshold-1 become empty. Secondary: a group with exactly one suppressed cell also loses
    its smallest other cell, so the group's total cannot give the suppressed one back."""
    s = spec.privacy.suppress
    assert s is not None
    cells: dict[str, int] = {}
    secondary: dict[str, int] = {}
    part = f"PARTITION BY {', '.join(q(w) for w in s.within)}" if s.within else ""
    for f in s.fields:
        c = q(f)
        small = f"({c} > 0 AND {c} < {s.threshold})"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE supp AS
            SELECT _src, _row, prim, NOT prim AND nprim = 1 AND rank = 1 AND size > 1 AS sec FROM (
                SELECT _src, _row, {small} AS prim,
                       count(*) FILTER (WHERE {small}) OVER g AS nprim, count(*) OVER g AS size,
                       row_number() OVER ({part} ORDER BY ({small} OR {c} IS NULL), {c}, _src, _row) AS rank
                FROM {PROTECTED} WINDOW g AS ({part}))""")
        n_prim, n_sec = con.execute("SELECT count(*) FILTER (WHERE prim), count(*) FILTER (WHERE sec) FROM supp").fetchone()  # type: ignore[misc]
        con.execute(f"UPDATE {PROTECTED} AS p SET {c} = NULL FROM supp WHERE p._src = supp._src "
                    f"AND p._row = supp._row AND (supp.prim OR supp.sec)")
        cells[f] = int(n_prim) + int(n_sec)
        secondary[f] = int(n_sec)
    return {"fields_suppressed": s.fields,
            "rule": f"counts from 1 to {s.threshold - 1} suppressed; secondary suppression within "
                    f"{', '.join(s.within) or 'the whole table'}", "threshold": s.threshold, "within": s.within,
            "cells": cells, "secondary": secondary}
