"""Validation results as data: every problem a typed record with where it is and how to fix it."""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

# Stable error type codes. Names follow frictionless-py where one exists there.
TITLES: dict[str, str] = {
    "source-error": "无法读取源文件",
    "encoding-error": "文件编码错误",
    "format-error": "文件格式错误",
    "encrypted-file": "文件有密码保护",
    "sheet-not-found": "找不到工作表",
    "empty-file": "空文件",
    "header-only": "只有表头没有数据",
    "missing-label": "缺少列",
    "extra-label": "多出的列",
    "duplicate-label": "重复的列名",
    "blank-label": "没有列名的列",
    "extra-cell": "多出的单元格",
    "missing-cell": "缺少单元格",
    "blank-row": "空行",
    "type-error": "数据类型错误",
    "required-error": "必填项为空",
    "enum-error": "取值不在允许范围内",
    "minimum-error": "数值小于下限",
    "maximum-error": "数值大于上限",
    "pattern-error": "格式不符合要求",
    "length-error": "长度不符合要求",
    "unique-error": "取值重复",
    "primary-key": "主键重复",
    "foreign-key": "引用的编码不存在",
    "identifier-error": "证件号码或代码无效",
    "parse-warning": "无法识别的文本",
    "total-mismatch": "合计行与明细之和不符",
    "personal-data": "发现未保护的个人信息",
    "quality": "数据质量规则未通过",
    "partition-error": "不属于本次提交的分区",
    "submitter-error": "提交单位无权提交该分区",
}

# frictionless-py reports all constraint violations as one type.
FRICTIONLESS_TYPES = {
    "required-error": "constraint-error", "enum-error": "constraint-error", "minimum-error": "constraint-error",
    "maximum-error": "constraint-error", "pattern-error": "constraint-error", "length-error": "constraint-error",
    "identifier-error": "constraint-error",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, located as precisely as the source allows."""

    type: str
    message: str
    hint: str = ""
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    field: str | None = None
    column: str | None = None  # the header as written in the source
    cell: str | None = None  # the cell as a spreadsheet names it (D7), for a cell problem
    value: str | None = None  # the cell as typed in the source
    rule: str | None = None
    severity: Literal["error", "warning"] = "error"
    finding: str | None = None  # the category of a conduct finding (published, never blocking); None for defects
    key: str | None = None  # the row's primary key, for a finding

    @property
    def title(self) -> str:
        return TITLES.get(self.type, self.type)

    @property
    def where(self) -> str:
        parts = [p for p in (self.file, f"工作表「{self.sheet}」" if self.sheet else None,
                             f"第 {self.row} 行" if self.row else None,
                             f"列「{self.column or self.field}」" if (self.column or self.field) else None,
                             f"单元格 {self.cell}" if self.cell else None) if p]
        return "，".join(parts)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if v is not None and v != ""}
        d["title"] = self.title
        return d


@dataclass
class Report:
    """Everything the gate found for one dataset and source, in the order checks ran."""

    dataset: str
    title: str = ""  # the dataset's Chinese title, for the HTML report
    sources: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (type, severity) -> problems
    truncated: int = 0
    checks: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    protection: dict[str, Any] = field(default_factory=dict)  # what the privacy policy changed, per field and rule
    max_problems: int = 100_000

    @property
    def error_count(self) -> int:
        return sum(n for (_, s), n in self.counts.items() if s == "error")

    @property
    def warning_count(self) -> int:
        return sum(n for (_, s), n in self.counts.items() if s == "warning")

    @property
    def valid(self) -> bool:
        return self.error_count == 0

    def add(self, problem: Problem) -> None:
        self.counts[problem.type, problem.severity] += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(problem)
        else:
            self.truncated += 1

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p)

    def count(self, n: int, problem_type: str, severity: str = "error") -> None:
        """Count problems beyond those listed (a check that found more than it itemised)."""
        self.counts[problem_type, severity] += n
        self.truncated += n

    def to_dict(self) -> dict[str, Any]:
        by_type: Counter[str] = Counter()
        for (t, _), n in self.counts.items():
            by_type[t] += n
        return {
            "dataset": self.dataset,
            **({"title": self.title} if self.title else {}),
            "valid": self.valid,
            "rows": self.rows,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "counts": dict(sorted(by_type.items())),
            "listed": len(self.problems),
            "not_listed": self.truncated,
            "sources": self.sources,
            "checks": self.checks,
            "notes": self.notes,
            "protection": self.protection,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "problems": [p.to_dict() for p in self.problems],
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    def write_html(self, path: Path, title: str = "", limit_per_type: int = 500) -> None:
        path.write_text(render_html(self, title, limit_per_type), encoding="utf-8")


def render_html(report: Report, title: str = "", limit_per_type: int = 500) -> str:
    """The report as one HTML page: counts per type (matching the JSON), then each type's problems, each with
    its own hint (a type-error of a number and of a date are fixed differently)."""
    e = html.escape
    title = title or report.title or report.dataset
    status = ("通过 ✓" if report.valid else f"未通过：{report.error_count} 个错误") + f"，{report.warning_count} 个警告"
    out = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>校验报告 {e(title)}</title>",
        "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;"
        "vertical-align:top}th{background:#f3f3f3}.ok{color:#080}.bad{color:#b00}.warn{color:#a60}"
        "code{background:#f6f6f6;padding:0 3px}</style></head><body>",
        f"<h1>数据校验报告 · {e(title)}</h1>",
        f"<p class='{'ok' if report.valid else 'bad'}'><strong>{e(status)}</strong>（{report.rows} 行）</p>",
    ]
    if report.sources:
        out.append("<h2>源文件</h2><ul>")
        out += [f"<li>{e(str(s.get('name')))} — {e(str(s.get('format')))}"
                f"{' / ' + e(str(s['encoding'])) if s.get('encoding') else ''}"
                f"{' / 工作表 ' + e(str(s['sheet'])) if s.get('sheet') else ''}</li>" for s in report.sources]
        out.append("</ul>")
    groups: dict[tuple[str, str], list[Problem]] = {}
    for p in report.problems:
        groups.setdefault((p.type, p.severity), []).append(p)
    for key in report.counts:  # counted, none listed
        groups.setdefault(key, [])
    if groups:
        out.append("<h2>问题汇总</h2><table><tr><th>类型</th><th>代码</th><th>级别</th><th>数量</th></tr>")
        for (etype, severity), ps in groups.items():
            cls, word = ("warn", "警告") if severity == "warning" else ("bad", "错误")
            out.append(f"<tr><td class='{cls}'>{e(TITLES.get(etype, etype))}</td><td><code>{e(etype)}</code></td>"
                       f"<td>{word}</td><td>{report.counts.get((etype, severity), len(ps))}</td></tr>")
        out.append("</table>")
    for (etype, severity), ps in groups.items():
        if not ps:
            continue
        out.append(f"<h2>{e(TITLES.get(etype, etype))} <code>{e(etype)}</code>"
                   f"{'（警告）' if severity == 'warning' else ''}</h2>")
        hints = {p.hint for p in ps[:limit_per_type]}
        cols = ["文件", "工作表", "行", "列", "单元格", "值", "说明"]
        if len(hints) == 1 and (hint := next(iter(hints))):
            out.append(f"<p>如何修改：{e(hint)}</p>")
        else:
            cols.append("如何修改")
        out.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>")
        for p in ps[:limit_per_type]:
            values = (p.file, p.sheet, p.row, p.column or p.field, p.cell, p.value,
                      p.message + (f"（规则 {p.rule}）" if p.rule else ""), p.hint)[:len(cols)]
            out.append("<tr>" + "".join(f"<td>{e(str(v)) if v is not None else ''}</td>" for v in values) + "</tr>")
        out.append("</table>")
        if len(ps) > limit_per_type:
            out.append(f"<p>另有 {len(ps) - limit_per_type} 条未显示，完整列表见 validation.json。</p>")
    if report.truncated:
        out.append(f"<p>另有 {report.truncated} 个问题只计数未逐条列出。</p>")
    out.append("</body></html>\n")
    return "\n".join(out)
