"""Shared helpers of the fund-flow tests: releasing the flow datasets, editing the allocation sample."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from gongkai import Project
from gongkai.flows import FlowModel, build
from gongkai.release.reading import LocalReleases

from .conftest import REPO, generator, load_sample_module

FLOW_DATASETS = ["fund-allocations", "lottery-welfare-projects", "sports-lottery-projects", "poverty-projects"]
LT, PA = "中央专项彩票公益金", "财政专项扶贫资金"
ALLOC_CSV = next((REPO / "datasets" / "samples" / "fund-allocations").glob("*.csv"))




gen_poverty = load_sample_module("gen_poverty", "flows_gen_poverty")


def release_all(project: Project, sources: dict[str, Path] | None = None) -> None:
    for d in FLOW_DATASETS:
        outcome = project.release(d, [sources[d]] if sources and d in sources else None)
        assert outcome.status in ("released", "unchanged"), (d, [p.message for p in outcome.report.problems[:5]])


def model(project: Project) -> FlowModel:
    return build(project.specs, LocalReleases(project.store))


def allocation_rows() -> list[dict[str, str]]:
    """The committed allocation sample as its clerk wrote it (Chinese headers, amounts in 万元)."""
    return list(csv.DictReader(io.StringIO(ALLOC_CSV.read_bytes().decode("gbk"))))


def write_allocations(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def yuan(wan: str) -> Decimal:
    """「1,234.56」万元 in 元."""
    return Decimal(wan.replace(",", "")) * 10_000


__all__ = ["FLOW_DATASETS", "LT", "PA", "gen_poverty", "generator"]
