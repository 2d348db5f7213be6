"""Malformed CSV files from frictionless-py's own test data, run through gongkai and through
``frictionless.validate``: gongkai reports at least every (row, error type) frictionless reports for the
structural and type errors, and the same label error types.

Differences on purpose (docs/checks.md): a blank-row is a warning in gongkai; a blank label is a problem only
when its column holds values (a trailing comma on every line is not); a missing-cell is one problem per row.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import frictionless
import pytest

from .conftest import FIXTURES
from .table_support import gate

SOURCE = FIXTURES / "frictionless"
ROW_TYPES = {"blank-row", "extra-cell", "missing-cell", "type-error"}
LABEL_TYPES = {"blank-label", "duplicate-label"}


def _fields(*spec: str) -> list[dict[str, Any]]:
    return [{"name": n, "type": t} for n, t in (s.split(":") for s in spec)]


CASES = {  # fixture → (schema for frictionless, schema for gongkai: its fields are named by the labels it matches)
    "invalid.csv": (_fields("id:integer", "name:string", "field3:integer", "name2:integer"),
                    _fields("id:integer", "name:string")),
    "capital-invalid.csv": (_fields("id:integer", "name:string", "name2:string"), _fields("id:integer", "name:string")),
    "blank-headers.csv": (_fields("id:integer", "name:string", "age:integer"), _fields("id:integer", "age:integer")),
    "blank-rows.csv": (_fields("id:integer", "name:string", "age:integer"),) * 2,
    "blank-rows-multiple.csv": (_fields("id:integer", "name:string", "age:integer"),) * 2,
    "duplicate-headers.csv": (_fields("id:integer", "name:string", "id2:integer", "age:integer", "id3:integer"),
                              _fields("id:integer", "name:string", "age:integer")),
    "defective-rows.csv": (_fields("id:integer", "name:string", "age:integer"),) * 2,
}


def _frictionless(path: Path, fields: list[dict[str, Any]]) -> tuple[set[tuple[int, str]], set[str]]:
    resource = frictionless.Resource(path=path.name, basepath=str(path.parent),
                                     schema=frictionless.Schema.from_descriptor({"fields": fields}))
    errors = frictionless.validate(resource, limit_errors=0).tasks[0].errors
    return ({(e.row_number, e.type) for e in errors if e.type in ROW_TYPES},
            {e.type for e in errors if e.type in LABEL_TYPES})


@pytest.mark.parametrize("name", sorted(CASES))
def test_gongkai_reports_what_frictionless_reports(name: str, tmp_path: Path) -> None:
    path = Path(shutil.copy(SOURCE / name, tmp_path / name))
    theirs = CASES[name][0]
    rows, labels = _frictionless(path, theirs)
    assert rows or labels  # the fixture is malformed
    report = gate(tmp_path, path, CASES[name][-1])
    ours_rows = {(p.row, p.type) for p in report.problems if p.type in ROW_TYPES}
    ours_labels = {p.type for p in report.problems if p.type in LABEL_TYPES}
    assert rows <= ours_rows, sorted(rows - ours_rows)
    assert labels <= ours_labels
    assert report.valid == ({t for _, t in rows} | labels == {"blank-row"})  # blank rows alone are warnings
    assert all(p.row for p in report.problems if p.type in ROW_TYPES | LABEL_TYPES)
    assert not any("Error" in p.message or "position" in p.message for p in report.problems)


def test_a_trailing_comma_on_every_line_is_no_problem_in_gongkai(tmp_path: Path) -> None:
    """Excel exports often end every line with a comma: frictionless calls it a blank label, gongkai reads it."""
    path = tmp_path / "excel.csv"
    path.write_text("id,name,age,\n1101,John,30,\n1102,Julie,26,\n", encoding="utf-8")
    _, labels = _frictionless(path, _fields("id:integer", "name:string", "age:integer", "extra:string"))
    assert labels == {"blank-label"}
    report = gate(tmp_path, path, _fields("id:integer", "name:string", "age:integer"))
    assert report.valid and report.rows == 2 and not report.problems
