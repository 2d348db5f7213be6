"""The process that runs one ``gongkai sql`` query, so its memory and time can be bounded from outside.

DuckDB's ``memory_limit`` covers only its buffer manager: ``repeat('x', 3000000000)`` allocates beside it and a
query over a 2·10¹¹-row range has no end. The query therefore runs in a spawned worker whose whole address
space is capped (``RLIMIT_AS``), and the parent kills it when the statement time is up — the only stop that
works whatever the worker is doing. Releases are resolved (and fetched) in the parent; the worker only opens
the local files.
"""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, BinaryIO

import duckdb

from ..errors import GongkaiError, SqlError, UsageError
from ..ingest.limits import _mb
from ..quoting import lit, q
from ..release.reading import Release
from ..spec.loading import Specs
from .model import build_tables

FLOW_TABLES = ("flows", "nodes", "project_records", "allocations", "edges")


def open_views(specs: Specs, releases: dict[str, Release], flows: bool) -> duckdb.DuckDBPyConnection:
    """A connection with one view per release (both spellings of its name) and, if asked, the flow tables."""
    con = duckdb.connect()
    for ds, rel in releases.items():
        con.execute(f"CREATE VIEW {q(ds)} AS SELECT * FROM read_parquet({lit(rel.files['data.parquet'])})")
        if "-" in ds:
            con.execute(f"CREATE VIEW {q(ds.replace('-', '_'))} AS SELECT * FROM {q(ds)}")
    if flows:
        build_tables(con, specs, releases)
    return con


def lock(con: duckdb.DuckDBPyConnection, releases: dict[str, Release], memory_limit: str) -> None:
    """Memory cap and spill directory; no file but the release files; the settings locked."""
    paths = ", ".join(lit(r.files["data.parquet"]) for r in releases.values())
    con.execute(f"SET memory_limit = {lit(memory_limit)}")
    con.execute(f"SET temp_directory = {lit(tempfile.gettempdir() + '/gongkai-sql')}")
    con.execute(f"SET allowed_paths = [{paths}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def execute(con: duckdb.DuckDBPyConnection, query: str, specs: Specs, unknown: list[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run the query; errors in the words of the user (a missing view names the views there are)."""
    try:
        cur = con.execute(query)
        return [d[0] for d in cur.description], cur.fetchall()
    except duckdb.CatalogException as e:
        views = ", ".join(sorted({s.id.replace("-", "_") for s in specs} | set(FLOW_TABLES)))
        raise UsageError(f"{str(e).splitlines()[0]}" + (f" (not a dataset: {', '.join(unknown)})" if unknown else ""),
                         f"views: {views}") from None
    except duckdb.OutOfMemoryException:
        raise MemoryError from None  # the worker says so in the user's words
    except duckdb.Error as e:
        raise SqlError(str(e).splitlines()[0]) from None


@dataclass(frozen=True)
class Limits:
    """What one query may cost: the address space of its process and the seconds it may run."""

    memory_limit: str = "2GB"    # DuckDB's buffer manager, beyond which it spills
    process_memory: int = 4 << 30
    timeout: float = 300.0


def _work(out: BinaryIO, specs: Specs, releases: dict[str, Release], flows: bool, query: str,
          unknown: list[str], limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.process_memory, limits.process_memory))
    answer: tuple[Any, ...]
    try:
        con = open_views(specs, releases, flows)
        lock(con, releases, limits.memory_limit)
        answer = ("ok", execute(con, query, specs, unknown))
    except GongkaiError as e:
        answer = ("error", type(e).__name__, e.message, e.hint)
    except MemoryError:
        answer = ("memory",)
    try:
        pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:  # the rows fit, their pickle did not
        pickle.dump(("memory",), out)
    out.flush()


def _memory_error(limits: Limits) -> SqlError:
    return SqlError(f"查询所需内存超过上限 {_mb(limits.process_memory)}，已停止",
                    "缩小查询范围（WHERE、LIMIT、少取几列），或调大 GONGKAI_SQL_PROCESS_MEMORY（如 8GB）")


def run_in_worker(specs: Specs, releases: dict[str, Release], flows: bool, query: str, unknown: list[str],
                  limits: Limits) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Columns and rows of the query, run in a worker bounded by ``limits``; the worker's errors raised here."""
    job = pickle.dumps((specs, releases, flows, query, unknown, limits), protocol=pickle.HIGHEST_PROTOCOL)
    worker = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        out, _ = worker.communicate(job, timeout=limits.timeout)
    except subprocess.TimeoutExpired:
        raise SqlError(f"查询超过时间上限 {limits.timeout:g} 秒，已停止",
                       "缩小查询范围（WHERE、LIMIT），或调大 GONGKAI_SQL_TIMEOUT（秒）") from None
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    try:
        answer = pickle.loads(out)
    except (EOFError, pickle.UnpicklingError):  # the worker died without a word: it ran out of memory, or aborted
        raise _memory_error(limits) from None
    if answer[0] == "ok":
        return answer[1]  # type: ignore[no-any-return]
    if answer[0] == "memory":
        raise _memory_error(limits)
    _, kind, message, hint = answer
    raise (UsageError if kind == "UsageError" else SqlError)(message, hint)


def main() -> None:
    """The worker: the job pickled on stdin, the answer pickled on the original stdout (print goes to stderr)."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _work(out, *pickle.load(sys.stdin.buffer))


if __name__ == "__main__":
    main()
