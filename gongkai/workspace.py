"""A scratch DuckDB database in a temporary directory: where one run's data lives between stages."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import duckdb


class Workspace:
    """Owns a temporary directory and an in-memory DuckDB whose tables spill there past ``memory_limit``."""

    def __init__(self, memory_limit: str | None = None, threads: int | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gongkai-"))
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit='{memory_limit or os.environ.get('GONGKAI_MEMORY_LIMIT', '1GB')}'")
        self.con.execute(f"SET temp_directory='{self.dir / 'spill'}'")
        self.con.execute("SET preserve_insertion_order=true")
        if threads:
            self.con.execute(f"SET threads={int(threads)}")

    def path(self, name: str) -> Path:
        return self.dir / name

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
