"""The identifier rules of :mod:`gongkai.identifiers` as DuckDB SQL: one expression per kind giving the reason a
cell is invalid (NULL when valid), so a whole column is checked in one scan."""

from __future__ import annotations

from ..identifiers import (
    ID_CHECK,
    ID_WEIGHTS,
    LANDLINE,
    MOBILE,
    PHONE_SEPARATORS,
    SERVICE,
    USCC_CHARS,
    USCC_WEIGHTS,
    regions,
)
from ..quoting import lit


def create_sql(con) -> None:  # type: ignore[no-untyped-def]
    """Tables ``gk_regions`` (with each code's years of use as a clerk reads them) and ``gk_region_spans`` (one row
    per span of use) from :func:`~gongkai.identifiers.regions`, and the macros behind :func:`reason_sql`, once per
    connection."""
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'gk_regions'").fetchall()[0][0]:
        return
    listed = regions().values()
    spans = [(r.code, a, b) for r in listed for a, b in r.spans()]
    # lists bound as parameters: no Arrow table from Python lists, which imports pandas (a small release never needs it)
    con.execute("CREATE TABLE gk_regions AS SELECT unnest($code) AS code, unnest($name) AS name, "
                "unnest($valid_to) AS valid_to, unnest($used) AS used",
                {"code": [r.code for r in listed], "name": [r.name for r in listed],
                 "valid_to": [r.valid_to for r in listed], "used": [r.used() for r in listed]})
    con.execute("CREATE TABLE gk_region_spans AS SELECT unnest($code) AS code, unnest($first) AS first, "
                "unnest($last) AS last",
                {"code": [c for c, _, _ in spans], "first": [a for _, a, _ in spans], "last": [b for _, _, b in spans]})
    w_id = list(ID_WEIGHTS)
    w_uscc = list(USCC_WEIGHTS)
    con.execute(f"""
        CREATE OR REPLACE MACRO gk_id_check(v) AS substr('{ID_CHECK}',
            CAST(list_sum(list_transform(range(17), lambda i: CAST(substr(v, i + 1, 1) AS INTEGER) * {w_id}[i + 1])) % 11
                 AS INTEGER) + 1, 1);
        CREATE OR REPLACE MACRO gk_uscc_check(v) AS substr('{USCC_CHARS}', CAST((31 - list_sum(list_transform(range(17),
            lambda i: (instr('{USCC_CHARS}', substr(v, i + 1, 1)) - 1) * {w_uscc}[i + 1])) % 31) % 31 AS INTEGER) + 1, 1);
        CREATE OR REPLACE MACRO gk_region_name(v) AS (SELECT max(name) FROM gk_regions r WHERE r.code = v);
        CREATE OR REPLACE MACRO gk_region_end(v) AS (SELECT max(coalesce(valid_to, '')) FROM gk_regions r WHERE r.code = v);
        CREATE OR REPLACE MACRO gk_region_used(v) AS (SELECT max(used) FROM gk_regions r WHERE r.code = v);
        CREATE OR REPLACE MACRO gk_region_in_use(v, y) AS
            EXISTS (SELECT 1 FROM gk_region_spans s WHERE s.code = v AND y BETWEEN s.first AND s.last);
        CREATE OR REPLACE MACRO gk_region_first(v) AS (SELECT min(first) FROM gk_region_spans s WHERE s.code = v);
    """)


def reason_sql(kind: str, col: str, on: str | None = None, date_label: str = "记录日期") -> str:
    """SQL giving the reason the text cell ``col`` is not a valid ``kind`` (NULL when valid or NULL). ``on``: SQL
    for the record's DATE, by which a ``region-code`` is judged where it is not NULL (else by today), as
    :func:`gongkai.identifiers.reason` with ``on`` and ``date_label``."""
    v = f"trim({col})"
    match kind:
        case "resident-id":
            born = f"try_strptime(substr({v}, 7, 8), '%Y%m%d')"
            return (f"CASE WHEN NOT regexp_full_match({v}, '[0-9]{{17}}[0-9X]') THEN "
                    f"CASE WHEN regexp_full_match({v}, '[0-9]{{15}}') THEN '15位旧号码，应换成18位号码' "
                    f"ELSE '应为18位，前17位为数字，最后一位为数字或X' END "
                    f"WHEN gk_region_name(substr({v}, 1, 6)) IS NULL THEN '前6位地址码 ' || substr({v}, 1, 6) || ' 不是行政区划代码' "
                    f"WHEN {born} IS NULL THEN '出生日期 ' || substr({v}, 7, 8) || ' 不存在' "
                    f"WHEN {born} < DATE '1900-01-01' OR {born} > current_date THEN '出生日期 ' || substr({v}, 7, 8) || ' 不合理' "
                    f"WHEN substr({v}, 18, 1) <> gk_id_check({v}) THEN '校验码应为 ' || gk_id_check({v}) END")
        case "uscc":
            bad = f"regexp_replace({v}, '[{USCC_CHARS}]', '', 'g')"
            return (f"CASE WHEN length({v}) <> 18 THEN '应为18位，实有' || length({v}) || '位' "
                    f"WHEN {bad} <> '' THEN '含有不允许的字符 ' || array_to_string(list_sort(list_distinct(string_split({bad}, ''))), '') "
                    f"|| '（只允许数字和除 I、O、S、V、Z 以外的大写字母）' "
                    f"WHEN substr({v}, 18, 1) <> gk_uscc_check({v}) THEN '校验码应为 ' || gk_uscc_check({v}) END")
        case "region-code" | "region-code-historical":
            known = (f"CASE WHEN gk_region_name({v}) IS NULL THEN CASE WHEN regexp_full_match({v}, '[0-9]{{6}}') "
                     f"THEN '不是行政区划代码' ELSE '应为6位数字' END ")
            if kind == "region-code" and on is not None:
                known += (f"WHEN ({on}) IS NOT NULL THEN CASE WHEN NOT gk_region_in_use({v}, year({on})) THEN "
                          f"{lit(date_label + ' ')} || strftime({on}, '%Y-%m-%d') || ' 时该代码' || CASE WHEN "
                          f"year({on}) < gk_region_first({v}) THEN '尚未启用' ELSE '已停用' END || '（' || "
                          f"gk_region_name({v}) || '，' || gk_region_used({v}) || '）' END ")
            if kind == "region-code":
                known += (f"WHEN gk_region_end({v}) <> '' THEN '是已撤销的代码（' || gk_region_name({v}) || '，' "
                          f"|| gk_region_end({v}) || '年起不再使用）' ")
            return known + "END"
        case "phone" | "hotline":
            allowed = f"{MOBILE}|{LANDLINE}" + (f"|{SERVICE}" if kind == "hotline" else "")
            word = "服务电话" if kind == "hotline" else "电话号码"
            bad = (f"list_filter(string_split_regex({v}, '{PHONE_SEPARATORS}'), "
                   f"lambda p: NOT regexp_full_match(regexp_replace(p, '\\s', '', 'g'), '{allowed}'))")
            return f"CASE WHEN len({bad}) > 0 THEN '「' || trim({bad}[1]) || '」不是有效的{word}' END"
    raise ValueError(f"unknown identifier kind {kind!r}")
