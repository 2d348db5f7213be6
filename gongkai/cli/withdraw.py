"""``gongkai withdraw`` and ``gongkai expire``: take released data back (a leaked number, an expired 公示期), in
the store and, with ``--publish``, in the catalog."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from .base import Context, ckan_options, console, handle_errors, pass_ctx, with_options
from .output import plan_printer, print_outcome, print_publish_summary


@click.command()
@click.argument("dataset")
@click.argument("version")
@click.option("--reason", required=True, help="Why it is withdrawn (kept in the tombstone; personal numbers masked).")
@click.option("--by", help="Who withdraws it [default: the login name].")
@click.option("--publish", "also_publish", is_flag=True,
              help="Also delete its files from CKAN and make the previous version current there.")
@with_options(ckan_options)
@pass_ctx
@handle_errors
def withdraw(c: Context, dataset: str, version: str, reason: str, by: str | None, also_publish: bool,
             ckan_url: str | None, ckan_token_file: Path | None) -> None:
    """Withdraw a version: delete its files from the store, keep its manifest and a tombstone (what, when, why,
    by whom) so the chain still verifies; the version before it becomes current again."""
    project = c.project
    tomb = project.withdraw(dataset, version, reason, by)
    current = project.store.latest(dataset)
    plans = []
    if also_publish:
        client = project.ckan(ckan_url, ckan_token_file)
        plans = project.publish([dataset], client, on_plan=None if c.as_json else plan_printer(False, True))
        if not c.as_json:
            print_publish_summary(plans, client.url)
    if c.as_json:
        click.echo(json.dumps({"withdrawal": tomb, "current": current, "published": [p.to_dict() for p in plans]},
                              ensure_ascii=False, indent=1))
    else:
        console.print(f"[yellow]withdrawn[/] {dataset} {version} ({len(tomb['files'])} file(s) deleted): "
                      f"{tomb['reason']}; current version: {current or '—'}")
    sys.exit(0)


@click.command()
@click.argument("datasets", nargs=-1)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Count the retention terms to this day "
              "[default: today, Beijing time].")
@click.option("--publish", "also_publish", is_flag=True,
              help="Also publish the new version and delete the withdrawn versions' files from CKAN.")
@with_options(ckan_options)
@pass_ctx
@handle_errors
def expire(c: Context, datasets: tuple[str, ...], as_of: dt.datetime | None, also_publish: bool,
           ckan_url: str | None, ckan_token_file: Path | None) -> None:
    """Take out the rows whose retention term (公示期) has ended: release each dataset without them and withdraw
    every version that held them (default: every dataset whose spec has a retention term)."""
    project = c.project
    ids = list(datasets) or [s.id for s in project.specs if s.retention is not None]
    results, ok = [], True
    client = project.ckan(ckan_url, ckan_token_file) if also_publish else None
    for d in ids:
        outcome, withdrawn = project.expire(d, as_of.date() if as_of else None)
        ok = ok and outcome.ok
        plans = project.publish([d], client) if client is not None and outcome.ok else []
        results.append({**outcome.to_dict(), "withdrawn": sorted(withdrawn),
                        "published": [p.to_dict() for p in plans]})
        if not c.as_json:
            print_outcome(outcome)
            for v, tomb in withdrawn.items():
                console.print(f"  [yellow]withdrawn[/] {d} {v}: {tomb['reason']}")
            if client is not None and plans:
                print_publish_summary(plans, client.url)
    if c.as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=1))
    sys.exit(0 if ok else 1)
