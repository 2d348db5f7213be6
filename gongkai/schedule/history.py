"""Run history and per-dataset leases in a SQL database (SQLite file by default, PostgreSQL as an option).

Tables (created on first use): ``gongkai_runs`` (one row per dataset run: start, end, status, versions produced,
errors), ``gongkai_leases`` (at most one run per dataset at a time), ``gongkai_source_done`` (the fingerprint of
the source — and of the dataset's spec, schema and suite files — each dataset's last completed run consumed, so
an unchanged source is skipped) and
``gongkai_notices`` (deadline notices already sent).

A lease is a row with an expiry that its holder's heartbeat keeps pushing forward. A run that dies stops its
heartbeat: its lease expires (``lease_seconds``) and the next run takes over; on the same host a dead holder's
process id is noticed at once, so a killed run never blocks the next one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from ..errors import DatabaseError
from ..files import PRIVATE_ROOT, private_dir
from ..urls import engine_url, mask_userinfo, show_database_url

metadata = sa.MetaData()

runs = sa.Table(
    "gongkai_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("pipeline", sa.String(100), nullable=False, index=True),
    sa.Column("dataset", sa.String(100), nullable=False, index=True),
    sa.Column("trigger", sa.String(20), nullable=False),
    sa.Column("started", sa.DateTime, nullable=False),
    sa.Column("finished", sa.DateTime),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("versions", sa.Text, nullable=False, default="[]"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("source_fingerprint", sa.String(64)),
    sa.Column("formed", sa.String(10)),
    sa.Column("error", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
)

leases = sa.Table(
    "gongkai_leases", metadata,
    sa.Column("dataset", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(300), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("run_id", sa.Integer),
    sa.Column("acquired", sa.DateTime, nullable=False),
    sa.Column("expires", sa.DateTime, nullable=False),
)

source_done = sa.Table(
    "gongkai_source_done", metadata,
    sa.Column("pipeline", sa.String(100), primary_key=True),
    sa.Column("dataset", sa.String(100), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("run_id", sa.Integer),
    sa.Column("updated", sa.DateTime, nullable=False),
)

notices = sa.Table(
    "gongkai_notices", metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("sent", sa.DateTime, nullable=False),
)

FINAL = ("released", "unchanged", "skipped", "invalid", "failed", "locked", "crashed")
HOST = socket.gethostname()


def utcnow() -> dt.datetime:
    """Naive UTC (the same on SQLite and PostgreSQL columns without a time zone)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def default_history_url(store: Path) -> str:
    return f"sqlite:///{default_history_path(store)}"


def default_history_path(store: Path) -> Path:
    return Path(store).resolve() / PRIVATE_ROOT / "runs.sqlite"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Run:
    id: int
    pipeline: str
    dataset: str
    trigger: str
    started: dt.datetime
    finished: dt.datetime | None
    status: str
    versions: list[str]
    attempts: int
    source_fingerprint: str | None
    formed: str | None
    error: str | None
    detail: dict[str, Any]
    host: str | None
    pid: int | None

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["started"] = self.started.isoformat(timespec="seconds") + "Z"
        d["finished"] = self.finished.isoformat(timespec="seconds") + "Z" if self.finished else None
        return d


class History:
    """The run-history database. ``url`` is a SQLAlchemy URL (``sqlite:///…`` or ``postgresql://…``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        hint = "Give --history-url sqlite:///path/runs.sqlite or postgresql://user@host/db."
        try:
            u = engine_url(url)
        except (sa.exc.ArgumentError, ValueError):  # no scheme, or a port that is not a number
            raise DatabaseError(f"not a database URL: {mask_userinfo(url)}", hint) from None
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if u.get_backend_name() == "sqlite":
            if u.database and u.database != ":memory:":
                parent = Path(u.database).parent
                if PRIVATE_ROOT in parent.parts:  # the default place: private, like the source caches
                    private_dir(parent)
                else:
                    parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        elif u.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 10}
        try:
            self.engine = sa.create_engine(u, **kwargs)
        except (sa.exc.ArgumentError, ImportError) as e:  # unknown dialect, driver not installed
            raise DatabaseError(f"cannot use the run history at {show_database_url(url)}: no database driver for "
                                f"{u.drivername} ({type(e).__name__})",
                                f"{hint} Install its Python driver (for PostgreSQL: pip install psycopg2-binary).") from None
        if u.get_backend_name() == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._create()

    def _create(self) -> None:
        """The tables, created once even when several workers open a fresh database at the same moment: the
        check-then-create of ``create_all`` races ("table … already exists", "database is locked"), so retry."""
        for attempt in range(20):
            try:
                metadata.create_all(self.engine)
                return
            except (IntegrityError, ProgrammingError):  # another process created them at the same moment
                continue
            except OperationalError as e:
                text = str(e.orig).lower()
                if attempt < 19 and ("already exists" in text or "locked" in text):
                    time.sleep(0.05 * (attempt + 1))
                    continue
                raise DatabaseError(f"cannot open the run history at {show_database_url(self.url)}: {str(e.orig).strip()}",
                                    "Check --history-url / GONGKAI_HISTORY_URL and that the database is running.") from None
        metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- runs -----------------------------------------------------------------------------------------

    def start(self, pipeline: str, dataset: str, trigger: str, status: str = "running") -> int:
        with self.engine.begin() as c:
            r = c.execute(runs.insert().values(pipeline=pipeline, dataset=dataset, trigger=trigger, started=utcnow(),
                                               status=status, versions="[]", attempts=0, host=HOST, pid=os.getpid()))
            return int(r.inserted_primary_key[0])  # type: ignore[index]

    def finish(self, run_id: int, status: str, *, versions: list[str] | None = None, attempts: int = 0,
               error: str | None = None, fingerprint: str | None = None, formed: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        assert status in FINAL, status
        with self.engine.begin() as c:
            c.execute(runs.update().where(runs.c.id == run_id).values(
                finished=utcnow(), status=status, versions=json.dumps(versions or []), attempts=attempts,
                error=error, source_fingerprint=fingerprint, formed=formed,
                detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None))

    def update_detail(self, run_id: int, detail: dict[str, Any]) -> None:
        """Replace a finished run's detail (e.g. to add notification errors found after it finished)."""
        with self.engine.begin() as c:
            c.execute(runs.update().where(runs.c.id == run_id).values(
                detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None))

    def record(self, pipeline: str, dataset: str, trigger: str, status: str, error: str | None = None) -> int:
        """A run that ended as it started (e.g. ``locked``)."""
        run_id = self.start(pipeline, dataset, trigger)
        self.finish(run_id, status, error=error)
        return run_id

    def runs(self, pipeline: str | None = None, dataset: str | None = None, status: str | None = None,
             limit: int = 50) -> list[Run]:
        q = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
        if pipeline:
            q = q.where(runs.c.pipeline == pipeline)
        if dataset:
            q = q.where(runs.c.dataset == dataset)
        if status:
            q = q.where(runs.c.status == status)
        with self.engine.connect() as c:
            return [_run(r) for r in c.execute(q).mappings()]

    def get(self, run_id: int) -> Run:
        with self.engine.connect() as c:
            return _run(c.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().one())

    def formed_dates(self, dataset: str) -> dict[str, str]:
        """version → the formed date a source gave (``formed: last-modified``) for runs that released it."""
        q = (sa.select(runs.c.versions, runs.c.formed)
             .where(runs.c.dataset == dataset, runs.c.status == "released", runs.c.formed.is_not(None)))
        with self.engine.connect() as c:
            return {v: f for versions, f in c.execute(q) for v in json.loads(versions)}

    # -- unchanged sources ----------------------------------------------------------------------------

    def done_fingerprint(self, pipeline: str, dataset: str) -> str | None:
        q = sa.select(source_done.c.fingerprint).where(source_done.c.pipeline == pipeline,
                                                       source_done.c.dataset == dataset)
        with self.engine.connect() as c:
            return c.execute(q).scalar_one_or_none()

    def mark_done(self, pipeline: str, dataset: str, fingerprint: str, run_id: int) -> None:
        values = {"fingerprint": fingerprint, "run_id": run_id, "updated": utcnow()}
        with self.engine.begin() as c:
            r = c.execute(source_done.update().where(source_done.c.pipeline == pipeline,
                                                     source_done.c.dataset == dataset).values(**values))
            if r.rowcount == 0:
                c.execute(source_done.insert().values(pipeline=pipeline, dataset=dataset, **values))

    # -- notices --------------------------------------------------------------------------------------

    def claim_notice(self, key: str) -> bool:
        """True the first time ``key`` is claimed (the notice should be sent), False afterwards."""
        try:
            with self.engine.begin() as c:
                c.execute(notices.insert().values(key=key, sent=utcnow()))
            return True
        except IntegrityError:
            return False

    def forget_notice(self, key: str) -> None:
        """Un-claim a notice whose sending failed, so the next check tries again."""
        with self.engine.begin() as c:
            c.execute(notices.delete().where(notices.c.key == key))

    # -- leases ---------------------------------------------------------------------------------------

    def acquire(self, dataset: str, seconds: float) -> Lease | None:
        """The dataset's lease, or None while another live run holds it. Takes over expired or dead holders'."""
        lease = Lease(self, dataset, seconds)
        now = utcnow()
        row = {"dataset": dataset, "holder": lease.holder, "host": HOST, "pid": os.getpid(), "run_id": None,
               "acquired": now, "expires": now + dt.timedelta(seconds=seconds)}
        try:
            with self.engine.begin() as c:
                c.execute(leases.insert().values(**row))
            return lease
        except IntegrityError:
            pass
        with self.engine.connect() as c:
            held = c.execute(sa.select(leases).where(leases.c.dataset == dataset)).mappings().one_or_none()
        if held is None:  # released in between: try once more
            return self.acquire(dataset, seconds)
        dead = held["host"] == HOST and held["pid"] != os.getpid() and not pid_alive(held["pid"])
        if held["expires"] > now and not dead:
            return None
        with self.engine.begin() as c:  # compare-and-swap: only one of several contenders wins
            r = c.execute(leases.update().where(leases.c.dataset == dataset, leases.c.holder == held["holder"])
                          .values(**{k: v for k, v in row.items() if k != "dataset"}))
            if r.rowcount != 1:
                return None
            if held["run_id"] is not None:
                why = (f"process {held['pid']} on {held['host']} died" if dead
                       else f"lease of {held['host']}:{held['pid']} expired without a heartbeat")
                c.execute(runs.update().where(runs.c.id == held["run_id"], runs.c.status == "running")
                          .values(status="crashed", finished=now, error=f"run did not finish: {why}"))
        return lease

    def holder(self, dataset: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = c.execute(sa.select(leases).where(leases.c.dataset == dataset)).mappings().one_or_none()
        return dict(r) if r else None


class Lease:
    """A held dataset lease; :meth:`heartbeat` keeps it alive in a background thread while the run works."""

    def __init__(self, history: History, dataset: str, seconds: float) -> None:
        self.history, self.dataset, self.seconds = history, dataset, seconds
        self.holder = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.lost = False

    def _where(self) -> Any:
        return sa.and_(leases.c.dataset == self.dataset, leases.c.holder == self.holder)

    def attach(self, run_id: int) -> None:
        with self.history.engine.begin() as c:
            c.execute(leases.update().where(self._where()).values(run_id=run_id))

    def renew(self) -> bool:
        with self.history.engine.begin() as c:
            r = c.execute(leases.update().where(self._where())
                          .values(expires=utcnow() + dt.timedelta(seconds=self.seconds)))
        if r.rowcount != 1:
            self.lost = True
        return not self.lost

    def release(self) -> None:
        with self.history.engine.begin() as c:
            c.execute(leases.delete().where(self._where()))

    @contextlib.contextmanager
    def heartbeat(self) -> Iterator[Lease]:
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.seconds / 3):
                with contextlib.suppress(Exception):  # a database hiccup: the next beat tries again
                    if not self.renew():
                        return

        t = threading.Thread(target=beat, name=f"lease-{self.dataset}", daemon=True)
        t.start()
        try:
            yield self
        finally:
            stop.set()
            t.join()
            self.release()


def _run(r: Any) -> Run:
    return Run(id=r["id"], pipeline=r["pipeline"], dataset=r["dataset"], trigger=r["trigger"], started=r["started"],
               finished=r["finished"], status=r["status"], versions=json.loads(r["versions"] or "[]"),
               attempts=r["attempts"], source_fingerprint=r["source_fingerprint"], formed=r["formed"],
               error=r["error"], detail=json.loads(r["detail"]) if r["detail"] else {}, host=r["host"], pid=r["pid"])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
