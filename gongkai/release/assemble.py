"""Releasing submissions into a partitioned dataset: gate each submission, then assemble every partition once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..report import Problem
from ..spec.dataset import DatasetSpec
from . import partitions as parts_mod

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..gate.protect import Protection
    from ..report import Report
    from .store import Store

Result = tuple[str, "Report", str | None, Path | None, dict[str, Any] | None]  # status, report, version, path, manifest


@dataclass(frozen=True)
class Submission:
    """One agency's file(s) for one partition."""
    sources: list[Path] | None
    partition: str | None = None  # named with --partition; else inferred from the rows
    submitter: str | None = None
    token_orgs: frozenset[str] | None = None  # the CKAN organizations the submitter's own token edits


def release_partition(store: Store, spec: DatasetSpec, subs: list[Submission],
                      progress: Callable[[str], None] | None, formed: dt.date | None, memory_limit: str,
                      database_url: str | None) -> Result:
    """Gate each submission as one partition's; if all are valid, write one version holding them and every other
    partition's latest accepted submission (``gongkai run`` submits every county's file at once: one version).
    The caller holds the dataset's lock."""
    from ..ingest import Workspace

    ddir = store.dataset_dir(spec.id)
    current = parts_mod.current_parts(ddir)
    staged: dict[str, parts_mod.Part] = {}
    report: Report | None = None
    protection: Protection | None = None
    try:
        for sub in subs:
            status, one, protection, part = _stage(spec, ddir, current, sub, staged, progress, memory_limit,
                                                   database_url)
            report = one if report is None else _merge(report, one)
            if part is None:
                return status, report, None, None, None
            staged[part.value] = part
        assert report is not None and protection is not None
        with Workspace(memory_limit) as ws:
            return _write(store, spec, ws, ddir, current, staged, report, protection, formed)
    finally:
        for part in staged.values():
            if part.path.name.startswith("."):  # not accepted: the partition keeps its last part
                parts_mod.discard(part)


def _stage(spec: DatasetSpec, ddir: Path, current: dict[str, parts_mod.Part], sub: Submission,
           staged: dict[str, parts_mod.Part], progress: Callable[[str], None] | None, memory_limit: str,
           database_url: str | None) -> tuple[str, Report, Protection | None, parts_mod.Part | None]:
    """Gate one submission and stage its published rows; the part is None when it is refused."""
    from ..gate import run_gate
    from ..gate.protect import materialise
    from ..ingest import Workspace

    prev_rows = current[sub.partition].meta.get("rows") if sub.partition in current else None
    with Workspace(memory_limit) as ws:
        result = run_gate(spec, ws, sub.sources, previous_rows=prev_rows, database_url=database_url,
                          progress=progress)
        report, protection = result.report, result.protection
        if not result.valid or protection is None:
            return "invalid", report, protection, None
        value = parts_mod.submission_value(spec, ws.con, sub.partition, report)
        if value is None:
            return "invalid", report, protection, None
        assert spec.partition is not None
        submitter = sub.submitter
        if spec.agencies_path:  # only the agency answering for the partition may replace it
            from ..spec.agencies import load_registry

            submitter, refusal = load_registry(spec.agencies_path).resolve(submitter, sub.token_orgs, value,
                                                                           spec.partition.field)
            if refusal is not None:
                report.add(refusal)
                return "invalid", report, protection, None
        if value in staged:
            report.add(Problem("partition-error", f"分区「{value}」在同一次发布中提交了两份文件",
                               "每个分区一次只提交一份：请删去重复的文件，或分两次发布。",
                               field=spec.partition.field, value=value))
            return "invalid", report, protection, None
        materialise(spec, ws.con, protection)
        source_sha = ",".join(s.get("sha256", "") for s in report.sources)
        part = parts_mod.stage_part(ddir, value, ws.con, {"source_sha256": source_sha, "submitter": submitter,
                                                          "sources": [s.get("name") for s in report.sources],
                                                          "protection": protection.counts})
        return "valid", report, protection, part


def _merge(a: Report, b: Report) -> Report:
    """One report of several submissions: their sources, rows, problems and notes together."""
    a.sources.extend(b.sources)
    a.rows += b.rows
    for p in b.problems:
        a.add(p)
    a.notes.extend(b.notes)
    return a


def _write(store: Store, spec: DatasetSpec, ws: Any, ddir: Path, current: dict[str, parts_mod.Part],
           staged: dict[str, parts_mod.Part], report: Report, protection: Protection, formed: dt.date | None) -> Result:
    from .build import build
    from .withdraw import release_base, withdrawn_fingerprints

    kept = [p for v, p in current.items() if v not in staged]
    protection = _whole_protection(protection, [*kept, *staged.values()])
    report.protection = protection.to_dict()
    key = [k for k in spec.primary_key if k not in protection.dropped_fields]
    files = [p.path for p in (*kept, *staged.values())]
    parts_mod.assemble(ws.con, files, key)
    parts_mod.check_whole(spec, ws.con, key, report)
    if not report.valid:
        return "invalid", report, None, None, None
    rows = int(ws.con.execute("SELECT count(*) FROM final").fetchone()[0])  # type: ignore[index]
    for value, part in staged.items():
        report.notes.append(f"partition {value}: {part.meta['rows']} row(s) from this submission")
    report.notes.append(f"{rows} row(s) in {len(files)} partition(s)")
    previous, chain = release_base(store, spec.id)
    narrowed = None
    if previous:
        before = store.manifest(spec.id, previous[0])
        for problem in total_drop(spec, int(before["row_count"]), rows):
            report.add(problem)
        if not report.valid:  # the spec's min_ratio_of_previous refuses: nothing is written
            return "invalid", report, None, None, None
        same = parts_mod.changed_views(ws.con, ddir, before.get("partitions"), files, previous[1] / "data.parquet")
        narrowed = None if same is None else ("previous_changed", "final_changed", same)
    version = store.next_version(spec.id)
    with store.staging(spec.id) as tmp:
        manifest = build(spec, ws.con, tmp, version=version, report=report, protection=protection,
                         sources=report.sources, previous=previous, formed=formed.isoformat() if formed else None,
                         formed_from="source" if formed else None, chain=chain,
                         refused=withdrawn_fingerprints(store, spec.id), narrowed=narrowed)
        if manifest.get("unchanged"):  # the same rows again: the store stays as it was
            assert previous is not None
            return "unchanged", report, previous[0], previous[1], None
        accepted = {v: parts_mod.accept(p) for v, p in staged.items()}
        staged.update(accepted)
        entries = [p.entry(ddir) for v, p in sorted({**current, **accepted}.items())]
        changed = [{"partition": v, "source_sha256": p.meta.get("source_sha256"), "submitter": p.meta.get("submitter")}
                   for v, p in accepted.items()]
        _add_partitions(tmp, manifest, entries, changed)
        path = store.commit(spec.id, tmp, version)
    return "released", report, version, path, manifest


def _whole_protection(last: Protection, parts: list[parts_mod.Part]) -> Protection:
    """What the privacy policy changed in the whole release: every part's counts summed (each part records its
    own when it is staged; a part staged before counts were recorded adds none). Dropped fields and suppression
    are the policy's, the same for every submission."""
    from dataclasses import replace

    counts: dict[str, dict[str, int]] = {}
    for part in parts:
        for field, rules in (part.meta.get("protection") or {}).items():
            for rule, n in rules.items():
                counts.setdefault(field, {})[rule] = counts.get(field, {}).get(rule, 0) + int(n)
    return replace(last, counts=counts)


DEFAULT_DROP_RATIO = 0.9  # without a row-count rule in the suite, a total under 90% of the previous one warns


def total_drop(spec: DatasetSpec, old_rows: int, rows: int) -> list[Problem]:
    """The assembled total against the previous version's, by the suite's ``min_ratio_of_previous`` rules
    (their severity: a warning is printed, an error refuses the release); each county's gate compares only its own
    partition, so a drop spread over many counties is caught here."""
    import math

    from ..spec.suite import load_suite

    rules = []
    if spec.quality_path:
        rules = [(float(e.kwargs["min_ratio_of_previous"]), e.severity, e.id, e.message, e.hint)
                 for e in load_suite(spec.quality_path, spec.field_names).expectations
                 if "min_ratio_of_previous" in e.kwargs]
    if not rules:
        rules = [(DEFAULT_DROP_RATIO, "warning", "row-count-vs-previous", "发布后的总行数比上一版本明显减少",
                  "请确认本次提交是否完整。")]
    out = []
    for ratio, severity, rule, message, hint in rules:
        if rows < math.ceil(old_rows * ratio):
            out.append(Problem("quality", f"{message}：全部分区合计由 {old_rows} 行降为 {rows} 行"
                               f"（低于上一版本的 {ratio:.0%}，规则 {rule}）", hint or "请确认本次提交是否完整。",
                               severity=severity, rule=rule))
    return out


def _add_partitions(out: Path, manifest: dict[str, Any], entries: list[dict[str, Any]],
                    changed: list[dict[str, Any]]) -> None:
    """Record in the manifest which submissions the version was assembled from (``entries``, as
    :meth:`~.partitions.Part.entry` publishes them) and which changed (``partition_changed``: the one of a single
    submission; ``partitions_changed``: all of them). The rest of the manifest is scrubbed already: only what is
    added here is, not every part's entry again for each version."""
    from ..gate.pii import scrub_tree
    from .build import dump_json

    changed = scrub_tree(changed)
    manifest["partitions"] = entries
    manifest["partition_changed"] = changed[0] if len(changed) == 1 else None
    manifest["partitions_changed"] = changed
    dump_json(out / "manifest.json", manifest)
