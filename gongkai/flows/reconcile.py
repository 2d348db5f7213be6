"""Reconciliation: where the sums of a fund's flows do not add up, level by level down to each project's use."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from .model import FlowModel, execute, scope_sql

TOLERANCE = Decimal("0.01")  # 元: pro-rata shares are rounded to the fen
KINDS = {
    "sum-mismatch": "下级之和与本级金额不符",
    "unused-allocation": "分配了资金，但没有使用记录",
    "unallocated-spending": "有支出，但没有任何分配",
    "record-mismatch": "项目记录的本资金金额与分配不符",
    "negative-balance": "结余为负（支出超过资金）",
    "missing-parent": "上级分配不存在",
}


@dataclass
class Finding:
    kind: str
    fund: str
    year: int | None
    node: str            # allocation id or project id
    name: str            # who or what
    amount: Decimal      # the node's own amount (or the project's record)
    counterpart: Decimal | None  # what it is compared with
    difference: Decimal | None
    detail: str
    dataset: str
    version: str

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "title": self.title}


@dataclass
class Reconciliation:
    findings: list[Finding]
    checked: list[dict[str, Any]]  # per fund and year: flows, projects, findings, clean
    tolerance: Decimal

    @property
    def clean(self) -> bool:
        return not self.findings


def reconcile(model: FlowModel, fund: str | None = None, year: int | None = None,
              tolerance: Decimal = TOLERANCE) -> Reconciliation:
    """Every node whose children do not sum to it, money spent without an allocation, allocations with no
    recorded use, project records that disagree with their allocations, negative balances, missing parents."""
    model.check_scope(fund, year)
    con, params = model.con, {"fund": fund, "year": year, "tol": tolerance}
    out: list[Finding] = []

    def rows(sql: str) -> list[dict[str, Any]]:
        return execute(con, sql, params)

    for r in rows(f"""
        WITH kids AS (SELECT parent_id, sum(amount) AS children, count(*) AS n,
                             bool_or(stage IN ('支出', '结余')) AS uses
                      FROM flows WHERE parent_id IS NOT NULL GROUP BY parent_id)
        SELECT s.fund, s.year, s.flow_id, s.to_node, s.project_id, s.amount, s.dataset, s.version,
               k.children, k.n, k.uses
        FROM flows s JOIN kids k ON k.parent_id = s.flow_id
        WHERE {scope_sql('s')} AND abs(s.amount - k.children) > $tol ORDER BY s.fund, s.year, s.flow_id"""):
        diff = r["amount"] - r["children"]
        if r["uses"]:
            detail = (f"项目 {r['project_id']} 的实际支出与结余（按本资金所占比例）合计 {_yuan(r['children'])}，"
                      f"与分配的 {_yuan(r['amount'])} 相差 {_yuan(diff)}")
        elif diff > 0:
            detail = f"下达 {_yuan(r['amount'])}，{r['n']} 笔下级分配合计 {_yuan(r['children'])}，{_yuan(diff)}未向下分配、去向不明"
        else:
            detail = f"下达 {_yuan(r['amount'])}，{r['n']} 笔下级分配合计 {_yuan(r['children'])}，超出 {_yuan(-diff)}"
        out.append(_finding("sum-mismatch", r, r["children"], diff, detail))

    for r in rows(f"""
        WITH s AS (SELECT flow_id, fund, year, to_node, project_id, amount, dataset, version FROM flows
                   WHERE stage IN ('下达', '拨付') AND {scope_sql()})
        , linked AS (SELECT fund, string_agg(DISTINCT dataset || ' ' || version, ', ') AS targets
                     FROM project_records GROUP BY fund)
        SELECT s.*, l.fund IS NOT NULL AS fund_linked, l.targets,
               p.project_id IS NOT NULL AS recorded, p.spent IS NULL AS no_spent
        FROM s LEFT JOIN linked l ON l.fund = s.fund
        LEFT JOIN project_records p ON p.fund = s.fund AND p.project_id = s.project_id
                                   AND (p.year IS NULL OR p.year = s.year)
        WHERE NOT EXISTS (SELECT 1 FROM flows c WHERE c.parent_id = s.flow_id)
        ORDER BY s.fund, s.year, s.flow_id"""):
        if r["project_id"] is None:
            detail = f"{r['to_node']} 收到 {_yuan(r['amount'])}，既没有向下分配，也没有项目使用记录"
        elif not r["fund_linked"]:
            detail = f"项目 {r['project_id']}：没有声明记录 {r['fund']} 项目的数据集（spec 的 links / flows.uses）"
        elif not r["recorded"]:
            detail = f"项目 {r['project_id']} 不在 {r['targets']} 中：{_yuan(r['amount'])} 的去向没有记录"
        elif r["no_spent"]:
            detail = f"项目 {r['project_id']} 没有填写实际支出"
        else:
            continue
        out.append(_finding("unused-allocation", r, None, None, detail))

    for r in rows(f"""
        WITH a AS (SELECT fund, year, project_id, sum(amount) AS allocated, count(*) AS n, min(flow_id) AS first_id
                   FROM flows WHERE stage IN ('下达', '拨付') AND project_id IS NOT NULL GROUP BY ALL)
        SELECT p.*, a.allocated, a.first_id || CASE WHEN a.n > 1 THEN ' 等 ' || a.n || ' 笔' ELSE '' END AS ids
        FROM project_records p
        LEFT JOIN a ON a.fund = p.fund AND a.project_id = p.project_id AND (p.year IS NULL OR p.year = a.year)
        WHERE {scope_sql('p')} AND (a.allocated IS NULL AND (coalesce(p.spent, 0) > 0 OR coalesce(p.received, 0) > 0)
                                OR abs(coalesce(p.received, 0) - coalesce(a.allocated, 0)) > $tol)
        ORDER BY p.fund, p.year, p.project_id"""):
        r.update(flow_id=r["project_id"], to_node=r["name"], amount=r["received"])
        received = r["received"] or Decimal(0)
        if r["allocated"] is None and (r["spent"] or 0) > 0:
            part = r["spent"] * received / r["total"] if r["total"] else r["spent"]
            detail = (f"项目记录实际支出 {_yuan(r['spent'])}（按资金来源比例，其中{r['fund']}约 {_yuan(part)}），"
                      f"记录收到{r['fund']} {_yuan(received)}，但没有任何一笔分配给它")
            out.append(_finding("unallocated-spending", r, Decimal(0), received, detail))
        else:
            allocated = r["allocated"] or Decimal(0)
            detail = (f"项目记录收到{r['fund']} {_yuan(received)}，分配合计 {_yuan(allocated)}"
                      + (f"（{r['ids']}）" if r["ids"] else "（没有分配）") + f"，相差 {_yuan(received - allocated)}")
            out.append(_finding("record-mismatch", r, allocated, received - allocated, detail))

    for r in rows(f"SELECT * FROM project_records WHERE balance < 0 AND {scope_sql()} ORDER BY fund, year, project_id"):
        r.update(flow_id=r["project_id"], to_node=r["name"], amount=r["balance"])
        detail = f"项目 {r['project_id']} 资金 {_yuan(r['total'])}，实际支出 {_yuan(r['spent'])}，结余 {_yuan(r['balance'])}"
        out.append(_finding("negative-balance", r, r["total"], r["balance"], detail))

    for r in rows(f"""SELECT s.* FROM flows s WHERE {scope_sql('s')} AND s.parent_id IS NOT NULL
                      AND s.stage IN ('下达', '拨付') AND NOT EXISTS
                      (SELECT 1 FROM flows p WHERE p.flow_id = s.parent_id AND p.stage IN ('下达', '拨付'))
                      ORDER BY s.flow_id"""):
        out.append(_finding("missing-parent", r, None, None, f"上级分配编号 {r['parent_id']} 不在 {r['dataset']} {r['version']} 中"))

    checked = []
    for c in rows(f"""
            SELECT fund, year, count(*) FILTER (WHERE stage IN ('下达', '拨付')) AS allocations,
                   count(DISTINCT project_id) FILTER (WHERE stage IN ('下达', '拨付')) AS projects
            FROM flows WHERE {scope_sql()} GROUP BY ALL ORDER BY year, fund"""):
        n = sum(1 for x in out if x.fund == c["fund"] and (x.year is None or x.year == c["year"]))
        checked.append({**c, "findings": n, "clean": n == 0})
    return Reconciliation(out, checked, tolerance)


def _finding(kind: str, r: dict[str, Any], counterpart: Decimal | None, difference: Decimal | None,
             detail: str) -> Finding:
    return Finding(kind, r["fund"], r["year"], r["flow_id"], r.get("to_node") or "", r["amount"], counterpart,
                   difference, detail, r["dataset"], r["version"])


def _yuan(v: Decimal | None) -> str:
    return "—" if v is None else f"{v:,.2f} 元"
