"""What changed between two versions of a dataset, by primary key (or by whole rows without one)."""

from __future__ import annotations

from typing import Any

import duckdb

from ..quoting import q
from .writers import number_text

EXAMPLES = 1000


def compare(con: duckdb.DuckDBPyConnection, old: str | None, new: str, key: list[str],
            fields: list[str]) -> dict[str, Any]:
    """Compare relation ``old`` (None for a first release) with ``new``: counts and up to 1000 examples each."""
    if old is None:
        n = con.execute(f"SELECT count(*) FROM {new}").fetchone()[0]  # type: ignore[index]
        return {"added": n, "removed": 0, "changed": 0, "unchanged": 0, "first_release": True}
    old_cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {old}").fetchall()}
    common = [f for f in fields if f in old_cols]
    if not key:
        cols = ", ".join(q(f) for f in common)
        added = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {new} EXCEPT ALL SELECT {cols} FROM {old})").fetchone()[0]  # type: ignore[index]
        removed = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {old} EXCEPT ALL SELECT {cols} FROM {new})").fetchone()[0]  # type: ignore[index]
        return {"added": added, "removed": removed, "changed": None, "key": None}

    join = " AND ".join(f"o.{q(c)} = n.{q(c)}" for c in key)
    keyval = "concat_ws(' / ', " + ", ".join(f"CAST(x.{q(c)} AS VARCHAR)" for c in key) + ")"
    diff = " OR ".join(f"o.{q(f)} IS DISTINCT FROM n.{q(f)}" for f in common if f not in key) or "false"

    def keys(sql: str) -> list[str]:
        return [r[0] for r in con.execute(sql + f" ORDER BY 1 LIMIT {EXAMPLES}").fetchall()]

    def count(sql: str) -> int:
        return int(con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0])  # type: ignore[index]

    added_sql = f"SELECT {keyval.replace('x.', 'n.')} FROM {new} n ANTI JOIN {old} o ON {join}"
    removed_sql = f"SELECT {keyval.replace('x.', 'o.')} FROM {old} o ANTI JOIN {new} n ON {join}"
    changed_sql = f"SELECT {keyval.replace('x.', 'n.')} FROM {new} n JOIN {old} o ON {join} WHERE {diff}"
    changed_examples = []
    for kv in keys(changed_sql):
        changed_examples.append({"key": kv})
    if changed_examples:
        cols = [f for f in common if f not in key]
        types = {r[0]: str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {new}").fetchall()}

        def text(alias: str, f: str) -> str:  # values as published: 3749500, not 3749500.0
            c = f"{alias}.{q(f)}"
            return number_text(c) if types.get(f) == "DOUBLE" else f"CAST({c} AS VARCHAR)"
        sel = ", ".join(f"{text('o', f)}, {text('n', f)}" for f in cols)
        rows = con.execute(f"SELECT {keyval.replace('x.', 'n.')}, {sel} FROM {new} n JOIN {old} o ON {join} "
                           f"WHERE {diff} ORDER BY 1 LIMIT {EXAMPLES}").fetchall()
        changed_examples = [{"key": r[0], "fields": {f: [r[1 + 2 * i], r[2 + 2 * i]] for i, f in enumerate(cols)
                                                      if r[1 + 2 * i] != r[2 + 2 * i]}} for r in rows]
    total_new = count(f"SELECT 1 FROM {new}")
    out = {
        "key": key,
        "added": count(added_sql), "removed": count(removed_sql), "changed": count(changed_sql),
        "added_keys": keys(added_sql), "removed_keys": keys(removed_sql), "changed_rows": changed_examples,
        "fields_added": [f for f in fields if f not in old_cols],
        "fields_removed": sorted(old_cols - set(fields)),
    }
    out["unchanged"] = total_new - out["added"] - out["changed"]
    return out
