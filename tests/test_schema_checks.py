"""gongkai's column-wise Table Schema checks find exactly what frictionless-py finds, row by row."""

from __future__ import annotations

import json
from pathlib import Path

import frictionless
import pytest

from gongkai import Project
from gongkai.report import FRICTIONLESS_TYPES

from .conftest import REPO, unpartitioned, write_csv

LOTTERY = "lottery-welfare-projects"
SCHEMAS = REPO / "schemas"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """lottery-welfare-projects as an ordinary dataset: these tests release rows of many counties in one file."""
    return unpartitioned(tmp_path)


def _field_rows(lottery_rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Sample rows with field-name headers and amounts in 元: a file both tools read the same way."""
    names = json.loads((SCHEMAS / f"{LOTTERY}.schema.json").read_text(encoding="utf-8"))["fields"]
    by_title = {f["title"]: f["name"] for f in names}
    out = []
    for r in lottery_rows:
        row = {by_title[k]: v for k, v in r.items()}
        for k in ("amount_allocated", "amount_spent", "balance"):
            row[k] = f"{round(float(row[k]) * 10_000, 2):.2f}"  # type: ignore[arg-type]
        out.append(row)
    return out


PLANTED = [  # (row index, field, bad value)
    (0, "year", "20x5"), (1, "amount_allocated", "abc"), (2, "start_date", "2025-13-01"),
    (3, "fund_line", "福彩"), (4, "project_name", ""), (5, "amount_spent", "-5"), (6, "contact_phone", "12345678"),
    (7, "region_code", "530199"), (8, "project_id", "CP2025-0001"), (9, "project_id", "XX-1"),
    (10, "end_date", "2025-6-1"), (11, "year", "1999"), (12, "category", ""), (13, "project_name", "长" * 201),
    (14, "region_code", "53010"), (15, "amount_allocated", "1.000.0"), (16, "start_date", ""),
]
NORMALISED = [(10, "end_date", "2025/06/01"), (15, "amount_allocated", "1,000")]  # gongkai reads these by design


def _frictionless_errors(csv_path: Path) -> set[tuple[int, str | None, str]]:
    schema = json.loads((SCHEMAS / f"{LOTTERY}.schema.json").read_text(encoding="utf-8"))
    package = frictionless.Package({"resources": [
        {"name": "projects", "path": csv_path.name, "schema": schema},
        {"name": "region-codes", "path": str((SCHEMAS / "codes" / "region-codes.csv").relative_to(csv_path.parent))
         if False else "region-codes.csv", "schema": {"fields": [{"name": "code", "type": "string"}, {"name": "name", "type": "string"},
                                                                 {"name": "level", "type": "string"}, {"name": "parent", "type": "string"}]}},
    ]}, basepath=str(csv_path.parent))
    report = package.validate(limit_errors=0)
    out = set()
    for task in report.tasks:
        if task.name != "projects":
            continue
        for e in task.errors:
            field = getattr(e, "field_name", None)
            out.add((e.row_number, field, e.type))
    return out


def test_same_errors_as_frictionless(tmp_path: Path, lottery_rows: list, project: Project) -> None:
    rows = _field_rows(lottery_rows[:40])
    for i, field, value in PLANTED:
        rows[i][field] = value
    csv_path = write_csv(tmp_path / "planted.csv", rows)
    (tmp_path / "region-codes.csv").write_bytes((SCHEMAS / "codes" / "region-codes.csv").read_bytes())
    expected = _frictionless_errors(csv_path)
    outcome = project.validate(LOTTERY, [csv_path])
    ours = set()
    for p in outcome.report.problems:
        if p.type == "quality":
            continue
        row_level = p.type in ("primary-key", "foreign-key")
        ours.add((p.row, None if row_level else p.field, FRICTIONLESS_TYPES.get(p.type, p.type)))
    assert len(expected) >= len(PLANTED) - 2  # frictionless really saw the planted errors
    assert ours == expected


def test_normalised_values_are_the_deliberate_difference(tmp_path: Path, lottery_rows: list, project: Project) -> None:
    """Dates written 2025/06/01 and numbers with thousands separators: frictionless refuses, gongkai reads."""
    rows = _field_rows(lottery_rows[:20])
    for i, field, value in NORMALISED:
        rows[i][field] = value
    rows[15]["amount_spent"], rows[15]["balance"] = "0", "1000"
    csv_path = write_csv(tmp_path / "normalised.csv", rows)
    (tmp_path / "region-codes.csv").write_bytes((SCHEMAS / "codes" / "region-codes.csv").read_bytes())
    assert {(r, f) for r, f, _ in _frictionless_errors(csv_path)} == {(12, "end_date"), (17, "amount_allocated")}
    outcome = project.validate(LOTTERY, [csv_path])
    assert outcome.report.valid, [p.to_dict() for p in outcome.report.problems]


@pytest.mark.parametrize(("field", "value", "etype"), [
    ("year", "2025.0", "type-error"),
    ("start_date", "2025-02-30", "type-error"),
    ("amount_allocated", "1e3x", "type-error"),
    ("status", "完成", "enum-error"),
    ("implementing_unit", "无", "required-error"),  # a missing-value marker counts as empty
])
def test_single_error_types(tmp_path: Path, lottery_rows: list, project: Project, field: str, value: str,
                            etype: str) -> None:
    rows = _field_rows(lottery_rows[:3])
    rows[1][field] = value
    outcome = project.validate(LOTTERY, [write_csv(tmp_path / "one.csv", rows)])
    assert [(p.type, p.row, p.field) for p in outcome.report.problems] == [(etype, 3, field)]
    assert outcome.status == "invalid"


def test_every_error_counted_beyond_the_listing_limit(tmp_path: Path, lottery_rows: list, project: Project) -> None:
    rows = _field_rows(lottery_rows[:50])
    for r in rows:
        r["year"] = "n/a"
    path = write_csv(tmp_path / "bad.csv", rows)
    from gongkai.ingest import Workspace  # noqa: F401  (import check: the gate runs in a workspace)

    outcome = project.validate(LOTTERY, [path])
    assert outcome.report.error_count >= 50
    report_small = outcome.report
    report_small.max_problems = 10
    assert report_small.to_dict()["errors"] == outcome.report.error_count


def test_row_numbers_exact_in_a_large_file_read_in_parallel(tmp_path: Path, project: Project) -> None:
    """DuckDB reads big CSVs in parallel blocks; every error must still name its true line."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench", REPO / "benchmarks" / "bench_validate.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = 300_000
    path = tmp_path / "big.csv"
    truth = bench.generate(rows, path)
    assert path.stat().st_size > 64 << 20  # several of DuckDB's read buffers
    outcome = project.validate(LOTTERY, [path])
    overspent = truth["quality spent-within-allocated"]  # a conduct finding: published, flagged, never refused
    assert outcome.report.error_count == truth["total"] - overspent
    assert sum(1 for p in outcome.report.problems if p.severity == "warning") == overspent
    injected = {i + 2 for i in range(500, rows, 1000)}  # line = record index + 2 (header is line 1)
    found = {p.row for p in outcome.report.problems}
    assert found == injected
    dup = next(p for p in outcome.report.problems if p.type == "primary-key")
    assert dup.message.endswith(f"与第 {dup.row - 1} 行重复")
