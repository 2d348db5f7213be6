"""`gongkai sql` runs in a worker whose whole address space and run time are bounded (issue 14, finding 5)."""

from __future__ import annotations

import datetime as dt
import resource
import time
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.cli import cli
from gongkai.errors import SqlError, UsageError
from gongkai.flows.sql import run_sql
from gongkai.flows.sql_worker import Limits
from gongkai.release.reading import LocalReleases

CAP = 1 << 30


def test_a_string_beyond_the_process_cap_is_stopped_with_a_clear_message(flow_sample: Project, tmp_path: Path) -> None:
    """DuckDB's memory_limit does not cover repeat(): without the worker's RLIMIT_AS this reached 6 GB."""
    query = "SELECT length(repeat('x', 3000000000)) AS n"
    result = CliRunner().invoke(cli, ["--store", str(flow_sample.store.path), "sql", query],
                                env={"GONGKAI_SQL_PROCESS_MEMORY": "1GB"}, catch_exceptions=False)
    assert result.exit_code != 0
    assert "查询所需内存超过上限 1,024 MB" in result.output and "GONGKAI_SQL_PROCESS_MEMORY" in result.output
    assert "Out of Memory" not in result.output and "Traceback" not in result.output
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert worker_peak < CAP, f"a worker reached {worker_peak >> 20} MB"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < CAP  # nor did it run here


def test_a_query_over_a_huge_range_is_stopped_at_the_timeout(flow_sample: Project) -> None:
    query = "SELECT count(*) FROM range(200000000000)"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["--store", str(flow_sample.store.path), "sql", query],
                                env={"GONGKAI_SQL_TIMEOUT": "2"}, catch_exceptions=False)
    took = time.monotonic() - started
    assert result.exit_code != 0 and "查询超过时间上限 2 秒，已停止" in result.output
    assert "GONGKAI_SQL_TIMEOUT" in result.output
    assert 2 <= took < 15, took


def test_the_worker_answers_like_before(flow_sample: Project) -> None:
    """Types survive the trip from the worker (decimals, dates, NULL) and user errors keep their class."""
    source = LocalReleases(flow_sample.store)
    r = run_sql(flow_sample.specs, source, "SELECT 1.50::DECIMAL(18,2) AS d, DATE '2024-01-31' AS day, NULL AS n",
                limits=Limits(timeout=60))
    assert r.columns == ["d", "day", "n"] and r.rows == [(Decimal("1.50"), dt.date(2024, 1, 31), None)]
    with pytest.raises(UsageError, match="no_such_table"):
        run_sql(flow_sample.specs, source, "SELECT * FROM no_such_table")
    with pytest.raises(SqlError) as e:
        run_sql(flow_sample.specs, source, "SELECT 1/'a'")
    assert "Traceback" not in str(e.value)
