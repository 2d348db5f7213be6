"""Unanswered 依申请公开 requests near or past their answer deadline, for the deadline notices of the runner.

The clock is :class:`gongkai.deadlines.RequestClock` (20 working days from receipt or from the 补正, 40 when
extended). Requests are read from the register's latest release, which holds no applicant's name or contact, so
a notice can carry nothing personal either.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..deadlines import RequestClock, working_days_between
from .annual import REQUESTS

if TYPE_CHECKING:
    from ..project import Project


@dataclass(frozen=True)
class RequestDue:
    dataset: str
    request_no: str
    received: str
    due: str
    status: Literal["upcoming", "overdue"]
    working_days_left: int | None = None
    working_days_late: int | None = None
    agency: str = ""  # the organ that received the request and must answer it (the register's partition)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def open_requests(project: Project, datasets: list[str], today: dt.date, days_before: int) -> list[RequestDue]:
    """Requests of the register (when among ``datasets``) not yet answered and due within ``days_before`` working
    days, or overdue. A due date beyond the calendar is left out (the compliance report names the missing year)."""
    if REQUESTS not in datasets or (latest := project.store.latest(REQUESTS)) is None:
        return []
    with (project.store.release_dir(REQUESTS, latest) / "data.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    spec = project.spec(REQUESTS)
    field = spec.partition.field if spec.partition else None
    found = []
    for r in rows:
        received = _date(r.get("received_date"))
        if r.get("answered_date") or received is None:
            continue
        clock = RequestClock(received, _date(r.get("corrected_date")), extended=r.get("extended") == "是")
        t = clock.status(None, today)
        if t.due is None:
            continue
        agency = (r.get(field) if field else None) or spec.publisher.name
        if t.status == "overdue":
            found.append(RequestDue(REQUESTS, r["request_no"], received.isoformat(), t.due.isoformat(), "overdue",
                                    working_days_late=t.working_days_late, agency=agency))
        elif (left := working_days_between(today, t.due)) is not None and left <= days_before:
            found.append(RequestDue(REQUESTS, r["request_no"], received.isoformat(), t.due.isoformat(), "upcoming",
                                    working_days_left=left, agency=agency))
    return found
