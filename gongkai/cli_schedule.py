"""``gongkai schedule run|once|list|history`` and ``gongkai compliance``: scheduled pipelines and deadline figures."""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from .cli import Context, _handle_errors, _with, console, err_console, pass_ctx
from .runs import History, default_history_url

history_option = click.option(
    "--history-url", envvar="GONGKAI_HISTORY_URL",
    help="Run-history database: a SQLAlchemy URL [env GONGKAI_HISTORY_URL; default sqlite in <store>/.schedule/].")
pipelines_option = click.option(
    "--pipelines", "pipelines_path", type=click.Path(path_type=Path), envvar="GONGKAI_PIPELINES",
    help="Directory of *.pipeline.yaml files [env GONGKAI_PIPELINES; default pipelines/ in the project].")
common = [history_option, pipelines_option]

STATUS_STYLE = {"released": "green", "unchanged": "cyan", "skipped": "dim", "invalid": "red", "failed": "red",
                "locked": "yellow", "crashed": "magenta", "running": "blue"}


def _history(c: Context, url: str | None) -> History:
    return History(url or default_history_url(c.project.store.path))


def _pipelines(c: Context, path: Path | None) -> dict[str, Any]:
    from .schedule import load_pipelines, pipelines_dir

    return load_pipelines(pipelines_dir(c.project.root, path), {s.id for s in c.project.catalog})


@click.group()
def schedule() -> None:
    """Scheduled pipelines (pipelines/*.pipeline.yaml): run, run once, list, history."""


@schedule.command("list")
@_with(common)
@pass_ctx
@_handle_errors
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
    console.print(t)


@schedule.command()
@click.argument("pipeline")
@click.option("--dataset", "datasets", multiple=True, help="Only this dataset of the pipeline (repeatable).")
@click.option("--force", is_flag=True, help="Release even if the source has not changed since the last run.")
@_with(common)
@pass_ctx
@_handle_errors
def once(c: Context, pipeline: str, datasets: tuple[str, ...], force: bool, history_url: str | None,
         pipelines_path: Path | None) -> None:
    """Run one pipeline now (what cron or a systemd timer calls)."""
    from .runner import Runner
    from .schedule import find_pipeline, pipelines_dir

    spec = find_pipeline(pipeline, pipelines_dir(c.project.root, pipelines_path), {s.id for s in c.project.catalog})
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
@click.option("--queue", "queue_url", envvar="GONGKAI_QUEUE_URL",
              help="Redis URL: enqueue runs for RQ workers instead of running them here [env GONGKAI_QUEUE_URL].")
@click.option("--queue-name", default="gongkai", show_default=True, help="RQ queue the workers listen on.")
@_with(common)
@pass_ctx
@_handle_errors
def run(c: Context, only: tuple[str, ...], queue_url: str | None, queue_name: str, history_url: str | None,
        pipelines_path: Path | None) -> None:
    """The long-running scheduler: fire each pipeline on its cron schedule until stopped (Ctrl-C, SIGTERM)."""
    from .runner import Runner
    from .schedule import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    pipelines = _pipelines(c, pipelines_path)
    chosen = [pipelines[p] for p in only if p in pipelines] if only else list(pipelines.values())
    unknown = [p for p in only if p not in pipelines]
    if unknown:
        from .errors import UsageError

        raise UsageError(f"unknown pipeline(s): {', '.join(unknown)}", f"pipelines: {', '.join(pipelines)}")
    url = history_url or default_history_url(c.project.store.path)
    runner = Runner(c.project, History(url))
    if queue_url:
        from .workers import Dispatcher

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
@_with(common)
@pass_ctx
@_handle_errors
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
    console.print(t)


@click.command()
@click.option("--agency", help="Only this agency (the publisher name, e.g. 省民政厅).")
@click.option("--year", type=int, help="Year reported (default: this year).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Judge as of this date (default: today, or 31 December for a past year).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json", "csv"]), default="md", show_default=True,
              help="What is printed.")
@click.option("--output", type=click.Path(path_type=Path, file_okay=False),
              help="Also write compliance-<year>.md/.html/.json/.csv into this directory.")
@click.option("--publish", "do_publish", is_flag=True, help="Publish the report to CKAN as gongkai-compliance-<year>.")
@click.option("--ckan-url", envvar="CKAN_URL", help="CKAN to publish to [env CKAN_URL].")
@click.option("--ckan-token-file", type=click.Path(path_type=Path),
              help="File holding the API token [env CKAN_API_TOKEN, or CKAN_API_TOKEN_FILE].")
@click.option("--ckan-organization", default="sheng-caizheng", show_default=True,
              help="CKAN organization that publishes the report.")
@history_option
@pass_ctx
@_handle_errors
def compliance(c: Context, agency: str | None, year: int | None, as_of: dt.datetime | None, fmt: str,
               output: Path | None, do_publish: bool, ckan_url: str | None, ckan_token_file: Path | None,
               ckan_organization: str, history_url: str | None) -> None:
    """Disclosure timeliness per agency and domain: on time, late, overdue, on-time rate, the overdue list."""
    from .compliance import build

    history = None
    default = c.project.store.path / ".schedule" / "runs.sqlite"
    if history_url or default.is_file():  # a report never creates a history database
        history = _history(c, history_url)
    report = build(c.project, year, agency=agency, as_of=as_of.date() if as_of else None, history=history)
    if output:
        output.mkdir(parents=True, exist_ok=True)
        for ext in ("md", "html", "json", "csv"):
            (output / f"compliance-{report.year}.{ext}").write_text(report.render(ext), encoding="utf-8")
    published = None
    if do_publish:
        from .ckan import Client, token_from_env
        from .compliance_ckan import publish_report

        client = Client(ckan_url or "", token_from_env(token_file=ckan_token_file))
        published = publish_report(report, client, ckan_organization)
    if c.as_json:
        click.echo(json.dumps({**report.to_dict(), **({"published": published} if published else {})},
                              ensure_ascii=False, indent=1))
    else:
        click.echo(report.render(fmt), nl=False)
        if published:
            err_console.print(escape(f"published: {published['url']} ({published['writes']} write(s))"))
