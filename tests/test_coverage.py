"""A release's span in time and place, from its rows (the catalog's dct:temporal and dct:spatial)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from gongkai import Project
from gongkai.release.coverage import common_region, full_name

from .conftest import REPO


@pytest.mark.parametrize(("codes", "region"), [
    (["533401"], "533401"),  # one county
    (["533401", "533422"], "533400"),  # two counties of 迪庆州
    (["533401", "530102"], "530000"),  # 迪庆 and 昆明: 云南省
    (["533401", "110101"], "000000"),  # two provinces: the nation
])
def test_smallest_region_holding_every_code(codes: list[str], region: str) -> None:
    assert common_region(codes) == region


@pytest.mark.parametrize(("code", "name"), [
    ("533401", "云南省迪庆藏族自治州香格里拉市"),
    ("533400", "云南省迪庆藏族自治州"),
    ("110101", "北京市东城区"),  # 市辖区 (110100) is no name of a place
    ("469002", "海南省琼海市"),  # a county the province governs directly: no prefecture between
    ("000000", "中华人民共和国"),
])
def test_full_names_from_the_national_list(code: str, name: str) -> None:
    assert full_name(code) == name


def test_manifest_records_the_span_of_the_rows_published(tmp_path: Path) -> None:
    project = Project(REPO, store=tmp_path / "store")
    dataset = "administrative-penalties"
    outcome = project.release(dataset)
    assert outcome.path is not None
    manifest = json.loads((outcome.path / "manifest.json").read_text(encoding="utf-8"))
    temporal = manifest["coverage"]["temporal"]
    with open(outcome.path / "data.csv", encoding="utf-8", newline="") as f:
        dates = sorted(r[temporal["field"]] for r in csv.DictReader(f) if r[temporal["field"]])
    assert (temporal["start"], temporal["end"]) == (dates[0], dates[-1])


def test_region_coverage_of_a_county_table(tmp_path: Path) -> None:
    outcome = Project(REPO, store=tmp_path / "store").release("culture-sports-facilities")
    assert outcome.path is not None
    spatial = json.loads((outcome.path / "manifest.json").read_text(encoding="utf-8"))["coverage"]["spatial"]
    with open(outcome.path / "data.csv", encoding="utf-8", newline="") as f:
        codes = sorted({r["region_code"] for r in csv.DictReader(f)})
    assert spatial == {"code": common_region(codes), "name": full_name(common_region(codes)), "regions": len(codes)}
    assert spatial["name"].startswith("云南省")
