"""``gongkai flows …`` and ``gongkai sql``: fund flows and read-only SQL over the released tables.

Both read the local release store, or with ``--ckan-url`` any CKAN that gongkai published to (files downloaded
once into a cache and checked against their manifest). Results name the release versions they used.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from ..release.reading import Release, ReleaseSource, parse_date
from .base import Context, err_console, handle_errors, pass_ctx, with_options
from .base import table_console as console

FORMATS = click.Choice(["table", "csv", "json"])

source_options = [
    click.option("--as-of", "as_of", metavar="DATE",
                 help="Answer from the releases current on this date (YYYY-MM-DD) instead of the latest."),
    click.option("--ckan-url", help="Read the releases from this CKAN instead of the local store."),
    click.option("--ckan-token-file", type=click.Path(path_type=Path),
                 help="File holding a CKAN API token, for private datasets [env CKAN_API_TOKEN, "
                      "or CKAN_API_TOKEN_FILE]; never printed."),
    click.option("--cache", type=click.Path(path_type=Path),
                 help="Download cache for --ckan-url [env GONGKAI_CACHE; default ~/.cache/gongkai]."),
    click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
                 help="Readable table, CSV or JSON (the global --json also gives JSON)."),
]
fund_options = [
    click.option("--fund", required=True, help="Fund name as published, e.g. 财政专项扶贫资金."),
    click.option("--year", type=int, required=True, help="Year of the fund."),
]


def _source(c: Context, ckan_url: str | None, token_file: Path | None, cache: Path | None) -> ReleaseSource:
    if ckan_url:
        from ..ckan.remote import CkanReleases

        return CkanReleases(None, None, cache or c.settings.cache_dir(), client=c.project.ckan(ckan_url, token_file))
    from ..release.reading import LocalReleases

    return LocalReleases(c.project.store)


def _model(c: Context, as_of: str | None, ckan_url: str | None, token_file: Path | None, cache: Path | None):  # type: ignore[no-untyped-def]
    from ..flows.model import build

    return build(c.project.specs, _source(c, ckan_url, token_file, cache), parse_date(as_of))


def _fmt(c: Context, fmt: str) -> str:
    return "json" if c.as_json else fmt


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v


def _text(v: Any) -> Any:
    return str(v) if isinstance(v, Decimal) else _jsonable(v)


def _dump(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=1, default=_jsonable))


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> None:
    import csv

    w = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if r.get(k) is None else _text(r.get(k)) for k in columns})


def _versions_line(releases: list[Release]) -> str:
    return "数据版本 versions: " + "，".join(f"{r.dataset} {r.version}（{r.created[:10]}）" for r in releases)


def _yuan(v: Decimal | None) -> str:
    return "" if v is None else f"{v:,.2f}"


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.1%}"


def _label(r: dict[str, Any]) -> str:
    if r["stage"] in ("支出", "结余"):
        return "实际支出" if r["stage"] == "支出" else "结余"
    if r.get("project_id"):
        return f"{r.get('project_name') or r['to_node']}（{r['project_id']}，{r['to_node']}）"
    return r["to_node"]


@click.group("flows")
def flows() -> None:
    """Follow a fund from its source down to projects; find where the sums do not add up."""


@flows.command("trace")
@with_options(fund_options)
@click.option("--from", "start", metavar="NODE", help="Start at an allocation id, organization, region code or project id.")
@click.option("--depth", type=click.IntRange(min=0), help="Levels to show below the start (default: all).")
@with_options(source_options)
@pass_ctx
@handle_errors
def trace_cmd(c: Context, fund: str, year: int, start: str | None, depth: int | None, as_of: str | None,
              ckan_url: str | None, ckan_token_file: Path | None, cache: Path | None, fmt: str) -> None:
    """The tree of where the money went, with amounts and shares at each level."""
    from ..flows.queries import trace

    model = _model(c, as_of, ckan_url, ckan_token_file, cache)
    result = trace(model, fund, year, start, depth)
    releases = list(model.releases.values())
    fmt = _fmt(c, fmt)
    if fmt == "csv":  # written by DuckDB from Arrow: a whole tree of millions of flows takes seconds
        result.write_csv(sys.stdout.buffer)
        return
    rows = result.rows()
    if fmt == "json":
        _dump({"fund": fund, "year": year, "from": start, "depth": depth, "versions": model.versions, "rows": rows})
    else:
        t = Table("流向 to", "阶段", "金额（元）", "占上级", "地区", "文号", "日期", title=f"{fund} {year} 年资金流向",
                  caption=_versions_line(releases) + "；金额已统一为元（来源单位见 --format csv 的 source_unit）")
        for col in t.columns[1:4]:
            col.no_wrap = True
            col.justify = "right" if col.header != "阶段" else "left"
        for r in rows:
            t.add_row("  " * r["depth"] + escape(_label(r)), r["stage"], _yuan(r["amount"]), _pct(r["share"]),
                      escape(r["region_name"] or r["region_code"] or ""), escape(r["document_no"] or ""),
                      str(r["date"] or ""))
        console.print(t)


@flows.command("reconcile")
@click.option("--fund", help="Only this fund (default: every fund).")
@click.option("--year", type=int, help="Only this year.")
@click.option("--tolerance", type=Decimal, default=Decimal("0.01"), show_default=True,
              help="Differences up to this many 元 are not reported (pro-rata shares are rounded to the fen).")
@with_options(source_options)
@pass_ctx
@handle_errors
def reconcile_cmd(c: Context, fund: str | None, year: int | None, tolerance: Decimal, as_of: str | None,
                  ckan_url: str | None, ckan_token_file: Path | None, cache: Path | None, fmt: str) -> None:
    """Nodes whose children do not add up, spending without allocation, allocations without use, negative balances."""
    from ..flows.reconcile import reconcile

    model = _model(c, as_of, ckan_url, ckan_token_file, cache)
    result = reconcile(model, fund, year, tolerance)
    fmt = _fmt(c, fmt)
    findings = [f.to_dict() for f in result.findings]
    if fmt == "json":
        _dump({"clean": result.clean, "tolerance": tolerance, "versions": model.versions, "checked": result.checked,
               "findings": findings})
        return
    if fmt == "csv":
        _csv(findings, ["kind", "title", "fund", "year", "node", "name", "amount", "counterpart", "difference",
                        "detail", "dataset", "version"])
        return
    for ch in result.checked:
        if ch["clean"]:
            console.print(f"[green]✓ {escape(ch['fund'])} {ch['year']}：没有发现问题[/]（{ch['allocations']} 笔分配，"
                          f"{ch['projects']} 个项目，逐级金额都对得上）")
        else:
            console.print(f"[red]✗ {escape(ch['fund'])} {ch['year']}：{ch['findings']} 处问题[/]（{ch['allocations']} 笔分配，"
                          f"{ch['projects']} 个项目）")
    for f in findings:
        console.print(f"[bold red]✗ {f['title']}[/] {escape(f['fund'])} {f['year'] or ''} [bold]{escape(f['node'])}[/] "
                      f"{escape(f['name'])}（{f['dataset']} {f['version']}）")
        console.print(f"  {escape(f['detail'])}")
    console.print(_versions_line(list(model.releases.values())))


@flows.command("top")
@click.option("--by", type=click.Choice(["recipient", "region", "project"]), default="recipient", show_default=True,
              help="Group the final destinations by receiving organization, region code or project.")
@click.option("--fund", help="Only this fund (default: every fund).")
@click.option("--year", type=int, help="Only this year.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many to list.")
@with_options(source_options)
@pass_ctx
@handle_errors
def top_cmd(c: Context, by: str, fund: str | None, year: int | None, limit: int, as_of: str | None,
            ckan_url: str | None, ckan_token_file: Path | None, cache: Path | None, fmt: str) -> None:
    """The largest final destinations of the money (each yuan counted once, where it last arrived)."""
    from ..flows.queries import top

    model = _model(c, as_of, ckan_url, ckan_token_file, cache)
    rows = top(model, by, fund, year, limit)  # type: ignore[arg-type]
    versions = ";".join(f"{r.dataset}@{r.version}" for r in model.releases.values())
    fmt = _fmt(c, fmt)
    if fmt == "json":
        _dump({"by": by, "fund": fund, "year": year, "versions": model.versions, "rows": rows})
    elif fmt == "csv":
        _csv([{**r, "versions": versions} for r in rows],
             ["rank", "key", "name", "amount", "share", "allocations", "spent", "balance", "funds", "versions"])
    else:
        head = {"recipient": "接收单位", "region": "地区", "project": "项目"}[by]
        t = Table("#", head, "金额（元）", "占比", "笔数", "实际支出（元）", "结余（元）", "资金",
                  title=f"资金最终去向前 {limit} 名（{escape(fund or '全部资金')}{f' {year} 年' if year else ''}）",
                  caption=_versions_line(list(model.releases.values())))
        for r in rows:
            name = r["name"] if by == "recipient" else f"{r['name']}（{r['key']}）"
            t.add_row(str(r["rank"]), escape(name), _yuan(r["amount"]), _pct(r["share"]), str(r["allocations"]),
                      _yuan(r["spent"]), _yuan(r["balance"]), escape(r["funds"] or ""))
        console.print(t)


@flows.command("page")
@with_options(fund_options)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The HTML file to write.")
@click.option("--depth", type=click.IntRange(min=1), help="Levels to draw in the diagram (default: all).")
@click.option("--publish", "publish_page", is_flag=True,
              help="Also upload the page to the CKAN of --ckan-url, as a resource of the allocation dataset.")
@with_options(source_options[:4])
@pass_ctx
@handle_errors
def page_cmd(c: Context, fund: str, year: int, output: Path, depth: int | None, publish_page: bool, as_of: str | None,
             ckan_url: str | None, ckan_token_file: Path | None, cache: Path | None) -> None:
    """A self-contained HTML page (works offline) with a Sankey diagram, the findings and the sources."""
    from ..errors import UsageError
    from ..flows.page import write_page

    if publish_page and not ckan_url:
        raise UsageError("--publish needs --ckan-url (the page is built from that catalog's releases and stored there)")
    source = _source(c, ckan_url, ckan_token_file, cache)
    from ..flows.model import build

    model = build(c.project.specs, source, parse_date(as_of))
    page = write_page(model, fund, year, output, depth)
    if c.as_json and not publish_page:
        _dump({"path": str(output), **page.summary()})
    elif not c.as_json:
        console.print(f"[green]✓[/] {output}: {page.nodes} 个节点，{page.findings} 处问题；{_versions_line(page.releases)}")
    if publish_page:
        from ..ckan.remote import CkanReleases

        assert isinstance(source, CkanReleases)
        resource = c.project.publish_page(page, output, source.client)
        if c.as_json:
            _dump({"path": str(output), **page.summary(), "resource": resource})
        else:
            console.print(f"[green]✓ 已发布[/] {resource['name']} → {resource['url']}")


@click.command("sql")
@click.argument("query")
@with_options(source_options)
@pass_ctx
@handle_errors
def sql(c: Context, query: str, as_of: str | None, ckan_url: str | None, ckan_token_file: Path | None,
        cache: Path | None, fmt: str) -> None:
    """Read-only SQL (DuckDB) over the released tables: one view per dataset, plus flows and project_records."""
    from ..flows.sql import run_sql

    result = run_sql(c.project.specs, _source(c, ckan_url, ckan_token_file, cache), query, parse_date(as_of),
                     c.settings.sql_memory_limit)
    fmt = _fmt(c, fmt)
    if fmt == "json":
        _dump({"versions": [r.to_dict() for r in result.releases], "columns": result.columns, "rows": result.records()})
    elif fmt == "csv":
        _csv(result.records(), result.columns)
    else:
        t = Table(*[escape(col) for col in result.columns], caption=_versions_line(result.releases) if result.releases else None)
        for r in result.rows:
            t.add_row(*[escape(_cell(v)) for v in r])
        console.print(t)
        err_console.print(f"[dim]{len(result.rows)} 行 rows[/]")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return f"{v:,.2f}"
    if isinstance(v, float):
        return f"{v:,.10g}"
    return str(v)

