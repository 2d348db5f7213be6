"""Reconciliation: where the sums of a fund's flows do not add up, node by node down to each project's use.

The rules read table ``nodes`` (:mod:`.graph`), so trees by id and edge lists are checked alike: a node passes
on, spends and keeps what it received; a node that received 下达/拨付 money records where it went; what a project
contracts stays within its money. Differences up to the tolerance are not reported; the tolerance is in the unit
the source wrote its amounts in (0.01 of a source in 万元 is 100 元), because a publisher's rounding is in that
unit. Every finding names the node, the amounts in 元, the difference and the rows (file, line) behind it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from ..quoting import lit
from .edges import DOC
from .model import FlowModel, execute, scope_sql

TOLERANCE = Decimal("0.01")  # in source units: a publisher's rounding to the fen of its unit
ROWS_SHOWN = 50              # source rows listed per finding and side
KINDS = {
    "sum-mismatch": "下级之和与本级金额不符",
    "spending-above-receipts": "支出超过收到的资金",
    "unused-allocation": "分配了资金，但没有使用记录",
    "unallocated-spending": "有支出，但没有任何分配",
    "record-mismatch": "项目记录的本资金金额与分配不符",
    "negative-balance": "结余为负（支出超过资金）",
    "contract-above-funds": "合同金额超过项目资金",
    "missing-parent": "上级分配不存在",
}
@dataclass
class Finding:
    kind: str
    fund: str | None
    year: int | None
    node: str            # allocation id, project id, or the node's name (edge lists)
    name: str            # who or what
    amount: Decimal      # the node's own amount (what it received, or the project's record)
    counterpart: Decimal | None  # what it is compared with
    difference: Decimal | None
    detail: str
    dataset: str
    version: str
    tolerance: Decimal | None = None  # in 元
    rows: list[dict[str, Any]] = field(default_factory=list)  # (file, line, side, stage, amount) behind it
    key: str | None = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "title": self.title}
        out.pop("key")
        return out


@dataclass
class Reconciliation:
    findings: list[Finding]
    checked: list[dict[str, Any]]  # per fund and year: flows, projects, findings, clean
    tolerance: Decimal             # in source units

    @property
    def clean(self) -> bool:
        return not self.findings


def reconcile(model: FlowModel, fund: str | None = None, year: int | None = None,
              tolerance: Decimal = TOLERANCE) -> Reconciliation:
    """Nodes whose outflows do not add up to their inflow, spending above receipts, inflows with no recorded use,
    project records that disagree with their allocations, negative balances, contracts above a project's money,
    missing parents (or 上级文号 under which the sender received nothing)."""
    model.check_scope(fund, year)
    con, params = model.con, {"fund": fund, "year": year, "tol": tolerance}
    out: list[Finding] = []

    def rows(sql: str) -> list[dict[str, Any]]:
        return execute(con, sql, params)

    for r in rows(f"""
        SELECT n.*, $tol * n.unit_factor AS tol,
               (n.origin = 'edge' AND n.spent > n.inflow + $tol * n.unit_factor) AS overspent
        FROM nodes n
        WHERE {scope_sql('n')} AND n.n_in > 0 AND n.n_out > 0
          AND (abs(n.inflow - n.outflow) > $tol * n.unit_factor OR (n.origin = 'edge' AND n.spent > n.inflow + $tol * n.unit_factor))
        ORDER BY n.fund, n.year, n.flow_id"""):
        edge = r["origin"] == "edge"
        node, name = (r["name"], r["name"]) if edge else (r["flow_id"], r["to_node"])
        got = "收到" if edge else "下达"
        if r["overspent"]:
            detail = f"{name} {got} {_yuan(r['inflow'])}，支出 {_yuan(r['spent'])}，超出 {_yuan(r['spent'] - r['inflow'])}"
            out.append(_finding("spending-above-receipts", r, node, name, r["inflow"], r["spent"],
                                r["inflow"] - r["spent"], detail))
            continue
        diff = r["inflow"] - r["outflow"]
        if not edge and r["project_id"] and not r["passed_on"]:
            detail = (f"项目 {r['project_id']} 的实际支出与结余（按本资金所占比例）合计 {_yuan(r['outflow'])}，"
                      f"与分配的 {_yuan(r['inflow'])} 相差 {_yuan(diff)}")
        elif diff > 0:
            detail = (f"{got} {_yuan(r['inflow'])}，{r['n_out']} 笔下级{_parts(r)}合计 {_yuan(r['outflow'])}，"
                      f"{_yuan(diff)}未向下分配、去向不明")
        else:
            detail = f"{got} {_yuan(r['inflow'])}，{r['n_out']} 笔下级{_parts(r)}合计 {_yuan(r['outflow'])}，超出 {_yuan(-diff)}"
        out.append(_finding("sum-mismatch", r, node, name, r["inflow"], r["outflow"], diff, detail))

    for r in rows(f"""
        WITH linked AS (SELECT fund, string_agg(DISTINCT dataset || ' ' || version, ', ') AS targets
                        FROM project_records GROUP BY fund)
        SELECT n.*, $tol * n.unit_factor AS tol, l.fund IS NOT NULL AS fund_linked, l.targets,
               p.project_id IS NOT NULL AS recorded, p.spent IS NULL AS no_spent
        FROM nodes n LEFT JOIN linked l ON l.fund = n.fund
        LEFT JOIN project_records p ON n.origin = 'allocation' AND p.fund = n.fund AND p.project_id = n.project_id
                                   AND (p.year IS NULL OR p.year = n.year)
        WHERE {scope_sql('n')} AND n.allocated_in > 0 AND n.n_out = 0 AND n.n_contracts = 0 AND NOT n.used_in
        ORDER BY n.fund, n.year, n.flow_id"""):
        edge = r["origin"] == "edge"
        node, name = (r["name"], r["name"]) if edge else (r["flow_id"], r["to_node"])
        if edge:
            detail = f"{name} 收到 {_yuan(r['allocated_in'])}，既没有向下分配，也没有支出、结余或合同记录"
        elif r["project_id"] is None:
            detail = f"{name} 收到 {_yuan(r['allocated_in'])}，既没有向下分配，也没有项目使用记录"
        elif not r["fund_linked"]:
            detail = f"项目 {r['project_id']}：没有声明记录 {r['fund']} 项目的数据集（spec 的 links / flows.uses）"
        elif not r["recorded"]:
            detail = f"项目 {r['project_id']} 不在 {r['targets']} 中：{_yuan(r['allocated_in'])} 的去向没有记录"
        else:
            detail = f"项目 {r['project_id']} 没有填写实际支出"
        out.append(_finding("unused-allocation", r, node, name, r["allocated_in"], None, None, detail))

    out += _record_findings(model, params)

    for r in rows(f"""
        SELECT n.*, $tol * n.unit_factor AS tol, p.total AS recorded_total, coalesce(p.total, n.inflow) AS funds
        FROM nodes n
        LEFT JOIN project_records p ON n.origin = 'allocation' AND p.fund = n.fund AND p.project_id = n.project_id
                                   AND (p.year IS NULL OR p.year = n.year)
        WHERE {scope_sql('n')} AND n.n_in > 0 AND n.contracts > coalesce(p.total, n.inflow) + $tol * n.unit_factor
        ORDER BY n.fund, n.year, n.flow_id"""):
        edge = r["origin"] == "edge"
        node, name = (r["name"], r["name"]) if edge else (r["project_id"] or r["flow_id"],
                                                            r["project_name"] or r["to_node"])
        what = "项目记录的资金规模（各级资金合计）" if r["recorded_total"] is not None else "收到的资金"
        detail = (f"{name} 的 {r['n_contracts']} 份合同合计 {_yuan(r['contracts'])}，超过{what} {_yuan(r['funds'])}，"
                  f"超出 {_yuan(r['contracts'] - r['funds'])}")
        out.append(_finding("contract-above-funds", r, node, name, r["funds"], r["contracts"],
                            r["funds"] - r["contracts"], detail))

    for r in rows(f"""SELECT s.*, s.to_key AS key FROM flows s WHERE {scope_sql('s')} AND s.parent_id IS NOT NULL
                      AND s.origin = 'allocation' AND NOT EXISTS
                      (SELECT 1 FROM flows p WHERE p.flow_id = s.parent_id AND p.stage IN ('下达', '拨付'))
                      ORDER BY s.flow_id"""):
        out.append(_finding("missing-parent", r, r["flow_id"], r["to_node"], r["amount"], None, None,
                            f"上级分配编号 {r['parent_id']} 不在 {r['dataset']} {r['version']} 中"))
    for r in rows(f"""
        SELECT s.*, s.to_key AS key, g.docs FROM flows s
        JOIN (SELECT to_key, string_agg(DISTINCT document_no, '、' ORDER BY document_no) AS docs FROM flows
              WHERE document_no IS NOT NULL GROUP BY to_key) g ON g.to_key = s.from_key
        WHERE {scope_sql('s')} AND s.origin = 'edge' AND s.parent_document IS NOT NULL
          AND NOT ends_with(s.from_key, '{DOC}' || s.parent_document)
        ORDER BY s.file, s.line"""):
        out.append(_finding("missing-parent", r, r["from_node"], r["from_node"], r["amount"], None, None,
                            f"上级文号 {r['parent_document']} 下没有 {r['from_node']} 收到资金的记录"
                            f"（{r['from_node']} 收到资金的文号：{r['docs']}）"))
    _attach_rows(model, out)

    checked = []
    for c in rows(f"""
            SELECT fund, year, count(*) FILTER (WHERE origin = 'edge') AS edge_rows,
                   count(*) FILTER (WHERE stage IN ('下达', '拨付')) AS allocations,
                   count(DISTINCT project_id) FILTER (WHERE stage IN ('下达', '拨付')) AS projects
            FROM flows WHERE {scope_sql()} GROUP BY ALL ORDER BY year, fund"""):
        n = sum(1 for x in out if x.fund == c["fund"] and (x.year is None or x.year == c["year"]))
        checked.append({**c, "findings": n, "clean": n == 0})
    return Reconciliation(out, checked, tolerance)


def _record_findings(model: FlowModel, params: dict[str, Any]) -> list[Finding]:
    """What the linked project records say against the allocations: spending without allocation, a different
    amount received, a negative balance."""
    out = []
    for r in execute(model.con, f"""
        WITH a AS (SELECT fund, year, project_id, sum(amount) AS allocated, count(*) AS n, min(flow_id) AS first_id
                   FROM flows WHERE stage IN ('下达', '拨付') AND project_id IS NOT NULL GROUP BY ALL)
        SELECT p.*, a.allocated, a.first_id || CASE WHEN a.n > 1 THEN ' 等 ' || a.n || ' 笔' ELSE '' END AS ids,
               $tol * p.unit_factor AS tol
        FROM project_records p
        LEFT JOIN a ON a.fund = p.fund AND a.project_id = p.project_id AND (p.year IS NULL OR p.year = a.year)
        WHERE {scope_sql('p')} AND (a.allocated IS NULL AND (coalesce(p.spent, 0) > 0 OR coalesce(p.received, 0) > 0)
                                OR abs(coalesce(p.received, 0) - coalesce(a.allocated, 0)) > $tol * p.unit_factor)
        ORDER BY p.fund, p.year, p.project_id""", params):
        received = r["received"] or Decimal(0)
        r["rows"] = [{"file": r["file"], "line": r["line"], "side": "record", "stage": None, "amount": received}]
        if r["allocated"] is None and (r["spent"] or 0) > 0:
            part = r["spent"] * received / r["total"] if r["total"] else r["spent"]
            detail = (f"项目记录实际支出 {_yuan(r['spent'])}（按资金来源比例，其中{r['fund']}约 {_yuan(part)}），"
                      f"记录收到{r['fund']} {_yuan(received)}，但没有任何一笔分配给它")
            out.append(_finding("unallocated-spending", r, r["project_id"], r["name"], received, Decimal(0), received,
                                detail))
        else:
            allocated = r["allocated"] or Decimal(0)
            detail = (f"项目记录收到{r['fund']} {_yuan(received)}，分配合计 {_yuan(allocated)}"
                      + (f"（{r['ids']}）" if r["ids"] else "（没有分配）") + f"，相差 {_yuan(received - allocated)}")
            out.append(_finding("record-mismatch", r, r["project_id"], r["name"], received, allocated,
                                received - allocated, detail))
    for r in execute(model.con, f"""SELECT *, $tol * unit_factor AS tol FROM project_records
                                    WHERE balance < 0 AND {scope_sql()} ORDER BY fund, year, project_id""", params):
        r["rows"] = [{"file": r["file"], "line": r["line"], "side": "record", "stage": "结余", "amount": r["balance"]}]
        detail = f"项目 {r['project_id']} 资金 {_yuan(r['total'])}，实际支出 {_yuan(r['spent'])}，结余 {_yuan(r['balance'])}"
        out.append(_finding("negative-balance", r, r["project_id"], r["name"], r["balance"], r["total"], r["balance"],
                            detail))
    return out


def _attach_rows(model: FlowModel, findings: list[Finding]) -> None:
    """The source rows behind each node's finding: what flowed in (``side`` in) and out of it."""
    keys = sorted({f.key for f in findings if f.key and not f.rows})
    if not keys:
        return
    got: dict[str, list[dict[str, Any]]] = {}
    for r in execute(model.con, f"""
        WITH k AS (SELECT unnest([{', '.join(lit(k) for k in keys)}]) AS key)
        SELECT * FROM (
          SELECT k.key, 'in' AS side, f.file, f.line, f.stage, f.amount FROM flows f JOIN k ON f.to_key = k.key
          UNION ALL
          SELECT k.key, 'out', f.file, f.line, f.stage, f.amount FROM flows f JOIN k ON f.from_key = k.key)
        QUALIFY row_number() OVER (PARTITION BY key, side ORDER BY file, line) <= {ROWS_SHOWN}
        ORDER BY key, side, file, line""", {}):
        got.setdefault(r.pop("key"), []).append(r)
    for f in findings:
        if f.key and not f.rows:
            f.rows = got.get(f.key, [])


def _finding(kind: str, r: dict[str, Any], node: str, name: str, amount: Decimal, counterpart: Decimal | None,
             difference: Decimal | None, detail: str) -> Finding:
    return Finding(kind, r["fund"], r["year"], node, name or "", amount, counterpart, difference, detail,
                   r["dataset"], r["version"], r.get("tol"), list(r.get("rows") or []), r.get("key"))


def _parts(r: dict[str, Any]) -> str:
    """What a node's outflows are: 分配 (a tree by id) or the stages of an edge list."""
    if r["origin"] != "edge":
        return "分配"
    stages = [s for s, v in (("下达/拨付", r["passed_on"]), ("支出", r["spent"]), ("结余", r["balance"])) if v is not None]
    return "（" + "、".join(stages) + "）"


def _yuan(v: Decimal | None) -> str:
    return "—" if v is None else f"{v:,.2f} 元"
