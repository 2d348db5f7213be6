"""The docs are tested: the CLI reference is what the code says, every command, option and error type is
documented, links resolve, and the README stays short and gives the test command CI runs."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import click

from gongkai.cli import cli

from .conftest import REPO

README_PATH = REPO / "README.md"
DOCS = REPO / "docs"
CLI_MD = DOCS / "cli.md"
README = README_PATH.read_text(encoding="utf-8")
MARKDOWN = [README_PATH, *sorted(DOCS.glob("*.md"))]
FENCE = re.compile(r"^ {0,3}(```|~~~)")


def _commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every command below ``gongkai``, groups and their subcommands included, as ("flows trace", command)."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if command.hidden:
            continue
        yield " ".join((*path, name)), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def _long_options(command: click.Command) -> list[str]:
    return [opt for param in command.params for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--")]


def _prose(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>|[`*]", "", heading).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text))


def _anchors(path: Path) -> set[str]:
    lines = _prose(path.read_text(encoding="utf-8"))
    anchors: set[str] = set()
    for line in lines:
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            slug, n = _slug(m.group(1)), 1
            while slug in anchors:
                slug, n = f"{_slug(m.group(1))}-{n}", n + 1
            anchors.add(slug)
        anchors.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
    return anchors


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    m = re.search(r"<!-- test-command -->\s*```(?:sh|bash)?\n(.+?)\n```", README, re.S)
    assert m, "README must mark its test command with <!-- test-command -->"
    assert m.group(1).strip() in ci


def test_readme_is_short() -> None:
    size = len(README_PATH.read_bytes())
    assert size <= 10_240, f"README.md is {size} bytes; move reference material into docs/ (at most 10,240)"


def test_cli_reference_is_current() -> None:
    from cogapp import Cog

    cog, out = Cog(), io.StringIO()
    cog.set_output(stdout=out, stderr=out)
    status = cog.main(["cog", "--check", str(CLI_MD)])
    assert status == 0, f"docs/cli.md is out of date: run `.venv/bin/cog -r docs/cli.md`\n{out.getvalue()}"


def test_every_command_and_option_is_in_the_cli_reference() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    headings = {line.strip() for line in _prose(text) if line.startswith("#")}
    for option in _long_options(cli):
        assert option in text, f"docs/cli.md does not document the global option {option}"
    commands = list(_commands())
    assert {"flows trace", "schedule once"} <= {path for path, _ in commands}
    for path, command in commands:
        assert f"### gongkai {path}" in headings, (
            f"docs/cli.md has no section for `gongkai {path}`: add a cog block "
            f"`cog.out(ref.help_block({path!r}))` and run `.venv/bin/cog -r docs/cli.md`")
        for option in _long_options(command):
            assert option in text, f"docs/cli.md does not document {option} of `gongkai {path}`"


def test_error_types_and_the_checks_table_agree() -> None:
    from gongkai.report import TITLES

    lines = (DOCS / "checks.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"\|\s*type\s*\|\s*meaning\s*\|", line.strip()))
    documented: set[str] = set()
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        documented.update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    assert not set(TITLES) - documented, f"error types missing from docs/checks.md: {sorted(set(TITLES) - documented)}"
    assert not documented - set(TITLES), f"docs/checks.md lists unknown error types: {sorted(documented - set(TITLES))}"


def test_every_environment_variable_is_documented() -> None:
    import gongkai.settings

    source = Path(gongkai.settings.__file__).read_text(encoding="utf-8")
    names = set(re.findall(r"[\"'`]((?:GONGKAI|CKAN)_[A-Z_]+)[\"'`]", source))
    assert "GONGKAI_STORE" in names
    concepts = (DOCS / "concepts.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in concepts)
    assert not missing, f"environment variables missing from docs/concepts.md: {missing}"


def test_relative_links_resolve() -> None:
    broken = []
    for path in MARKDOWN:
        for line in _prose(path.read_text(encoding="utf-8")):
            for target in re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", re.sub(r"`[^`]*`", "", line)):
                if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):
                    continue  # http:, https:, mailto:
                file, _, anchor = target.partition("#")
                dest = (path.parent / file).resolve() if file else path
                where = f"{path.relative_to(REPO)}: ({target})"
                if not dest.exists():
                    broken.append(f"{where}: no such file")
                elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                    broken.append(f"{where}: no heading or anchor #{anchor}")
    assert not broken, "broken links:\n" + "\n".join(broken)
