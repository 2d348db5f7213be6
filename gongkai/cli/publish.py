"""``gongkai publish``: the store's releases to CKAN, planned, then applied."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .base import Context, ckan_options, handle_errors, pass_ctx, with_options
from .output import plan_printer


@click.command()
@click.argument("datasets", nargs=-1)
@click.option("--plan", "plan_only", is_flag=True, help="Show what would be created, updated or left alone; send no write.")
@with_options(ckan_options)
@pass_ctx
@handle_errors
def publish(c: Context, datasets: tuple[str, ...], plan_only: bool, ckan_url: str | None,
            ckan_token_file: Path | None) -> None:
    """Publish the latest release of each dataset (and every earlier version) to CKAN."""
    project = c.project
    plans = project.publish(list(datasets) or project.specs.ids, project.ckan(ckan_url, ckan_token_file), plan_only,
                            on_plan=None if c.as_json else plan_printer(plan_only))
    if c.as_json:
        click.echo(json.dumps([p.to_dict() for p in plans], ensure_ascii=False, indent=1))
    refused = [p for p in plans if p.status == "refused" and datasets]
    sys.exit(1 if refused else 0)
