"""The command line as people use it: `--json` on either side of the command, ids never cut in tables, every
command and option the docs show exists, money printed as published."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gongkai.cli import cli

from .conftest import REPO, generator, lottery_csv

LOTTERY = "lottery-welfare-projects"


def run(tmp_path: Path, *args: str, width: int = 80) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), *args], catch_exceptions=False,
                                terminal_width=width, env={"COLUMNS": str(width)})
    return result.exit_code, result.output


@pytest.mark.parametrize("args", [["--json", "list"], ["list", "--json"]])
def test_json_before_or_after_the_command(tmp_path: Path, args: list[str]) -> None:
    code, out = run(tmp_path, *args)
    assert code == 0 and LOTTERY in {d["id"] for d in json.loads(out)}


def test_every_leaf_command_takes_json() -> None:
    def leaves(group: click.Group, path: str) -> list[tuple[str, click.Command]]:
        out = []
        for name, cmd in group.commands.items():
            out += leaves(cmd, f"{path} {name}") if isinstance(cmd, click.Group) else [(f"{path} {name}", cmd)]
        return out

    missing = [p for p, cmd in leaves(cli, "gongkai") if not any("--json" in o.opts for o in cmd.params)]
    assert not missing


def test_ids_are_never_cut_in_an_80_column_table(tmp_path: Path) -> None:
    from gongkai import Project

    ids = Project(REPO).specs.ids
    code, out = run(tmp_path, "list", width=80)
    assert code == 0
    assert "…" not in out.split("\n", 3)[-1] or all(i in out for i in ids)
    for i in ids:
        assert re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", out), f"{i} is cut or wrapped"


def test_diff_prints_money_as_published(tmp_path: Path, lottery_rows: list) -> None:
    rows = [dict(r) for r in generator.by_county(lottery_rows)["533401"]]  # one county's file, CP2025-0001 first
    who = ("--submitter", "xianggelila-minzheng")
    assert run(tmp_path, "release", LOTTERY, "--source", str(lottery_csv(tmp_path, rows)), *who)[0] == 0
    delta = 400 - float(rows[0]["下达资金"])  # 万元 → 4000000 元; the balance moves with it
    rows[0]["下达资金"], rows[0]["结余"] = 400, round(float(rows[0]["结余"]) + delta, 2)
    assert run(tmp_path, "release", LOTTERY, "--source", str(lottery_csv(tmp_path, rows, name="b.csv")), *who)[0] == 0
    code, out = run(tmp_path, "diff", LOTTERY, "v1", "v2", width=200)
    assert code == 0 and "3749500 → 4000000" in out
    assert not re.search(r"\d\.0\b", out), out  # no 3749500.0
    records = json.loads((tmp_path / "store" / LOTTERY / "v2" / "data.json").read_text(encoding="utf-8"))
    assert records[0]["amount_allocated"] == 4000000 and isinstance(records[0]["amount_allocated"], int)
    assert '.0,' not in (tmp_path / "store" / LOTTERY / "v2" / "data.json").read_text(encoding="utf-8")


def _documented_commands() -> list[tuple[str, list[str]]]:
    """`gongkai …` in README.md and docs/*.md: inline code, and command lines in code blocks."""
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"<!-- \[\[\[cog.*?\[\[\[end\]\]\] -->", "", text, flags=re.S)  # generated --help output
        lines = [m.group(1) for m in re.finditer(r"`(?:\.venv/bin/)?gongkai ([^`]+)`", text)]
        for block in re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, flags=re.S):
            lines += [m.group(1) for m in re.finditer(r"^\s*(?:\$ )?(?:\.venv/bin/)?gongkai (.+)$", block, flags=re.M)]
        for line in lines:
            line = re.split(r"\s#|[|;&]", line)[0]
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            found.append((page.name, words))
    return found


def test_every_documented_command_and_option_exists() -> None:
    wrong = []
    for page, words in _documented_commands():
        cmd: click.Command = cli
        ctx_opts = {o for p in cli.params for o in getattr(p, "opts", [])}
        known = set(ctx_opts)
        path = ["gongkai"]
        for w in words:
            if w.startswith("-"):
                name = w.split("=", 1)[0]
                if name.startswith("--") and name not in known | {"--help"}:
                    wrong.append(f"{page}: {' '.join(path)} has no option {name}")
                continue
            if isinstance(cmd, click.Group) and w in cmd.commands:
                cmd = cmd.commands[w]
                path.append(w)
                known = ctx_opts | {o for p in cmd.params for o in getattr(p, "opts", [])}
            elif isinstance(cmd, click.Group) and re.fullmatch(r"[a-z]+", w):
                wrong.append(f"{page}: no command {' '.join(path)} {w}")
                break
            else:
                continue  # an argument: options after it still belong to this command
    assert not wrong, wrong[:20]
    assert len(_documented_commands()) > 30  # the scan sees the docs
