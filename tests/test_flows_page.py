"""The fund-flow page: self-contained HTML, and in headless Chromium (Debian's chromium + chromium-driver through
Selenium) the diagram renders with the expected nodes and no console errors; a screenshot is kept on failure."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from gongkai import Project
from gongkai.flows import trace
from gongkai.flows.page import render, sankey_graph, write_page

from .flows_support import LT, PA, allocation_rows, model

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_graph_conserves_money(flow_sample: Project) -> None:
    """Into every organization or project node flows what flows out of it (or into the 去向不明 sink)."""
    rows = trace(model(flow_sample), PA, 2025).rows()
    graph = sankey_graph(rows, None)
    names = {n["name"] for n in graph["nodes"]}
    cities = {r["接收单位"] for r in allocation_rows() if r["资金名称"] == PA and r["层级"] == "市"}
    assert {"财政部", "云南省财政厅", "实际支出", "结余", "未分配或未记录使用"} | cities <= names
    flow_in: dict[str, float] = {}
    flow_out: dict[str, float] = {}
    for link in graph["links"]:
        flow_out[link["source"]] = flow_out.get(link["source"], 0) + link["value"]
        flow_in[link["target"]] = flow_in.get(link["target"], 0) + link["value"]
    for node in graph["nodes"]:
        if node["kind"] in ("org", "project") and node["id"] in flow_in:
            overspent = next((-float(r["amount"]) for r in rows if r["stage"] == "结余" and r["amount"] < 0
                              and f"project:{r['project_id']}" == node["id"]), 0.0)
            assert flow_out.get(node["id"], 0) == pytest.approx(flow_in[node["id"]] + overspent), node


def test_page_is_self_contained_and_deterministic(flow_sample: Project) -> None:
    m = model(flow_sample)
    page = render(m, LT, 2025)
    html = page.html
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)=[\"']?(https?:)?//", html)
    assert "d3-sankey" in html and "BSD-3-Clause" in html
    data = json.loads(re.search(r'<script type="application/json" id="flow-data">(.*?)</script>', html, re.S).group(1))
    assert len(data["nodes"]) == page.nodes and data["links"]
    assert "没有发现问题" in html and "fund-allocations" in html and m.releases["fund-allocations"].manifest_sha256 in html
    assert render(model(flow_sample), LT, 2025).html == html
    assert page.totals["下达"] == page.totals["支出"] + page.totals["结余"]  # the clean fund adds up
    pa = render(m, PA, 2025)
    assert "发现 3 处问题" in pa.html and pa.totals["下达"] > pa.totals["支出"] + pa.totals["结余"] - Decimal(1)


# -- in a browser ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path, chrome = shutil.which("chromedriver"), shutil.which("chromium") or shutil.which("chromium-browser")
    if not driver_path or not chrome:
        pytest.fail("Debian's chromium and chromium-driver are needed (scripts/test installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN",
                 "--window-size=1280,1600", "--host-resolver-rules=MAP * ~NOTFOUND"):  # offline: no CDN could load
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(driver_path))
    yield driver
    driver.quit()


def open_page(driver, path: Path, name: str, timeout: float = 20) -> dict:  # type: ignore[no-untyped-def]
    """Load the page; return what rendered and the console messages. Screenshot kept on any failure."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.resolve().as_uri())
    try:
        WebDriverWait(driver, timeout).until(lambda d: d.find_element("id", "sankey").get_attribute("data-rendered"))
    except Exception:
        keep(driver, name)
        raise
    return {
        "nodes": driver.execute_script(
            "return Array.from(document.querySelectorAll('#sankey .node')).map(g => g.getAttribute('data-name'))"),
        "links": driver.execute_script("return document.querySelectorAll('#sankey path.link').length"),
        "status": driver.find_element("id", "reconcile-status").text,
        "log": driver.get_log("browser"),
    }


def keep(driver, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"flows-{name}.png"
    driver.save_screenshot(str(shot))
    return shot


@pytest.mark.browser
@pytest.mark.parametrize("fund", [LT, PA])
def test_page_renders_in_chromium(flow_sample: Project, browser, tmp_path: Path, fund: str) -> None:  # type: ignore[no-untyped-def]
    page = write_page(model(flow_sample), fund, 2025, tmp_path / "flows.html")
    seen = open_page(browser, tmp_path / "flows.html", fund)
    expected = sorted(n["name"] for n in page.graph["nodes"])
    problems = []
    if sorted(seen["nodes"]) != expected:
        problems.append(f"nodes differ: missing {set(expected) - set(seen['nodes'])}, extra {set(seen['nodes']) - set(expected)}")
    if seen["links"] != len(page.graph["links"]):
        problems.append(f"{seen['links']} links drawn, {len(page.graph['links'])} expected")
    errors = [e for e in seen["log"] if e["level"] in ("SEVERE", "ERROR")]
    if errors:
        problems.append(f"console errors: {errors}")
    want = "没有发现问题" if page.findings == 0 else f"发现 {page.findings} 处问题"
    if want not in seen["status"]:
        problems.append(f"status shows {seen['status']!r}")
    if problems:
        pytest.fail(f"{fund}: {problems} (screenshot: {keep(browser, fund)})")
    assert "云南省财政厅" in seen["nodes"] and "实际支出" in seen["nodes"]


@pytest.mark.browser
def test_a_broken_page_is_caught(flow_sample: Project, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The checks above can fail: a script error shows in the console log and nothing renders."""
    page = write_page(model(flow_sample), LT, 2025, tmp_path / "flows.html")
    broken = tmp_path / "broken.html"
    broken.write_text(page.html.replace("d3.sankey()", "d3.sankeyy()"), encoding="utf-8")
    from selenium.common.exceptions import TimeoutException

    with pytest.raises(TimeoutException):
        open_page(browser, broken, "broken-on-purpose", timeout=3)
    assert any(e["level"] == "SEVERE" for e in browser.get_log("browser"))
    (ARTIFACTS / "flows-broken-on-purpose.png").unlink()


def test_depth_limits_the_diagram(flow_sample: Project) -> None:
    page = render(model(flow_sample), PA, 2025, depth=2)
    kinds = {n["kind"] for n in page.graph["nodes"]}
    assert kinds == {"org"}  # 财政部 → 省 → 市 → 县, no projects and no sinks
    assert "宣威市财政局" in {n["name"] for n in page.graph["nodes"]}


def test_cli_page(flow_sample: Project, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gongkai.cli import cli

    out = tmp_path / "page" / "lt.html"
    base = ["--store", str(flow_sample.store.path), "flows", "page", "--fund", LT, "--year", "2025", "-o", str(out)]
    result = CliRunner().invoke(cli, base, catch_exceptions=False)
    assert result.exit_code == 0 and out.is_file() and "个节点，0 处问题" in result.output
    result = CliRunner().invoke(cli, [*base, "--publish"], catch_exceptions=False)
    assert result.exit_code == 2 and "--publish needs --ckan-url" in result.output


# -- edge lists, and many siblings ---------------------------------------------------------------------------------

def many_siblings(path: Path, n: int = 150) -> Path:
    """One city passing money to ``n`` townships with long names and very different amounts."""
    import random

    rng = random.Random(7)
    lines = ["拨出单位,接收单位,金额（万元）,阶段", "省财政厅,某某市财政局,5000,下达"]
    amounts = [rng.choice([0.5, 1, 2, 5, 20, 80, 300]) for _ in range(n)]
    lines += [f"某某市财政局,第{i + 1:03d}号项目所在的某某县某某乡镇人民政府,{a},支出" for i, a in enumerate(amounts)]
    lines.append(f"某某市财政局,年末结余,{5000 - sum(amounts):.2f},结余")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def label_boxes(driver) -> list[dict]:  # type: ignore[no-untyped-def]
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#sankey text.label')).map(t => {
          const b = t.getBoundingClientRect();
          return {name: t.parentNode.getAttribute('data-name'), text: t.textContent,
                  x: b.left, y: b.top, w: b.width, h: b.height};
        })""")


def overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]]


@pytest.mark.browser
@pytest.mark.parametrize("case", ["diqing", "many-siblings", "lottery-by-id"])
def test_labels_are_readable_in_chromium(flow_sample: Project, browser, tmp_path: Path, case: str) -> None:  # type: ignore[no-untyped-def]
    """Edge lists render (the journalist's 迪庆 list; 150 siblings) and so does the tree by id; no two labels
    overlap, each label fits beside its node, and every node keeps its label (or, where there is no room, its
    name in the tooltip)."""
    from gongkai.flows.files import build_files

    from .conftest import REPO

    if case == "lottery-by-id":
        model_ = model(flow_sample)
        fund = LT
    else:
        path = next((REPO / "datasets" / "samples" / "lottery-fund-flows").glob("*.csv")) if case == "diqing" \
            else many_siblings(tmp_path / "many.csv")
        model_, fund = build_files([path]), None
    page = write_page(model_, fund, None if fund is None else 2025, tmp_path / "flows.html")
    seen = open_page(browser, tmp_path / "flows.html", case)
    boxes = label_boxes(browser)
    problems = []
    if sorted(seen["nodes"]) != sorted(n["name"] for n in page.graph["nodes"]):
        problems.append("nodes differ")
    if [e for e in seen["log"] if e["level"] in ("SEVERE", "ERROR")]:
        problems.append(f"console errors: {seen['log']}")
    if overlaps(boxes):
        problems.append(f"overlapping labels: {overlaps(boxes)[:5]}")
    width = browser.execute_script("return document.querySelector('#sankey svg').getBoundingClientRect().right")
    if any(b["x"] + b["w"] > width + 1 or b["x"] < 0 for b in boxes):
        problems.append("a label runs out of the diagram")
    shown = len(boxes) / page.nodes
    if case != "many-siblings" and shown < 1:
        problems.append(f"only {len(boxes)} of {page.nodes} nodes labelled")
    if case == "many-siblings" and shown < 0.9:
        problems.append(f"only {len(boxes)} of {page.nodes} nodes labelled")
    if problems:
        pytest.fail(f"{case}: {problems} (screenshot: {keep(browser, case)})")
    if case == "diqing":
        kinds = set(browser.execute_script(
            "return Array.from(document.querySelectorAll('#sankey .node')).map(g => g.getAttribute('data-kind'))"))
        assert "gap" not in kinds  # a clean list: nothing painted as unaccounted money
