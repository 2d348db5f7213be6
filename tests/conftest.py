"""Shared fixtures: the repository's own project with a throwaway store, and sample-source factories."""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

from gongkai import Project

from .services import SERVICES, missing, under_ci

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of tests/ckan talks to the local CKAN."""
    for item in items:
        if "ckan" in Path(str(item.fspath)).parts[-2:-1]:
            item.add_marker(pytest.mark.ckan)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test whose service is missing is skipped with the reason here, and fails under CI."""
    for service in SERVICES:
        if item.get_closest_marker(service) is None:
            continue
        why = missing(service)
        if why is None:
            continue
        if under_ci():
            pytest.fail(f"needs {service}, which CI must provide: {why}", pytrace=False)
        pytest.skip(f"needs {service}: {why}")


def load_sample_module(stem: str, name: str | None = None):  # type: ignore[no-untyped-def]
    """A module of datasets/samples (``generate`` or a ``gen_*``), imported under ``name``."""
    name = name or f"sample_{stem}"
    spec = importlib.util.spec_from_file_location(name, REPO / "datasets" / "samples" / f"{stem}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


generator = load_sample_module("generate", "sample_generator")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(REPO, store=tmp_path / "store")


@pytest.fixture
def lottery_rows() -> list[dict[str, object]]:
    """The sample 福彩 projects (lottery-welfare-projects' rows, of many counties) as the generator makes them
    (Chinese headers, amounts in 万元)."""
    import random

    return generator.welfare_lottery(generator.lottery_projects(random.Random(generator.SEED)))


def project_copy(tmp_path: Path, dataset: str | None = None, append: str = "") -> Path:
    """The bundled specs, schemas and suites (no samples) under ``tmp_path/proj``, with ``append`` added to the
    spec of ``dataset`` (e.g. a ``partition:`` key)."""
    root = tmp_path / "proj"
    for d in ("datasets", "schemas", "validation"):
        shutil.copytree(REPO / d, root / d, ignore=shutil.ignore_patterns("samples"))
    if dataset and append:
        spec = root / "datasets" / f"{dataset}.dataset.yaml"
        spec.write_text(spec.read_text(encoding="utf-8") + append, encoding="utf-8")
    return root


def strip_partition(root: Path, dataset: str, keep_field: bool = False) -> None:
    """Make the copied spec of ``dataset`` under ``root`` an ordinary dataset (its ``partition:`` block removed), or
    with ``keep_field`` one still partitioned but without its agency registry (submissions need no submitter)."""
    import re

    spec = root / "datasets" / f"{dataset}.dataset.yaml"
    text = spec.read_text(encoding="utf-8")
    if keep_field:
        text, n = re.subn(r"^  agencies: .*\n", "", text, flags=re.M)
    else:
        text, n = re.subn(r"^partition:\n(?:  .*\n)+", "", text, flags=re.M)
    assert n == 1, f"{dataset} is not partitioned"
    spec.write_text(text, encoding="utf-8")


def unpartitioned(tmp_path: Path, dataset: str = "lottery-welfare-projects") -> Project:
    """The bundled project (samples and calendar linked) with ``dataset`` an ordinary dataset: the tests of
    versions, changelogs, row drops and withdrawal release rows of many counties in one file, which a partitioned
    dataset refuses."""
    root = project_copy(tmp_path)
    (root / "datasets" / "samples").symlink_to(REPO / "datasets" / "samples")
    (root / "calendar").symlink_to(REPO / "calendar")
    strip_partition(root, dataset)
    return Project(root, store=tmp_path / "store")


def write_csv(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8", header: list[str] | None = None) -> Path:
    header = header or list(rows[0])
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def lottery_csv(tmp_path: Path, rows: list[dict[str, object]], name: str = "lottery.csv", **kw: object) -> Path:
    """Lottery rows as a one-row-header CSV; amounts stay in 万元 via the header unit."""
    out = []
    for r in rows:
        r = dict(r)
        for k in ("下达资金", "实际支出", "结余"):
            r[f"{k}（万元）"] = r.pop(k)
        out.append(r)
    return write_csv(tmp_path / name, out, **kw)  # type: ignore[arg-type]


def problems(outcome, type_: str | None = None):  # type: ignore[no-untyped-def]
    return [p for p in outcome.report.problems if type_ is None or p.type == type_]


@pytest.fixture(scope="module")
def flow_sample(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The fund-flow datasets released from the committed samples, once per module."""
    from .flows_support import release_all

    p = Project(REPO, store=tmp_path_factory.mktemp("flows") / "store")
    release_all(p)
    return p
