"""Each messy file of `tests/fixtures/messy.py`, named for its defect, gives exactly that problem (type and row)
through `Project.validate`, and no message carries raw DuckDB/openpyxl/xlrd text."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

from gongkai import Project
from gongkai.errors import SourceError

from .conftest import REPO

_spec = importlib.util.spec_from_file_location("messy", REPO / "tests" / "fixtures" / "messy.py")
assert _spec and _spec.loader
messy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messy)

RAW = re.compile(r"Error|sniff|Traceback|Invalid Input|duckdb|openpyxl|xlrd|CSV Error|Line: ", re.IGNORECASE)
NAMES = [b.__name__ for b in messy.BUILDERS]
KNOWN_BUGS: dict[str, str] = {}  # builder → the bug that makes it fail, an xfail(strict) until fixed


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[tuple[str, int]]]]:
    out = tmp_path_factory.mktemp("messy")
    return out, messy.generate(out)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(REPO, store=tmp_path_factory.mktemp("store"))


def _problems(project: Project, path: Path) -> list:  # type: ignore[type-arg]
    try:
        return list(project.validate(messy.DATASET, [path]).report.problems)
    except SourceError as e:  # a refused source is one problem too
        return [e]


def _type_row(p: object) -> tuple[str, int]:
    return (getattr(p, "type", None) or p.code, getattr(p, "row", None) or 0)


@pytest.mark.parametrize("name", NAMES)
def test_each_messy_file_gives_exactly_its_named_problem(name: str, fixtures: tuple, project: Project,
                                                         request: pytest.FixtureRequest) -> None:
    if name in KNOWN_BUGS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_BUGS[name], strict=True))
    out, expected = fixtures
    file = next(f for f, b in zip(expected, messy.BUILDERS, strict=True) if b.__name__ == name)
    got = sorted(_type_row(p) for p in _problems(project, out / file))
    assert got == sorted(expected[file]), file


@pytest.mark.parametrize("name", NAMES)
def test_no_message_carries_raw_engine_text(name: str, fixtures: tuple, project: Project) -> None:
    out, expected = fixtures
    file = next(f for f, b in zip(expected, messy.BUILDERS, strict=True) if b.__name__ == name)
    for p in _problems(project, out / file):
        text = " ".join(str(getattr(p, a, "") or "") for a in ("message", "hint"))
        assert not RAW.search(text), (file, text)


def test_the_fixed_seed_makes_the_same_files(tmp_path: Path) -> None:
    a, b = messy.generate(tmp_path / "a"), messy.generate(tmp_path / "b")
    assert a == b and len(a) == len(messy.BUILDERS)
    for name in a:
        if name.endswith(".csv"):
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_rare_gbk_characters_are_read_as_written(fixtures: tuple, tmp_path: Path) -> None:
    """Characters outside GB 2312 in real GBK names are Chinese, not mojibake: read as typed."""
    from gongkai.ingest.csvfile import read_csv_head

    out, _ = fixtures
    grid = read_csv_head(out / "gbk-rare-name-characters.csv", "auto", tmp_path)
    cells = {c for row in grid.head for c in row if c}
    assert {"喆堃种植专业合作社", "珺镕昇农业开发有限公司", "A栋镕业加工厂"} <= cells and grid.encoding == "gb18030"


def test_spaced_quotes_are_read_without_their_quotes(fixtures: tuple, tmp_path: Path) -> None:
    from gongkai.ingest.csvfile import read_csv_head

    out, _ = fixtures
    grid = read_csv_head(out / "space-after-comma-quotes.csv", "auto", tmp_path)
    assert not any('"' in c for row in grid.head for c in row if c)
    assert grid.csv_path.read_text(encoding="utf-8").splitlines()[0].split(",")[:2] == grid.head[0][:2]


def test_a_long_cell_in_the_head_reads_in_a_fresh_process(fixtures: tuple) -> None:
    """csv's 128 KB field limit was lifted only once a structural pass had run: the first file of a process with
    a long cell in its first lines crashed the head read (the other tests share one process and hid it)."""
    import subprocess
    import sys

    out, _ = fixtures
    run = subprocess.run([sys.executable, "-m", "gongkai", "validate", "lottery-welfare-projects", "--source",
                          str(out / "long-cell-3MB.csv")], capture_output=True, text=True, cwd=REPO, timeout=300,
                         env={**os.environ, "GONGKAI_PROJECT": str(REPO)})
    assert "Traceback" not in run.stderr and run.returncode == 0, run.stderr[-2000:]


@pytest.mark.parametrize(("name", "line"), [("mixed-utf8-gbk-after-1MB-line-8.csv", 8),
                                            ("mixed-utf8-gbk-after-1MB-line-41.csv", 41)])
def test_an_encoding_change_past_the_first_megabyte_names_its_line(fixtures: tuple, project: Project, name: str,
                                                                   line: int) -> None:
    out, _ = fixtures
    (p,) = _problems(project, out / name)
    assert p.message == f"文件 {name} 第 {line} 行含有不是 UTF-8 编码的字节" and "混用了多种编码" in p.hint
