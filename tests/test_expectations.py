"""The expectations computed in SQL give exactly Great Expectations' findings (GX stays the reference)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gongkai import Project
from gongkai.gate import quality
from gongkai.report import Report
from gongkai.spec.schema import TableSchema
from gongkai.spec.suite import Expectation, Suite

REPO = Path(__file__).resolve().parent.parent


def key(report: Report) -> list[tuple[object, ...]]:
    # repr orders rows without a row number or value (findings on the whole table) beside the others
    return sorted(((p.rule, p.row, p.file, p.field, p.value, p.message, p.severity) for p in report.problems), key=repr) \
        + sorted(report.counts.items())


def rule(type_: str, id_: str, **kwargs: object) -> Expectation:
    return Expectation(type_, kwargs, id_, f"rule {id_}", "fix it", "error", {})


PLANTED = [
    rule("expect_column_values_to_not_be_null", "nn", column="n"),
    rule("expect_column_values_to_not_be_null", "nn-mostly-pass", column="n", mostly=0.5),
    rule("expect_column_values_to_not_be_null", "nn-mostly-fail", column="n", mostly=0.95),
    rule("expect_column_values_to_be_between", "between", column="n", min_value=10, max_value=90),
    rule("expect_column_values_to_be_between", "between-strict", column="x", min_value=0.5, max_value=9.5,
         strict_min=True, strict_max=True),
    rule("expect_column_values_to_be_between", "between-min-only", column="n", min_value=50),
    rule("expect_column_values_to_be_unique", "unique", column="name"),
    rule("expect_column_pair_values_a_to_be_greater_than_b", "pair", column_A="d2", column_B="d1"),
    rule("expect_column_pair_values_a_to_be_greater_than_b", "pair-or-equal", column_A="d2", column_B="d1",
         or_equal=True),
    rule("expect_column_pair_values_a_to_be_greater_than_b", "pair-numbers", column_A="x", column_B="n",
         or_equal=True, ignore_row_if="either_value_is_missing"),
    rule("expect_table_row_count_to_be_between", "rows-pass", min_value=1, max_value=1000),
    rule("expect_table_row_count_to_be_between", "rows-fail", min_value=500),
]


def test_planted_failures_match_great_expectations(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE typed AS SELECT (i % 2)::INTEGER AS _src, i + 2 AS _row, "
                "CASE WHEN i % 7 = 0 THEN NULL ELSE i END::BIGINT AS n, "
                "CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 10)::DOUBLE END AS x, "
                "'n' || (i % 37)::VARCHAR AS name, "
                "DATE '2024-01-01' + (i % 5)::INTEGER AS d1, "
                "CASE WHEN i % 13 = 0 THEN NULL ELSE DATE '2024-01-03' END AS d2 FROM range(100) t(i)")
    schema = TableSchema.from_descriptor({"fields": [{"name": "n", "type": "integer"}, {"name": "x", "type": "number"},
                                                     {"name": "name"}, {"name": "d1", "type": "date"},
                                                     {"name": "d2", "type": "date"}]})
    suite = Suite("planted", tmp_path / "planted.suite.yaml", PLANTED)
    reports = []
    for native in (True, False):
        report = Report("planted")
        quality.QualityRunner(suite, con, schema, [("a.csv", None), ("b.xlsx", "表1")], native=native).run(report, None)
        reports.append(report)
    assert key(reports[0]) == key(reports[1])
    assert {p.rule for p in reports[0].problems} == {"nn", "nn-mostly-fail", "between", "between-strict",
                                                     "between-min-only", "unique", "pair", "pair-or-equal",
                                                     "pair-numbers", "rows-fail"}
    assert "duckdb" in reports[0].checks[0] and "pandas" in reports[1].checks[0]


@pytest.mark.parametrize("dataset", sorted(p.name.removesuffix(".dataset.yaml")
                                           for p in (REPO / "datasets").glob("*.dataset.yaml")))
def test_every_bundled_suite_matches_great_expectations(dataset: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project(REPO, store=tmp_path / "store")
    if project.spec(dataset).quality_path is None:
        pytest.skip("no quality suite")
    native = project.validate(dataset).report
    monkeypatch.setattr(quality, "_supports", lambda e: False)
    reference = project.validate(dataset).report
    assert key(native) == key(reference)
    assert native.rows == reference.rows > 0
