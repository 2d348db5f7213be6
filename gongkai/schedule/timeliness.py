"""When each release was due and whether it came in time: the judging half of :mod:`.compliance`.

A release is due ``deadline.days`` (working or calendar) days after its information was formed — the latest value
of the spec's ``deadline.from`` field, or the source's date — and is judged against the day it was published
(Beijing time). When the due date lies beyond the calendar's years but the release was published before the days
ran out, it is on time all the same; otherwise the reason names the missing year's calendar file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from ..deadlines import CALENDAR, missing_year_hint, working_days_between
from ..spec.deadline import Deadline

if TYPE_CHECKING:
    from ..project import Project
    from ..spec.dataset import DatasetSpec
    from .history import History

CHINA = ZoneInfo("Asia/Shanghai")
STEP: dict[str, relativedelta] = {
    "daily": relativedelta(days=1), "weekly": relativedelta(weeks=1), "monthly": relativedelta(months=1),
    "quarterly": relativedelta(months=3), "half-yearly": relativedelta(months=6), "yearly": relativedelta(years=1),
}
STATUS_ZH = {"on-time": "按时", "late": "逾期发布", "unknown": "无法判断", "overdue": "逾期未更新", "pending": "未到期"}


def today_in_china() -> dt.date:
    return dt.datetime.now(CHINA).date()


def calendar_years() -> tuple[int, int]:
    years = CALENDAR.years()
    return years[0], years[-1]


@dataclass(frozen=True)
class ReleaseInfo:
    dataset: str
    version: str
    published: dt.date
    formed: dt.date | None
    formed_from: Literal["data", "source"] | None
    rule: Deadline
    findings: dict[str, int] = field(default_factory=dict)  # conduct findings of the release by category


@dataclass
class ReleaseStatus:
    dataset: str
    version: str
    agency: str
    domain: str
    formed: str | None
    formed_from: str | None
    published: str
    due: str | None
    status: Literal["on-time", "late", "unknown"]
    working_days_late: int | None = None
    days_late: int | None = None
    reason: str | None = None
    late_rows: int = 0  # rows the release itself flags as published late (双公示 7 working days)
    findings: int = 0


@dataclass
class Expected:
    """The next release a dataset's update frequency calls for."""

    dataset: str
    agency: str
    domain: str
    frequency: str
    last_version: str
    last_published: str
    next_formed: str
    due: str | None
    status: Literal["pending", "overdue", "unknown"]
    working_days_late: int | None = None
    days_late: int | None = None
    working_days_left: int | None = None


def load_releases(project: Project, history: History | None = None) -> dict[str, list[ReleaseInfo]]:
    """Every release in the store with its formed and published dates (formed from the manifest, else from a
    source date the run history recorded)."""
    out: dict[str, list[ReleaseInfo]] = {}
    for spec in project.specs:
        source_dates = history.formed_dates(spec.id) if history is not None else {}
        infos = []
        for v in project.store.versions(spec.id):
            m = project.store.manifest(spec.id, v)
            formed_text, formed_from = m.get("information_formed"), m.get("information_formed_from") or "data"
            if not formed_text and v in source_dates:
                formed_text, formed_from = source_dates[v], "source"
            published = dt.datetime.fromisoformat(m["created"]).astimezone(CHINA).date()
            infos.append(ReleaseInfo(spec.id, v, published, dt.date.fromisoformat(formed_text) if formed_text else None,
                                     formed_from if formed_text else None,  # type: ignore[arg-type]
                                     _rule(m, spec), dict((m.get("findings") or {}).get("by_category") or {})))
        out[spec.id] = infos
    return out


def _rule(manifest: dict[str, Any], spec: DatasetSpec) -> Deadline:
    """The rule the release was made under (older manifests recorded only a working-day count)."""
    if isinstance(manifest.get("deadline"), dict):
        return Deadline.model_validate(manifest["deadline"])
    if manifest.get("deadline_working_days"):
        return spec.deadline.model_copy(update={"days": int(manifest["deadline_working_days"]), "counting": "working"})
    return spec.deadline


def judge(spec: DatasetSpec, r: ReleaseInfo) -> ReleaseStatus:
    base = ReleaseStatus(spec.id, r.version, spec.publisher.name, spec.domain,
                         r.formed.isoformat() if r.formed else None, r.formed_from, r.published.isoformat(), None,
                         "unknown", late_rows=r.findings.get("late", 0), findings=sum(r.findings.values()))
    if r.formed is None:
        base.reason = "没有信息形成日期：在数据集规格的 deadline.from 中指定日期字段，或用 source（来源文件日期）"
        return base
    due = r.rule.due(r.formed)
    if due is None:
        used = r.rule.elapsed(r.formed, r.published)
        if used is not None and used <= r.rule.days:  # published before the days ran out, wherever the end falls
            base.status, base.working_days_late, base.days_late = "on-time", 0, 0
            return base
        base.reason = missing_year_hint(r.formed)
        return base
    base.due = due.isoformat()
    if r.published <= due:
        base.status, base.working_days_late, base.days_late = "on-time", 0, 0
    else:
        base.status = "late"
        base.working_days_late = working_days_between(due, r.published)
        base.days_late = (r.published - due).days
    return base


def expected_next(spec: DatasetSpec, last: ReleaseInfo, as_of: dt.date) -> Expected | None:
    """When the release after ``last`` is due by the dataset's update frequency; None for irregular datasets."""
    step = STEP.get(spec.update_frequency)
    if step is None:
        return None
    next_formed = (last.formed or last.published) + step
    due = last.rule.due(next_formed)
    e = Expected(spec.id, spec.publisher.name, spec.domain, spec.update_frequency, last.version,
                 last.published.isoformat(), next_formed.isoformat(), due.isoformat() if due else None, "unknown")
    if due is None:
        return e
    if as_of > due:
        e.status, e.working_days_late, e.days_late = "overdue", working_days_between(due, as_of), (as_of - due).days
        if e.working_days_late is None:
            e.status = "unknown"
    else:
        e.status, e.working_days_left = "pending", working_days_between(as_of, due)
    return e
