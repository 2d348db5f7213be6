"""The embedded scheduler: a plain loop over the pipelines' cron schedules.

For every pipeline ``croniter`` gives the next time its cron expression fires (in the pipeline's time zone); the
loop sleeps until the earliest, runs what is due (or, with a queue, hands it to RQ workers) and once a day checks
the disclosure deadlines of every pipeline's datasets.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from ..errors import UsageError
from ..spec.pipelines import PipelineSpec

log = logging.getLogger("gongkai.schedule")

Dispatch = Callable[[PipelineSpec, dt.datetime], Any]


class Scheduler:
    """Fires each pipeline on its cron schedule. ``dispatch(pipeline, fire_time)`` does the work (runs it here, or
    enqueues it); ``daily(now)`` runs once a day at ``daily_at`` (the deadline check). Missed fires while a run is
    busy are coalesced into one. ``clock``/``sleep`` are injectable so tests can run days in a second."""

    def __init__(self, pipelines: list[PipelineSpec], dispatch: Dispatch,
                 daily: Callable[[dt.datetime], Any] | None = None, daily_at: str = "0 9 * * *",
                 clock: Callable[[], dt.datetime] | None = None, sleep: Callable[[float], Any] | None = None,
                 timezone: str = "Asia/Shanghai") -> None:
        if not pipelines:
            raise UsageError("no pipelines to schedule", "Add pipelines/<id>.pipeline.yaml files.")
        self.pipelines, self.dispatch, self.daily = pipelines, dispatch, daily
        self.daily_at, self.timezone = daily_at, ZoneInfo(timezone)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.stopping = threading.Event()
        self.sleep = sleep or self.stopping.wait
        self.fired = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self, max_fires: int | None = None) -> None:
        """Loop until :meth:`stop` (or ``max_fires`` dispatches, for tests)."""
        now = self.clock()
        due = {p.id: p.next_run(now) for p in self.pipelines}
        daily_next = croniter(self.daily_at, now.astimezone(self.timezone)).get_next(dt.datetime) if self.daily else None
        if self.daily:
            try:
                self.daily(now)
            except Exception:
                log.exception("deadline check failed")
        by_id = {p.id: p for p in self.pipelines}
        while not self.stopping.is_set():
            upcoming = min([*due.values(), *([daily_next] if daily_next else [])])
            wait = (upcoming - self.clock()).total_seconds()
            if wait > 0:
                self.sleep(min(wait, 3600.0))
                continue
            now = self.clock()
            for pid, when in sorted(due.items(), key=lambda kv: kv[1]):
                if when <= now and not self.stopping.is_set():
                    try:
                        self.dispatch(by_id[pid], when)
                    except Exception:  # one pipeline's trouble (a bad file, Redis down) must not stop the others
                        log.exception("pipeline %s: dispatch failed", pid)
                    self.fired += 1
                    due[pid] = by_id[pid].next_run(max(self.clock(), when))
                    if max_fires is not None and self.fired >= max_fires:
                        return
            if daily_next is not None and daily_next <= self.clock() and self.daily:
                try:
                    self.daily(self.clock())
                except Exception:
                    log.exception("deadline check failed")
                daily_next = croniter(self.daily_at, self.clock().astimezone(self.timezone)).get_next(dt.datetime)
