"""A scratch DuckDB database in a temporary directory: where one run's data lives between stages."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import duckdb

from ..quoting import lit
from ..settings import SourceLimits

# The tables of one run, in the order the stages make them; every stage names them through these constants.
DATA = "data"            # view: each source row as normalised text, with _src, _file, _sheet, _row (ingest)
TYPED = "typed"          # view: the same rows with typed values, NULL where a cell failed its type (gate.checks)
PROTECTED = "protected"  # view or table: the privacy policy applied, bookkeeping columns kept (gate.protect)
FINAL = "final"          # table: the published rows and columns, ordered by primary key (gate.protect)


class Workspace:
    """Owns a temporary directory and an in-memory DuckDB whose tables spill there past ``memory_limit``."""

    def __init__(self, memory_limit: str = "1GB", threads: int | None = None,
                 limits: SourceLimits | None = None) -> None:
        self.limits = limits or SourceLimits()  # what one source file may cost (:mod:`.limits`)
        self.dir = Path(tempfile.mkdtemp(prefix="gongkai-"))
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit = {lit(memory_limit)}")
        self.con.execute(f"SET temp_directory = {lit(self.dir / 'spill')}")
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
