"""The ``gongkai`` command: a thin layer that parses options, calls the library and maps results to exit codes.

Exit codes: 0 ok, 1 data invalid (or a release failed verification), 2 usage or configuration error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import GongkaiError
from .pipeline import Outcome, Project
from .report import Report
from .store import Store
from .verify import verify as verify_path
from .vocab import DOMAINS

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
SHOW_PROBLEMS = 40


def _handle_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except GongkaiError as e:
            err_console.print(f"[bold red]错误 error:[/] {escape(e.message)}")
            if e.hint:
                err_console.print(f"  → {escape(e.hint)}")
            sys.exit(e.exit_code)
    return wrapper


class Context:
    def __init__(self, store: Path | None, database_url: str | None, as_json: bool) -> None:
        self.store, self.database_url, self.as_json = store, database_url, as_json
        self._project: Project | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = Project.discover(self.store, self.database_url)
        return self._project


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", type=click.Path(path_type=Path), envvar="GONGKAI_STORE",
              help="Release store directory [env GONGKAI_STORE; default ./store in the project].")
@click.option("--database-url", envvar="GONGKAI_DATABASE_URL",
              help="PostgreSQL URL: run quality suites in the database [env GONGKAI_DATABASE_URL].")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
@click.version_option(package_name="gongkai")
@click.pass_context
def cli(ctx: click.Context, store: Path | None, database_url: str | None, as_json: bool) -> None:
    """gongkai (公开): versioned, validated open data from government disclosures."""
    ctx.obj = Context(store, database_url, as_json)


@cli.command("list")
@pass_ctx
@_handle_errors
def list_cmd(c: Context) -> None:
    """List the datasets and their latest versions."""
    p = c.project
    rows = [{"id": s.id, "title": s.title.zh, "domain": s.domain, "publisher": s.publisher.name,
             "disclosure": s.disclosure, "frequency": s.update_frequency, "latest": p.store.latest(s.id)}
            for s in p.catalog]
    if c.as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    t = Table("dataset", "标题", "领域", "发布机构", "公开属性", "latest")
    for r in rows:
        t.add_row(r["id"], r["title"], DOMAINS[r["domain"]], r["publisher"], r["disclosure"], r["latest"] or "—")
    console.print(t)


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Where to write [default: docs/catalogue.md].")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the page differs from what the specs give.")
@pass_ctx
@_handle_errors
def catalogue(c: Context, output: Path | None, check: bool) -> None:
    """Generate the dataset catalogue page (Markdown) from the specs and schemas."""
    from .catalogue import render

    project = c.project
    path = output or project.root / "docs" / "catalogue.md"
    text = render(project.catalog)
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            err_console.print(f"{path} is out of date: run `gongkai catalogue` and commit the result.")
            sys.exit(1)
        console.print(f"{path} is up to date ({len(project.catalog)} datasets).")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    console.print(f"wrote {path} ({len(project.catalog)} datasets)")


def _sources(paths: tuple[Path, ...]) -> list[Path] | None:
    return list(paths) or None


def _progress(c: Context) -> Callable[[str], None] | None:
    if c.as_json or not err_console.is_terminal:
        return None
    return lambda step: err_console.print(f"[dim]… {step}[/]")


def _print_report(report: Report) -> None:
    if report.valid:
        console.print(f"[green]✓ 校验通过[/] {report.dataset}: {report.rows} 行"
                      + (f"，{report.warning_count} 个警告" if report.warning_count else ""))
    else:
        console.print(f"[red]✗ 校验未通过[/] {report.dataset}: {report.error_count} 个错误，{report.rows} 行")
    for p in report.problems[:SHOW_PROBLEMS]:
        color = "yellow" if p.severity == "warning" else "red"
        code = p.type + (f":{p.rule}" if p.rule else "")
        console.print(f"[bold]{escape(p.where or report.dataset)}[/] [{color}]\\[{code}][/]")
        console.print(f"  {escape(p.message)}" + (f"（值：{escape(p.value)}）" if p.value and p.value not in p.message else ""))
        if p.hint:
            console.print(f"  [dim]→ {escape(p.hint)}[/]")
    rest = len(report.problems) - SHOW_PROBLEMS + report.truncated
    if rest > 0:
        console.print(f"… 另有 {rest} 个问题；用 --report-html 或 --report-json 查看完整列表。")


def _write_reports(report: Report, json_path: Path | None, html_path: Path | None) -> None:
    if json_path:
        report.write_json(json_path)
    if html_path:
        report.write_html(html_path)


report_options = [
    click.option("--report-json", type=click.Path(path_type=Path), help="Write the full report as JSON here."),
    click.option("--report-html", type=click.Path(path_type=Path), help="Write a readable HTML report here."),
]


def _with(options: list[Callable[..., Any]]) -> Callable[..., Any]:
    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        for o in reversed(options):
            f = o(f)
        return f
    return deco


source_option = click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path),
                             help="Source file instead of the spec's (repeat for several).")


@cli.command()
@click.argument("dataset")
@source_option
@_with(report_options)
@pass_ctx
@_handle_errors
def validate(c: Context, dataset: str, sources: tuple[Path, ...], report_json: Path | None,
             report_html: Path | None) -> None:
    """Check a source against the dataset's schema and quality suite; write nothing to the store."""
    outcome = c.project.validate(dataset, _sources(sources), progress=_progress(c))
    _write_reports(outcome.report, report_json, report_html)
    if c.as_json:
        click.echo(json.dumps(outcome.report.to_dict(), ensure_ascii=False, indent=1, default=str))
    else:
        _print_report(outcome.report)
    sys.exit(0 if outcome.ok else 1)


def _print_outcome(o: Outcome) -> None:
    if o.status == "released":
        console.print(f"[green]✓ 已发布[/] {o.dataset} {o.version}: {o.report.rows} 行 → {o.path}")
    elif o.status == "unchanged":
        console.print(f"[cyan]= 无变化[/] {o.dataset}: 数据与 {o.version} 相同，未生成新版本")
    else:
        _print_report(o.report)
        console.print(f"[red]  未发布 {o.dataset}：请修正以上问题后重新运行。[/]")


@cli.command()
@click.argument("dataset")
@source_option
@_with(report_options)
@pass_ctx
@_handle_errors
def release(c: Context, dataset: str, sources: tuple[Path, ...], report_json: Path | None,
            report_html: Path | None) -> None:
    """Validate and write a new immutable version to the store (none if the data is unchanged)."""
    outcome = c.project.release(dataset, _sources(sources), progress=_progress(c))
    _write_reports(outcome.report, report_json, report_html)
    if c.as_json:
        click.echo(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=1))
    else:
        _print_outcome(outcome)
    sys.exit(0 if outcome.ok else 1)


ckan_options = [
    click.option("--ckan-url", envvar="CKAN_URL", help="CKAN to publish to [env CKAN_URL]."),
    click.option("--ckan-token-file", type=click.Path(path_type=Path), help="File holding the API token "
                 "[env CKAN_API_TOKEN, or CKAN_API_TOKEN_FILE]; the token is never printed."),
]


def _publisher(c: Context, ckan_url: str | None, token_file: Path | None):  # type: ignore[no-untyped-def]
    from .ckan import Client, token_from_env
    from .publish import Publisher

    return Publisher(c.project.store, Client(ckan_url or "", token_from_env(token_file=token_file)))


def _publish(c: Context, publisher, ids: list[str], plan_only: bool) -> list[dict]:  # type: ignore[no-untyped-def]
    results = []
    for d in ids:
        spec = c.project.spec(d)
        plan = publisher.plan(spec)
        if not plan_only:
            publisher.apply(spec, plan)
        results.append(plan.to_dict())
        if not c.as_json:
            verb = {"create": "新建", "update": "更新", "unchanged": "无变化", "refused": "拒绝"}[plan.status]
            done = "" if plan_only or plan.status in ("unchanged", "refused") else " ✓"
            console.print(f"[bold]{d}[/] {plan.version or ''}: {verb}{done} — {'; '.join(plan.reasons)}")
            for s in plan.steps:
                console.print(f"  {'would ' if plan_only else ''}{s.kind}: {s.detail}")
    return results


@cli.command()
@click.argument("datasets", nargs=-1)
@click.option("--plan", "plan_only", is_flag=True, help="Show what would be created, updated or left alone; send no write.")
@_with(ckan_options)
@pass_ctx
@_handle_errors
def publish(c: Context, datasets: tuple[str, ...], plan_only: bool, ckan_url: str | None,
            ckan_token_file: Path | None) -> None:
    """Publish the latest release of each dataset (and every earlier version) to CKAN."""
    publisher = _publisher(c, ckan_url, ckan_token_file)
    results = _publish(c, publisher, list(datasets) or [s.id for s in c.project.catalog], plan_only)
    if c.as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=1))
    refused = [r for r in results if r["status"] == "refused" and datasets]
    sys.exit(1 if refused else 0)


@cli.command()
@click.argument("datasets", nargs=-1)
@click.option("--publish", "also_publish", is_flag=True, help="Then publish every released dataset to CKAN.")
@_with(ckan_options)
@pass_ctx
@_handle_errors
def run(c: Context, datasets: tuple[str, ...], also_publish: bool, ckan_url: str | None,
        ckan_token_file: Path | None) -> None:
    """The main job: release every dataset (or those named) from its configured sources."""
    project = c.project
    outcomes = []
    ids = list(datasets) or [s.id for s in project.catalog]
    from rich.progress import Progress

    with Progress(console=err_console, transient=True, disable=c.as_json or not err_console.is_terminal) as bar:
        task = bar.add_task("releasing", total=len(ids))
        for d in ids:
            bar.update(task, description=d)
            outcomes.append(project.release(d))
            bar.advance(task)
    if c.as_json and not also_publish:
        click.echo(json.dumps([o.to_dict() for o in outcomes], ensure_ascii=False, indent=1))
    elif not c.as_json:
        for o in outcomes:
            _print_outcome(o)
        console.print(f"store: {project.store.path}")
    if also_publish:
        ready = [o.dataset for o in outcomes if o.ok and project.spec(o.dataset).disclosure != "不予公开"]
        published = _publish(c, _publisher(c, ckan_url, ckan_token_file), ready, plan_only=False)
        if c.as_json:
            click.echo(json.dumps({"releases": [o.to_dict() for o in outcomes], "published": published},
                                  ensure_ascii=False, indent=1))
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@pass_ctx
@_handle_errors
def verify(c: Context, path: Path) -> None:
    """Check the hashes and hash chain of a release (or all versions of a dataset) anyone downloaded."""
    result = verify_path(path)
    if c.as_json:
        click.echo(json.dumps({"ok": result.ok, "checked": result.checked, "problems": result.problems},
                              ensure_ascii=False, indent=1))
    else:
        for p in result.problems:
            console.print(f"[red]✗[/] {p}")
        if result.ok:
            console.print(f"[green]✓ verified[/] {len(result.checked)} release(s): hashes and chain intact")
    sys.exit(0 if result.ok else 1)


@cli.command()
@click.argument("dataset")
@click.argument("v1")
@click.argument("v2")
@pass_ctx
@_handle_errors
def diff(c: Context, dataset: str, v1: str, v2: str) -> None:
    """Rows added, removed and changed between two versions (by primary key)."""
    from .diffing import diff_versions

    result = diff_versions(c.project, dataset, v1, v2)
    if c.as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1, default=str))
        return
    console.print(f"{dataset} {v1} → {v2}: +{result['added']} added, −{result['removed']} removed, "
                  f"~{result['changed']} changed")
    for k in result.get("added_keys", [])[:20]:
        console.print(f"  [green]+ {k}[/]")
    for k in result.get("removed_keys", [])[:20]:
        console.print(f"  [red]- {k}[/]")
    for ch in result.get("changed_rows", [])[:20]:
        fields = "; ".join(f"{f}: {a} → {b}" for f, (a, b) in ch["fields"].items())
        console.print(f"  [yellow]~ {ch['key']}[/] {fields}")


@cli.command()
@click.argument("dataset")
@pass_ctx
@_handle_errors
def history(c: Context, dataset: str) -> None:
    """The versions of a dataset, newest last."""
    project = c.project
    spec = project.spec(dataset)
    store: Store = project.store
    rows = []
    for v in store.versions(spec.id):
        m = store.manifest(spec.id, v)
        rows.append({"version": v, "created": m["created"], "rows": m["row_count"], "changes": m.get("changes"),
                     "fingerprint": m["fingerprint"], "sources": [s["name"] for s in m.get("sources", [])]})
    if c.as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        console.print(f"{dataset}: no releases yet in {store.path}")
        return
    t = Table("version", "created (UTC)", "rows", "+", "−", "~", "source")
    for r in rows:
        ch = r["changes"] or {}
        t.add_row(r["version"], r["created"], str(r["rows"]), str(ch.get("added", "")), str(ch.get("removed", "")),
                  str(ch.get("changed", "")), ", ".join(r["sources"]))
    console.print(t)


from .cli_schedule import compliance, schedule  # noqa: E402  (it uses the helpers above)

cli.add_command(schedule)
cli.add_command(compliance)

from .cli_flows import flows, sql  # noqa: E402  (fund flows and read-only SQL; uses the helpers above)

cli.add_command(flows)
cli.add_command(sql)


def main() -> None:
    cli(prog_name="gongkai")
