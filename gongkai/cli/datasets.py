"""``gongkai list | validate | release | run | verify | diff | history | catalogue``: datasets and their releases."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table

from ..vocab import DOMAINS
from .base import (
    Context,
    ckan_options,
    ckan_read_options,
    console,
    err_console,
    handle_errors,
    keep_ids,
    pass_ctx,
    report_options,
    source_option,
    with_options,
)
from .output import plan_printer, print_outcome, print_publish_summary, print_report, progress, write_reports


@click.command("list")
@pass_ctx
@handle_errors
def list_cmd(c: Context) -> None:
    """List the datasets and their latest versions."""
    p = c.project
    rows = [{"id": s.id, "title": s.title.zh, "domain": s.domain, "publisher": s.publisher.name,
             "disclosure": s.disclosure, "frequency": s.update_frequency, "latest": p.store.latest(s.id)}
            for s in p.specs]
    if c.as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    t = Table("dataset", "标题", "领域", "发布机构", "公开属性", "latest")
    for r in rows:
        t.add_row(r["id"], r["title"], DOMAINS[r["domain"]], r["publisher"], r["disclosure"], r["latest"] or "—")
    console.print(keep_ids(t, "dataset", "latest"))


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Where to write [default: docs/catalogue.md].")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the page differs from what the specs give.")
@pass_ctx
@handle_errors
def catalogue(c: Context, output: Path | None, check: bool) -> None:
    """Generate the dataset catalogue page (Markdown) from the specs and schemas."""
    from ..release.catalogue import render

    project = c.project
    path = output or project.root / "docs" / "catalogue.md"
    text = render(project.specs)
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            err_console.print(f"{path} is out of date: run `gongkai catalogue` and commit the result.")
            sys.exit(1)
        console.print(f"{path} is up to date ({len(project.specs)} datasets).")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    console.print(f"wrote {path} ({len(project.specs)} datasets)")


@click.command()
@click.argument("dataset")
@source_option
@with_options(report_options)
@pass_ctx
@handle_errors
def validate(c: Context, dataset: str, sources: tuple[Path, ...], report_json: Path | None,
             report_html: Path | None) -> None:
    """Check a source against the dataset's schema and quality suite; write nothing to the store."""
    outcome = c.project.validate(dataset, list(sources) or None, progress=progress(c))
    write_reports(outcome.report, report_json, report_html)
    if c.as_json:
        click.echo(json.dumps(outcome.report.to_dict(), ensure_ascii=False, indent=1, default=str))
    else:
        print_report(outcome.report)
    sys.exit(0 if outcome.ok else 1)


@click.command()
@click.argument("dataset")
@source_option
@click.option("--partition", help="Partition this submission holds (partitioned datasets; default: from its rows).")
@click.option("--submitter", help="Agency submitting it, recorded in the manifest.")
@with_options(report_options)
@pass_ctx
@handle_errors
def release(c: Context, dataset: str, sources: tuple[Path, ...], partition: str | None, submitter: str | None,
            report_json: Path | None, report_html: Path | None) -> None:
    """Validate and write a new immutable version to the store (none if the data is unchanged)."""
    outcome = c.project.release(dataset, list(sources) or None, progress=progress(c), partition=partition,
                                submitter=submitter)
    write_reports(outcome.report, report_json, report_html)
    if c.as_json:
        click.echo(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=1))
    else:
        print_outcome(outcome)
    sys.exit(0 if outcome.ok else 1)


@click.command()
@click.argument("datasets", nargs=-1)
@click.option("--publish", "also_publish", is_flag=True, help="Then publish every released dataset to CKAN.")
@with_options(ckan_options)
@pass_ctx
@handle_errors
def run(c: Context, datasets: tuple[str, ...], also_publish: bool, ckan_url: str | None,
        ckan_token_file: Path | None) -> None:
    """The main job: release every dataset (or those named) from its configured sources."""
    from rich.progress import Progress

    project = c.project
    ids = list(datasets) or project.specs.ids
    client = project.ckan(ckan_url, ckan_token_file) if also_publish else None  # a bad token fails before any work
    with Progress(console=err_console, transient=True, disable=c.as_json or not err_console.is_terminal) as bar:
        task = bar.add_task("releasing", total=len(ids))
        outcomes = project.run(ids, on_outcome=lambda o: bar.advance(task))
    if not c.as_json:
        for o in outcomes:
            print_outcome(o)
        console.print(f"store: {project.store.path}")
    published = []
    if client is not None:
        ready = [o.dataset for o in outcomes if o.ok]
        plans = project.publish(ready, client, on_plan=None if c.as_json else plan_printer(False))
        published = [p.to_dict() for p in plans]
        if not c.as_json:
            print_publish_summary(plans, client.url)
    if c.as_json:
        releases = [o.to_dict() for o in outcomes]
        click.echo(json.dumps({"releases": releases, "published": published} if also_publish else releases,
                              ensure_ascii=False, indent=1))
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


@click.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("--dataset", help="Check one FILE against what CKAN published for this dataset (by its sha256).")
@with_options(ckan_read_options)
@pass_ctx
@handle_errors
def verify(c: Context, path: Path, dataset: str | None, ckan_url: str | None, ckan_token_file: Path | None) -> None:
    """Check the hashes and hash chain of a release, all versions of a dataset, a ckanapi dump, or one file."""
    from ..release.verify import Verification
    from ..release.verify import verify as verify_path

    if dataset and path.is_file():
        from ..ckan.remote import CkanReleases, find_published

        releases = CkanReleases(None, None, c.settings.cache_dir(), client=c.project.ckan(ckan_url, ckan_token_file))
        found = find_published(releases, dataset, path)
        result = Verification([str(path)], [] if found else [
            f"{path.name}: no file of {dataset} published at {releases.url} has this sha256 (changed, or not from there)"])
        where = f"{dataset} {found[0]} {found[1]} ({releases.url})" if found else ""
    else:
        result, where = verify_path(path), ""
    if c.as_json:
        click.echo(json.dumps({"ok": result.ok, "checked": result.checked, "problems": result.problems,
                               "withdrawn": result.withdrawn}, ensure_ascii=False, indent=1))
    else:
        for w in result.withdrawn:
            console.print(f"[yellow]⊘[/] {w}")
        for p in result.problems:
            console.print(f"[red]✗[/] {p}")
        if result.ok and where:
            console.print(f"[green]✓ verified[/] {path.name} is {where}: sha256 as in its manifest")
        elif result.ok:
            what = f"{path.name} against its manifest" if path.is_file() else f"{len(result.checked)} release(s)"
            console.print(f"[green]✓ verified[/] {what}: hashes and chain intact")
    sys.exit(0 if result.ok else 1)


@click.command()
@click.argument("dataset")
@click.argument("v1")
@click.argument("v2")
@pass_ctx
@handle_errors
def diff(c: Context, dataset: str, v1: str, v2: str) -> None:
    """Rows added, removed and changed between two versions (by primary key)."""
    from ..release.diff import diff_versions

    result = diff_versions(c.project.store, c.project.spec(dataset), v1, v2)
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


@click.command()
@click.argument("dataset")
@pass_ctx
@handle_errors
def history(c: Context, dataset: str) -> None:
    """The versions of a dataset, newest last."""
    project = c.project
    spec = project.spec(dataset)
    store = project.store
    rows = []
    withdrawn = store.withdrawals(spec.id)
    for v in store.versions(spec.id):
        m = store.manifest(spec.id, v)
        rows.append({"version": v, "created": m["created"], "rows": m["row_count"], "changes": m.get("changes"),
                     "fingerprint": m["fingerprint"], "sources": [s["name"] for s in m.get("sources", [])],
                     "withdrawn": withdrawn.get(v)})
    if c.as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        console.print(f"{dataset}: no releases yet in {store.path}")
        return
    t = Table("version", "created (UTC)", "rows", "+", "−", "~", "source")
    for r in rows:
        ch = r["changes"] or {}
        t.add_row(r["version"] + (" ⊘ withdrawn" if r["withdrawn"] else ""), r["created"], str(r["rows"]), str(ch.get("added", "")), str(ch.get("removed", "")),
                  str(ch.get("changed", "")), ", ".join(r["sources"]))
    console.print(keep_ids(t, "version", "created (UTC)"))


COMMANDS = [list_cmd, catalogue, validate, release, run, verify, diff, history]
