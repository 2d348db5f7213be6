"""Generate the command reference in docs/cli.md from the click commands (run by cog).

docs/cli.md holds ``[[[cog ... ]]]`` blocks that call :func:`help_block`; regenerate with
``.venv/bin/cog -r docs/cli.md`` and check with ``.venv/bin/cog --check docs/cli.md`` (tests/test_docs.py
does the same). Help text is rendered at a fixed width so the output does not depend on the terminal.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from gongkai.cli import cli

WIDTH = 100


def _context(command: click.Command, name: str, parent: click.Context | None = None) -> click.Context:
    # what click's make_context does, without parsing arguments or running callbacks
    extra: dict[str, object] = {} if parent else {"terminal_width": WIDTH, "max_content_width": WIDTH}
    return click.Context(command, info_name=name, parent=parent, **{**extra, **command.context_settings})


def walk(ctx: click.Context | None = None) -> Iterator[click.Context]:
    """A context for ``gongkai`` and, depth first in name order, for every command and subcommand below it."""
    ctx = ctx or _context(cli, "gongkai")
    yield ctx
    command = ctx.command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(_context(sub, name, ctx))


def paths() -> list[str]:
    """Every command path below ``gongkai``: ``list``, ``flows``, ``flows trace`` …"""
    return [ctx.command_path.removeprefix("gongkai").strip() for ctx in walk()][1:]


def find(path: str) -> click.Context:
    for ctx in walk():
        if ctx.command_path == f"gongkai {path}".strip():
            return ctx
    raise KeyError(f"no command `gongkai {path}`")


def help_block(path: str = "", level: int = 3) -> str:
    """A heading ``### gongkai <path>`` and the command's ``--help`` in a fenced block."""
    ctx = find(path)
    heading = "#" * level + f" {ctx.command_path}"
    return f"{heading}\n\n```\n{ctx.command.get_help(ctx).rstrip()}\n```\n"


def index() -> str:
    """A table of every command with its short help, linking to its section."""
    rows = ["| command | what it does |", "|---|---|"]
    for ctx in list(walk())[1:]:
        anchor = ctx.command_path.replace(" ", "-")
        short = ctx.command.get_short_help_str(limit=300)
        rows.append(f"| [`{ctx.command_path}`](#{anchor}) | {short} |")
    return "\n".join(rows) + "\n"


def missing(text: str) -> list[str]:
    """Command paths that have no ``### gongkai <path>`` heading in ``text``."""
    headings = {line.strip() for line in text.splitlines() if line.startswith("#")}
    return [p for p in paths() if not any(h.endswith(f" gongkai {p}") for h in headings)]
