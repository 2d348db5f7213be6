"""Disclosure timeliness per agency and domain: releases on time, late, unknown; datasets overdue.

A release is judged by its due date — the day its information was formed or changed (from the data's
``deadline.from`` field, or from the source's date) plus the spec's ``deadline`` (working days on China's
calendar, or calendar days), counted from the next day — against the day it was
published (the release's creation date, Beijing time). A dataset whose update frequency has passed is overdue
when no new release came within the deadline after the next period's information was due to be formed. Beyond
the years the holiday calendar covers the answer is "unknown", never a guess. Only 主动公开 datasets are judged:
依申请公开 and 不予公开 information has no proactive-disclosure deadline.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..spec.agencies import agency_names, owned_partition
from ..vocab import DOMAINS, FREQUENCIES
from .partitions import Completeness, completeness
from .timeliness import (
    STATUS_ZH,
    Expected,
    ReleaseStatus,
    calendar_years,
    expected_next,
    judge,
    load_releases,
    today_in_china,
)

REPORT_FORMATS = {"md": "Markdown", "html": "HTML", "json": "JSON", "csv": "CSV"}

if TYPE_CHECKING:
    from ..ckan.client import Client
    from ..project import Project
    from ..spec.dataset import DatasetSpec
    from .history import History

@dataclass
class Row:
    agency: str
    domain: str
    datasets: int = 0
    releases: int = 0
    on_time: int = 0
    late: int = 0
    unknown: int = 0
    overdue: int = 0
    no_release: int = 0
    late_rows: int = 0
    findings: int = 0

    @property
    def on_time_rate(self) -> float | None:
        judged = self.on_time + self.late + self.overdue
        return round(self.on_time / judged, 4) if judged else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "domain_zh": DOMAINS.get(self.domain, self.domain), "on_time_rate": self.on_time_rate}


@dataclass
class ComplianceReport:
    year: int
    as_of: dt.date
    agency: str | None
    rows: list[Row]
    releases: list[ReleaseStatus]
    overdue: list[Expected]
    no_release: list[dict[str, str]]
    calendar: tuple[int, int] = field(default_factory=calendar_years)
    partitions: list[Completeness] = field(default_factory=list)  # partitioned datasets, agency by agency

    @property
    def totals(self) -> Row:
        t = Row("合计 Total", "")
        for r in self.rows:
            for k in ("datasets", "releases", "on_time", "late", "unknown", "overdue", "no_release", "late_rows",
                      "findings"):
                setattr(t, k, getattr(t, k) + getattr(r, k))
        return t

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "as_of": self.as_of.isoformat(), "agency": self.agency,
                "calendar_years": list(self.calendar),
                "agencies": [r.to_dict() for r in self.rows],
                "totals": {k: v for k, v in self.totals.to_dict().items() if k not in ("agency", "domain", "domain_zh")},
                "releases": [asdict(r) for r in self.releases],
                "overdue": [asdict(e) for e in self.overdue],
                "no_release": self.no_release, "partitions": [c.to_dict() for c in self.partitions]}

    # -- renderings -----------------------------------------------------------------------------------

    def _sections(self) -> list[tuple[str, list[str], list[list[str]]]]:
        summary = [[r.agency, DOMAINS.get(r.domain, r.domain), str(r.datasets), str(r.releases), str(r.on_time),
                    str(r.late), str(r.unknown), str(r.overdue), str(r.no_release), _rate(r.on_time_rate),
                    str(r.late_rows), str(r.findings)]
                   for r in [*self.rows, self.totals]]
        overdue = [[e.dataset, e.agency, FREQUENCIES[e.frequency], f"{e.last_version}（{e.last_published}）",
                    e.next_formed, e.due or "—", str(e.working_days_late), str(e.days_late)] for e in self.overdue]
        releases = [[r.dataset, r.version, r.agency, r.formed or "—",
                     {"data": "数据", "source": "来源文件"}.get(r.formed_from or "", "—"), r.due or "—", r.published,
                     STATUS_ZH[r.status], "" if r.working_days_late is None else str(r.working_days_late)]
                    for r in self.releases]
        return [
            ("按机构和领域 By agency and domain",
             ["发布机构 Agency", "领域 Domain", "数据集 Datasets", "发布 Releases", "按时 On time", "逾期发布 Late",
              "无法判断 Unknown", "逾期未更新 Overdue", "尚未发布 No release", "按时率 On-time rate",
              "逾期公示记录 Rows published late", "履职问题 Findings"], summary),
            ("逾期未更新 Overdue datasets",
             ["数据集 Dataset", "发布机构 Agency", "更新频率 Frequency", "上次发布 Last release",
              "应形成新信息 Next information", "公开期限 Due", "逾期工作日 Working days late", "逾期天数 Days late"],
             overdue),
            ("分单位提交 Submissions by agency",
             ["数据集 Dataset", "分区 Partition", "地区 Region", "负责单位 Agency", "期限 Due", "最近提交 Submitted",
              "结果 Result", "逾期工作日 Working days late"],
             [[c.dataset, p.partition, p.region, p.agency or "—", c.due or "—", p.submitted or "—", p.status_zh,
               "" if p.working_days_late is None else str(p.working_days_late)]
              for c in self.partitions for p in c.rows]),
            ("发布明细 Releases",
             ["数据集 Dataset", "版本 Version", "发布机构 Agency", "信息形成日期 Formed", "形成日期来源 From",
              "公开期限 Due", "发布日期 Published", "结果 Result", "逾期工作日 Working days late"], releases),
        ]

    def _intro(self) -> list[str]:
        lo, hi = self.calendar
        who = f"，{self.agency}" if self.agency else ""
        return [f"{self.year} 年{who}，截至 {self.as_of.isoformat()}（北京时间）。As of {self.as_of.isoformat()}.",
                f"工作日按国务院办公厅节假日安排（含调休）计算，日历覆盖 {lo}–{hi} 年；超出部分记为“无法判断”。"]

    def _method(self) -> list[str]:
        return [
            "公开期限 = 信息形成或变更之日（次日起算）起按数据集规格的 deadline 计算：一般 20 个工作日（条例第二十六条），"
            "行政许可、行政处罚 7 个工作日，预算 20 日（预算法第十四条）。"
            " Due = formed date + the spec's deadline (20 working days; 7 for licences and penalties; 20 calendar days"
            " for budgets), counted from the next day.",
            "发布日期为版本生成之日（北京时间）。Published = the day the release was made (Beijing time).",
            "按时率 = 按时 ÷（按时 + 逾期发布 + 逾期未更新）；“无法判断”（没有形成日期，或期限超出日历年份）不计入。"
            " On-time rate = on time / (on time + late + overdue).",
            "逾期未更新：按更新频率，上次信息形成（无则发布）之后一个周期应形成新信息，其后期限内没有新版本。"
            " Overdue: no new release within the deadline after the next period's information was due.",
            "只统计主动公开的数据集。Only 主动公开 (proactive) datasets are counted.",
            "逾期公示记录、履职问题：发布版本自身的 findings.csv 中标出的行（如双公示超过 7 个工作日才公示、超支、无说明的减少），"
            "随数据公开，不阻止发布。Rows the release's findings.csv flags (late 双公示, overspending, a drop without"
            " 说明): published, never blocking.",
        ]

    def to_markdown(self) -> str:
        out = [f"# 政府信息公开时效统计 {self.year} · Disclosure timeliness {self.year}", "", *self._intro(), ""]
        for title, headers, rows in self._sections():
            out += [f"## {title}", ""]
            if not rows:
                out += ["（无 none）", ""]
                continue
            out.append("| " + " | ".join(headers) + " |")
            out.append("|" + "---|" * len(headers))
            out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
            out.append("")
        if self.no_release:
            out += ["## 尚未发布 No release yet", ""]
            out += [f"- {d['dataset']}（{d['agency']}）" for d in self.no_release]
            out.append("")
        out += ["## 方法 Method", "", *[f"- {m}" for m in self._method()], ""]
        return "\n".join(out)

    def to_html(self) -> str:
        e = html.escape
        title = f"政府信息公开时效统计 {self.year} · Disclosure timeliness {self.year}"
        out = ["<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
               f"<title>{e(title)}</title><style>body{{font-family:sans-serif;max-width:72rem;margin:2rem auto;"
               "padding:0 1rem}table{border-collapse:collapse;margin-bottom:1.5rem}td,th{border:1px solid #bbb;"
               "padding:.25rem .5rem;text-align:left}th{background:#f2f2f2}.late{color:#a00}</style></head><body>",
               f"<h1>{e(title)}</h1>", *[f"<p>{e(p)}</p>" for p in self._intro()]]
        for heading, headers, rows in self._sections():
            out.append(f"<h2>{e(heading)}</h2>")
            if not rows:
                out.append("<p>（无 none）</p>")
                continue
            out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead><tbody>")
            for r in rows:
                cls = " class='late'" if any(c in ("逾期发布", "逾期未更新", "逾期提交", "逾期未提交") for c in r) or heading.startswith("逾期") else ""
                out.append(f"<tr{cls}>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>")
            out.append("</tbody></table>")
        if self.no_release:
            out.append("<h2>尚未发布 No release yet</h2><ul>")
            out += [f"<li>{e(d['dataset'])}（{e(d['agency'])}）</li>" for d in self.no_release]
            out.append("</ul>")
        out.append("<h2>方法 Method</h2><ul>" + "".join(f"<li>{e(m)}</li>" for m in self._method()) + "</ul>")
        out.append("</body></html>\n")
        return "\n".join(out)

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        cols = ["agency", "domain", "domain_zh", "datasets", "releases", "on_time", "late", "unknown", "overdue",
                "no_release", "on_time_rate", "late_rows", "findings"]
        w.writerow(cols)
        for r in self.rows:
            d = r.to_dict()
            w.writerow(["" if d[c] is None else d[c] for c in cols])
        return buf.getvalue()

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    def render(self, fmt: str) -> str:
        return {"md": self.to_markdown, "html": self.to_html, "json": self.to_json, "csv": self.to_csv}[fmt]()


def _rate(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def build(project: Project, year: int | None = None, *, agency: str | None = None, as_of: dt.date | None = None,
          history: History | None = None, today: dt.date | None = None) -> ComplianceReport:
    """The compliance figures of ``year`` (default: this year), as of ``as_of`` (default: today, or the year's
    last day for a past year)."""
    today = today or today_in_china()
    year = year or (as_of.year if as_of else today.year)
    if as_of is None and year > today.year:
        raise UsageError(f"{year} has not started yet (today is {today})",
                         f"Pass --as-of with a date inside {year}, e.g. --as-of {year}-06-30, to see it in advance.")
    as_of = as_of or min(today, dt.date(year, 12, 31))
    if as_of.year != year:
        raise UsageError(f"--as-of {as_of} is not in {year}", "Give a date inside the reported year.")
    proactive = [s for s in project.specs if s.disclosure == "主动公开"]
    agencies = agency_names(proactive)
    if agency is not None and agency not in agencies:
        raise UsageError(f"unknown agency {agency!r}", "agencies: " + ", ".join(agencies))
    specs = [s for s in proactive if agency is None or s.publisher.name == agency]
    all_releases = load_releases(project, history)
    rows: dict[tuple[str, str], Row] = {}
    releases, overdue, no_release = [], [], []
    for spec in specs:
        row = rows.setdefault((spec.publisher.name, spec.domain), Row(spec.publisher.name, spec.domain))
        row.datasets += 1
        known = [r for r in all_releases.get(spec.id, []) if r.published <= as_of]
        for r in known:
            if r.published.year == year:
                s = judge(spec, r)
                releases.append(s)
                row.releases += 1
                setattr(row, s.status.replace("-", "_"), getattr(row, s.status.replace("-", "_")) + 1)
                row.late_rows += s.late_rows
                row.findings += s.findings
        if not known:
            row.no_release += 1
            no_release.append({"dataset": spec.id, "agency": spec.publisher.name, "domain": spec.domain})
            continue
        e = expected_next(spec, known[-1], as_of)
        if e is not None and e.status == "overdue":
            overdue.append(e)
            row.overdue += 1
    ordered = [rows[k] for k in sorted(rows)]
    releases.sort(key=lambda r: (r.agency, r.dataset, int(r.version[1:])))
    overdue.sort(key=lambda e: (e.agency, e.dataset))
    parts = [_submissions(project, s, agency, as_of) for s in proactive if s.partition is not None]
    return ComplianceReport(year, as_of, agency, ordered, releases, overdue, no_release,
                            partitions=[c for c in parts if c is not None])


def _submissions(project: Project, spec: DatasetSpec, agency: str | None, as_of: dt.date) -> Completeness | None:
    """A partitioned dataset's submissions as ``agency`` answers for them: every partition for its publisher (or
    for all agencies), the agency's own partition for a submitter (a department's own 决算), else none."""
    own = None if agency is None or spec.publisher.name == agency else owned_partition(spec, agency)
    if agency is not None and spec.publisher.name != agency and own is None:
        return None
    c = completeness(project, spec.id, as_of)
    if own is not None:
        c.rows = [r for r in c.rows if r.partition == own]
    return c


def upcoming(project: Project, datasets: list[str], today: dt.date, days_before: int,
             history: History | None = None) -> list[Expected]:
    """Expected releases of ``datasets`` due within ``days_before`` working days, or already overdue."""
    releases = load_releases(project, history)
    out = []
    for d in datasets:
        spec = project.spec(d)
        known = [r for r in releases.get(d, []) if r.published <= today]
        if spec.disclosure != "主动公开" or not known:
            continue
        e = expected_next(spec, known[-1], today)
        if e is not None and (e.status == "overdue" or (e.status == "pending" and e.working_days_left is not None
                                                         and e.working_days_left <= days_before)):
            out.append(e)
    return out


def dataset_name(year: int) -> str:
    return f"gongkai-compliance-{year}"


def publish(report: ComplianceReport, client: Client, organization: str = "sheng-caizheng",
            name: str | None = None) -> dict[str, Any]:
    """Publish the report to CKAN as a dataset of its own (``gongkai-compliance-<year>``), so the public can check
    the agencies: Markdown, HTML, JSON and CSV, each replaced only when its content changed."""
    from ..ckan.reports import publish_report_dataset

    if report.agency:
        raise UsageError("--publish publishes the report of all agencies", "Run it without --agency.")
    as_of = report.as_of.isoformat()
    metadata = {
        "title": f"政府信息公开时效统计 {report.year}",
        "title_en": f"Disclosure timeliness of agencies, {report.year}",
        "notes": "各机构、各领域主动公开数据的按时发布情况：按时、逾期发布、逾期未更新、按时率，以及逾期清单。"
                 f"截至 {as_of}。由 gongkai compliance 生成。",
        "notes_en": "Per agency and domain: releases on time, late, overdue datasets and the on-time rate, "
                    f"as of {as_of}. Made by gongkai compliance.",
        "owner_org": organization, "private": False, "license_id": "cc-by", "disclosure": "主动公开",
        "update_frequency": "daily", "date_published": as_of,
        "legal_basis": "政府信息公开条例第二十六条；国办发〔2018〕10号",
    }
    files = {f"compliance-{report.year}.{ext}": (report.render(ext).encode("utf-8"), fmt,
                                                 f"政府信息公开时效统计 {report.year}（{fmt}），截至 {as_of}")
             for ext, fmt in REPORT_FORMATS.items()}
    return publish_report_dataset(client, name or dataset_name(report.year), metadata,
                                  ["政务公开", "信息公开时效", "compliance"], files)
