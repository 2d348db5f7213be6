"""``gongkai publish`` (the store's releases to CKAN, planned, then applied) and ``gongkai download`` (a version
back from CKAN, verified)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .base import Context, ckan_options, ckan_read_options, console, handle_errors, pass_ctx, with_options
from .output import plan_printer, print_publish_summary


@click.command()
@click.argument("datasets", nargs=-1)
@click.option("--plan", "plan_only", is_flag=True, help="Show what would be created, updated or left alone; send no write.")
@click.option("-v", "--verbose", is_flag=True, help="Also print every step (upload, DataStore load …) of each dataset.")
@with_options(ckan_options)
@pass_ctx
@handle_errors
def publish(c: Context, datasets: tuple[str, ...], plan_only: bool, verbose: bool, ckan_url: str | None,
            ckan_token_file: Path | None) -> None:
    """Publish the latest release of each dataset (and every earlier version) to CKAN."""
    project = c.project
    client = project.ckan(ckan_url, ckan_token_file)
    plans = project.publish(list(datasets) or project.specs.ids, client, plan_only,
                            on_plan=None if c.as_json else plan_printer(plan_only, verbose))
    if c.as_json:
        click.echo(json.dumps([p.to_dict() for p in plans], ensure_ascii=False, indent=1))
    elif not plan_only:
        print_publish_summary(plans, client.url)
    refused = [p for p in plans if p.status == "refused" and datasets]
    sys.exit(1 if refused else 0)


@click.command()
@click.argument("dataset")
@click.argument("version", required=False)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Write the files to OUTPUT/DATASET/VERSION/.")
@with_options(ckan_read_options)
@pass_ctx
@handle_errors
def download(c: Context, dataset: str, version: str | None, output: Path, ckan_url: str | None,
             ckan_token_file: Path | None) -> None:
    """Download a version (default: the current one) of a dataset from CKAN, and verify every file."""
    from ..ckan.remote import CkanReleases, download_release
    from ..release.verify import verify

    releases = CkanReleases(None, None, c.settings.cache_dir(), client=c.project.ckan(ckan_url, ckan_token_file))
    target = download_release(releases, dataset, version, output)
    result = verify(target)
    files = sorted(p.name for p in target.iterdir())
    if c.as_json:
        click.echo(json.dumps({"dataset": dataset, "version": target.name, "path": str(target), "files": files,
                               "ok": result.ok, "problems": result.problems}, ensure_ascii=False, indent=1))
    elif result.ok:
        console.print(f"[green]✓ 已下载并校验[/] {dataset} {target.name}: {len(files)} 个文件 → {target}")
        console.print("  每个文件的 sha256 与清单（manifest.json）一致，清单与目录记录的哈希链一致")
    else:
        for problem in result.problems:
            console.print(f"[red]✗[/] {problem}")
    sys.exit(0 if result.ok else 1)
