"""The fund-flow page: one self-contained HTML file per fund and year.

A Sankey diagram (d3-sankey, vendored in ``templates/vendor`` and inlined, so the page works offline and loads
nothing from the network), the reconciliation findings, the whole trace as a table (readable without JavaScript)
and links to the source datasets and versions. The page is deterministic: the same releases give the same bytes,
so publishing it again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa

from ..release.reading import Release
from ..spec.links import ALLOCATING
from ..spec.loading import Specs
from .model import FlowModel, execute
from .queries import trace
from .reconcile import reconcile

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# the chart library, in load order; versions and licences in templates/vendor/README.md
VENDOR = ["d3-array.min.js", "d3-path.min.js", "d3-shape.min.js", "d3-sankey.min.js"]
UNACCOUNTED = "去向不明"
SINKS = {"支出": "实际支出", "结余": "结余", UNACCOUNTED: "未分配或未记录使用"}
USES = ("支出", "结余")
ROW_PX = 20  # vertical room per node in the tallest column: labels 11px high never overlap


@dataclass
class Page:
    fund: str | None
    year: int | None
    html: str
    graph: dict[str, Any]
    findings: int
    releases: list[Release]
    allocation: Release | None  # the release the page is published beside (None: built from files)
    totals: dict[str, Decimal] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def nodes(self) -> int:
        return len(self.graph["nodes"])

    def summary(self) -> dict[str, Any]:
        return {"fund": self.fund, "year": self.year, "nodes": self.nodes, "links": len(self.graph["links"]),
                "findings": self.findings, "versions": [r.to_dict() for r in self.releases], "sources": self.sources}


def sankey_graph(rows: list[dict[str, Any]], max_depth: int | None,
                 stats: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Nodes and links for d3-sankey from trace rows. A node is a recipient at a level (so the graph has no
    cycles), a project, a use (实际支出, 结余, or what an edge list says was paid for) or money neither passed on
    nor recorded as used. ``stats`` (flow id → its recipient's inflow, outflow, …; from :func:`node_stats`) lets
    a recipient of several rows be drawn once; without it each row's children are its only outflows."""
    stats = stats or _row_stats(rows)
    nodes: dict[str, dict[str, Any]] = {}
    links: dict[tuple[str, str], Decimal] = {}
    target_of: dict[str, str] = {}
    column_of: dict[str, int] = {}
    by_key: dict[str, str] = {}

    def node(key: str, name: str, kind: str, column: int | None) -> str:
        nodes.setdefault(key, {"id": key, "name": name, "kind": kind, "column": column})
        if column is not None:
            column_of.setdefault(key, column)
        return key

    def link(a: str, b: str, value: Decimal) -> None:
        if value > 0:
            links[(a, b)] = links.get((a, b), Decimal(0)) + value

    drawn = [r for r in rows if r["stage"] != "合同"]  # contracts are listed in the table, not drawn
    for r in drawn:  # each recipient once: where its onward flows are
        st, d = stats.get(r["flow_id"], {}), r["depth"]
        if r["stage"] in USES and not st.get("n_out"):
            name = SINKS[r["stage"]] if r["to_node"] in SINKS.values() else r["to_node"]
            target = node(f"sink:{r['stage']}:{name}", name, "sink", None)
        elif r["project_id"]:
            target = node(f"project:{r['project_id']}", r["project_name"] or r["to_node"], "project", d + 1)
        else:
            target = node(f"{d + 1}:{r['to_node']}", r["to_node"], "org", d + 1)
        target_of[r["flow_id"]] = target
        if not r.get("merged") and st.get("key"):
            by_key.setdefault(st["key"], target)
    for r in drawn:
        d = r["depth"]
        source = target_of.get(r["parent_id"] or "") or node(f"{d}:{r['from_node']}", r["from_node"], "org", d)
        target = target_of[r["flow_id"]]
        primary = by_key.get(stats.get(r["flow_id"], {}).get("key", ""))
        if r.get("merged") and primary and column_of.get(primary, 0) > column_of.get(source, d):
            target = primary  # another row into a recipient drawn further right: join it there
        link(source, target, r["amount"])
    seen: set[str] = set()
    for r in drawn:  # what a recipient received but neither passed on nor recorded as used
        st = stats.get(r["flow_id"], {})
        if r.get("merged") or st.get("key") in seen or (max_depth is not None and r["depth"] >= max_depth):
            continue
        seen.add(st.get("key", r["flow_id"]))
        if r["stage"] in USES and not st.get("n_out"):
            continue
        gap = (st.get("inflow") or Decimal(0)) - (st.get("outflow") or Decimal(0)) if st.get("n_out") else \
            (Decimal(0) if st.get("used_in") else st.get("allocated_in") or Decimal(0))
        if gap > 0:
            link(target_of[r["flow_id"]], node(f"sink:{UNACCOUNTED}", SINKS[UNACCOUNTED], "gap", None), gap)
    used = {k for pair in links for k in pair}
    return {"nodes": [n for k, n in nodes.items() if k in used],
            "links": [{"source": a, "target": b, "value": float(v)} for (a, b), v in links.items()]}


def node_stats(model: FlowModel, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each trace row, its recipient node: key, what it received (all rows into it), passed on or used."""
    ids = pa.table({"flow_id": [r["flow_id"] for r in rows]})
    model.con.register("page_ids", ids)
    try:
        found = execute(model.con, """
            SELECT f.flow_id, n.key, n.inflow, n.outflow, n.n_out, n.allocated_in, n.used_in
            FROM page_ids i JOIN flows f USING (flow_id) JOIN nodes n ON n.key = f.to_key""", {})
    finally:
        model.con.unregister("page_ids")
    return {r.pop("flow_id"): r for r in found}


def _row_stats(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Node figures from the rows alone: each row its own recipient, its children its outflows."""
    out: dict[str, dict[str, Any]] = {r["flow_id"]: {"key": r["flow_id"], "inflow": r["amount"], "outflow": Decimal(0),
                                                      "n_out": 0, "used_in": r["stage"] in USES,
                                                      "allocated_in": r["amount"] if r["stage"] in ALLOCATING else None}
                                      for r in rows}
    for r in rows:
        if r["parent_id"] in out and r["stage"] != "合同":
            out[r["parent_id"]]["outflow"] += r["amount"]
            out[r["parent_id"]]["n_out"] += 1
    return out


def render(model: FlowModel, fund: str | None = None, year: int | None = None, depth: int | None = None) -> Page:
    fund, year = model.only_scope(fund, year)
    rows = trace(model, fund, year, depth=depth).rows()
    findings = reconcile(model, fund, year).findings
    stats = node_stats(model, rows)
    graph = sankey_graph(rows, depth, stats)
    columns = max((n["column"] or 0 for n in graph["nodes"]), default=0) + 2
    tallest = max((sum(1 for n in graph["nodes"] if n["column"] == c) for c in range(columns)), default=1)
    sinks = sum(1 for n in graph["nodes"] if n["column"] is None)
    graph["height"] = max(480, ROW_PX * max(tallest, sinks) + 40)
    graph["columns"] = columns
    allocation_ds = next((r["dataset"] for r in rows if r["stage"] in ALLOCATING and r["dataset"] in model.releases),
                         None)
    releases = list(model.releases.values())
    allocation = model.releases[allocation_ds] if allocation_ds else (releases[0] if releases else None)
    def used(stage: str) -> Decimal:  # money that ends as spent or kept (an edge list's 支出 may pass it on)
        return sum((r["amount"] for r in rows if r["stage"] == stage and not stats.get(r["flow_id"], {}).get("n_out")),
                   Decimal(0))

    totals = {"下达": sum((r["amount"] for r in rows if r["depth"] == 0), Decimal(0)), "支出": used("支出"),
              "结余": used("结余")}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True)
    env.filters["yuan"] = lambda v: "" if v is None else f"{v:,.2f}"
    env.filters["pct"] = lambda v: "" if v is None else f"{v:.1%}"
    created = [r.created for r in releases]
    html = env.get_template("flows.html").render(
        fund=fund or "（未注明资金）", year=year or "", rows=rows, findings=findings, releases=releases,
        files=model.files, totals=totals, graph_json=_script_json(graph), vendor=[_vendor(n) for n in VENDOR],
        as_of=max(created)[:10] if created else "", labels=_labels(rows))
    return Page(fund, year, html, graph, len(findings), releases, allocation, totals, model.sources)


def write_page(model: FlowModel, fund: str | None, year: int | None, path: Path,
               depth: int | None = None) -> Page:
    page = render(model, fund, year, depth)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page.html, encoding="utf-8")
    return page


def publish_fields(page: Page, specs: Specs) -> tuple[str, dict[str, Any]]:
    """The resource name and fields the page is published under: ``v3 flows-<fund>-<year>.html`` after the
    allocation version it shows (:func:`gongkai.ckan.reports.publish_page` uploads it)."""
    rel = page.allocation
    assert rel is not None, "a page built from files is not published"
    spec = specs.get(rel.dataset)
    return f"{rel.version} flows-{page.fund}-{page.year}.html", {
        "version": rel.version,
        "description": f"{spec.title.zh}：{page.fund} {page.year} 年资金流向图和核对结果（数据版本："
                       + "，".join(r.label for r in page.releases) + "）"}


def _labels(rows: list[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for r in rows:
        if r["stage"] in USES and r["to_node"] in SINKS.values():
            label = SINKS[r["stage"]]
        elif r["stage"] == "合同":
            label = f"{r['to_node']}（合同" + (f"，{r['to_code']}" if r["to_code"] else "") + "）"
        elif r["project_id"]:
            name = r["project_name"] or r["to_node"]
            label = f"{name}（{r['project_id']}" + (f"，{r['to_node']}）" if name != r["to_node"] else "）")
        else:
            label = r["to_node"]
        out[r["flow_id"]] = label + (f"（来自 {r['from_node']}；其后的流向列在另一笔来源下）" if r["merged"] else "")
    return out


def _vendor(name: str) -> str:
    return (TEMPLATES / "vendor" / name).read_text(encoding="utf-8").replace("</script", "<\\/script")


def _script_json(obj: Any) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(obj, ensure_ascii=False, default=float)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

