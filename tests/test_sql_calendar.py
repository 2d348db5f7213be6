"""gk_working_days(a, b) in quality rules: DuckDB and PostgreSQL agree with the Python calendar."""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pytest

from gongkai.deadlines import create_duckdb_functions, create_postgres_functions, working_days_between

PAIRS = [
    (dt.date(2025, 9, 29), dt.date(2025, 10, 13)),  # 国庆+中秋 2025, with the adjusted working Saturday 10-11
    (dt.date(2026, 2, 12), dt.date(2026, 2, 27)),  # 春节 2026 and its adjusted working days
    (dt.date(2024, 12, 31), dt.date(2025, 1, 2)),  # across a year end and 元旦
    (dt.date(2025, 3, 5), dt.date(2025, 3, 5)),  # same day: none
    (dt.date(2025, 3, 6), dt.date(2025, 3, 5)),  # backwards: none
]


def test_duckdb_matches_python() -> None:
    con = duckdb.connect()
    create_duckdb_functions(con)
    for a, b in PAIRS:
        assert con.execute("SELECT gk_working_days(?::DATE, ?::DATE)", [a, b]).fetchall()[0][0] == working_days_between(a, b)
    assert con.execute("SELECT gk_working_days(DATE '2025-09-29', DATE '2025-10-13')").fetchall()[0][0] == 5
    # beyond the calendar: unknown, never guessed
    assert con.execute("SELECT gk_working_days(DATE '2026-12-20', DATE '2027-01-10')").fetchall()[0][0] is None


@pytest.mark.postgres
def test_postgres_matches_python() -> None:
    psycopg2 = pytest.importorskip("psycopg2")
    url = os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    pg = psycopg2.connect(url)
    pg.autocommit = True
    try:
        create_postgres_functions(pg)
        create_postgres_functions(pg)  # idempotent
        with pg.cursor() as cur:
            for a, b in PAIRS:
                cur.execute("SELECT gongkai_ref.gk_working_days(%s, %s)", (a, b))
                assert cur.fetchone()[0] == working_days_between(a, b)
            cur.execute("SELECT gongkai_ref.gk_working_days('2026-12-20', '2027-01-10')")
            assert cur.fetchone()[0] is None
    finally:
        pg.close()
