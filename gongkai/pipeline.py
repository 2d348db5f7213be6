"""The spine as a library: ingest → validate (schema + quality) → protect → release.

    from gongkai import Project
    project = Project.discover()
    outcome = project.release("lottery-welfare-projects")
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from . import derive
from .checks import SchemaChecker
from .errors import ConfigError, SourceError
from .ingest import Ingest
from .protect import Protection, materialise, protect, redact, scan
from .quality import QualityRunner
from .release import build
from .report import Problem, Report
from .schema import TableSchema
from .spec import Catalog, DatasetSpec
from .store import Store, default_store
from .suite import load_suite
from .workspace import Workspace

Status = Literal["valid", "invalid", "released", "unchanged"]
Progress = Callable[[str], None]


@dataclass
class Outcome:
    dataset: str
    status: Status
    report: Report
    version: str | None = None
    path: Path | None = None
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status != "invalid"

    def to_dict(self) -> dict[str, Any]:
        r = self.report
        return {"dataset": self.dataset, "status": self.status, "version": self.version,
                "path": str(self.path) if self.path else None, "rows": r.rows, "errors": r.error_count,
                "warnings": r.warning_count}


def find_root(start: Path | None = None) -> Path:
    """The project directory: ``GONGKAI_PROJECT``, else the nearest parent of ``start`` with ``datasets/``."""
    env = os.environ.get("GONGKAI_PROJECT")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "datasets").is_dir():
            return d
    bundled = Path(__file__).resolve().parent.parent
    if (bundled / "datasets").is_dir():
        return bundled
    raise ConfigError(f"no datasets/ directory in {here} or its parents",
                      "Run gongkai inside a project directory, or set GONGKAI_PROJECT.")


class Project:
    """A project directory (specs, schemas, suites) and the release store it writes to."""

    def __init__(self, root: Path, store: Path | None = None, database_url: str | None = None) -> None:
        self.root = Path(root)
        self.catalog = Catalog(self.root)
        self.store = Store(store or default_store(self.root))
        self.database_url = database_url or os.environ.get("GONGKAI_DATABASE_URL") or None

    @classmethod
    def discover(cls, store: Path | None = None, database_url: str | None = None) -> Project:
        return cls(find_root(), store, database_url)

    def spec(self, dataset: str) -> DatasetSpec:
        return self.catalog.get(dataset)

    def validate(self, dataset: str, sources: list[Path] | None = None, progress: Progress | None = None) -> Outcome:
        """Run the gate and return its report; writes nothing."""
        spec = self.spec(dataset)
        with Workspace() as ws:
            report, _ = self._gate(spec, sources, ws, progress)
        return Outcome(spec.id, "valid" if report.valid else "invalid", report)

    def release(self, dataset: str, sources: list[Path] | None = None, progress: Progress | None = None,
                formed: dt.date | None = None) -> Outcome:
        """Validate and, if the data is valid and differs from the latest release, write a new version.

        ``formed`` is when the information was formed or changed, for datasets without a ``formed_field``
        (a scheduled pipeline takes it from the source's modification date); it sets the disclosure due date."""
        spec = self.spec(dataset)
        with self.store.lock(spec.id), Workspace() as ws:
            report, protection = self._gate(spec, sources, ws, progress)
            if not report.valid or protection is None:
                return Outcome(spec.id, "invalid", report)
            latest = self.store.latest(spec.id)
            previous = (latest, self.store.release_dir(spec.id, latest)) if latest else None
            version = self.store.next_version(spec.id)
            _step(progress, "write release")
            materialise(spec, ws.con, protection)
            with self.store.staging(spec.id) as tmp:
                t = time.perf_counter()
                formed_on, formed_from = (formed.isoformat(), "source") if formed else (None, None)
                if spec.formed_field and spec.formed_field not in protection.dropped_fields:
                    latest_date = ws.con.execute(f'SELECT max("{spec.formed_field}") FROM final').fetchone()[0]  # type: ignore[index]
                    if latest_date:
                        formed_on, formed_from = latest_date.isoformat(), "data"
                manifest = build(spec, ws.con, tmp, version=version, report=report, protection=protection,
                                 sources=report.sources, previous=previous, formed=formed_on, formed_from=formed_from)
                report.timings["release"] = time.perf_counter() - t
                if manifest.get("unchanged"):
                    assert previous is not None
                    return Outcome(spec.id, "unchanged", report, previous[0], previous[1])
                path = self.store.commit(spec.id, tmp, version)
            return Outcome(spec.id, "released", report, version, path, manifest)

    def run(self, datasets: list[str] | None = None, progress: Progress | None = None) -> list[Outcome]:
        """The main job: release every (or each named) dataset from its configured sources."""
        ids = datasets or [s.id for s in self.catalog]
        return [self.release(d, progress=progress) for d in ids]

    # -- the gate --------------------------------------------------------------------------------------

    def _gate(self, spec: DatasetSpec, sources: list[Path] | None, ws: Workspace,
              progress: Progress | None) -> tuple[Report, Protection | None]:
        """Ingest → schema → quality → protect → scan. Returns the report (personal values masked) and, when the
        rows were readable, what protection was applied (the tables ``protected`` and ``final`` exist then)."""
        report = Report(spec.id)
        try:
            protection = self._checks(spec, sources, ws, progress, report)
        finally:
            redact(report, spec)
        return report, protection

    def _checks(self, spec: DatasetSpec, sources: list[Path] | None, ws: Workspace, progress: Progress | None,
                report: Report) -> Protection | None:
        schema = TableSchema.from_descriptor(spec.schema)
        with _timed(report, "ingest"):
            _step(progress, "ingest")
            ingest = Ingest(spec, schema, ws, report)
            paths = sources or spec.source_paths()
            for path in paths:
                try:
                    ingest.load(path)
                except SourceError as e:
                    report.add(Problem(e.code, e.message, e.hint or "", file=e.file or path.name, sheet=e.sheet, row=e.row))
                except duckdb.Error as e:  # a cell DuckDB could not take; its message may quote the cell
                    report.add(Problem("source-error", f"无法读取 {path.name}：{str(e).splitlines()[0]}",
                                       "请检查文件中异常的单元格（超长数字、特殊字符），或另存为 CSV UTF-8 后重试。",
                                       file=path.name))
            if not paths:
                report.add(Problem("source-error", "数据集没有配置源文件，通配符也没有匹配到文件",
                                   "用 --source 指定文件，或检查数据集说明中的 source.path。"))
            ingest.create_view()
            report.sources = [s.describe() for s in ingest.files]
            report.rows = int(ws.con.execute("SELECT count(*) FROM data").fetchone()[0])  # type: ignore[index]
        if not report.valid and report.rows == 0:
            return None  # nothing readable to check
        labels = {(s.path.name, c.field): c.label for s in ingest.files for c in s.columns}
        checker = SchemaChecker(ws.con, schema, spec.schema_path.parent, labels)
        checker.build_typed()
        suite = load_suite(spec.quality_path, spec.field_names) if spec.quality_path else None
        # on the database path the typed rows start copying to PostgreSQL now, beside the schema checks
        runner = QualityRunner(suite, ws.con, schema, ingest.locations, self.database_url) if suite else None
        with runner or nullcontext():
            with _timed(report, "schema"):
                _step(progress, "schema checks")
                checker.run(report)
                derive.check(ws.con, schema, report)
            report.checks.append(f"table schema {spec.schema_path.name} ({len(schema.fields)} fields)")
            if runner is not None:
                latest = self.store.latest(spec.id)
                previous_rows = self.store.manifest(spec.id, latest)["row_count"] if latest else None
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
