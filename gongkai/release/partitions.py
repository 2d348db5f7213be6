"""Partitioned datasets: one submission per partition (a county's file), the release assembled from all of them.

Layout: ``<store>/<dataset>/partitions/<value>/s<N>.parquet`` (the submission's published rows, after the gate)
and ``s<N>.json`` (its sha256, recorded once, source sha256, submitter, rows). A submission replaces only its own
partition; a release is the union of every partition's latest submission, ordered by primary key, so that it can
be rebuilt from the parts byte for byte (:func:`rebuild_csv`, used by ``gongkai verify``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..files import sha256_file
from ..gate.pii import scrub
from ..ingest.workspace import FINAL, PROTECTED
from ..quoting import lit, q
from ..report import Problem, Report
from ..spec.dataset import PARTITION_VALUE, DatasetSpec
from .writers import write_csv

PART_RE = re.compile(r"^s(\d+)\.parquet$")
SAFE_VALUE = re.compile(PARTITION_VALUE)


@dataclass(frozen=True)
class Part:
    """One accepted submission of a partition."""
    value: str
    path: Path  # the parquet file
    meta: dict[str, Any]

    def entry(self, base: Path) -> dict[str, Any]:
        """What a release's manifest records of it (paths relative to the dataset directory), as published: the
        submitter scrubbed (a partition value that reads as a number is refused at submission, so its path stays
        as it is, for ``verify``), the sha256 the one recorded when the part was staged (a version lists every
        part, so none is hashed again; a part staged before the sha256 was recorded is)."""
        submitter = self.meta.get("submitter")
        return {"partition": self.value, "file": self.path.relative_to(base).as_posix(),
                "sha256": self.meta.get("sha256") or sha256_file(self.path), "rows": self.meta.get("rows"),
                "source_sha256": self.meta.get("source_sha256"),
                "submitter": scrub(submitter) if isinstance(submitter, str) else submitter,
                "submitted": self.meta.get("submitted")}


def partitions_dir(dataset_dir: Path) -> Path:
    return dataset_dir / "partitions"


def current_parts(dataset_dir: Path) -> dict[str, Part]:
    """The latest accepted submission of every partition."""
    out: dict[str, Part] = {}
    root = partitions_dir(dataset_dir)
    if not root.is_dir():
        return out
    for d in sorted(root.iterdir()):
        found = sorted((int(m.group(1)), p) for p in d.glob("s*.parquet") if (m := PART_RE.match(p.name)))
        if found:
            p = found[-1][1]
            out[d.name] = Part(d.name, p, json.loads(p.with_suffix(".json").read_text(encoding="utf-8")))
    return out


def submission_value(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, named: str | None,
                     report: Report) -> str | None:
    """The partition a checked submission holds: ``named`` (``--partition``) or the one value of its rows.
    Rows of another partition are refused, each named by file, sheet and row; None when refused."""
    assert spec.partition is not None
    f = spec.partition.field
    values = [r[0] for r in con.execute(
        f"SELECT {q(f)}::VARCHAR AS v, count(*) AS n FROM {PROTECTED} GROUP BY v ORDER BY n DESC, v").fetchall()]
    if not values:
        return named
    value = named or values[0]
    if any(v != value for v in values):
        foreign = con.execute(f"SELECT _file, _sheet, _row, {q(f)}::VARCHAR FROM {PROTECTED} "
                              f"WHERE {q(f)}::VARCHAR IS DISTINCT FROM {lit(value)} ORDER BY _src, _row LIMIT 50").fetchall()
        for file, sheet, row, v in foreign:
            report.add(Problem("partition-error", f"这一行属于分区「{v or '空'}」，而本次提交的是分区「{value}」",
                               f"一次提交只能包含一个分区（{f}）的行：请删去这些行，由该分区的单位自行提交；"
                               "或用 --partition 指明本次提交的分区。",
                               file=file, sheet=sheet, row=row, field=f, value=v))
        return None
    if not SAFE_VALUE.match(value) or scrub(value) != value:  # a part's path is in every manifest: no number
        report.add(Problem("partition-error", f"分区值「{scrub(value)}」不能用作分区名",
                           "分区字段只能是代码或简短名称，不能是身份证号、手机号等个人信息。",
                           field=f, value=scrub(value)))
        return None
    return value


def stage_part(dataset_dir: Path, value: str, con: duckdb.DuckDBPyConnection, meta: dict[str, Any]) -> Part:
    """Write the submission's published rows (table ``final``) as the partition's next part, not yet current:
    a hidden file renamed into place by :func:`accept` once the assembled release is written."""
    d = partitions_dir(dataset_dir) / value
    d.mkdir(parents=True, exist_ok=True)
    n = max((int(m.group(1)) for p in d.glob("s*.parquet") if (m := PART_RE.match(p.name))), default=0) + 1
    path = d / f"s{n}.parquet"
    tmp = d / f".s{n}.parquet.tmp"
    con.execute(f"COPY {FINAL} TO {lit(tmp)} (FORMAT parquet, COMPRESSION zstd)")
    rows = int(con.execute(f"SELECT count(*) FROM {FINAL}").fetchone()[0])  # type: ignore[index]
    meta = {**meta, "partition": value, "rows": rows, "sha256": sha256_file(tmp),
            "submitted": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
    return Part(value, tmp, {**meta, "_final": str(path)})


def accept(part: Part) -> Part:
    """Make a staged part current (its metadata first, then the rows, each renamed into place)."""
    final = Path(part.meta["_final"])
    meta = {k: v for k, v in part.meta.items() if k != "_final"}
    tmp_json = final.with_name(f".{final.stem}.json.tmp")
    tmp_json.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp_json, final.with_suffix(".json"))
    os.replace(part.path, final)
    return Part(part.value, final, meta)


def discard(part: Part) -> None:
    part.path.unlink(missing_ok=True)


def assemble(con: duckdb.DuckDBPyConnection, parts: list[Path], key: list[str]) -> None:
    """Table ``final``: the union of the parts, ordered by primary key (the one order :func:`rebuild_csv` uses)."""
    order = ", ".join(q(k) for k in key) or "ALL"
    files = "[" + ", ".join(lit(p) for p in parts) + "]"
    con.execute(f"CREATE OR REPLACE TABLE {FINAL} AS SELECT * FROM read_parquet({files}, union_by_name = true) "
                f"ORDER BY {order}")


def changed_views(con: duckdb.DuckDBPyConnection, dataset_dir: Path, listed: list[dict[str, Any]] | None,
                  parts: list[Path], previous_parquet: Path) -> int | None:
    """Views ``previous_changed`` and ``final_changed``: the rows of the previous version and of table ``final``
    in the parts one holds and the other does not, each read once. Every row that can differ is in them (a part
    both hold gives the same rows), so the changelog compares only these, not the whole dataset. Returns how many
    rows of ``final`` come from the parts both hold; None when the previous version lists no parts (it was not
    partitioned), one of them is gone, or most parts are new (the first assembly: reading them again would cost
    more than comparing the whole)."""
    if not listed:
        return None
    before = {dataset_dir / e["file"] for e in listed}
    old, new = sorted(before - set(parts)), sorted(set(parts) - before)
    if not all(p.is_file() for p in old) or 2 * len(new) > len(parts):
        return None
    con.execute(f"CREATE OR REPLACE TEMP TABLE previous_changed AS "
                f"{_rows_as(f'read_parquet({lit(previous_parquet)})', old)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE final_changed AS {_rows_as(FINAL, new)}")
    both = con.execute(f"SELECT (SELECT count(*) FROM {FINAL}) - (SELECT count(*) FROM final_changed)").fetchone()
    return int(both[0])  # type: ignore[index]


def _rows_as(shape: str, parts: list[Path]) -> str:
    """SQL for the rows of ``parts`` with the columns and types of relation ``shape`` (which holds all theirs)."""
    sql = f"(SELECT * FROM {shape} LIMIT 0)"
    if parts:
        sql += f" UNION ALL BY NAME SELECT * FROM read_parquet([{', '.join(lit(p) for p in parts)}], union_by_name = true)"
    return sql


def check_whole(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, key: list[str], report: Report) -> None:
    """Checks across partitions: the primary key unique in the assembled whole."""
    if not key or spec.partition is None:
        return
    cols = ", ".join(q(k) for k in key)
    dup = con.execute(f"SELECT {cols}, string_agg(DISTINCT {q(spec.partition.field)}::VARCHAR, '、') FROM {FINAL} "
                      f"GROUP BY {cols} HAVING count(*) > 1 LIMIT 20").fetchall()
    for r in dup:
        shown = "、".join(str(v) for v in r[:-1])
        report.add(Problem("primary-key", f"主键（{'、'.join(key)}）「{shown}」在分区 {r[-1]} 中重复出现",
                           "各分区的主键必须互不相同：请核对这些行属于哪个单位，由其更正后重新提交。",
                           field=key[0], value=shown))


def rebuild_csv(dataset_dir: Path, entries: list[dict[str, Any]], key: list[str], out: Path) -> list[str]:
    """Rebuild a release's ``data.csv`` from the submissions its manifest lists; problems found on the way."""
    problems = []
    paths = []
    for e in entries:
        p = dataset_dir / e["file"]
        if not p.is_file():
            problems.append(f"submission {e['file']} of partition {e['partition']} is missing")
        elif sha256_file(p) != e["sha256"]:
            problems.append(f"submission {e['file']} of partition {e['partition']}: sha256 differs from the manifest")
        else:
            paths.append(p)
    if problems or not paths:
        return problems
    con = duckdb.connect()
    try:
        assemble(con, paths, key)
        write_csv(con, FINAL, out)
    finally:
        con.close()
    return problems
