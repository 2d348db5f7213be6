"""Light commands import nothing heavy they do not use (Great Expectations alone costs 2.5–11 s to import).

Each case runs in a fresh interpreter, so the modules seen are those the command itself imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = {"great_expectations", "pandas", "pyarrow", "duckdb", "openpyxl", "sqlalchemy", "frictionless", "psycopg2",
         "ckanapi", "requests", "jinja2"}
PROBE = """
import json, sys
from gongkai.cli import cli
try:
    cli(sys.argv[1:], prog_name="gongkai", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""


def imported(*args: str, cache: Path, **extra_env: str) -> set[str]:
    env = {**os.environ, "GONGKAI_CACHE": str(cache), "GONGKAI_PROJECT": str(REPO), "GX_ANALYTICS_ENABLED": "false",
           **extra_env}
    env.pop("GONGKAI_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=120,
                         check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1])) & HEAVY


def test_importing_the_cli_imports_nothing_heavy(tmp_path: Path) -> None:
    assert imported("--help", cache=tmp_path) == set()


@pytest.mark.parametrize("args", [["list"], ["history", "lottery-welfare-projects"], ["verify", "--help"],
                                  ["validate", "--help"], ["schedule", "--help"]])
def test_light_commands_import_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    imported("list", cache=tmp_path)  # the first load checks every schema with frictionless and remembers it
    assert imported(*args, cache=tmp_path) == set()


def test_a_changed_schema_is_checked_again(tmp_path: Path) -> None:
    from gongkai.errors import ConfigError
    from gongkai.spec.schema import check_schema

    accepted = tmp_path / "accepted"
    good = {"fields": [{"name": "a", "type": "integer"}]}
    check_schema(tmp_path / "x.schema.json", good, accepted)
    assert len(list(accepted.iterdir())) == 1
    with pytest.raises(ConfigError, match="invalid Table Schema"):
        check_schema(tmp_path / "x.schema.json", {"fields": [{"name": "a", "type": "numbr"}]}, accepted)


@pytest.mark.parametrize(("dataset", "expected"), [
    ("lottery-welfare-projects", {"duckdb", "pyarrow", "openpyxl"}),  # xlsx source: Arrow batches into DuckDB
    ("private-schools", {"duckdb", "openpyxl"}),  # CSV source: DuckDB reads it; openpyxl writes data.xlsx
])
def test_a_small_release_imports_neither_pandas_nor_great_expectations(tmp_path: Path, dataset: str,
                                                                       expected: set[str]) -> None:
    """A small release reads, checks and writes with DuckDB (and pyarrow, openpyxl) only: the suite runs as SQL,
    and the ingest builds its Arrow batches without ``pa.array`` (which imports pandas)."""
    store = tmp_path / "store"
    imported("list", cache=tmp_path / "cache")
    heavy = imported("release", dataset, cache=tmp_path / "cache", GONGKAI_STORE=str(store))
    assert (store / dataset / "v1").is_dir()  # it did release
    assert heavy == expected
