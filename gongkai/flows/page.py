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

from ..release.reading import Release
from ..spec.loading import Specs
from .model import FlowModel
from .queries import trace
from .reconcile import reconcile

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# the chart library, in load order; versions and licences in templates/vendor/README.md
VENDOR = ["d3-array.min.js", "d3-path.min.js", "d3-shape.min.js", "d3-sankey.min.js"]
UNACCOUNTED = "去向不明"
SINKS = {"支出": "实际支出", "结余": "结余", UNACCOUNTED: "未分配或未记录使用"}


@dataclass
class Page:
    fund: str
    year: int
    html: str
    graph: dict[str, Any]
    findings: int
    releases: list[Release]
    allocation: Release
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def nodes(self) -> int:
        return len(self.graph["nodes"])

    def summary(self) -> dict[str, Any]:
        return {"fund": self.fund, "year": self.year, "nodes": self.nodes, "links": len(self.graph["links"]),
                "findings": self.findings, "versions": [r.to_dict() for r in self.releases]}


def sankey_graph(rows: list[dict[str, Any]], max_depth: int | None) -> dict[str, Any]:
    """Nodes and links for d3-sankey from trace rows. A node is a recipient at a level (so the graph has no
    cycles), a project, or a sink: spent, balance, and money neither passed on nor recorded as used."""
    nodes: dict[str, dict[str, Any]] = {}
    links: dict[tuple[str, str], Decimal] = {}
    target_of: dict[str, str] = {}
    children: dict[str, Decimal] = {}

    def node(key: str, name: str, kind: str, column: int | None) -> str:
        nodes.setdefault(key, {"id": key, "name": name, "kind": kind, "column": column})
        return key

    def link(a: str, b: str, value: Decimal) -> None:
        if value > 0:
            links[(a, b)] = links.get((a, b), Decimal(0)) + value

    for r in rows:
        d = r["depth"]
        source = target_of.get(r["parent_id"] or "") or node(f"{d}:{r['from_node']}", r["from_node"], "org", d)
        if r["stage"] in SINKS:
            target = node(f"sink:{r['stage']}", SINKS[r["stage"]], "sink", None)
        elif r["project_id"]:
            target = node(f"project:{r['project_id']}", r["project_name"] or r["to_node"], "project", d + 1)
        else:
            target = node(f"{d + 1}:{r['to_node']}", r["to_node"], "org", d + 1)
        target_of[r["flow_id"]] = target
        link(source, target, r["amount"])
        if r["parent_id"]:
            children[r["parent_id"]] = children.get(r["parent_id"], Decimal(0)) + r["amount"]
    for r in rows:  # what a flow received but neither passed on nor recorded as used
        if r["stage"] in ("下达", "拨付") and (max_depth is None or r["depth"] < max_depth):
            gap = r["amount"] - children.get(r["flow_id"], Decimal(0))
            if gap > 0:
                link(target_of[r["flow_id"]], node(f"sink:{UNACCOUNTED}", SINKS[UNACCOUNTED], "gap", None), gap)
    used = {k for pair in links for k in pair}
    return {"nodes": [n for k, n in nodes.items() if k in used],
            "links": [{"source": a, "target": b, "value": float(v)} for (a, b), v in links.items()]}


def render(model: FlowModel, fund: str, year: int, depth: int | None = None) -> Page:
    rows = trace(model, fund, year, depth=depth).rows()
    findings = reconcile(model, fund, year).findings
    graph = sankey_graph(rows, depth)
    columns = max((n["column"] or 0 for n in graph["nodes"]), default=0) + 2
    tallest = max((sum(1 for n in graph["nodes"] if n["column"] == c) for c in range(columns)), default=1)
    graph["height"] = max(480, 24 * tallest)
    allocation_ds = next((r["dataset"] for r in rows if r["stage"] in ("下达", "拨付")), None)
    releases = list(model.releases.values())
    allocation = model.releases[allocation_ds] if allocation_ds else releases[0]
    totals = {
        "下达": sum((r["amount"] for r in rows if r["depth"] == 0), Decimal(0)),
        "支出": sum((r["amount"] for r in rows if r["stage"] == "支出"), Decimal(0)),
        "结余": sum((r["amount"] for r in rows if r["stage"] == "结余"), Decimal(0)),
    }
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True)
    env.filters["yuan"] = lambda v: "" if v is None else f"{v:,.2f}"
    env.filters["pct"] = lambda v: "" if v is None else f"{v:.1%}"
    html = env.get_template("flows.html").render(
        fund=fund, year=year, rows=rows, findings=findings, releases=releases, totals=totals,
        graph_json=_script_json(graph), vendor=[_vendor(n) for n in VENDOR],
        as_of=max(r.created for r in releases)[:10], labels=_labels(rows))
    return Page(fund, year, html, graph, len(findings), releases, allocation, totals)


def write_page(model: FlowModel, fund: str, year: int, path: Path, depth: int | None = None) -> Page:
    page = render(model, fund, year, depth)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page.html, encoding="utf-8")
    return page


def publish_fields(page: Page, specs: Specs) -> tuple[str, dict[str, Any]]:
    """The resource name and fields the page is published under: ``v3 flows-<fund>-<year>.html`` after the
    allocation version it shows (:func:`gongkai.ckan.reports.publish_page` uploads it)."""
    rel = page.allocation
    spec = specs.get(rel.dataset)
    return f"{rel.version} flows-{page.fund}-{page.year}.html", {
        "version": rel.version,
        "description": f"{spec.title.zh}：{page.fund} {page.year} 年资金流向图和核对结果（数据版本："
                       + "，".join(r.label for r in page.releases) + "）"}


def _labels(rows: list[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for r in rows:
        if r["stage"] in SINKS:
            out[r["flow_id"]] = SINKS[r["stage"]]
        elif r["project_id"]:
            out[r["flow_id"]] = f"{r['project_name'] or r['to_node']}（{r['project_id']}，{r['to_node']}）"
        else:
            out[r["flow_id"]] = r["to_node"]
    return out


def _vendor(name: str) -> str:
    return (TEMPLATES / "vendor" / name).read_text(encoding="utf-8").replace("</script", "<\\/script")


def _script_json(obj: Any) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(obj, ensure_ascii=False, default=float)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

