"""The README documents every command and option, and its two set-up commands are what CI runs."""

from __future__ import annotations

import re

from gongkai.cli import cli

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_documented() -> None:
    for name, command in cli.commands.items():
        assert f"gongkai {name}" in README, f"README does not document `gongkai {name}`"
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in README, f"README does not document {opt} of `gongkai {name}`"
    for param in cli.params:
        for opt in param.opts:
            if opt.startswith("--") and opt not in ("--help", "--version"):
                assert opt in README, f"README does not document the global option {opt}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    m = re.search(r"<!-- test-command -->\s*```(?:sh|bash)?\n(.+?)\n```", README, re.S)
    assert m, "README must mark its test command with <!-- test-command -->"
    assert m.group(1).strip() in ci


def test_every_error_type_is_documented() -> None:
    from gongkai.report import TITLES

    for code in TITLES:
        assert f"`{code}`" in README, f"error type {code} is not in the README"
