"""政府信息公开工作年度报告: the tables of the national format (国办公开办函〔2021〕30号) that released data fills.

- 二、主动公开政府信息情况: 行政许可 and 行政处罚 decisions of the year, counted from the 双公示 datasets, and the
  规范性文件 made this year and in force, from ``policy-documents``;
- 三、收到和处理政府信息公开申请情况: the ``information-requests`` register by applicant type and result;
- the platform's timeliness figures (:mod:`.compliance`).
Counts come from each dataset's latest release of the agency, never from unreleased sources. In a dataset each
agency submits its own part of (the register: each organ answers its own requests, 条例第二十七条) an agency counts
its own partition's rows; the publisher that assembles it and answers for no partition counts them all (the 主管部门's
report of 本级政府, 第四十九条).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..spec.agencies import agency_names, owned_partition

if TYPE_CHECKING:
    from ..ckan.client import Client
    from ..project import Project

APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
RESULTS = ["予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"]
DECISIONS = {"administrative-licensing": ("行政许可", "decision_date"),
             "administrative-penalties": ("行政处罚", "decision_date")}
REQUESTS = "information-requests"
DOCUMENTS = "policy-documents"
Table = tuple[str, list[str], list[list[str]]]
FORMATS = {"html": "HTML", "md": "Markdown", "csv": "CSV"}


@dataclass
class AnnualReport:
    agency: str
    year: int
    tables: list[Table]

    def to_markdown(self) -> str:
        out = [f"# {self.agency} {self.year} 年政府信息公开工作年度报告（数据部分）", ""]
        for title, headers, rows in self.tables:
            out += [f"## {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            out += ["| " + " | ".join(r) + " |" for r in rows] + [""]
        return "\n".join(out)

    def to_html(self) -> str:
        e = html.escape
        out = ["<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
               f"<title>{e(self.agency)} {self.year} 年政府信息公开工作年度报告</title></head><body>",
               f"<h1>{e(self.agency)} {self.year} 年政府信息公开工作年度报告（数据部分）</h1>"]
        for title, headers, rows in self.tables:
            out.append(f"<h2>{e(title)}</h2><table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers)
                       + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
            out.append("</tbody></table>")
        return "\n".join([*out, "</body></html>\n"])

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["table", "row", "column", "value"])
        for title, headers, rows in self.tables:
            for r in rows:
                for h, v in zip(headers[1:], r[1:], strict=True):
                    w.writerow([title, r[0], h, v])
        return buf.getvalue()

    def render(self, fmt: str) -> str:
        return {"md": self.to_markdown, "html": self.to_html, "csv": self.to_csv}[fmt]()


def _latest_rows(project: Project, dataset: str, agency: str) -> list[dict[str, str]] | None:
    """The agency's rows of the dataset's latest release: its own partition's, or all when it publishes the
    dataset and answers for no partition of it; None when the dataset is not its to report."""
    spec = project.spec(dataset)
    own = owned_partition(spec, agency)
    latest = project.store.latest(dataset) if own is not None or spec.publisher.name == agency else None
    if latest is None:
        return None
    path = project.store.release_dir(dataset, latest) / "data.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if own is None or spec.partition is None:
        return rows
    return [r for r in rows if r.get(spec.partition.field) == own]


def _in_year(value: str | None, year: int) -> bool:
    return bool(value) and dt.date.fromisoformat(str(value)[:10]).year == year


def build(project: Project, agency: str, year: int) -> AnnualReport:
    """The tables for ``agency``'s report on ``year``, from the latest releases it publishes."""
    agencies = agency_names(project.specs)
    if agency not in agencies:
        raise UsageError(f"未知的机构“{agency}”", "可用的机构：" + "、".join(agencies))
    proactive = []
    for dataset, (label, date_field) in DECISIONS.items():
        rows = _latest_rows(project, dataset, agency)
        proactive.append([label, "—" if rows is None else str(sum(_in_year(r.get(date_field), year) for r in rows))])
    tables: list[Table] = [("二、主动公开政府信息情况", ["信息内容", "本年处理决定数量"], proactive)]
    documents = _latest_rows(project, DOCUMENTS, agency)
    if documents is not None:  # the list has no 废止 date: that column cannot be filled from it
        normative = [r for r in documents if r.get("doc_type") == "规范性文件"]
        made = sum(_in_year(r.get("written_date"), year) for r in normative)
        tables.append(("二、主动公开政府信息情况：规范性文件", ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
                       [["规范性文件", str(made), "—", str(sum(r.get("validity") == "有效" for r in normative))]]))
    requests = _latest_rows(project, REQUESTS, agency)
    if requests is not None:
        new = [r for r in requests if _in_year(r["received_date"], year)]
        cols = APPLICANTS

        def counts(pick: list[dict[str, str]]) -> list[str]:
            by = [sum(r["applicant_type"] == a for r in pick) for a in cols]
            return [str(n) for n in by] + [str(sum(by))]

        rows = [["一、本年新收政府信息公开申请数量", *counts(new)]]
        rows += [[f"三、本年度办理结果：{res}", *counts([r for r in new if r.get("result") == res])] for res in RESULTS]
        rows.append(["四、结转下年度继续办理", *counts([r for r in new if not r.get("answered_date")
                                                    or not _in_year(r["answered_date"], year)])])
        tables.append(("三、收到和处理政府信息公开申请情况",
                       ["申请情况", "自然人", *[f"法人或其他组织：{a}" for a in cols[1:]], "总计"], rows))
    from .compliance import build as compliance

    as_of = min(dt.date.today(), dt.date(year, 12, 31))
    totals = compliance(project, year, agency=agency, as_of=as_of).totals
    tables.append(("附：主动公开数据按时发布情况（本平台统计）",
                   ["项目", "数量"],
                   [["发布版本", str(totals.releases)], ["按时", str(totals.on_time)], ["逾期发布", str(totals.late)],
                    ["逾期未更新", str(totals.overdue)], ["逾期公示记录", str(totals.late_rows)]]))
    return AnnualReport(agency, year, tables)


def dataset_name(organization: str) -> str:
    """The agency's dataset of annual reports: one per organization, a resource per year and format."""
    return f"{organization}-annual-reports"


def publish(report: AnnualReport, client: Client, name: str | None = None) -> dict[str, Any]:
    """Put the report into its agency's dataset of annual reports on CKAN (created the first time, in the agency's
    organization): ``annual-report-<year>.html/.md/.csv``, each uploaded only when its sha256 differs."""
    from ..ckan.publish import organization_of, organizations
    from ..ckan.reports import publish_report_dataset

    org = organization_of(organizations(client), report.agency, f"the annual report of {report.agency}")
    metadata = {
        "title": f"{report.agency}政府信息公开工作年度报告",
        "title_en": f"Annual reports on government information disclosure: {report.agency}",
        "notes": f"{report.agency}历年政府信息公开工作年度报告中可由已发布数据填写的表格（主动公开、依申请公开办理、"
                 "主动公开数据按时发布情况），按国办公开办函〔2021〕30号格式。由 gongkai annual-report 生成。",
        "notes_en": "The tables of the national annual-report format that released data fills, one set per year. "
                    "Made by gongkai annual-report.",
        "owner_org": org["name"], "publisher": report.agency, "private": False, "license_id": "cc-by", "disclosure": "主动公开",
        "update_frequency": "yearly",
        "legal_basis": "政府信息公开条例第四十九条、第五十条；国办公开办函〔2021〕30号",
    }
    files = {f"annual-report-{report.year}.{ext}": (report.render(ext).encode("utf-8"), fmt,
                                                    f"{report.agency} {report.year} 年政府信息公开工作年度报告（{fmt}）")
             for ext, fmt in FORMATS.items()}
    return publish_report_dataset(client, name or dataset_name(org["name"]), metadata,
                                  ["政务公开", "政府信息公开工作年度报告", "annual-report"], files)
