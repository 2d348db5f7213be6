"""The gate, in one call: ingest → Table Schema checks → quality suite → protect → personal-data scan.

    with Workspace() as ws:
        result = run_gate(spec, ws)          # result.report: every problem; result.protection: what was masked

The report's personal values are masked whatever happened. When the rows could be read, the workspace holds
the stage tables (:data:`~gongkai.ingest.workspace.DATA` … :data:`~gongkai.ingest.workspace.PROTECTED`) for
the release to write from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import SourceError
from ..ingest import Ingest, Workspace, derived
from ..ingest.structure import engine_line
from ..ingest.workspace import DATA
from ..report import Problem, Report
from ..spec.dataset import DatasetSpec
from ..spec.suite import load_suite
from .checks import SchemaChecker
from .protect import Protection, protect
from .quality import QualityRunner
from .scan import redact, scan

Progress = Callable[[str], None]


@dataclass
class GateResult:
    report: Report
    protection: Protection | None  # None when no row was readable (nothing to release)

    @property
    def valid(self) -> bool:
        return self.report.valid and self.protection is not None


def run_gate(spec: DatasetSpec, ws: Workspace, sources: list[Path] | None = None, *,
             previous_rows: int | None = None, database_url: str | None = None,
             progress: Progress | None = None) -> GateResult:
    """Run every check on ``sources`` (default: the spec's); ``previous_rows`` is the last release's row count
    (for ``min_ratio_of_previous``), ``database_url`` a PostgreSQL URL to run the quality suite in."""
    report = Report(spec.id, spec.title.zh)
    try:
        protection = _checks(spec, ws, sources, previous_rows, database_url, progress, report)
    finally:
        redact(report, spec)
    return GateResult(report, protection)


def _checks(spec: DatasetSpec, ws: Workspace, sources: list[Path] | None, previous_rows: int | None,
            database_url: str | None, progress: Progress | None, report: Report) -> Protection | None:
    schema = spec.table_schema
    with _timed(report, "ingest"):
        _step(progress, "ingest")
        ingest = Ingest(spec, ws, report)
        paths = sources or spec.source_paths()
        for path in paths:
            try:
                ingest.load(path)
            except SourceError as e:
                report.add(Problem(e.code, e.message, e.hint or "", file=e.file or path.name, sheet=e.sheet, row=e.row))
            except duckdb.Error as e:  # a cell DuckDB could not take: its text never reaches a user
                line = engine_line(str(e))
                report.add(Problem("source-error", f"无法读取 {path.name}" + (f"第 {line} 行附近的内容" if line else ""),
                                   "请检查文件中异常的单元格（超长数字、特殊字符），或另存为 CSV UTF-8 后重试。",
                                   file=path.name, row=line))
        if not paths:
            report.add(Problem("source-error", "数据集没有配置源文件，通配符也没有匹配到文件",
                               "用 --source 指定文件，或检查数据集说明中的 source.path。"))
        ingest.create_view()
        report.sources = [s.describe() for s in ingest.files]
        report.rows = int(ws.con.execute(f"SELECT count(*) FROM {DATA}").fetchone()[0])  # type: ignore[index]
    if not report.valid and report.rows == 0:
        return None  # nothing readable to check
    labels = {(s.path.name, c.field): c.label for s in ingest.files for c in s.columns}
    mapped = {c.field for s in ingest.files for c in s.columns}
    skip = frozenset(f.name for f in schema.fields if not f.derived and f.name not in mapped)
    positions = {(s.path.name, c.field): c.index for s in ingest.files for c in s.columns if s.format != "json"}
    checker = SchemaChecker(ws.con, schema, spec.schema_path.parent, labels, skip, positions, ingest.short,
                            dated_by=spec.formed_field)
    checker.build_typed()
    suite = load_suite(spec.quality_path, spec.field_names) if spec.quality_path else None
    # on the database path the typed rows start copying to PostgreSQL now, beside the schema checks
    runner = QualityRunner(suite, ws.con, schema, ingest.locations, database_url) if suite else None
    with runner or nullcontext():
        with _timed(report, "schema"):
            _step(progress, "schema checks")
            checker.run(report)
            derived.check(ws.con, schema, report)
        report.checks.append(f"table schema {spec.schema_path.name} ({len(schema.fields)} fields)")
        if runner is not None:
            with _timed(report, "quality"):
                _step(progress, "quality suite")
                runner.run(report, previous_rows)
    with _timed(report, "protect"):
        _step(progress, "protect")
        protection = protect(spec, ws.con)
        report.protection = protection.to_dict()
    with _timed(report, "scan"):
        _step(progress, "scan for personal data")
        scan(spec, ws.con, report)
    return protection


def _step(progress: Progress | None, name: str) -> None:
    if progress:
        progress(name)


@contextmanager
def _timed(report: Report, name: str) -> Iterator[None]:
    t = time.perf_counter()
    try:
        yield
    finally:
        report.timings[name] = time.perf_counter() - t
