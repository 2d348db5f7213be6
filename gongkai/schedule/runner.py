"""Running a pipeline's datasets: lease → fetch the source → (skip if unchanged) → release → publish → record → notify.

One run per dataset, recorded in the run history. Transient failures (network, time-outs, CKAN or a database
unreachable) are retried with exponential backoff; invalid data and configuration errors are not. Whatever
fails, the last good release stays as it is: a release is written beside the old ones and renamed into place in
one step, and CKAN's current version changes only with the last metadata patch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ..errors import ConfigError, GongkaiError, StoreError, UsageError
from ..files import PRIVATE_ROOT, private_dir
from ..gate.pii import scrub
from ..project import Outcome, Project
from ..settings import Settings
from ..spec.dataset import DatasetSpec
from ..spec.pipelines import PipelineSpec, load_pipeline
from .compliance import upcoming
from .history import History, default_history_url
from .notify import Event, EventKind, Notifier
from .requests import open_requests
from .sources import Fetched, fetch
from .timeliness import CHINA

log = logging.getLogger("gongkai.schedule")


@dataclass
class RunResult:
    run_id: int
    pipeline: str
    dataset: str
    status: str
    versions: list[str] = field(default_factory=list)
    attempts: int = 0
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    fetched: Fetched | None = field(default=None, repr=False)
    fingerprint: str | None = field(default=None, repr=False)  # the source's and the dataset's files

    @property
    def ok(self) -> bool:
        return self.status in ("released", "unchanged", "skipped", "locked")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("fetched", "fingerprint")}


class _Invalid(Exception):
    def __init__(self, summary: str) -> None:
        super().__init__(summary)


def is_transient(e: BaseException) -> bool:
    return bool(getattr(e, "transient", False))


class Runner:
    """Runs pipelines against a project and a run history; ``sleep`` is injectable so tests need not wait."""

    def __init__(self, project: Project, history: History | None = None, notifier: Notifier | None = None,
                 sleep: Callable[[float], Any] = time.sleep, client_factory: Callable[..., Any] | None = None) -> None:
        self.project = project
        self.history = history or History(default_history_url(project.store.path))
        self.notifier = notifier
        self.sleep = sleep
        self.client_factory = client_factory

    def run_pipeline(self, pipeline: PipelineSpec, datasets: list[str] | None = None, *, force: bool = False,
                     trigger: str = "once") -> list[RunResult]:
        results = [self.run_dataset(pipeline, d, force=force, trigger=trigger) for d in datasets or pipeline.datasets]
        self.check_deadlines(pipeline)
        return results

    def run_dataset(self, pipeline: PipelineSpec, dataset: str, *, force: bool = False,
                    trigger: str = "once") -> RunResult:
        if dataset not in pipeline.datasets:
            raise UsageError(f"{dataset!r} is not a dataset of pipeline {pipeline.id}",
                             f"its datasets: {', '.join(pipeline.datasets)}")
        key = lease_key(pipeline, self.project.spec(dataset))  # unknown dataset: a usage error first
        lease = self.history.acquire(key, pipeline.lease_seconds)
        if lease is None:
            h = self.history.holder(key) or {}
            why = f"another run holds {key} (process {h.get('pid')} on {h.get('host')}, run {h.get('run_id')})"
            run_id = self.history.record(pipeline.id, dataset, trigger, "locked", why)
            return RunResult(run_id, pipeline.id, dataset, "locked", error=why)
        run_id = self.history.start(pipeline.id, dataset, trigger)
        lease.attach(run_id)
        result = RunResult(run_id, pipeline.id, dataset, "failed")
        with lease.heartbeat():
            try:
                for attempt in Retrying(stop=stop_after_attempt(pipeline.retry.attempts), reraise=True,
                                        wait=wait_exponential(multiplier=pipeline.retry.backoff_seconds,
                                                              max=pipeline.retry.max_backoff_seconds),
                                        retry=retry_if_exception(is_transient), sleep=self.sleep,
                                        before_sleep=lambda s: log.warning("%s: try %d failed (%s); retrying",
                                                                           dataset, s.attempt_number,
                                                                           scrub(str(s.outcome.exception()))
                                                                           if s.outcome else "")):
                    with attempt:
                        result.attempts = attempt.retry_state.attempt_number
                        if lease.lost:
                            raise StoreError(f"the lease on {dataset} was taken over by another run",
                                             "The heartbeat could not reach the run-history database in time.")
                        self._attempt(pipeline, dataset, force, result, run_id)
            except _Invalid as e:
                result.status, result.error = "invalid", str(e)
            except GongkaiError as e:
                result.status, result.error = "failed", e.message + (f" → {e.hint}" if e.hint else "")
            except Exception as e:  # a bug: record it, keep the scheduler alive
                result.status = "failed"
                result.error = f"{type(e).__name__}: {e}"
                result.detail["traceback"] = scrub(traceback.format_exc(limit=8))
            except BaseException:  # Ctrl-C, SystemExit: record the run as ended, then stop
                self.history.finish(run_id, "failed", attempts=result.attempts, error="interrupted")
                raise
        if result.error:  # a database or data error can quote a personal value: masked everywhere it goes
            result.error = scrub(result.error)
        fetched = result.fetched
        formed = fetched.formed.isoformat() if fetched and fetched.formed else None
        self.history.finish(run_id, result.status, versions=result.versions, attempts=result.attempts,
                            error=result.error, fingerprint=result.fingerprint, formed=formed, detail=result.detail)
        if result.status in ("failed", "invalid"):  # after finish: a notification problem never strands a run
            try:
                self._notify_failure(pipeline, result)
            except Exception as e:
                log.warning("notification of run %s failed: %s", run_id, scrub(f"{type(e).__name__}: {e}"))
                result.detail["notify_errors"] = [scrub(f"{type(e).__name__}: {e}")]
            if result.detail.get("notify_errors"):
                self.history.update_detail(run_id, result.detail)
        return result

    def _attempt(self, pipeline: PipelineSpec, dataset: str, force: bool, result: RunResult, run_id: int) -> None:
        spec = self.project.spec(dataset)
        private_dir(self.project.store.path / PRIVATE_ROOT)
        cache = self.project.store.path / PRIVATE_ROOT / "sources" / pipeline.id / dataset
        source = pipeline.sources.get(dataset)
        if source is not None and spec.partition is None and (source.submitter or source.partition):
            raise ConfigError(f"流水线 {pipeline.id}：sources.{dataset} 的 submitter 和 partition 只用于分区提交的数据集，"
                              f"而 {dataset} 不是",
                              f"请从 {pipeline.path.name} 中删去这两个键，或在数据集说明中加上 partition:。")
        fetched = result.fetched = fetch(source, spec, pipeline.base, cache,
                                         pipeline.timeout_seconds, self.project.settings.environ)
        try:
            self._release(pipeline, dataset, force, result, run_id, fetched)
        finally:
            fetched.cleanup()  # a SQL dump is not kept: only its fingerprint

    def _release(self, pipeline: PipelineSpec, dataset: str, force: bool, result: RunResult, run_id: int,
                 fetched: Fetched) -> None:
        fingerprint = result.fingerprint = _fingerprint(fetched, self.project.spec(dataset))
        result.detail["source"] = [{k: p.get(k) for k in ("kind", "name", "status", "bytes")} for p in fetched.parts]
        if not force and self.history.done_fingerprint(pipeline.id, dataset) == fingerprint:
            result.status = "skipped"
            result.detail["reason"] = ("not modified (HTTP 304)" if fetched.not_modified
                                       else "source unchanged since the last completed run")
            return
        spec = self.project.spec(dataset)
        if spec.partition is not None:
            outcome = self._submit(pipeline, spec, fetched)
        elif spec.retention is not None:  # expired rows out, and the versions holding them
            outcome, withdrawn = self.project.expire(dataset, sources=fetched.paths, formed=fetched.formed)
            if withdrawn:
                result.detail["withdrawn"] = sorted(withdrawn)
        else:
            outcome = self.project.release(dataset, fetched.paths, formed=fetched.formed)
        if outcome.status == "invalid":
            self.history.mark_done(pipeline.id, dataset, fingerprint, run_id)  # same files: same problems
            r = outcome.report
            first = "; ".join(f"{p.where or dataset}: {p.message}" for p in r.problems if p.severity == "error")
            raise _Invalid(f"{r.error_count} error(s) in the source, nothing released. {first[:600]}")
        if outcome.status == "released" and outcome.version:
            result.versions.append(outcome.version)  # kept if a later step fails and the try is repeated
        result.status = "released" if result.versions else outcome.status
        result.detail["version"] = outcome.version
        if pipeline.target.kind == "ckan":
            result.detail["ckan"] = self._publish(pipeline, dataset)
        self.history.mark_done(pipeline.id, dataset, fingerprint, run_id)

    def _submit(self, pipeline: PipelineSpec, spec: DatasetSpec, fetched: Fetched) -> Outcome:
        """Into a partitioned dataset. Without a ``sources:`` entry, as ``gongkai run``: every configured file is a
        submission by the agency whose folder holds it. With one (a county's own pipeline), its files are one
        submission by the entry's ``submitter``, of its ``partition`` if named (else inferred from the rows)."""
        source = pipeline.sources.get(spec.id)
        if source is None:
            return self.project.release(spec.id, formed=fetched.formed)
        if source.submitter is None and spec.agencies_path is not None:
            raise ConfigError(f"流水线 {pipeline.id}：sources.{spec.id} 没有指明 submitter，而 {spec.id} 的每个分区只接受"
                              f"单位名册 {spec.agencies_path.name} 中负责该分区的单位提交",
                              f"请在 {pipeline.path.name} 的 sources.{spec.id} 下加上 submitter:"
                              "（提交这些文件的单位在名册中的 CKAN 组织名或单位名称）。")
        return self.project.release(spec.id, fetched.paths, formed=fetched.formed, partition=source.partition,
                                    submitter=source.submitter)

    def _publish(self, pipeline: PipelineSpec, dataset: str) -> dict[str, Any]:
        from ..ckan.client import Client

        t = pipeline.target
        token_file = None
        if t.token_file:
            token_file = Path(t.token_file) if Path(t.token_file).is_absolute() else pipeline.base / t.token_file
        settings = self.project.settings
        ckan = settings.ckan.override(t.url, token_file, t.token_env, settings.environ)
        if not ckan.url:
            raise ConfigError(f"pipeline {pipeline.id} publishes to CKAN but names no CKAN URL",
                              "Set target.url in the pipeline file, or CKAN_URL in the environment.")
        client = (self.client_factory or Client)(ckan.url, ckan.token())
        [plan] = self.project.publish([dataset], client)
        return {"status": plan.status, "version": plan.version, "writes": client.writes}

    # -- notifications --------------------------------------------------------------------------------

    def _notifier(self) -> Notifier:
        if self.notifier is None:
            settings = self.project.settings
            self.notifier = Notifier(settings.smtp, smtp_error=settings.smtp_error)
        return self.notifier

    def _notify_failure(self, pipeline: PipelineSpec, result: RunResult) -> None:
        n = pipeline.notify
        if "failure" not in n.events or not (n.email or n.webhook):
            return
        spec = self.project.spec(result.dataset)
        what = "数据校验未通过" if result.status == "invalid" else "运行失败"
        text = (f"{spec.title.zh}（{result.dataset}）的定时发布{what}。\n"
                f"Pipeline {pipeline.id}, run {result.run_id}, status {result.status}, tries {result.attempts}.\n\n"
                f"{result.error or ''}\n\n"
                f"上一次成功发布的版本不受影响。The last good release is untouched.\n"
                f"查看：gongkai schedule history {pipeline.id} --dataset {result.dataset}")
        event = Event("run-failed", f"[gongkai] {what}：{spec.title.zh}（{result.dataset}）", text,
                      {"pipeline": pipeline.id, "dataset": result.dataset, "run_id": result.run_id,
                       "status": result.status, "error": result.error, "agency": spec.publisher.name})
        errors = [scrub(e) for e in self._notifier().send(event, n.email, n.webhook)]
        if errors:
            log.warning("notification of run %s not delivered: %s", result.run_id, "; ".join(errors))
            result.detail["notify_errors"] = errors

    def check_deadlines(self, pipeline: PipelineSpec, today: dt.date | None = None) -> list[Event]:
        """Warn about this pipeline's datasets whose next release is due within ``deadline_days_before`` working
        days, or overdue. Each notice is sent once (remembered in the run history)."""
        n = pipeline.notify
        if "deadline" not in n.events or not (n.email or n.webhook):
            return []
        today = today or dt.datetime.now(CHINA).date()
        sent = []
        for e in upcoming(self.project, pipeline.datasets, today, n.deadline_days_before, self.history):
            kind = "deadline-overdue" if e.status == "overdue" else "deadline-upcoming"
            key = f"{kind}:{e.dataset}:{e.due}"
            if not self.history.claim_notice(key):
                continue
            spec = self.project.spec(e.dataset)
            if e.status == "overdue":
                subject = f"[gongkai] 已逾期：{spec.title.zh}（{e.dataset}）应于 {e.due} 前发布"
                head = f"已逾期 {e.working_days_late} 个工作日（{e.days_late} 天）。"
            else:
                subject = f"[gongkai] 即将到期：{spec.title.zh}（{e.dataset}）应于 {e.due} 前发布"
                head = f"还剩 {e.working_days_left} 个工作日。"
            text = (f"{spec.publisher.name}：{spec.title.zh}（{e.dataset}，{e.frequency}）\n"
                    f"上次发布 {e.last_version}（{e.last_published}）；下一期信息应于 {e.next_formed} 形成，"
                    f"公开期限 {e.due}。{head}\n"
                    f"Next release of {e.dataset} is due {e.due} ({e.status}).")
            event = Event(kind, subject, text, {"pipeline": pipeline.id, "dataset": e.dataset, "due": e.due,
                                                "agency": e.agency, "status": e.status,
                                                "working_days_late": e.working_days_late,
                                                "working_days_left": e.working_days_left})
            errors = self._notifier().send(event, n.email, n.webhook)
            if errors:
                self.history.forget_notice(key)  # try again at the next check
                log.warning("deadline notice for %s not delivered: %s", e.dataset, "; ".join(errors))
            else:
                sent.append(event)
        return sent + self._request_notices(pipeline, today)

    def _request_notices(self, pipeline: PipelineSpec, today: dt.date) -> list[Event]:
        """One notice per unanswered 依申请公开 request before its answer deadline and one when it is past."""
        n, sent = pipeline.notify, []
        for r in open_requests(self.project, pipeline.datasets, today, n.deadline_days_before):
            kind: EventKind = "request-overdue" if r.status == "overdue" else "request-upcoming"
            key = f"{kind}:{r.dataset}:{r.agency}:{r.request_no}:{r.due}"  # numbers are per organ
            if not self.history.claim_notice(key):
                continue
            agency = r.agency or self.project.spec(r.dataset).publisher.name  # the organ that must answer
            head = (f"已超过答复期限 {r.working_days_late} 个工作日" if r.status == "overdue"
                    else f"距答复期限还剩 {r.working_days_left} 个工作日")
            event = Event(kind, f"[gongkai] 依申请公开{'已逾期' if r.status == 'overdue' else '即将到期'}：{r.request_no}"
                          f" 应于 {r.due} 前答复",
                          f"{agency}：申请 {r.request_no}（{r.received} 收到）尚未答复，{head}（答复期限 {r.due}，"
                          f"政府信息公开条例第三十三条）。\nRequest {r.request_no} is due {r.due} ({r.status}).",
                          {"pipeline": pipeline.id, "dataset": r.dataset, "request_no": r.request_no, "due": r.due,
                           "agency": agency, "status": r.status, "working_days_late": r.working_days_late,
                           "working_days_left": r.working_days_left})
            errors = self._notifier().send(event, n.email, n.webhook)
            if errors:
                self.history.forget_notice(key)
                log.warning("request notice for %s not delivered: %s", r.request_no, "; ".join(errors))
            else:
                sent.append(event)
        return sent


def _fingerprint(fetched: Fetched, spec: Any) -> str:
    """The source's fingerprint combined with the sha256 of the dataset's spec, schema and suite files, so a
    corrected spec, schema or suite is applied to an unchanged source at the next run; with a retention term,
    the day too (rows expire with no change to the source)."""
    h = hashlib.sha256(f"source\0{fetched.fingerprint}\n".encode())
    if getattr(spec, "retention", None) is not None:
        from ..release.retention import today

        h.update(f"retention as_of\0{today().isoformat()}\n".encode())
    for role, path in (("spec", spec.path), ("schema", spec.schema_path), ("suite", spec.quality_path)):
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path and Path(path).is_file() else "-"
        h.update(f"{role}\0{digest}\n".encode())
    return h.hexdigest()


def lease_key(pipeline: PipelineSpec, spec: DatasetSpec) -> str:
    """What a run leases: the dataset, or for a partitioned one the dataset as fed by this pipeline. Each county's
    pipeline submits its own partition, and the store's write lock already queues their releases one after another;
    one lease for the dataset made a county firing while another's run held it record ``locked`` and drop its
    submission (40 of 50 counties fired at once on two workers were lost)."""
    if spec.partition is None:
        return str(spec.id)
    key = f"{spec.id}/{pipeline.id}"
    return key if len(key) <= 100 else f"{spec.id}/{hashlib.sha256(pipeline.id.encode()).hexdigest()[:16]}"


def queued_run(*, project_root: str, store: str, pipeline_file: str, dataset: str, history_url: str | None = None,
               trigger: str = "queue") -> dict[str, Any]:
    """The job an RQ worker runs: one dataset of one pipeline. The worker is an edge: its settings come from its
    own environment. The run history is ``history_url`` when the dispatcher passed one (only a URL without a
    password is put into a job), else the worker's ``GONGKAI_HISTORY_URL``, else the SQLite file in the store."""
    settings = Settings.from_env()
    project = Project(Path(project_root), store=Path(store), settings=settings)
    pipeline = load_pipeline(Path(pipeline_file), set(project.specs.ids))
    history = History(history_url or settings.history_url or default_history_url(project.store.path))
    try:
        return Runner(project, history).run_dataset(pipeline, dataset, trigger=trigger).to_dict()
    finally:
        history.dispose()
