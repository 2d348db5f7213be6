"""A project as a library: its specs, its release store, and the one orchestration path
ingest → gate → release → publish that the command line, the scheduler and Python callers all use.

    from gongkai import Project
    project = Project.discover()
    outcome = project.release("lottery-welfare-projects")
    plans = project.publish(["lottery-welfare-projects"], project.ckan())
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .deadlines import use_calendar
from .errors import ConfigError
from .quoting import q
from .release.store import Store, default_store
from .settings import Settings
from .spec.dataset import DatasetSpec
from .spec.loading import Specs

if TYPE_CHECKING:
    from .ckan.client import Client
    from .ckan.publish import Plan
    from .flows.page import Page
    from .release.assemble import Submission
    from .report import Report

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


def find_root(start: Path | None = None, given: Path | None = None) -> Path:
    """The project directory: ``given`` (``GONGKAI_PROJECT``), else the nearest parent of ``start`` with
    ``datasets/``, else the project gongkai was installed from."""
    if given:
        return Path(given)
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "datasets").is_dir():
            return d
    bundled = Path(__file__).resolve().parent.parent
    if (bundled / "datasets").is_dir():
        return bundled
    raise ConfigError(f"no datasets/ directory in {here} or its parents",
                      "Run gongkai inside a project directory, or set GONGKAI_PROJECT.")


def source_date(paths: list[Path]) -> dt.date | None:
    """When the information was formed, for a dataset dated by its source: the newest file's modification day
    (Beijing time)."""
    from zoneinfo import ZoneInfo

    stamps = [p.stat().st_mtime for p in paths if p.is_file()]
    return dt.datetime.fromtimestamp(max(stamps), ZoneInfo("Asia/Shanghai")).date() if stamps else None


class Project:
    """A project directory (specs, schemas, suites), the release store it writes to, and its settings."""

    def __init__(self, root: Path, store: Path | None = None, database_url: str | None = None,
                 settings: Settings | None = None) -> None:
        self.settings = (settings or Settings()).with_(store=store, database_url=database_url)
        self.root = Path(root)
        self.specs = Specs(self.root, self.settings.cache_dir() / "schemas-accepted")
        self.store = Store(default_store(self.root, self.settings.store))
        self.database_url = self.settings.database_url
        use_calendar(self.root / "calendar")

    @classmethod
    def discover(cls, settings: Settings | None = None, store: Path | None = None,
                 database_url: str | None = None) -> Project:
        """The project around the current directory, configured from ``settings`` (default: the environment)."""
        settings = settings or Settings.from_env()
        return cls(find_root(given=settings.project), store, database_url, settings)

    def spec(self, dataset: str) -> DatasetSpec:
        return self.specs.get(dataset)

    # -- the gate and the release ----------------------------------------------------------------------

    def validate(self, dataset: str, sources: list[Path] | None = None, progress: Progress | None = None) -> Outcome:
        """Run the gate and return its report; writes nothing."""
        from .gate import run_gate
        from .ingest import Workspace

        spec = self.spec(dataset)
        # one county's file of a partitioned dataset is not the whole: its release compares the assembled total
        previous = None if spec.partition is not None and sources is not None else self._previous_rows(spec.id)
        with Workspace(self.settings.memory_limit, limits=self.settings.source_limits) as ws:
            result = run_gate(spec, ws, sources, previous_rows=previous, database_url=self.database_url,
                              progress=progress)
        return Outcome(spec.id, "valid" if result.report.valid else "invalid", result.report)

    def release(self, dataset: str, sources: list[Path] | None = None, progress: Progress | None = None,
                formed: dt.date | None = None, partition: str | None = None, submitter: str | None = None,
                as_of: dt.date | None = None, token_orgs: frozenset[str] | None = None) -> Outcome:
        """Validate and, if the data is valid and differs from the latest release, write a new version.

        ``formed`` is when the information was formed or changed, for datasets without a ``formed_field``
        (a scheduled pipeline takes it from the source's modification date); it sets the disclosure due date.
        ``as_of`` is the day a spec's retention term is counted to (default: today): expired rows are left out."""
        from .release import fingerprint
        from .release.retention import today

        spec = self.spec(dataset)
        as_of = (as_of or today()) if spec.retention else None
        with self.store.lock(spec.id, self.settings.lock_wait):
            if spec.partition is not None:  # one county's file replaces only its own partition
                from .release.assemble import Submission
                from .spec.agencies import submissions

                subs = ([Submission([path], None, who) for path, who in submissions(spec)]
                        if sources is None and partition is None and submitter is None and token_orgs is None
                        else [Submission(sources, partition, submitter, token_orgs)])  # configured: one per file
                return self._release_partitions(spec, subs, progress, formed)
            calendars = sorted((self.root / "calendar").glob("*.yaml"))
            inputs = fingerprint.inputs_fingerprint(spec, sources or spec.source_paths(), formed, calendars, as_of)
            same = fingerprint.recorded_version(self.store, spec.id, inputs)
            if same is not None:  # nothing the gate reads has changed since that release
                from .report import Report

                report = Report(spec.id, rows=int(self.store.manifest(spec.id, same)["row_count"]),
                                notes=[f"inputs unchanged since {same}: gate not run"])
                return Outcome(spec.id, "unchanged", report, same, self.store.release_dir(spec.id, same))
            outcome = self._release(spec, sources, progress, formed, as_of)
            if outcome.version is not None:
                fingerprint.record(self.store, spec.id, inputs, outcome.version)
            return outcome

    def _release_partitions(self, spec: DatasetSpec, subs: list[Submission], progress: Progress | None,
                            formed: dt.date | None) -> Outcome:
        from .release.assemble import release_partition

        if formed is None and spec.formed_field is None:  # dated by its sources: the newest submitted file's day
            formed = source_date([p for s in subs for p in (s.sources or spec.source_paths())])
        status, report, version, path, manifest = release_partition(
            self.store, spec, subs, progress, formed, self.settings.memory_limit, self.database_url)
        return Outcome(spec.id, status, report, version, path, manifest)  # type: ignore[arg-type]

    def _release(self, spec: DatasetSpec, sources: list[Path] | None, progress: Progress | None,
                 formed: dt.date | None, as_of: dt.date | None = None) -> Outcome:
        from .gate import run_gate
        from .gate.protect import materialise
        from .ingest import Workspace
        from .ingest.workspace import FINAL
        from .release.build import build
        from .release.withdraw import release_base, withdrawn_fingerprints

        with Workspace(self.settings.memory_limit, limits=self.settings.source_limits) as ws:
            result = run_gate(spec, ws, sources, previous_rows=self._previous_rows(spec.id),
                              database_url=self.database_url, progress=progress)
            report, protection = result.report, result.protection
            if not result.valid or protection is None:
                return Outcome(spec.id, "invalid", report)
            previous, chain = release_base(self.store, spec.id)
            version = self.store.next_version(spec.id)
            if progress:
                progress("write release")
            materialise(spec, ws.con, protection, self._retained(spec, ws.con, as_of, report))
            with self.store.staging(spec.id) as tmp:
                t = time.perf_counter()
                formed = formed or (source_date(sources or spec.source_paths()) if spec.formed_field is None else None)
                formed_on, formed_from = (formed.isoformat(), "source") if formed else (None, None)
                if spec.formed_field and spec.formed_field not in protection.dropped_fields:
                    latest_date = ws.con.execute(f"SELECT max({q(spec.formed_field)}) FROM {FINAL}").fetchone()[0]  # type: ignore[index]
                    if latest_date:
                        formed_on, formed_from = latest_date.isoformat(), "data"
                manifest = build(spec, ws.con, tmp, version=version, report=report, protection=protection,
                                 sources=report.sources, previous=previous, formed=formed_on, formed_from=formed_from,
                                 chain=chain, refused=withdrawn_fingerprints(self.store, spec.id))
                report.timings["release"] = time.perf_counter() - t
                if manifest.get("unchanged"):
                    assert previous is not None
                    return Outcome(spec.id, "unchanged", report, previous[0], previous[1])
                path = self.store.commit(spec.id, tmp, version)
            return Outcome(spec.id, "released", report, version, path, manifest)

    def withdraw(self, dataset: str, version: str, reason: str, by: str | None = None) -> dict[str, Any]:
        """Withdraw a released version (a leak, an expired 公示期): its files leave the store, a tombstone keeps
        the chain, the version before it is current again. Returns the tombstone; publish to follow on CKAN."""
        from .release import fingerprint
        from .release.withdraw import withdraw

        spec = self.spec(dataset)
        with self.store.lock(spec.id, self.settings.lock_wait):
            tomb = withdraw(self.store, spec.id, version, reason, by)
            fingerprint.forget(self.store, spec.id)  # the next release runs the gate again
        return tomb

    @staticmethod
    def _retained(spec: DatasetSpec, con: Any, as_of: dt.date | None, report: Report) -> str:
        """The SQL keeping the rows within the spec's retention term (all rows when it has none)."""
        if spec.retention is None or as_of is None:
            return "TRUE"
        from .ingest.workspace import PROTECTED
        from .release.retention import kept_sql

        keep = kept_sql(spec, as_of)
        gone = int(con.execute(f"SELECT count(*) FROM {PROTECTED} WHERE NOT {keep}").fetchone()[0])
        if gone:
            report.notes.append(f"{gone} 行已过公示期（{spec.retention.basis}：{spec.retention.label}，截至 "
                                f"{as_of.isoformat()}），不再公开")
        return keep

    def expire(self, dataset: str, as_of: dt.date | None = None, sources: list[Path] | None = None,
               formed: dt.date | None = None) -> tuple[Outcome, dict[str, dict[str, Any]]]:
        """Take the rows whose retention term ended by ``as_of`` (default: today) out of the catalog: release a
        version without them, then withdraw every earlier version that still holds one. Returns the release's
        outcome and {version: tombstone} of the withdrawals (none when the release is invalid)."""
        from .release.retention import holders, today

        spec = self.spec(dataset)
        if spec.retention is None:
            raise ConfigError(f"{spec.id} 的规格没有 retention（公示期限），无法按期限撤回",
                              f"在 {spec.path.name} 中加入 retention: {{field: …, years: …, basis: …}}。")
        as_of = as_of or today()
        outcome = self.release(spec.id, sources, formed=formed, as_of=as_of)
        withdrawn: dict[str, dict[str, Any]] = {}
        if not outcome.ok:
            return outcome, withdrawn
        for v, n in holders(self.store, spec, as_of).items():
            if v == outcome.version:
                continue  # cannot happen after a release that left them out; never withdraw the new current
            reason = (f"公示期已满：{n} 行按 {spec.retention.basis}（{spec.retention.label}）于 {as_of.isoformat()} "
                      f"前到期，已由 {outcome.version} 取代")
            withdrawn[v] = self.withdraw(spec.id, v, reason, by="gongkai expire")
        return outcome, withdrawn

    def run(self, datasets: list[str] | None = None, progress: Progress | None = None,
            on_outcome: Callable[[Outcome], Any] | None = None) -> list[Outcome]:
        """The main job: release every (or each named) dataset from its configured sources (one with a retention
        term: :meth:`expire`, so the versions holding expired rows are withdrawn too)."""
        outcomes = []
        for d in datasets or self.specs.ids:
            # a partitioned dataset: a submission per configured file
            outcomes.append(self.expire(d)[0] if self.spec(d).retention else self.release(d, progress=progress))
            if on_outcome:
                on_outcome(outcomes[-1])
        return outcomes

    def _previous_rows(self, dataset: str) -> int | None:
        latest = self.store.latest(dataset)
        return int(self.store.manifest(dataset, latest)["row_count"]) if latest else None

    # -- the catalog ----------------------------------------------------------------------------------

    def ckan(self, url: str | None = None, token_file: Path | None = None, token_env: str | None = None) -> Client:
        """A client of the CKAN catalog: ``url`` / ``token_file`` / ``token_env`` (a flag's, a pipeline's) over
        the settings, by the one rule of :mod:`gongkai.settings`."""
        from .ckan.client import Client

        ckan = self.settings.ckan.override(url, token_file, token_env, self.settings.environ)
        return Client.connect(ckan)

    def publish(self, datasets: list[str], client: Client, plan_only: bool = False,
                on_plan: Callable[[Plan], Any] | None = None) -> list[Plan]:
        """Publish the latest release of each dataset (and every earlier version) to CKAN; with ``plan_only``,
        only say what would be done. A 不予公开 dataset is refused by its plan, with no call at all."""
        from .ckan.publish import Publisher

        publisher = Publisher(self.store, client)
        plans = []
        for d in datasets:
            spec = self.spec(d)
            plan = publisher.plan(spec)
            if not plan_only:
                publisher.apply(spec, plan)
            plans.append(plan)
            if on_plan:
                on_plan(plan)
        return plans

    def publish_page(self, page: Page, path: Path, client: Client) -> dict[str, Any]:
        """Put a fund-flow page (written to ``path``) on its allocation dataset, named after the version it shows;
        refused for a public dataset when the page shows data that is not public."""
        from .ckan.reports import publish_page
        from .flows.page import publish_fields

        name, fields = publish_fields(page, self.specs)
        return publish_page(client, self.specs, page.allocation.dataset, name, path, fields,
                            [r.dataset for r in page.releases])
