"""What a release covers in time and place, read from its rows: the catalog's DCAT ``dct:temporal`` and
``dct:spatial``, and the dataset page's 时间范围 / 地域范围.

Time is the span of the date field the disclosure deadline counts from (else the first date field); place is the
smallest region of GB/T 2260 that holds every region code of the first field declared ``region-code``, named in
full (云南省迪庆藏族自治州香格里拉市), so a county's table is labelled with the county and a province's with the
province.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..identifiers import regions
from ..quoting import q
from ..spec.dataset import DatasetSpec

REGION_KINDS = ("region-code", "region-code-historical")


def coverage(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, table: str,
             fields: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"temporal": {"start", "end"} | None, "spatial": {"code", "name", "regions"} | None}`` of ``table``."""
    return {"temporal": _temporal(spec, con, table, fields), "spatial": _spatial(con, table, fields)}


def _temporal(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, table: str,
              fields: list[dict[str, Any]]) -> dict[str, str] | None:
    dates = [f["name"] for f in fields if f.get("type") == "date"]
    field = spec.formed_field if spec.formed_field in dates else next(iter(dates), None)
    if field is None:
        return None
    start, end = con.execute(f"SELECT min({q(field)}), max({q(field)}) FROM {table}").fetchone()  # type: ignore[misc]
    return {"start": start.isoformat(), "end": end.isoformat(), "field": field} if start else None


def _spatial(con: duckdb.DuckDBPyConnection, table: str, fields: list[dict[str, Any]]) -> dict[str, Any] | None:
    field = next((f["name"] for f in fields if f.get("identifier") in REGION_KINDS), None)
    if field is None:
        return None
    codes = [r[0] for r in con.execute(f"SELECT DISTINCT CAST({q(field)} AS VARCHAR) FROM {table} "
                                       f"WHERE {q(field)} IS NOT NULL").fetchall()]
    codes = [c for c in codes if len(c) == 6 and c.isdigit()]
    if not codes:
        return None
    code = common_region(codes)
    return {"code": code, "name": full_name(code), "regions": len(codes)}


def common_region(codes: list[str]) -> str:
    """The smallest region holding every code: the county, its prefecture, its province, or 000000 (the nation)."""
    for width in (6, 4, 2):
        if len({c[:width] for c in codes}) == 1:
            return codes[0][:width].ljust(6, "0")
    return "000000"


def full_name(code: str) -> str:
    """``532201`` → 云南省迪庆藏族自治州香格里拉市 (市辖区 and unknown levels left out)."""
    if code == "000000":
        return "中华人民共和国"
    known = regions()
    parts = []
    for prefix in dict.fromkeys((code[:2] + "0000", code[:4] + "00", code)):
        r = known.get(prefix)
        if r is not None and r.name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            parts.append(r.name)
    return "".join(parts) or code
