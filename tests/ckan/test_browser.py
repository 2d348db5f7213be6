"""What a person sees: headless Chromium (Debian's package) opens the catalog's pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import CKAN_URL

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.browser
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=zh-CN"]


def chromium(*args: str) -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Debian's chromium is not installed (scripts/test installs it)")
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                             timeout=90)
    return out.stdout


def open_page(path: str) -> str:
    return chromium("--virtual-time-budget=5000", "--dump-dom", CKAN_URL + path)


def screenshot_on_failure(name: str, path: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,1600", CKAN_URL + path)
    return shot


def visible_text(dom: str) -> str:
    dom = re.sub(r"(?is)<(script|style|noscript)\b.*?</\1>", " ", dom)
    return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", dom))


@pytest.mark.parametrize("page", ["home", "search", "dataset"])
def test_pages_in_a_browser(datasets: dict, page: str) -> None:
    dibao = datasets["dibao"]
    path, expected = {
        "home": ("/", ["gongkai 公开数据目录"]),
        "search": ("/dataset/?q=" + quote("低保"), [dibao["title"], "低保"]),
        "dataset": (f"/dataset/{dibao['name']}", [dibao["title"], "香格里拉市民政局", "data.csv"]),
    }[page]
    text = visible_text(open_page(path))
    missing = [e for e in expected if e not in text]
    if page == "search" and not re.search(r"查找到匹配「低保」的\s*[1-9]\d*\s*个数据集|[1-9]\d* datasets? found for", text):
        missing.append("the count of datasets found")
    if missing:
        shot = screenshot_on_failure(page, path)
        pytest.fail(f"{path}: {missing} not on the page (screenshot: {shot})")
    if page == "dataset":
        heading = re.search(r"(?s)<h1[^>]*>(.*?)</h1>", open_page(path))
        assert heading and dibao["title"] in visible_text(heading.group(1))
