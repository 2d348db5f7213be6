"""``gongkai diff``: compare two stored versions of a dataset."""

from __future__ import annotations

from typing import Any

import duckdb

from ..quoting import lit
from ..spec.dataset import DatasetSpec
from .changelog import compare
from .store import Store


def diff_versions(store: Store, spec: DatasetSpec, v1: str, v2: str) -> dict[str, Any]:
    a = store.data_dir(spec.id, v1) / "data.parquet"
    b = store.data_dir(spec.id, v2) / "data.parquet"
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW old AS SELECT * FROM read_parquet({lit(a)})")
        con.execute(f"CREATE VIEW new AS SELECT * FROM read_parquet({lit(b)})")
        fields = [r[0] for r in con.execute("DESCRIBE new").fetchall()]
        key = [k for k in spec.primary_key if k in fields]
        return {"dataset": spec.id, "from_version": v1, "to_version": v2, **compare(con, "old", "new", key, fields)}
    finally:
        con.close()
