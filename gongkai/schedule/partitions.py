"""Completeness of a partitioned dataset: which counties have submitted for the current period, which are late.

The period is the last one the dataset's update frequency has closed by ``as_of`` (for a monthly dataset on
2 December: November). Its information is formed the day the period closes, so a county's part is due by the
spec's ``deadline`` counted from that day. A county whose latest accepted submission was made since then has
submitted (on time, or late); one without is missing — overdue once the due date has passed. The counties expected
are the partitions the spec's registry assigns (counties, or departments by name); without a registry only the
partitions that have submitted are known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..deadlines import working_days_between
from ..identifiers import regions
from ..release.partitions import current_parts
from .timeliness import CHINA, today_in_china

if TYPE_CHECKING:
    from ..project import Project

Status = Literal["on-time", "late", "missing", "overdue"]
STATUS_ZH: dict[str, str] = {"on-time": "按时提交", "late": "逾期提交", "missing": "未提交（未到期）",
                             "overdue": "逾期未提交"}
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}


@dataclass
class PartitionRow:
    partition: str
    region: str
    agency: str | None
    organization: str | None
    submitted: str | None  # Beijing date of its latest accepted submission
    rows: int | None
    status: Status
    status_zh: str = ""
    working_days_late: int | None = None


@dataclass
class Completeness:
    dataset: str
    frequency: str
    period_start: str
    formed: str  # the day the period closed, when its information was formed
    due: str | None
    as_of: str
    registry: str | None
    rows: list[PartitionRow] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.rows) for s in STATUS_ZH}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "counts": self.counts}


def period(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The last period closed by ``day``: its first day and the day it closed (the next period's first day)."""
    if frequency == "daily":
        return day - dt.timedelta(days=1), day
    if frequency == "weekly":
        end = day - dt.timedelta(days=day.weekday())
        return end - dt.timedelta(weeks=1), end
    months = PERIOD_MONTHS.get(frequency, 12)  # irregular datasets are judged by the year
    index = (day.month - 1) // months * months
    end = dt.date(day.year, index + 1, 1)
    back = end.month - 1 - months
    start = dt.date(end.year + back // 12, back % 12 + 1, 1)
    return start, end


def completeness(project: Project, dataset: str, as_of: dt.date | None = None) -> Completeness:
    """Each partition's standing for the current period; a ``UsageError`` for a dataset that is not partitioned."""
    from ..errors import UsageError
    from ..spec.agencies import registry_of

    spec = project.spec(dataset)
    if spec.partition is None:
        raise UsageError(f"数据集 {spec.id} 不是分区提交的数据集", "只有说明中有 partition 键的数据集才按单位分区提交。")
    as_of = as_of or today_in_china()
    start, formed = period(spec.update_frequency, as_of)
    due = spec.deadline.due(formed)
    registry = registry_of(spec)
    parts = current_parts(project.store.dataset_dir(spec.id))
    expected = registry.partitions if registry else {}
    names = regions()
    out = Completeness(spec.id, spec.update_frequency, start.isoformat(), formed.isoformat(),
                       due.isoformat() if due else None, as_of.isoformat(),
                       str(spec.partition.agencies) if registry else None)
    for value in sorted(set(expected) | set(parts)):
        agency, part = expected.get(value), parts.get(value)
        submitted = (dt.datetime.fromisoformat(part.meta["submitted"]).astimezone(CHINA).date()
                     if part and part.meta.get("submitted") else None)
        row = PartitionRow(value, agency.region_name if agency else getattr(names.get(value), "name", ""),
                           agency.title if agency else None, agency.organization if agency else None,
                           submitted.isoformat() if submitted else None, part.meta.get("rows") if part else None,
                           "missing")
        if submitted is not None and submitted >= formed:
            late = due is not None and submitted > due
            row.status = "late" if late else "on-time"
            if late:
                assert due is not None
                row.working_days_late = working_days_between(due, submitted)
        elif due is not None and as_of > due:
            row.status, row.working_days_late = "overdue", working_days_between(due, as_of)
        row.status_zh = STATUS_ZH[row.status]
        out.rows.append(row)
    return out
