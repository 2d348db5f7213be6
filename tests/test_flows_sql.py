"""`gongkai sql`: read-only DuckDB over the released tables, one view per dataset, version pinned."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.cli import cli
from gongkai.errors import UsageError
from gongkai.flows.sql import run_sql
from gongkai.release.reading import LocalReleases

from .flows_support import LT

QUESTION = ("SELECT to_region_code, sum(amount) AS amount FROM fund_allocations "
            "WHERE fund = '中央专项彩票公益金' AND level = '项目' GROUP BY to_region_code ORDER BY amount DESC LIMIT 5")


def sql(p: Project, query: str):  # type: ignore[no-untyped-def]
    return run_sql(p.specs, LocalReleases(p.store), query)


def test_views_answer_like_the_parquet_files(flow_sample: Project) -> None:
    result = sql(flow_sample, QUESTION)
    parquet = flow_sample.store.release_dir("fund-allocations", "v1") / "data.parquet"
    expected = duckdb.sql(QUESTION.replace("fund_allocations", f"'{parquet}'")).fetchall()
    assert result.rows == expected and result.columns == ["to_region_code", "amount"]
    assert [(r.dataset, r.version) for r in result.releases] == [("fund-allocations", "v1")]
    quoted = sql(flow_sample, 'SELECT count(*) FROM "lottery-welfare-projects"')
    assert quoted.rows == [(80,)]  # the 福彩 projects; the 40 体彩 ones are sports-lottery-projects


def test_flow_tables_are_views_too(flow_sample: Project) -> None:
    result = sql(flow_sample, f"SELECT stage, count(*) FROM flows WHERE fund = '{LT}' GROUP BY stage ORDER BY stage")
    counts = dict(result.rows)
    assert counts["下达"] == sql(flow_sample, f"SELECT count(*) FROM fund_allocations WHERE fund = '{LT}'").rows[0][0]
    assert counts["支出"] == 120  # every lottery project of both lines records its spending
    assert {r.dataset for r in result.releases} == {"fund-allocations", "lottery-welfare-projects",
                                                    "sports-lottery-projects", "poverty-projects"}


@pytest.mark.parametrize(("query", "pattern"), [
    ("DELETE FROM fund_allocations", "only SELECT is allowed"),
    ("CREATE TABLE t AS SELECT 1", "only SELECT is allowed"),
    ("COPY (SELECT 1) TO '/tmp/x.csv'", "only SELECT is allowed"),
    ("SELECT 1; SELECT 2", "exactly one SELECT"),
    ("SELECT * FROM read_csv('/etc/passwd')", "reads files"),
    ("SELECT * FROM read_parquet('store/fund-allocations/v1/data.parquet')", "reads files"),
    ("SELECT * FROM no_such_table", "views: .*fund_allocations"),
    ("SELEC 1", "does not parse"),
])
def test_anything_but_one_select_over_the_views_is_refused(flow_sample: Project, query: str, pattern: str) -> None:
    with pytest.raises(UsageError, match=pattern):
        sql(flow_sample, query)


def test_no_file_access_from_inside_a_select(flow_sample: Project) -> None:
    """Even a function that would read a file, hidden in an expression, is stopped by DuckDB itself."""
    from gongkai.errors import SqlError

    with pytest.raises((SqlError, UsageError)):
        sql(flow_sample, "SELECT (SELECT count(*) FROM glob('/etc/*')) AS n FROM fund_allocations")


def test_cli_sql_formats(flow_sample: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--store", str(flow_sample.store.path), "sql"]
    out = runner.invoke(cli, [*base, QUESTION, "--format", "json"], catch_exceptions=False).output
    doc = json.loads(out)
    assert doc["columns"] == ["to_region_code", "amount"] and len(doc["rows"]) == 5
    assert doc["versions"][0]["version"] == "v1"
    out = runner.invoke(cli, [*base, QUESTION, "--format", "csv"], catch_exceptions=False).output
    assert out.splitlines()[0] == "to_region_code,amount" and len(out.splitlines()) == 6
    result = runner.invoke(cli, [*base, QUESTION, "--as-of", "2000-01-01"], catch_exceptions=False)
    assert result.exit_code == 2 and "had no release on or before 2000-01-01" in result.output
    result = runner.invoke(cli, [*base, "DROP TABLE flows"], catch_exceptions=False)
    assert result.exit_code == 2 and "read-only" in result.output


def test_the_catalog_lists_every_released_table(flow_sample: Project) -> None:
    shown = {r[0] for r in sql(flow_sample, "SHOW TABLES").rows}
    released = {"fund-allocations", "lottery-welfare-projects", "sports-lottery-projects", "poverty-projects"}
    assert released | {d.replace("-", "_") for d in released} | {"flows", "nodes", "project_records"} <= shown
    assert "government-procurement" not in shown  # not released in this store
    cols = sql(flow_sample, "SELECT column_name FROM information_schema.columns WHERE table_name = 'poverty_projects'")
    assert ("amount_spent",) in cols.rows and ("project_id",) in cols.rows
    tables = sql(flow_sample, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'fund_allocations'")
    assert tables.rows == [(1,)]


def test_a_version_is_pinned_beside_as_of(tmp_path: Path) -> None:
    from .conftest import REPO
    from .flows_support import allocation_rows, release_all, write_allocations

    p = Project(REPO, store=tmp_path / "store")
    release_all(p)
    rows = [r for r in allocation_rows() if r["资金名称"] == LT]
    assert p.release("fund-allocations", [write_allocations(tmp_path / "a.csv", rows)]).version == "v2"
    count = "SELECT count(DISTINCT fund) FROM fund_allocations"
    assert sql(p, count).rows == [(1,)]
    pinned = run_sql(p.specs, LocalReleases(p.store), count, pins={"fund-allocations": "v1"})
    assert pinned.rows == [(2,)] and [(r.dataset, r.version) for r in pinned.releases] == [("fund-allocations", "v1")]
    flows = run_sql(p.specs, LocalReleases(p.store), "SELECT count(DISTINCT fund) FROM flows",
                    pins={"fund-allocations": "v1"})
    assert flows.rows == [(2,)]
    with pytest.raises(UsageError, match=r"fund-allocations has no version 'v9'.*") as e:
        run_sql(p.specs, LocalReleases(p.store), count, pins={"fund-allocations": "v9"})
    assert "v1 (" in str(e.value.hint) and "v2 (" in str(e.value.hint)
    result = CliRunner().invoke(cli, ["--store", str(p.store.path), "sql", count, "--version", "fund-allocations=v1",
                                      "--format", "csv"], catch_exceptions=False)
    assert result.exit_code == 0 and result.output.splitlines()[1] == "2"
    result = CliRunner().invoke(cli, ["--store", str(p.store.path), "flows", "reconcile", "--version",
                                      "fund-allocations=v1", "--fund", "财政专项扶贫资金"], catch_exceptions=False)
    assert result.exit_code == 0 and "fund-allocations v1" in result.output
    result = CliRunner().invoke(cli, ["--store", str(p.store.path), "sql", count, "--version", "fund-allocations"],
                                catch_exceptions=False)
    assert result.exit_code == 2 and "DATASET=vN" in result.output
