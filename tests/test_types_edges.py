"""Types at their edges, as the Table Schema standard and real systems write them: datetimes with UTC offsets,
NaN/INF strings, integers and numbers beyond what a column can hold — each a clear message, never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import frictionless

from .conftest import FIXTURES
from .table_support import gate


def _csv(tmp_path: Path, header: str, *cells: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text("\n".join([f"id,{header}", *(f"{i + 1},{c}" for i, c in enumerate(cells))]) + "\n", encoding="utf-8")
    return path


def test_datetimes_with_offsets_are_read_as_frictionless_reads_them(tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "frictionless" / "issue-1105-timezone.csv", tmp_path / "tz.csv"))
    fields = [{"name": "id", "type": "integer"}, {"name": "timestamp", "type": "datetime"}]
    theirs = frictionless.validate(frictionless.Resource(path="tz.csv", basepath=str(tmp_path), dialect=frictionless.Dialect.from_descriptor({"csv": {"delimiter": ";"}}),
                                                         schema=frictionless.Schema.from_descriptor({"fields": fields})))
    assert theirs.valid
    report = gate(tmp_path, path, fields)
    assert report.valid, [p.message for p in report.problems]


def test_offsets_fractions_and_bad_datetimes(tmp_path: Path) -> None:
    import duckdb

    from gongkai.gate.checks import typed_sql
    from gongkai.spec.schema import Field

    path = _csv(tmp_path, "at", "2024-01-01T10:00:00+08:00", "2024-01-01 10:00:00.250", "2024-01-01T02:00:00Z",
                "2024-01-01T10:00:00+0800", "2024-13-01T10:00:00+08:00", "2024-01-01 25:00:00", "2024-01-01T10:00+08:00")
    report = gate(tmp_path, path, [{"name": "id", "type": "integer"}, {"name": "at", "type": "datetime"}])
    assert [(p.type, p.row, p.value) for p in report.problems] == [
        ("type-error", 6, "2024-13-01T10:00:00+08:00"), ("type-error", 7, "2024-01-01 25:00:00"),
        ("type-error", 8, "2024-01-01T10:00+08:00")]
    assert "+08:00" in report.problems[0].hint
    con = duckdb.connect()
    f = Field(name="at", type="datetime")
    got = [con.execute(f"SELECT CAST({typed_sql(f)} AS VARCHAR) FROM (SELECT ? AS at)", [v]).fetchone()[0]
           for v in ("2024-01-01T10:00:00+08:00", "2024-01-01T10:00:00", "2024-01-01T02:00:00Z")]
    assert got == ["2024-01-01 02:00:00", "2024-01-01 10:00:00", "2024-01-01 02:00:00"]  # offsets: the UTC instant


def test_nan_inf_and_overflowing_numbers_are_refused_with_their_own_message(tmp_path: Path) -> None:
    path = _csv(tmp_path, "amount", "12.5", "NaN", "INF", "-inf", "1e400", "1e10", "abc")
    report = gate(tmp_path, path, [{"name": "id", "type": "integer"}, {"name": "amount", "type": "number"}])
    got = [(p.row, p.message) for p in report.problems]
    assert got == [(3, "「NaN」不是数值（NaN/INF），本字段只接受有限的数字"),
                   (4, "「INF」不是数值（NaN/INF），本字段只接受有限的数字"),
                   (5, "「-inf」不是数值（NaN/INF），本字段只接受有限的数字"),
                   (6, "「1e400」超出可处理的数字范围"), (8, "「abc」不是有效的数字")]


def test_integers_beyond_64_bits_say_so(tmp_path: Path) -> None:
    path = _csv(tmp_path, "n", "9223372036854775807", "9223372036854775808", "-99999999999999999999", "12a")
    report = gate(tmp_path, path, [{"name": "id", "type": "integer"}, {"name": "n", "type": "integer"}])
    assert [(p.row, p.value, "超出" in p.message) for p in report.problems] == [
        (3, "9223372036854775808", True), (4, "-99999999999999999999", True), (5, "12a", False)]
