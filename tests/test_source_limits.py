"""Hostile sources (issue 14, item 4): a FIFO, a link to /dev/zero, a zip bomb and a CSV without line breaks end
with a clear Chinese error in seconds and bounded memory, instead of a hang, a MemoryError or a long silence."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gongkai import Project
from gongkai.settings import Settings, SourceLimits, parse_bytes

from .conftest import REPO, lottery_csv
from .test_ingest import LOTTERY, SAMPLE_XLSX

GUARD = 120  # a hang guard, not a speed claim: before the change each of these ran far past it or never ended


def run_validate(tmp_path: Path, source: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """``gongkai validate`` in a child process; its output and its peak RSS in bytes."""
    code = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.stderr.write(p.stdout + p.stderr)\n")
    e = {**os.environ, "GONGKAI_STORE": str(tmp_path / "store"), "GX_ANALYTICS_ENABLED": "false", **env}
    cmd = [sys.executable, "-c", code, sys.executable, "-m", "gongkai", "validate", LOTTERY, "--source", str(source)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=GUARD, cwd=REPO, env=e)
    rc, rss_kb = p.stdout.split()
    return subprocess.CompletedProcess(cmd, int(rc), p.stderr, ""), int(rss_kb) * 1024


def test_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "来源.csv"
    os.mkfifo(fifo)
    p, rss = run_validate(tmp_path, fifo)
    assert p.returncode != 0 and "命名管道（FIFO）" in p.stdout and "Traceback" not in p.stdout
    assert rss < 1 << 30


def test_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "来源.csv"
    link.symlink_to("/dev/zero")
    p, rss = run_validate(tmp_path, link)
    assert p.returncode != 0 and "设备文件" in p.stdout and "MemoryError" not in p.stdout
    assert rss < 1 << 30


def zip_bomb(path: Path, inflated: int) -> Path:
    """The sample workbook with one inline string of ``inflated`` bytes (a few hundred KB compressed)."""
    with zipfile.ZipFile(SAMPLE_XLSX) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for m in src.infolist():
            data = src.read(m)
            if m.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(m, data)
                continue
            head, sep, tail = data.partition(b"<is><t>")
            assert sep, "the sample sheet holds inline strings"
            with dst.open(m.filename, "w") as f:
                f.write(head + sep)
                chunk = b"x" * (1 << 20)
                for _ in range(inflated >> 20):
                    f.write(chunk)
                f.write(tail)
    return path


def test_xlsx_zip_bomb_is_refused_from_its_directory(tmp_path: Path) -> None:
    bomb = zip_bomb(tmp_path / "申报表.xlsx", 300 << 20)
    assert bomb.stat().st_size < 2 << 20
    p, rss = run_validate(tmp_path, bomb)
    assert p.returncode != 0 and "疑似压缩炸弹" in p.stdout and "申报表.xlsx" in p.stdout
    assert rss < 1 << 30


def test_xlsx_uncompressed_size_limit_is_configurable(project: Project, tmp_path: Path) -> None:
    limited = Project(REPO, store=tmp_path / "s", settings=Settings(source_limits=SourceLimits(max_xlsx_uncompressed=1000)))
    [p] = limited.validate(LOTTERY, [SAMPLE_XLSX]).report.problems
    assert p.type == "source-too-large" and "解压后有" in p.message and p.file == SAMPLE_XLSX.name
    assert project.validate(LOTTERY, [SAMPLE_XLSX]).ok  # the default lets a real workbook through


def test_file_size_limit_is_configurable_from_the_environment(tmp_path: Path, lottery_rows: list) -> None:
    src = lottery_csv(tmp_path, lottery_rows)
    settings = Settings.from_env({"GONGKAI_MAX_SOURCE_BYTES": "1KB", "HOME": str(tmp_path)})
    assert settings.source_limits.max_file_bytes == 1024
    [p] = Project(REPO, store=tmp_path / "s", settings=settings).validate(LOTTERY, [src]).report.problems
    assert p.type == "source-too-large" and "超过上限" in p.message


@pytest.mark.parametrize("where", ["header", "data"])
def test_csv_line_without_breaks_is_refused_with_its_line(tmp_path: Path, lottery_rows: list, where: str) -> None:
    src = lottery_csv(tmp_path, lottery_rows)
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    at = 0 if where == "header" else 40  # in the lines read for the header, or only in DuckDB's reader
    lines[at] = lines[at].rstrip("\n") + "," + "x" * 2_000_000 + "\n"
    src.write_text("".join(lines), encoding="utf-8")
    settings = Settings(source_limits=SourceLimits(max_line_bytes=1 << 20))
    [p] = Project(REPO, store=tmp_path / "s", settings=settings).validate(LOTTERY, [src]).report.problems
    assert "超过 1 MB，不像是表格数据" in p.message and p.file == src.name
    assert p.row == (1 if where == "header" else None) and "xxxx" not in p.message


def test_sizes_are_read_as_people_write_them() -> None:
    assert parse_bytes("4GB", "X") == 4 << 30 and parse_bytes("512 MiB", "X") == 512 << 20
    assert parse_bytes("1048576", "X") == 1 << 20
