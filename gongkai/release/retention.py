"""Retention: how long a row stays published (a 行政处罚 公示期, a recipient list's term).

A spec's ``retention`` names a date field and a term. Every release of it leaves out the rows whose term has ended
by its ``as_of`` day (default: today, Beijing time), and that day is part of the release's input fingerprint, so
tomorrow's run is not skipped as "inputs unchanged". :meth:`gongkai.Project.expire` then withdraws every earlier
version still holding an expired row, so the rows leave the store and the catalog, not only the current version.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb

from ..quoting import lit, q
from ..spec.dataset import DatasetSpec
from .store import Store


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def kept_sql(spec: DatasetSpec, as_of: dt.date) -> str:
    """SQL true for the rows still within their term on ``as_of`` (a row without a date is kept: its term is
    unknown, and the gate's own checks say whether the date is required)."""
    assert spec.retention is not None
    f = q(spec.retention.field)
    return f"({f} IS NULL OR CAST({f} AS DATE) + {spec.retention.interval} >= DATE {lit(as_of.isoformat())})"


def holders(store: Store, spec: DatasetSpec, as_of: dt.date) -> dict[str, int]:
    """{version: expired rows it holds} of the versions not withdrawn. A version whose published files lack the
    date field (dropped by the privacy policy) cannot be read for it and counts as holding its every row."""
    found: dict[str, int] = {}
    con = duckdb.connect()
    try:
        for v in store.versions(spec.id):
            if store.is_withdrawn(spec.id, v):
                continue
            parquet = store.release_dir(spec.id, v) / "data.parquet"
            cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(parquet)})").fetchall()}
            if spec.retention and spec.retention.field not in cols:
                n = int(store.manifest(spec.id, v)["row_count"])
            else:
                n = int(con.execute(f"SELECT count(*) FROM read_parquet({lit(parquet)}) "  # type: ignore[index]
                                    f"WHERE NOT {kept_sql(spec, as_of)}").fetchone()[0])
            if n:
                found[v] = n
    finally:
        con.close()
    return found
