"""Releasing one submission into a partitioned dataset: gate the submission, then assemble every partition."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..report import Problem
from ..spec.dataset import DatasetSpec
from . import partitions as parts_mod

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..report import Report
    from .store import Store

Result = tuple[str, "Report", str | None, Path | None, dict[str, Any] | None]  # status, report, version, path, manifest


def release_partition(store: Store, spec: DatasetSpec, sources: list[Path] | None,
                      progress: Callable[[str], None] | None, formed: dt.date | None, named: str | None,
                      submitter: str | None, memory_limit: str, database_url: str | None) -> Result:
    """Gate ``sources`` as one partition's submission; if valid, write a version holding it and every other
    partition's latest accepted submission. The caller holds the dataset's lock."""
    from ..gate import run_gate
    from ..gate.protect import materialise
    from ..ingest import Workspace
    from .build import build
    from .withdraw import release_base, withdrawn_fingerprints

    ddir = store.dataset_dir(spec.id)
    current = parts_mod.current_parts(ddir)
    prev_rows = current[named].meta.get("rows") if named in current else None
    with Workspace(memory_limit) as ws:
        result = run_gate(spec, ws, sources, previous_rows=prev_rows, database_url=database_url,
                          progress=progress)
        report, protection = result.report, result.protection
        if not result.valid or protection is None:
            return "invalid", report, None, None, None
        value = parts_mod.submission_value(spec, ws.con, named, report)
        if value is None:
            return "invalid", report, None, None, None
        materialise(spec, ws.con, protection)
        source_sha = ",".join(s.get("sha256", "") for s in report.sources)
        staged = parts_mod.stage_part(ddir, value, ws.con, {"source_sha256": source_sha, "submitter": submitter,
                                                             "sources": [s.get("name") for s in report.sources]})
        try:
            others = [p.path for v, p in current.items() if v != value]
            key = [k for k in spec.primary_key if k not in protection.dropped_fields]
            parts_mod.assemble(ws.con, [*others, staged.path], key)
            parts_mod.check_whole(spec, ws.con, key, report)
            if not report.valid:
                return "invalid", report, None, None, None
            rows = int(ws.con.execute("SELECT count(*) FROM final").fetchone()[0])  # type: ignore[index]
            report.notes.append(f"partition {value}: {staged.meta['rows']} row(s) from this submission; "
                                f"{rows} row(s) in {len(others) + 1} partition(s)")
            previous, chain = release_base(store, spec.id)
            latest = previous[0] if previous else None
            if previous:
                old_rows = int(store.manifest(spec.id, latest)["row_count"])  # type: ignore[arg-type]
                if rows < old_rows * 0.9:
                    report.add(Problem("quality", f"发布后的总行数由 {old_rows} 降为 {rows}", "请确认本次提交是否完整。",
                                       severity="warning"))
            version = store.next_version(spec.id)
            with store.staging(spec.id) as tmp:
                manifest = build(spec, ws.con, tmp, version=version, report=report, protection=protection,
                                 sources=report.sources, previous=previous,
                                 formed=formed.isoformat() if formed else None,
                                 formed_from="source" if formed else None, chain=chain,
                                 refused=withdrawn_fingerprints(store, spec.id))
                accepted = parts_mod.accept(staged)
                if manifest.get("unchanged"):
                    assert previous is not None
                    return "unchanged", report, previous[0], previous[1], None
                entries = [p.entry(ddir) for v, p in sorted({**current, value: accepted}.items())]
                _add_partitions(tmp, manifest, entries, value, submitter, source_sha)
                path = store.commit(spec.id, tmp, version)
            staged = accepted
            return "released", report, version, path, manifest
        finally:
            if staged.path.name.startswith("."):  # not accepted: the partition keeps its last part
                parts_mod.discard(staged)


def _add_partitions(out: Path, manifest: dict[str, Any], entries: list[dict[str, Any]], value: str,
                    submitter: str | None, source_sha: str) -> None:
    """Record in the manifest which submissions the version was assembled from and which one changed."""
    from ..gate.pii import scrub_tree
    from .build import dump_json

    manifest["partitions"] = entries
    manifest["partition_changed"] = {"partition": value, "source_sha256": source_sha, "submitter": submitter}
    dump_json(out / "manifest.json", scrub_tree(manifest))
