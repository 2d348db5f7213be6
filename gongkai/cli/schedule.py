"""``gongkai schedule run | once | list | history``: scheduled pipelines and their runs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from .base import Context, console, err_console, handle_errors, keep_ids, pass_ctx, with_options

if TYPE_CHECKING:  # SQLAlchemy is imported only by the commands that read the run history
    from ..schedule.history import History

history_option = click.option(
    "--history-url",
    help="Run-history database: a SQLAlchemy URL [env GONGKAI_HISTORY_URL; default sqlite in <store>/.schedule/].")
pipelines_option = click.option(
    "--pipelines", "pipelines_path", type=click.Path(path_type=Path),
    help="Directory of *.pipeline.yaml files [env GONGKAI_PIPELINES; default pipelines/ in the project].")
common = [history_option, pipelines_option]

STATUS_STYLE = {"released": "green", "unchanged": "cyan", "skipped": "dim", "invalid": "red", "failed": "red",
                "locked": "yellow", "crashed": "magenta", "running": "blue"}


def resolve_history_url(c: Context, url: str | None) -> str:
    """The run history: the flag, else ``GONGKAI_HISTORY_URL``, else SQLite in the store."""
    from ..schedule.history import default_history_url

    return url or c.settings.history_url or default_history_url(c.project.store.path)


def _history(c: Context, url: str | None) -> History:
    from ..schedule.history import History

    return History(resolve_history_url(c, url))


def _pipelines_dir(c: Context, path: Path | None) -> Path:
    from ..spec.pipelines import pipelines_dir

    return pipelines_dir(c.project.root, path or c.settings.pipelines)


def _pipelines(c: Context, path: Path | None) -> dict[str, Any]:
    from ..spec.pipelines import load_pipelines

    return load_pipelines(_pipelines_dir(c, path), set(c.project.specs.ids))


@click.group()
def schedule() -> None:
    """Scheduled pipelines (pipelines/*.pipeline.yaml): run, run once, list, history."""


@schedule.command("list")
@with_options(common)
@pass_ctx
@handle_errors
def list_cmd(c: Context, history_url: str | None, pipelines_path: Path | None) -> None:
    """The pipelines with their schedule, next run, sources, target and last results."""
    pipelines = _pipelines(c, pipelines_path)
    history = _history(c, history_url)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for p in pipelines.values():
        last = {d: (r[0].status if (r := history.runs(p.id, d, limit=1)) else None) for d in p.datasets}
        rows.append({"id": p.id, "title": p.title, "schedule": p.schedule, "timezone": p.timezone,
                     "next_run": p.next_run(now).isoformat(), "datasets": p.datasets,
                     "sources": {d: p.sources[d].kind if d in p.sources else "spec" for d in p.datasets},
                     "target": p.target.kind, "notify": {"email": len(p.notify.email), "webhook": len(p.notify.webhook)},
                     "last_status": last})
    if c.as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    t = Table("pipeline", "标题", "cron", "next run", "datasets (source · last)", "target")
    for r in rows:
        ds = "\n".join(f"{d} ({r['sources'][d]} · {r['last_status'][d] or '—'})" for d in r["datasets"])
        t.add_row(escape(r["id"]), escape(r["title"]), escape(r["schedule"]), r["next_run"][:16].replace("T", " "),
                  escape(ds), r["target"])
    console.print(keep_ids(t, "pipeline", "datasets (source · last)"))


@schedule.command()
@click.argument("pipeline")
@click.option("--dataset", "datasets", multiple=True, help="Only this dataset of the pipeline (repeatable).")
@click.option("--force", is_flag=True, help="Release even if the source has not changed since the last run.")
@with_options(common)
@pass_ctx
@handle_errors
def once(c: Context, pipeline: str, datasets: tuple[str, ...], force: bool, history_url: str | None,
         pipelines_path: Path | None) -> None:
    """Run one pipeline now (what cron or a systemd timer calls)."""
    from ..schedule.runner import Runner
    from ..spec.pipelines import find_pipeline

    spec = find_pipeline(pipeline, _pipelines_dir(c, pipelines_path), set(c.project.specs.ids))
    runner = Runner(c.project, _history(c, history_url))
    results = runner.run_pipeline(spec, list(datasets) or None, force=force, trigger="once")
    if c.as_json:
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1))
    else:
        for r in results:
            _print_result(r)
    sys.exit(0 if all(r.ok for r in results) else 1)


def _print_result(r: Any) -> None:
    style = STATUS_STYLE.get(r.status, "")
    what = {"released": f"已发布 {', '.join(r.versions)}", "unchanged": "数据无变化，未生成新版本",
            "skipped": f"源未变化，跳过（{r.detail.get('reason', '')}）", "invalid": "校验未通过，未发布",
            "failed": "失败", "locked": "跳过：另一个运行正在处理该数据集"}.get(r.status, r.status)
    tries = f"，{r.attempts} 次尝试" if r.attempts > 1 else ""
    console.print(f"[{style}]{r.status:9}[/] {escape(f'{r.pipeline}/{r.dataset}: {what}{tries}')} (run {r.run_id})")
    if r.detail.get("ckan"):
        ck = r.detail["ckan"]
        console.print(escape(f"          CKAN: {ck['status']} {ck.get('version') or ''}"))
    if r.error and r.status != "locked":
        console.print(f"          [red]{escape(r.error)}[/]")


@schedule.command()
@click.option("--pipeline", "only", multiple=True, help="Schedule only this pipeline (repeatable; default all).")
@click.option("--queue", "queue_url",
              help="Redis URL: enqueue runs for RQ workers instead of running them here [env GONGKAI_QUEUE_URL].")
@click.option("--queue-name", default="gongkai", show_default=True, help="RQ queue the workers listen on.")
@with_options(common)
@pass_ctx
@handle_errors
def run(c: Context, only: tuple[str, ...], queue_url: str | None, queue_name: str, history_url: str | None,
        pipelines_path: Path | None) -> None:
    """The long-running scheduler: fire each pipeline on its cron schedule until stopped (Ctrl-C, SIGTERM)."""
    from ..schedule.loop import Scheduler
    from ..schedule.runner import Runner

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    pipelines = _pipelines(c, pipelines_path)
    chosen = [pipelines[p] for p in only if p in pipelines] if only else list(pipelines.values())
    unknown = [p for p in only if p not in pipelines]
    if unknown:
        from ..errors import UsageError

        raise UsageError(f"unknown pipeline(s): {', '.join(unknown)}", f"pipelines: {', '.join(pipelines)}")
    url = resolve_history_url(c, history_url)
    runner = Runner(c.project, _history(c, url))
    queue_url = queue_url or c.settings.queue_url
    if queue_url:
        from ..schedule.workers import Dispatcher

        dispatch: Any = Dispatcher(queue_url, queue_name, c.project, url).enqueue
    else:
        def dispatch(p: Any, when: dt.datetime) -> None:
            for r in runner.run_pipeline(p, trigger="schedule"):
                _print_result(r)

    def daily(now: dt.datetime) -> None:
        for p in chosen:
            for e in runner.check_deadlines(p):
                console.print(f"notice: {escape(e.subject)}")

    sched = Scheduler(chosen, dispatch, daily=daily)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sched.stop())
    now = dt.datetime.now(dt.UTC)
    for p in chosen:
        err_console.print(escape(f"{p.id}: cron '{p.schedule}' ({p.timezone}), next {p.next_run(now).isoformat()}"))
    err_console.print(f"scheduler running ({'queue ' + queue_name if queue_url else 'embedded'}); stop with Ctrl-C")
    sched.run()
    err_console.print("scheduler stopped")


@schedule.command("history")
@click.argument("pipeline", required=False)
@click.option("--dataset", help="Only runs of this dataset.")
@click.option("--status", type=click.Choice(["running", "released", "unchanged", "skipped", "invalid", "failed",
                                             "locked", "crashed"]), help="Only runs that ended so.")
@click.option("--limit", type=int, default=30, show_default=True, help="Newest runs shown.")
@with_options(common)
@pass_ctx
@handle_errors
def history_cmd(c: Context, pipeline: str | None, dataset: str | None, status: str | None, limit: int,
                history_url: str | None, pipelines_path: Path | None) -> None:
    """Past runs, newest first: start, end, status, versions produced, tries, errors."""
    runs = _history(c, history_url).runs(pipeline, dataset, status, limit)
    if c.as_json:
        click.echo(json.dumps([r.to_dict() for r in runs], ensure_ascii=False, indent=1, default=str))
        return
    if not runs:
        console.print("no runs recorded yet")
        return
    t = Table("run", "pipeline", "dataset", "started (UTC)", "took", "status", "versions", "tries", "error")
    for r in runs:
        took = f"{(r.finished - r.started).total_seconds():.0f} s" if r.finished else "…"
        t.add_row(str(r.id), escape(r.pipeline), escape(r.dataset), r.started.isoformat(sep=" ", timespec="seconds"), took,
                  f"[{STATUS_STYLE.get(r.status, '')}]{escape(r.status)}[/]", escape(", ".join(r.versions)),
                  str(r.attempts), escape((r.error or "")[:120]))
    console.print(keep_ids(t, "run", "pipeline", "dataset", "versions"))
