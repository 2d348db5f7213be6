"""The ``gongkai`` command: a thin layer that parses options, calls the library and maps results to exit codes.

Exit codes: 0 ok, 1 data invalid (or a release failed verification), 2 usage or configuration error. Settings are
read from the environment once, here (:class:`gongkai.settings.Settings`); flags override them.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..settings import Settings
from .base import Context
from .compliance import annual_report, compliance
from .datasets import COMMANDS
from .flows import flows, sql
from .publish import download, publish
from .schedule import schedule
from .withdraw import expire, withdraw


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


for command in [*COMMANDS, publish, download, schedule, compliance, annual_report, flows, sql, withdraw, expire]:
    cli.add_command(command)


def _json_after(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_object(Context).as_json = True  # type: ignore[union-attr]


def _add_json_option(group: click.Group) -> None:
    """``--json`` is accepted after the command too (``gongkai list --json``), on every command."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _add_json_option(command)
        elif not any(p.name == "as_json" for p in command.params):
            command.params.append(click.Option(["--json", "as_json"], is_flag=True, expose_value=False,
                                               is_eager=True, callback=_json_after,
                                               help="Machine-readable JSON on stdout (as `gongkai --json …`)."))


_add_json_option(cli)


def main() -> None:
    cli(prog_name="gongkai")
