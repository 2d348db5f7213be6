"""``gongkai compliance``: disclosure timeliness per agency and domain, printed, written or published to CKAN."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from rich.markup import escape

from .base import Context, err_console, handle_errors, pass_ctx
from .schedule import _history, history_option


@click.command()
@click.option("--agency", help="Only this agency (a publisher or a registry's agency by title, e.g. 省民政厅).")
@click.option("--year", type=int, help="Year reported (default: this year).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Judge as of this date (default: today, or 31 December for a past year).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json", "csv"]), default="md", show_default=True,
              help="What is printed.")
@click.option("--output", type=click.Path(path_type=Path, file_okay=False),
              help="Also write compliance-<year>.md/.html/.json/.csv into this directory.")
@click.option("--publish", "do_publish", is_flag=True, help="Publish the report to CKAN as gongkai-compliance-<year>.")
@click.option("--ckan-url", help="CKAN to publish to [env CKAN_URL].")
@click.option("--ckan-token-file", type=click.Path(path_type=Path),
              help="File holding the API token [env CKAN_API_TOKEN, or CKAN_API_TOKEN_FILE].")
@click.option("--ckan-organization", default="sheng-caizheng", show_default=True,
              help="CKAN organization that publishes the report.")
@history_option
@pass_ctx
@handle_errors
def compliance(c: Context, agency: str | None, year: int | None, as_of: dt.datetime | None, fmt: str,
               output: Path | None, do_publish: bool, ckan_url: str | None, ckan_token_file: Path | None,
               ckan_organization: str, history_url: str | None) -> None:
    """Disclosure timeliness per agency and domain: on time, late, overdue, on-time rate, the overdue list."""
    from ..schedule.compliance import build
    from ..schedule.history import default_history_path

    history = None
    if history_url or c.settings.history_url or default_history_path(c.project.store.path).is_file():
        history = _history(c, history_url)  # a report never creates a history database
    report = build(c.project, year, agency=agency, as_of=as_of.date() if as_of else None, history=history)
    if output:
        output.mkdir(parents=True, exist_ok=True)
        for ext in ("md", "html", "json", "csv"):
            (output / f"compliance-{report.year}.{ext}").write_text(report.render(ext), encoding="utf-8")
    published = None
    if do_publish:
        from ..schedule.compliance import publish

        published = publish(report, c.project.ckan(ckan_url, ckan_token_file), ckan_organization)
    if c.as_json:
        click.echo(json.dumps({**report.to_dict(), **({"published": published} if published else {})},
                              ensure_ascii=False, indent=1))
    else:
        click.echo(report.render(fmt), nl=False)
        if published:
            err_console.print(escape(f"published: {published['url']} ({published['writes']} write(s))"))


@click.command("annual-report")
@click.option("--agency", required=True, help="The agency reporting, by title: a publisher, or an agency of a "
              "registry reporting its own partition (e.g. 省民政厅).")
@click.option("--year", type=int, required=True, help="Year reported.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "csv"]), default="md", show_default=True,
              help="What is printed.")
@click.option("--output", type=click.Path(path_type=Path, file_okay=False),
              help="Also write annual-report-<year>.md/.html/.csv into this directory.")
@click.option("--publish", "do_publish", is_flag=True,
              help="Publish the report to CKAN, into the agency's dataset <organization>-annual-reports.")
@click.option("--ckan-url", help="CKAN to publish to [env CKAN_URL].")
@click.option("--ckan-token-file", type=click.Path(path_type=Path),
              help="File holding the API token [env CKAN_API_TOKEN, or CKAN_API_TOKEN_FILE].")
@pass_ctx
@handle_errors
def annual_report(c: Context, agency: str, year: int, fmt: str, output: Path | None, do_publish: bool,
                  ckan_url: str | None, ckan_token_file: Path | None) -> None:
    """The tables of the 政府信息公开工作年度报告 that released data fills (主动公开, 依申请公开, timeliness)."""
    from ..schedule.annual import build, publish

    report = build(c.project, agency, year)
    if output:
        output.mkdir(parents=True, exist_ok=True)
        for ext in ("md", "html", "csv"):
            (output / f"annual-report-{year}.{ext}").write_text(report.render(ext), encoding="utf-8")
    click.echo(report.render(fmt), nl=False)
    if do_publish:
        published = publish(report, c.project.ckan(ckan_url, ckan_token_file))
        err_console.print(escape(f"published: {published['url']} ({published['writes']} write(s))"))


@click.command()
@click.argument("dataset")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Judge as of this date (default: today, Beijing time).")
@pass_ctx
@handle_errors
def partitions(c: Context, dataset: str, as_of: dt.datetime | None) -> None:
    """Which agencies (counties, departments) of a partitioned dataset have submitted this period, which are late."""
    from rich.table import Table

    from ..schedule.partitions import completeness
    from .base import console

    r = completeness(c.project, dataset, as_of.date() if as_of else None)
    if c.as_json:
        click.echo(json.dumps(r.to_dict(), ensure_ascii=False, indent=1))
        return
    t = Table("分区", "地区", "负责单位", "最近提交", "行数", "状态", "逾期工作日",
              title=escape(f"{r.dataset}：{r.period_start} 起的一期，{r.formed} 形成，{r.due or '无法判断'} 前提交"))
    for p in r.rows:
        t.add_row(p.partition, escape(p.region), escape(p.agency or "（名册中没有）"), p.submitted or "—",
                  "" if p.rows is None else str(p.rows), p.status_zh,
                  "" if p.working_days_late is None else str(p.working_days_late))
    console.print(t)
    console.print("，".join(f"{label} {r.counts[s]}" for s, label in
                           (("on-time", "按时"), ("late", "逾期提交"), ("missing", "未提交"), ("overdue", "逾期未提交"))))
    if r.registry is None:
        err_console.print("没有单位名册（partition.agencies）：只列出已提交的分区，无法知道谁还没有提交。")
