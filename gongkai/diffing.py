"""``gongkai diff``: compare two stored versions of a dataset."""

from __future__ import annotations

from typing import Any

import duckdb

from .changelog import compare
from .pipeline import Project


def diff_versions(project: Project, dataset: str, v1: str, v2: str) -> dict[str, Any]:
    spec = project.spec(dataset)
    a = project.store.release_dir(spec.id, v1) / "data.parquet"
    b = project.store.release_dir(spec.id, v2) / "data.parquet"
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW old AS SELECT * FROM read_parquet('{a}')")
        con.execute(f"CREATE VIEW new AS SELECT * FROM read_parquet('{b}')")
        fields = [r[0] for r in con.execute("DESCRIBE new").fetchall()]
        key = [k for k in spec.primary_key if k in fields]
        return {"dataset": spec.id, "from_version": v1, "to_version": v2, **compare(con, "old", "new", key, fields)}
    finally:
        con.close()
