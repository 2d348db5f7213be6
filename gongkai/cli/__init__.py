"""The ``gongkai`` command: a thin layer that parses options, calls the library and maps results to exit codes.

Exit codes: 0 ok, 1 data invalid (or a release failed verification), 2 usage or configuration error. Settings are
read from the environment once, here (:class:`gongkai.settings.Settings`); flags override them.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..settings import Settings
from .base import Context
from .compliance import compliance
from .datasets import COMMANDS
from .flows import flows, sql
from .publish import publish
from .schedule import schedule


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", type=click.Path(path_type=Path),
              help="Release store directory [env GONGKAI_STORE; default ./store in the project].")
@click.option("--database-url", help="PostgreSQL URL: run quality suites in the database [env GONGKAI_DATABASE_URL].")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
@click.version_option(package_name="gongkai")
@click.pass_context
def cli(ctx: click.Context, store: Path | None, database_url: str | None, as_json: bool) -> None:
    """gongkai (公开): versioned, validated open data from government disclosures."""
    ctx.obj = Context(Settings.from_env(store=store, database_url=database_url), as_json)


for command in [*COMMANDS, publish, schedule, compliance, flows, sql]:
    cli.add_command(command)


def main() -> None:
    cli(prog_name="gongkai")
