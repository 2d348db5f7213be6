"""The bundled datasets assembled from the counties (低保对象公示, 扶贫项目, 福彩 and 体彩 projects): one county's
file replaces only its own partition, through `gongkai release --submitter` and through a county's own pipeline;
a pipeline without a `sources:` entry submits every agency's folder as `gongkai run` does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.cli import cli
from gongkai.schedule.history import History
from gongkai.schedule.runner import Runner
from gongkai.settings import Settings

from .conftest import REPO
from .schedule_support import VILLAGE, village_csv, write_pipeline

SAMPLES = REPO / "datasets" / "samples"
# dataset → (the sector of its registry's organizations, a free-text column a county corrects)
COUNTY_DATASETS = {
    "dibao-recipients": ("minzheng", "备注"),
    "poverty-projects": ("xiangcun-zhenxing", "绩效目标"),
    "lottery-welfare-projects": ("minzheng", "实际效果"),
    "sports-lottery-projects": ("tiyu", "实际效果"),
}
DEQIN, WEIXI = "533422", "533423"


def corrected(dataset: str, column: str, out: Path) -> Path:
    """德钦县's bundled workbook with the first record's ``column`` rewritten: a county correcting its own file."""
    [src] = (SAMPLES / dataset / f"deqin-{COUNTY_DATASETS[dataset][0]}").glob("*.xlsx")
    wb = openpyxl.load_workbook(src)
    ws = wb.active
    assert ws is not None
    col = next(c.column for row in ws.iter_rows(max_row=4) for c in row if c.value == column)
    first = next(r for r in range(1, ws.max_row + 1) if re.match(r"[A-Z]{2}\d{4}-", str(ws.cell(r, 1).value)))
    ws.cell(first, col, "（更正）按期完成，群众满意")
    path = out / src.name
    wb.save(path)
    return path


def gk(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False,
                                env={"GONGKAI_PROJECT": str(REPO)})
    return result.exit_code, result.output


@pytest.mark.parametrize("dataset", list(COUNTY_DATASETS))
def test_one_countys_file_keeps_every_other_countys_rows(tmp_path: Path, dataset: str) -> None:
    sector, column = COUNTY_DATASETS[dataset]
    store = tmp_path / "store"
    project = Project(REPO, store=store)
    [first] = project.run([dataset])  # every county's file, each by the agency whose folder holds it
    assert first.status == "released", [p.message for p in first.report.problems[:3]]
    v1 = first.manifest
    assert v1 is not None and len(v1["partitions"]) >= 3
    assert {e["partition"]: e["submitter"] for e in v1["partitions"]}[DEQIN] == f"deqin-{sector}"

    fixed = corrected(dataset, column, tmp_path)
    code, out = gk(store, "release", dataset, "--source", str(fixed), "--submitter", f"deqin-{sector}")
    assert code == 0 and "v2" in out, out
    v2 = project.store.manifest(dataset, "v2")
    assert v2["row_count"] == v1["row_count"] and v2["partition_changed"]["partition"] == DEQIN
    others = lambda m: {e["partition"]: e["sha256"] for e in m["partitions"] if e["partition"] != DEQIN}  # noqa: E731
    assert others(v2) == others(v1)  # every other county's stored part is the same file
    changes = json.loads((project.store.release_dir(dataset, "v2") / "changelog.json").read_text("utf-8"))
    assert (changes["added"], changes["removed"], changes["changed"]) == (0, 0, 1)

    code, out = gk(store, "release", dataset, "--source", str(fixed), "--submitter", f"weixi-{sector}")
    assert code == 1 and "无权提交分区「533422 德钦县」" in out, out  # another county's agency is refused
    assert project.store.latest(dataset) == "v2"


def _runner(project: Project, tmp_path: Path) -> Runner:
    return Runner(project, History(f"sqlite:///{tmp_path / 'runs.sqlite'}"), sleep=lambda s: None)


def test_a_pipeline_without_sources_submits_every_agency_folder(tmp_path: Path) -> None:
    project = Project(REPO, store=tmp_path / "store", settings=Settings(cache=tmp_path / "cache"))
    runner = _runner(project, tmp_path)
    pipeline = write_pipeline(tmp_path / "pipelines", "province-dibao", datasets=["dibao-recipients"])
    [r] = runner.run_pipeline(pipeline)
    assert r.status == "released", r.error
    m = project.store.manifest("dibao-recipients", r.versions[0])
    assert {e["partition"]: e["submitter"] for e in m["partitions"]} == {
        "533401": "xianggelila-minzheng", DEQIN: "deqin-minzheng", WEIXI: "weixi-minzheng"}
    assert [x.status for x in runner.run_pipeline(pipeline)] == ["skipped"]  # nothing changed in any folder


def test_a_county_pipeline_pushes_only_its_own_partition(tmp_path: Path) -> None:
    ds = "poverty-projects"
    project = Project(REPO, store=tmp_path / "store", settings=Settings(cache=tmp_path / "cache"))
    runner = _runner(project, tmp_path)
    [r] = runner.run_pipeline(write_pipeline(tmp_path / "pipelines", "province-poverty", datasets=[ds]))
    assert r.status == "released", r.error
    before = project.store.manifest(ds, "v1")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fixed = corrected(ds, "绩效目标", inbox)

    def county(pid: str, **entry: str) -> list:  # type: ignore[type-arg]
        p = write_pipeline(tmp_path / "pipelines", pid, datasets=[ds], sources={ds: {"path": str(fixed), **entry}})
        return runner.run_pipeline(p)

    [r] = county("deqin-poverty", submitter="deqin-xiangcun-zhenxing")
    assert r.status == "released" and r.versions == ["v2"], r.error
    after = project.store.manifest(ds, "v2")
    assert after["row_count"] == before["row_count"]
    changed = after["partition_changed"]
    assert (changed["partition"], changed["submitter"]) == (DEQIN, "deqin-xiangcun-zhenxing")
    assert len(after["partitions"]) == len(before["partitions"])  # the other seven counties kept

    [r] = county("weixi-poverty", submitter="weixi-xiangcun-zhenxing", partition=DEQIN)
    assert r.status == "invalid" and "无权提交分区「533422 德钦县」" in (r.error or "")
    [r] = county("unnamed-poverty")
    assert r.status == "failed" and "没有指明 submitter" in (r.error or "") and "unnamed-poverty" in (r.error or "")
    assert project.store.latest(ds) == "v2"  # neither wrote anything


def test_submitter_on_an_ordinary_dataset_fails_naming_the_key(tmp_path: Path) -> None:
    project = Project(REPO, store=tmp_path / "store")
    src = village_csv(tmp_path / "v.csv")
    p = write_pipeline(tmp_path / "pipelines", "village", sources={VILLAGE: {"path": str(src), "submitter": "x-y"}})
    [r] = _runner(project, tmp_path).run_pipeline(p)
    assert r.status == "failed" and "submitter 和 partition 只用于分区提交的数据集" in (r.error or "")
    assert project.store.latest(VILLAGE) is None
