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

from ..errors import UsageError
from ..release.reading import Release, ReleaseSource, parse_date
from .base import Context, err_console, handle_errors, pass_ctx, with_options
from .base import table_console as console

FORMATS = click.Choice(["table", "csv", "json"])

source_options = [
    click.option("--as-of", "as_of", metavar="DATE",
                 help="Answer from the releases current on this date (YYYY-MM-DD) instead of the latest."),
    click.option("--version", "pins", metavar="DATASET=vN", multiple=True,
                 help="Use this version of a dataset (repeat for several); the others follow --as-of or the latest."),
    click.option("--ckan-url", help="Read the releases from this CKAN instead of the local store."),
    click.option("--ckan-token-file", type=click.Path(path_type=Path),
                 help="File holding a CKAN API token, for private datasets [env CKAN_API_TOKEN, "
                      "or CKAN_API_TOKEN_FILE]; never printed."),
    click.option("--cache", type=click.Path(path_type=Path),
                 help="Download cache for --ckan-url [env GONGKAI_CACHE; default ~/.cache/gongkai]."),
    click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
                 help="Readable table, CSV or JSON (the global --json also gives JSON)."),
]
file_options = [
    click.option("--file", "files", metavar="PATH", multiple=True, type=click.Path(path_type=Path),
                 help="Read the flows from this CSV or XLSX instead of the releases, no spec needed (repeat for "
                      "tables of several levels); columns are recognised by role or usual Chinese headers."),
    click.option("--map", "maps", metavar="ROLE=COLUMN", multiple=True,
                 help="With --file: the column playing a role (from, to, amount, fund, year, stage, document, "
                      "parent_document, date, region, project, project_name, to_code)."),
    click.option("--unit", type=click.Choice(["元", "千元", "万元", "亿元"]),
                 help="With --file: the unit of the amounts when the header names none (default 元)."),
    click.option("--stage", type=click.Choice(["下达", "拨付", "支出", "结余", "合同"]),
                 help="With --file: the stage of rows without one (default 下达; 合同 for a contract list)."),
    click.option("--alias", "aliases", metavar="NAME=SAME", multiple=True,
                 help="Name parts that mean the same node, e.g. --alias 财政部门=财政局 (repeat for several)."),
]
fund_options = [
    click.option("--fund", help="Fund name as published, e.g. 财政专项扶贫资金 (default: every fund)."),
    click.option("--year", type=int, help="Year of the fund (default: every year)."),
]


def _pairs(values: tuple[str, ...], option: str, example: str) -> dict[str, str]:
    out = {}
    for v in values:
        k, sep, w = v.partition("=")
        if not sep or not k.strip() or not w.strip():
            raise UsageError(f"{option} {v!r}: write {example}")
        out[k.strip()] = w.strip()
    return out


def _source(c: Context, ckan_url: str | None, token_file: Path | None, cache: Path | None) -> ReleaseSource:
    if ckan_url:
        from ..ckan.remote import CkanReleases

        return CkanReleases(None, None, cache or c.settings.cache_dir(), client=c.project.ckan(ckan_url, token_file))
    from ..release.reading import LocalReleases

    return LocalReleases(c.project.store)


def _model(c: Context, src: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The flow model of the command's source options: the files of --file, else the releases."""
    aliases = _pairs(src.get("aliases", ()), "--alias", "NAME=SAME, e.g. --alias 财政部门=财政局")
    if src.get("files"):
        if src.get("ckan_url") or src.get("as_of") or src.get("pins"):
            raise UsageError("--file reads a file, not releases: leave out --ckan-url, --as-of and --version")
        from ..flows.files import build_files, parse_maps

        return build_files(list(src["files"]), parse_maps(src.get("maps", ())), src.get("unit"), src.get("stage"),
                           aliases, c.settings.memory_limit, c.settings.source_limits)
    if src.get("maps") or src.get("unit") or src.get("stage"):
        raise UsageError("--map, --unit and --stage go with --file")
    from ..flows.model import build

    return build(c.project.specs, _source(c, src.get("ckan_url"), src.get("ckan_token_file"), src.get("cache")),
                 parse_date(src.get("as_of")), aliases=aliases,
                 pins=_pairs(src.get("pins", ()), "--version", "DATASET=vN, e.g. --version fund-allocations=v1"))


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


def _versions_line(releases: list[Release], files: list[Any] | None = None) -> str:
    parts = [f"{r.dataset} {r.version}（{r.created[:10]}）" for r in releases]
    if files:
        return "来源文件 sources: " + "，".join(f"{f.name}（sha256 {f.sha256}，{f.rows} 行）" for f in files)
    return "数据版本 versions: " + "，".join(parts)


def _problems(model: Any) -> None:
    """What could not be read in a --file (cells that are not numbers, rows without an amount …), on stderr."""
    for f in model.files:
        for p in f.problems[:10]:
            err_console.print(f"[yellow]! {escape(f.name)} 第 {p['row']} 行[/] {escape(p['message'])}")
        if len(f.problems) > 10:
            err_console.print(f"[yellow]! {escape(f.name)}：另有 {len(f.problems) - 10} 处（见 --format json 的 sources）[/]")


def _yuan(v: Decimal | None) -> str:
    return "" if v is None else f"{v:,.2f}"


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.1%}"


def _label(r: dict[str, Any]) -> str:
    if r["stage"] in ("支出", "结余") and r["to_node"] in ("实际支出", "结余"):
        label = r["to_node"]
    elif r["stage"] == "合同":
        label = f"{r['to_node']}（合同" + (f"，{r['to_code']}" if r.get("to_code") else "") + "）"
    elif r.get("project_id"):
        name = r.get("project_name") or r["to_node"]
        label = f"{name}（{r['project_id']}" + (f"，{r['to_node']}）" if name != r["to_node"] else "）")
    else:
        label = r["to_node"]
    return label + (f"（来自 {r['from_node']}，其后流向见另一笔来源）" if r.get("merged") else "")


@click.group("flows")
def flows() -> None:
    """Follow a fund from its source down to projects; find where the sums do not add up."""


@flows.command("trace")
@with_options(fund_options)
@click.option("--from", "start", metavar="NODE",
              help="Start at an allocation id, organization (as recipient or as sender), region code or project id.")
@click.option("--depth", type=click.IntRange(min=0), help="Levels to show below the start (default: all).")
@with_options(source_options)
@with_options(file_options)
@pass_ctx
@handle_errors
def trace_cmd(c: Context, fund: str | None, year: int | None, start: str | None, depth: int | None, fmt: str,
              **src: Any) -> None:
    """The tree of where the money went, with amounts and shares at each level."""
    from ..flows.queries import trace

    model = _model(c, src)
    result = trace(model, fund, year, start, depth)
    fmt = _fmt(c, fmt)
    _problems(model)
    if fmt == "csv":  # written by DuckDB from Arrow: a whole tree of millions of flows takes seconds
        result.write_csv(sys.stdout.buffer)
        return
    rows = result.rows()
    if fmt == "json":
        _dump({"fund": fund, "year": year, "from": start, "depth": depth, "versions": model.versions,
               "sources": model.sources, "rows": rows})
    else:
        title = f"{fund or '全部'}{f' {year} 年' if year else ''}资金流向"
        t = Table("流向 to", "阶段", "金额（元）", "占上级", "地区", "文号", "日期", title=escape(title),
                  caption=_versions_line(list(model.releases.values()), model.files)
                  + "；金额已统一为元（来源单位见 --format csv 的 source_unit）")
        for col in t.columns[1:4]:
            col.no_wrap = True
            col.justify = "right" if col.header != "阶段" else "left"
        for r in rows:
            t.add_row("  " * r["depth"] + escape(_label(r)), r["stage"], _yuan(r["amount"]), _pct(r["share"]),
                      escape(r["region_name"] or r["region_code"] or ""), escape(r["document_no"] or ""),
                      str(r["date"] or ""))
        console.print(t)


@flows.command("reconcile")
@with_options(fund_options)
@click.option("--tolerance", type=Decimal, default=Decimal("0.01"), show_default=True,
              help="Differences up to this much, in the unit the source wrote its amounts in (0.01 of a source in "
                   "万元 = 100 元), are not reported.")
@with_options(source_options)
@with_options(file_options)
@pass_ctx
@handle_errors
def reconcile_cmd(c: Context, fund: str | None, year: int | None, tolerance: Decimal, fmt: str, **src: Any) -> None:
    """Nodes whose outflows do not add up, spending above receipts, inflows with no recorded use, records that
    disagree, negative balances, contracts above a project's money."""
    from ..flows.reconcile import reconcile

    model = _model(c, src)
    result = reconcile(model, fund, year, tolerance)
    fmt = _fmt(c, fmt)
    _problems(model)
    findings = [f.to_dict() for f in result.findings]
    if fmt == "json":
        _dump({"clean": result.clean, "tolerance": tolerance, "tolerance_unit": "source", "versions": model.versions,
               "sources": model.sources, "checked": result.checked, "findings": findings})
        return
    if fmt == "csv":
        _csv([{**f, "rows": " ".join(f"{r['file']}:{r['line']}" for r in f["rows"])} for f in findings],
             ["kind", "title", "fund", "year", "node", "name", "amount", "counterpart", "difference",
              "detail", "dataset", "version", "rows"])
        return
    for ch in result.checked:
        scope = escape(f"{ch['fund'] or '（未注明资金）'} {ch['year'] or ''}".strip())
        if ch["clean"]:
            console.print(f"[green]✓ {scope}：没有发现问题[/]（{_counted(ch)}，逐级金额都对得上）")
        else:
            console.print(f"[red]✗ {scope}：{ch['findings']} 处问题[/]（{_counted(ch)}）")
    for f in findings:
        console.print(f"[bold red]✗ {f['title']}[/] {escape(f['fund'] or '')} {f['year'] or ''} [bold]{escape(f['node'])}[/] "
                      f"{escape(f['name']) if f['name'] != f['node'] else ''}（{escape(f['dataset'])} {f['version']}）")
        console.print(f"  {escape(f['detail'])}")
        if f["rows"]:
            lines = "，".join(f"{r['file']}:{r['line']}" for r in f["rows"][:8])
            console.print(f"  [dim]来源行 rows: {escape(lines)}{' …' if len(f['rows']) > 8 else ''}[/]")
    console.print(_versions_line(list(model.releases.values()), model.files))


def _counted(ch: dict[str, Any]) -> str:
    """What was checked: the allocations of a tree by id; the rows of an edge list (spending is rows there too)."""
    parts = [f"{ch['allocations']} 笔分配", *([f"{ch['edge_rows']} 行逐笔流向"] if ch["edge_rows"] else []),
             *([f"{ch['projects']} 个项目"] if ch["projects"] else [])]
    return "，".join(parts)


@flows.command("top")
@click.option("--by", type=click.Choice(["recipient", "region", "project", "supplier"]), default="recipient",
              show_default=True, help="Group the final destinations by receiving organization, region code or "
                                      "project; or rank the suppliers by their contracts (合同).")
@with_options(fund_options)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many to list.")
@with_options(source_options)
@with_options(file_options)
@pass_ctx
@handle_errors
def top_cmd(c: Context, by: str, fund: str | None, year: int | None, limit: int, fmt: str, **src: Any) -> None:
    """The largest final destinations of the money (each yuan counted once, where it last arrived)."""
    from ..flows.queries import top

    model = _model(c, src)
    rows = top(model, by, fund, year, limit)  # type: ignore[arg-type]
    versions = ";".join([f"{r.dataset}@{r.version}" for r in model.releases.values()]
                        + [f"{f.name}@sha256:{f.sha256}" for f in model.files])
    fmt = _fmt(c, fmt)
    _problems(model)
    supplier = by == "supplier"
    if fmt == "json":
        _dump({"by": by, "fund": fund, "year": year, "versions": model.versions, "sources": model.sources, "rows": rows})
    elif fmt == "csv":
        _csv([{**r, "versions": versions} for r in rows],
             ["rank", "key", "name", "amount", "share", "contracts", "projects", "funds", "versions"] if supplier else
             ["rank", "key", "name", "amount", "share", "allocations", "spent", "balance", "funds", "versions"])
    else:
        head = {"recipient": "接收单位", "region": "地区", "project": "项目", "supplier": "供应商（统一社会信用代码）"}[by]
        extra = ("合同数", "项目数") if supplier else ("笔数", "实际支出（元）", "结余（元）")
        t = Table("#", head, "金额（元）", "占比", *extra, "资金",
                  title=f"{'合同金额' if supplier else '资金最终去向'}前 {limit} 名（{escape(fund or '全部资金')}"
                        f"{f' {year} 年' if year else ''}）",
                  caption=_versions_line(list(model.releases.values()), model.files))
        for r in rows:
            name = r["name"] if by == "recipient" or r["key"] == r["name"] else f"{r['name']}（{r['key']}）"
            cells = [str(r["contracts"]), str(r["projects"])] if supplier else \
                [str(r["allocations"]), _yuan(r["spent"]), _yuan(r["balance"])]
            t.add_row(str(r["rank"]), escape(name), _yuan(r["amount"]), _pct(r["share"]), *cells,
                      escape(r["funds"] or ""))
        console.print(t)


@flows.command("page")
@with_options(fund_options)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The HTML file to write.")
@click.option("--depth", type=click.IntRange(min=1), help="Levels to draw in the diagram (default: all).")
@click.option("--publish", "publish_page", is_flag=True,
              help="Also upload the page to the CKAN of --ckan-url, as a resource of the allocation dataset.")
@with_options(source_options[:5])
@with_options(file_options)
@pass_ctx
@handle_errors
def page_cmd(c: Context, fund: str | None, year: int | None, output: Path, depth: int | None, publish_page: bool,
             **src: Any) -> None:
    """A self-contained HTML page (works offline) with a Sankey diagram, the findings and the sources."""
    from ..flows.page import write_page

    if publish_page and (not src.get("ckan_url") or src.get("files")):
        raise UsageError("--publish needs --ckan-url (the page is built from that catalog's releases and stored "
                         "there); a page from --file is not published")
    model = _model(c, src)
    _problems(model)
    page = write_page(model, fund, year, output, depth)
    if c.as_json and not publish_page:
        _dump({"path": str(output), **page.summary()})
    elif not c.as_json:
        console.print(f"[green]✓[/] {output}: {page.nodes} 个节点，{page.findings} 处问题；"
                      f"{_versions_line(page.releases, model.files)}")
    if publish_page:
        from ..ckan.remote import CkanReleases

        source = _source(c, src.get("ckan_url"), src.get("ckan_token_file"), src.get("cache"))
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
def sql(c: Context, query: str, fmt: str, as_of: str | None, pins: tuple[str, ...], ckan_url: str | None,
        ckan_token_file: Path | None, cache: Path | None) -> None:
    """Read-only SQL (DuckDB) over the released tables: one view per dataset, plus flows, nodes and project_records."""
    from ..flows.sql import run_sql
    from ..flows.sql_worker import Limits

    s = c.settings
    result = run_sql(c.project.specs, _source(c, ckan_url, ckan_token_file, cache), query, parse_date(as_of),
                     pins=_pairs(pins, "--version", "DATASET=vN, e.g. --version fund-allocations=v1"),
                     limits=Limits(s.sql_memory_limit, s.sql_process_memory, s.sql_timeout))
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

