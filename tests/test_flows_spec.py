"""Cross-dataset links and flow roles are declared in the specs and checked when they load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from gongkai import ConfigError, Specs, load_spec

from .conftest import REPO

SPEC = "fund-allocations.dataset.yaml"


def _project(tmp_path: Path) -> Path:
    for d in ("datasets", "schemas", "validation"):
        shutil.copytree(REPO / d, tmp_path / d, ignore=shutil.ignore_patterns("samples"))
    return tmp_path


def _edit(root: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    path = root / "datasets" / SPEC
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_bundled_links_point_at_project_datasets() -> None:
    spec = Specs(REPO).get("fund-allocations")
    assert {(lk.dataset, lk.when["fund"]) for lk in spec.links} == {
        ("lottery-welfare-projects", "中央专项彩票公益金"), ("poverty-projects", "财政专项扶贫资金"),
        ("sports-lottery-projects", "中央专项彩票公益金")}  # the central fund reaches both lottery lines' projects
    assert spec.flows is not None and spec.flows.from_ == "from_org"
    assert set(spec.flows.uses) == {"lottery-welfare-projects", "poverty-projects", "sports-lottery-projects"}


@pytest.mark.parametrize(("edit", "pattern"), [
    (lambda d: d["links"][0].update(field="project_no"), r"key 'links\[0\]\.field' names 'project_no'"),
    (lambda d: d["links"][0].update(when={"fund": "彩票"}), r"key 'links\[0\]\.when\.fund': '彩票' is not an allowed value"),
    (lambda d: d["flows"].update(amount="purpose"), r"key 'flows\.amount' must name a number field"),
    (lambda d: d["links"][1].update(when={}), r"key 'links\[1\]\.when' must say which fund's projects poverty-projects"),
    (lambda d: d["flows"].update(form="from_org"), r"flows\.form.*did you mean 'from'"),
    (lambda d: d["flows"]["uses"].update({"culture-sports-facilities": d["flows"]["uses"]["poverty-projects"]}),
     r"key 'flows\.uses\.culture-sports-facilities' names a dataset no entry of 'links' points to"),
])
def test_spec_level_mistakes_name_file_and_key(tmp_path: Path, edit, pattern: str) -> None:  # type: ignore[no-untyped-def]
    path = _edit(_project(tmp_path), edit)
    with pytest.raises(ConfigError, match=pattern) as e:
        load_spec(path)
    assert SPEC in str(e.value)


@pytest.mark.parametrize(("edit", "pattern"), [
    (lambda d: d["links"].append({"field": "project_id", "dataset": "poverty-project", "key": "project_id"}),
     r"key 'links\[3\]\.dataset' names 'poverty-project', which is not a dataset of the project"),
    (lambda d: d["links"][1].update(key="project_name"),
     r"key 'links\[1\]\.key': 'project_name' is not the primary key of poverty-projects"),
    (lambda d: d["links"][1].update(key="code"), r"key 'links\[1\]\.key': poverty-projects has no field 'code'"),
    (lambda d: d["flows"]["uses"]["poverty-projects"].update(spent="spent"),
     r"key 'flows\.uses\.poverty-projects\.spent' names 'spent', which is not a field of poverty-projects"),
    (lambda d: d["flows"]["uses"]["poverty-projects"].update(received="location"),
     r"key 'flows\.uses\.poverty-projects\.received': 'location' is not a number field"),
])
def test_catalog_level_mistakes_name_file_and_key(tmp_path: Path, edit, pattern: str) -> None:  # type: ignore[no-untyped-def]
    root = _project(tmp_path)
    _edit(root, edit)
    with pytest.raises(ConfigError, match=pattern) as e:
        Specs(root)
    assert SPEC in str(e.value)
