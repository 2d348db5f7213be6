"""Protect: apply a dataset's privacy policy before anything is written (the full gate comes with the privacy issue)."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from .checks import q
from .spec import DatasetSpec


@dataclass
class Protection:
    dropped_fields: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # field -> rule -> cells

    def to_dict(self) -> dict[str, object]:
        return {"dropped_fields": self.dropped_fields, "counts": self.counts}


def protect(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, source: str = "typed", target: str = "final") -> Protection:
    """Create table ``target`` from ``source``: without bookkeeping columns, policy applied, ordered by key."""
    result = Protection()
    keep = []
    for name in spec.field_names:
        rule = spec.privacy.fields.get(name)
        if rule == "drop":
            result.dropped_fields.append(name)
            n = con.execute(f"SELECT count({q(name)}) FROM {source}").fetchone()[0]  # type: ignore[index]
            result.counts[name] = {"drop": int(n)}
            continue
        keep.append(q(name))
    order = ", ".join(q(k) for k in spec.primary_key) or "_file, _row"
    con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT {', '.join(keep)} FROM {source} ORDER BY {order}")
    return result
