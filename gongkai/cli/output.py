"""How results read on a terminal: validation reports, release outcomes and publish plans."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from .base import Context, console, err_console, keep_ids

if TYPE_CHECKING:
    from ..ckan.publish import Plan
    from ..project import Outcome
    from ..report import Report

SHOW_PROBLEMS = 40


def progress(c: Context) -> Callable[[str], None] | None:
    if c.as_json or not err_console.is_terminal:
        return None
    return lambda step: err_console.print(f"[dim]… {step}[/]")


def print_report(report: Report) -> None:
    if report.valid:
        console.print(f"[green]✓ 校验通过[/] {report.dataset}: {report.rows} 行"
                      + (f"，{report.warning_count} 个警告" if report.warning_count else ""))
    else:
        console.print(f"[red]✗ 校验未通过[/] {report.dataset}: {report.error_count} 个错误，{report.rows} 行")
    for p in report.problems[:SHOW_PROBLEMS]:
        color = "yellow" if p.severity == "warning" else "red"
        code = p.type + (f":{p.rule}" if p.rule else "")
        console.print(f"[bold]{escape(p.where or report.dataset)}[/] [{color}]\\[{code}][/]")
        console.print(f"  {escape(p.message)}" + (f"（值：{escape(p.value)}）" if p.value and p.value not in p.message else ""))
        if p.hint:
            console.print(f"  [dim]→ {escape(p.hint)}[/]")
    rest = len(report.problems) - SHOW_PROBLEMS + report.truncated
    if rest > 0:
        console.print(f"… 另有 {rest} 个问题；用 --report-html 或 --report-json 查看完整列表。")


def write_reports(report: Report, json_path: Path | None, html_path: Path | None) -> None:
    if json_path:
        report.write_json(json_path)
    if html_path:
        report.write_html(html_path)


def print_outcome(o: Outcome) -> None:
    if o.status == "released":
        console.print(f"[green]✓ 已发布[/] {o.dataset} {o.version}: {o.report.rows} 行 → {o.path}")
    elif o.status == "unchanged":
        console.print(f"[cyan]= 无变化[/] {o.dataset}: 数据与 {o.version} 相同，未生成新版本")
    else:
        print_report(o.report)
        console.print(f"[red]  未发布 {o.dataset}：请修正以上问题后重新运行。[/]")


VERBS = {"create": "新建", "update": "更新", "unchanged": "无变化", "refused": "拒绝"}


def plan_printer(plan_only: bool, verbose: bool = False) -> Callable[[Plan], None]:
    """One line per dataset as it is done (on stderr, so stdout keeps the summary); its steps with ``verbose``
    (always with --plan, where the steps are the answer)."""
    def show(plan: Plan) -> None:
        done = "" if plan_only or plan.status in ("unchanged", "refused") else " ✓"
        out = console if plan_only else err_console
        out.print(f"[bold]{plan.dataset}[/] {plan.version or ''}: {VERBS[plan.status]}{done} — {'; '.join(plan.reasons)}")
        if plan_only or verbose:
            for s in plan.steps:
                out.print(f"  {'would ' if plan_only else ''}{s.kind}: {s.detail}")
    return show


def print_publish_summary(plans: list[Plan], url: str) -> None:
    """What the catalog now holds: per dataset its status, current version, files uploaded, and its page."""
    from rich.table import Table

    t = Table("dataset", "结果", "版本", "上传文件", title="发布结果")
    for p in plans:
        t.add_row(p.dataset, VERBS[p.status], p.version or "—", str(sum(1 for s in p.steps if s.kind == "upload")))
    console.print(keep_ids(t, "dataset"))
    for p in plans:  # one a line, whole, so they can be opened or copied
        if p.status != "refused":
            console.print(f"{url}/dataset/{p.dataset}")
