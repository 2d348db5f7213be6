"""What every command shares: the context (settings resolved once, the project built on first use), error
handling that maps gongkai errors to exit codes, the consoles, and option groups defined once."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import GongkaiError
from ..settings import Settings

if TYPE_CHECKING:
    from ..project import Project

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
# tables keep their columns when piped to a file (rich would squeeze them into 80 columns)
table_console = console if console.is_terminal else Console(highlight=False, soft_wrap=True, width=200)


def keep_ids(table: Table, *headers: str) -> Table:
    """Id columns are never cut or wrapped (an id is copied whole into the next command); the others wrap."""
    for col in table.columns:
        if col.header in headers:
            col.no_wrap = True
            col.min_width = max((cell_len(line) for cell in col.cells for line in str(cell).splitlines()), default=0)
        else:
            col.overflow = "fold"  # wrapped, never cut with "…"
    return table


def handle_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """Print a gongkai error as the user should read it (message, then what to do) and exit with its code."""
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
    """The settings of this invocation (environment, then global flags) and the project, built on first use."""

    def __init__(self, settings: Settings, as_json: bool) -> None:
        self.settings, self.as_json = settings, as_json
        self._project: Project | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            from ..project import Project

            self._project = Project.discover(self.settings)
        return self._project


pass_ctx = click.make_pass_decorator(Context)


def with_options(options: list[Callable[..., Any]]) -> Callable[..., Any]:
    """Apply a list of click options (defined once, shared by several commands)."""
    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        for o in reversed(options):
            f = o(f)
        return f
    return deco


source_option = click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path),
                             help="Source file instead of the spec's (repeat for several).")
report_options = [
    click.option("--report-json", type=click.Path(path_type=Path), help="Write the full report as JSON here."),
    click.option("--report-html", type=click.Path(path_type=Path), help="Write a readable HTML report here."),
]
ckan_options = [
    click.option("--ckan-url", help="CKAN to publish to [env CKAN_URL]."),
    click.option("--ckan-token-file", type=click.Path(path_type=Path), help="File holding the API token "
                 "[env CKAN_API_TOKEN, or CKAN_API_TOKEN_FILE]; the token is never printed."),
]
ckan_read_options = [
    click.option("--ckan-url", help="CKAN to read from [env CKAN_URL]."),
    ckan_options[1],
]
