"""Who may submit a partition: the agency registry, checked on every submission."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from gongkai import Project
from gongkai.errors import ConfigError
from gongkai.settings import Settings
from gongkai.spec.agencies import load_registry

from .conftest import REPO, lottery_csv, problems, project_copy

DS = "lottery-welfare-projects"
REGISTRY = REPO / "datasets" / "agencies" / "minzheng.yaml"
DEPARTMENTS = REPO / "datasets" / "agencies" / "departments.yaml"


@pytest.fixture
def registered(tmp_path: Path) -> Project:
    """The bundled lottery dataset (no samples): partitioned by region code, its submitters checked against the
    民政 registry."""
    root = project_copy(tmp_path)
    return Project(root, store=tmp_path / "store", settings=Settings(cache=tmp_path / "cache"))


def county(rows: list[dict[str, object]], code: str) -> list[dict[str, object]]:
    out = [r for r in rows if str(r["行政区划代码"]) == code]
    assert out, code
    return out


def test_registry_is_the_catalogs_organizations() -> None:
    orgs = {o["name"]: o["title"] for o in yaml.safe_load((REPO / "ckan_config" / "organizations.yaml").read_text("utf-8"))}
    for name in ("minzheng", "tiyu", "xiangcun-zhenxing"):  # the registries by region (departments.yaml: below)
        path = REPO / "datasets" / "agencies" / f"{name}.yaml"
        reg = load_registry(path)
        for a in reg.agencies:
            assert orgs.get(a.organization) == a.title, (path.name, a)
        assert {a.level for a in reg.agencies} == {"province", "prefecture", "county"}, path.name
    assert load_registry(REGISTRY).partitions["533422"].title == "德钦县民政局"


def test_departments_registry_names_partitions_by_department() -> None:
    """A department owns the partition its rows name (部门 = 省民政厅), not a region; 省人民政府办公厅 owns none."""
    orgs = {o["name"]: o["title"] for o in yaml.safe_load((REPO / "ckan_config" / "organizations.yaml").read_text("utf-8"))}
    reg = load_registry(DEPARTMENTS)
    assert all(orgs.get(a.organization) == a.title for a in reg.agencies)
    assert sorted(reg.partitions) == ["省卫生健康委", "省教育厅", "省民政厅", "省生态环境厅", "省财政厅"]
    assert reg.partitions["省民政厅"].organization == "sheng-minzheng"
    assert reg.find("省人民政府办公厅") is not None and "530000" not in reg.partitions
    p = reg.refusal("sheng-jiaoyu", "省民政厅", "department")
    assert p is not None and p.message == "省教育厅无权提交分区「省民政厅」：该分区由省民政厅负责"
    assert "本单位" in p.hint and "sheng-minzheng" in p.hint
    unknown = reg.refusal("sheng-jiaoyu", "省外事办", "department")
    assert unknown is not None and unknown.message == "分区「省外事办」不在单位名册 departments.yaml 中，没有负责提交的单位"
    assert "partition" in unknown.hint and "行政区划" not in unknown.hint
    assert reg.refusal("省教育厅", "省教育厅", "department") is None


def test_each_department_submits_its_own_accounts(tmp_path: Path) -> None:
    """部门决算: every department's file in its own inbox, one version naming each submitter; a department sending
    another's accounts is refused and nothing is written."""
    p = Project(REPO, store=tmp_path / "store", settings=Settings(cache=tmp_path / "cache"))
    [o] = p.run(["department-budgets"])
    assert (o.status, o.version) == ("released", "v1"), [x.message for x in o.report.problems]
    assert o.manifest is not None and {e["partition"]: e["submitter"] for e in o.manifest["partitions"]} == {
        "省民政厅": "sheng-minzheng", "省教育厅": "sheng-jiaoyu", "省卫生健康委": "sheng-weisheng-jiankang",
        "省生态环境厅": "sheng-shengtai-huanjing", "省财政厅": "sheng-caizheng"}
    assert p.spec("department-budgets").publisher.name == "省财政厅"  # assembles and publishes the whole
    mine = next((REPO / "datasets" / "samples" / "department-budgets" / "sheng-minzheng").glob("*.xlsx"))
    refused = p.release("department-budgets", [mine], submitter="省教育厅")
    assert refused.status == "invalid"
    assert [x.message for x in problems(refused, "submitter-error")] == [
        "省教育厅无权提交分区「省民政厅」：该分区由省民政厅负责"]
    assert p.store.latest("department-budgets") == "v1"


def test_owner_submits_its_own_county(registered: Project, lottery_rows, tmp_path: Path) -> None:
    o = registered.release(DS, [lottery_csv(tmp_path, county(lottery_rows, "533422"), "d.csv")],
                           submitter="deqin-minzheng")
    assert o.status == "released", [p.message for p in o.report.problems]
    o = registered.release(DS, [lottery_csv(tmp_path, county(lottery_rows, "533401"), "x.csv")],
                           submitter="香格里拉市民政局")  # the title names the agency as well
    assert o.status == "released", [p.message for p in o.report.problems]
    assert o.manifest["partition_changed"]["submitter"] == "香格里拉市民政局"


def test_a_county_cannot_submit_for_another(registered: Project, lottery_rows, tmp_path: Path) -> None:
    registered.release(DS, [lottery_csv(tmp_path, county(lottery_rows, "533401"), "x.csv")],
                       submitter="xianggelila-minzheng")
    before = registered.store.latest(DS)
    o = registered.release(DS, [lottery_csv(tmp_path, county(lottery_rows, "533401")[:1], "x2.csv")],
                           submitter="deqin-minzheng")
    assert o.status == "invalid"
    [p] = problems(o, "submitter-error")
    assert p.message == "德钦县民政局无权提交分区「533401 香格里拉市」：该分区由香格里拉市民政局负责"
    assert "xianggelila-minzheng" in p.hint
    assert registered.store.latest(DS) == before  # nothing written
    parts = registered.store.dataset_dir(DS) / "partitions" / "533401"
    assert len(list(parts.glob("s*.parquet"))) == 1  # the county's own part untouched


@pytest.mark.parametrize(("submitter", "words"), [
    (None, "没有指明提交单位"), ("sheng-minzheng-typo", "不在单位名册"), ("迪庆藏族自治州民政局", "无权提交"),
])
def test_missing_unknown_or_non_county_submitter_refused(registered: Project, lottery_rows, tmp_path: Path,
                                                          submitter: str | None, words: str) -> None:
    o = registered.release(DS, [lottery_csv(tmp_path, county(lottery_rows, "533422"), "d.csv")], submitter=submitter)
    assert o.status == "invalid"
    assert words in problems(o, "submitter-error")[0].message
    assert registered.store.latest(DS) is None


def test_county_outside_the_registry_refused(registered: Project, lottery_rows, tmp_path: Path) -> None:
    rows = [{**r, "行政区划代码": "530124"} for r in county(lottery_rows, "533422")]  # 富民县: registers no 民政局
    o = registered.release(DS, [lottery_csv(tmp_path, rows, "k.csv")], submitter="deqin-minzheng")
    assert o.status == "invalid"
    assert problems(o, "submitter-error")[0].message == (
        "分区「530124 富民县」不在单位名册 minzheng.yaml 中，没有负责提交的单位")


@pytest.mark.parametrize(("text", "words"), [
    ("agencies:\n  - {organization: a-b, title: 某县民政局, region: '533421'}\n", "已撤销"),  # 香格里拉县, now a city
    ("agencies:\n  - {organization: a-b, title: 某县民政局, region: '999999'}\n", "不存在"),
    ("agencies:\n  - {organization: a-b, title: 甲, region: 533422}\n", "键 agencies.0"),
    ("agencies:\n  - {organization: a-b, title: 甲县, region: '533422'}\n"
     "  - {organization: c-d, title: 乙县, region: '530102'}\n"
     "  - {organization: e-f, title: 丙县, region: '110101'}\n", "多个省份"),
    ("agencies:\n  - {organization: a-b, title: 甲县, region: '533422'}\n"
     "  - {organization: a-b, title: 乙县, region: '533423'}\n", "重复"),
    # departments: a partition owned twice, or a value no partition may take
    ("agencies:\n  - {organization: a-b, title: 甲厅, region: '530000', partition: 甲厅}\n"
     "  - {organization: c-d, title: 乙厅, region: '530000', partition: 甲厅}\n", "负责同一个分区「甲厅」"),
    ("agencies:\n  - {organization: a-b, title: 甲县, region: '533422'}\n"
     "  - {organization: c-d, title: 乙局, region: '530000', partition: '533422'}\n", "负责同一个分区「533422」"),
    ("agencies:\n  - {organization: a-b, title: 甲厅, region: '530000', partition: 'a b'}\n", "键 agencies.0.partition"),
])
def test_bad_registry_refused_in_chinese(tmp_path: Path, text: str, words: str) -> None:
    p = tmp_path / f"r{abs(hash(text))}.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_registry(p)
    assert words in str(e.value)


def _submitted_on(project: Project, code: str, day: str) -> None:
    """Pretend the county's latest accepted submission was made on ``day`` (Beijing noon)."""
    [meta] = (project.store.dataset_dir(DS) / "partitions" / code).glob("s*.json")
    m = json.loads(meta.read_text(encoding="utf-8"))
    m["submitted"] = f"{day}T04:00:00+00:00"
    meta.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def two_submitted(registered: Project, lottery_rows, tmp_path: Path) -> Project:
    for code, org, day in (("533422", "deqin-minzheng", "2026-01-20"), ("533401", "xianggelila-minzheng", "2026-02-20")):
        o = registered.release(DS, [lottery_csv(tmp_path, county(lottery_rows, code), f"{code}.csv")], submitter=org)
        assert o.status == "released", [p.message for p in o.report.problems]
        _submitted_on(registered, code, day)
    return registered


def test_completeness_names_missing_and_late_counties(two_submitted: Project) -> None:
    from gongkai.schedule.partitions import completeness

    r = completeness(two_submitted, DS, dt.date(2026, 3, 10))
    assert (r.period_start, r.formed) == ("2025-01-01", "2026-01-01")  # yearly: last year's information
    assert r.due is not None and "2026-01-20" <= r.due < "2026-02-20"
    got = {p.partition: p.status for p in r.rows}
    registered = load_registry(REGISTRY).partitions  # every registered county that has not submitted is overdue
    assert got == {**dict.fromkeys(registered, "overdue"), "533422": "on-time", "533401": "late"}
    weixi = next(p for p in r.rows if p.partition == "533423")
    assert (weixi.agency, weixi.region, weixi.submitted) == ("维西傈僳族自治县民政局", "维西傈僳族自治县", None)
    assert weixi.working_days_late and weixi.working_days_late > 0
    early = completeness(two_submitted, DS, dt.date(2026, 1, 10))  # before the due date: missing, not overdue
    assert {p.partition: p.status for p in early.rows}["533423"] == "missing"


def test_partitions_command_table_and_json(two_submitted: Project) -> None:
    from click.testing import CliRunner

    from gongkai.cli import cli

    args = ["--store", str(two_submitted.store.path), "partitions", DS, "--as-of", "2026-03-10"]
    runner = CliRunner()
    res = runner.invoke(cli, args, env={"GONGKAI_PROJECT": str(two_submitted.root)})
    assert res.exit_code == 0, res.output
    missing = len(load_registry(REGISTRY).partitions) - 2
    assert "533423" in res.output and f"逾期未提交 {missing}" in res.output  # the table wraps long names at 80 columns
    res = runner.invoke(cli, [*args, "--json"], env={"GONGKAI_PROJECT": str(two_submitted.root)})
    data = json.loads(res.output)
    assert data["counts"] == {"on-time": 1, "late": 1, "missing": 0, "overdue": missing}
    res = runner.invoke(cli, ["--store", str(two_submitted.store.path), "partitions", "dibao-village-counts"],
                        env={"GONGKAI_PROJECT": str(two_submitted.root)})
    assert res.exit_code == 2 and "不是分区提交的数据集" in res.output


BUNDLED = "dibao-county-monthly"


def test_bundled_partitioned_dataset_runs_one_submission_per_county(tmp_path: Path) -> None:
    from gongkai.release.verify import verify

    p = Project(REPO, store=tmp_path / "store", settings=Settings(cache=tmp_path / "cache"))
    outcomes = p.run([BUNDLED])
    assert [(o.status, o.version) for o in outcomes] == [("released", "v1")], [
        x.message for o in outcomes for x in o.report.problems]  # every county's file in one version
    m = outcomes[-1].manifest
    assert m is not None and m["row_count"] == 33 and len(m["partitions_changed"]) == 3
    assert [o.status for o in p.run([BUNDLED])] == ["unchanged"]
    assert len(list(p.store.dataset_dir(BUNDLED).rglob("s*.parquet"))) == 3  # an unchanged run stores no part
    assert {e["partition"]: e["submitter"] for e in m["partitions"]} == {
        "533401": "xianggelila-minzheng", "533422": "deqin-minzheng", "533423": "weixi-minzheng"}
    assert verify(p.store.release_dir(BUNDLED, outcomes[-1].version)).ok
    # one county re-submits its file, November dropped: every other county's rows kept
    src = next((REPO / "datasets" / "samples" / BUNDLED / "deqin-minzheng").glob("*.csv"))
    text = src.read_bytes().decode("gbk")
    fixed = tmp_path / "德钦县更正.csv"
    fixed.write_bytes("\r\n".join(text.splitlines()[:11]).encode("gbk") + b"\r\n")  # header and months 1-10
    o = p.release(BUNDLED, [fixed], submitter="德钦县民政局")
    assert o.status == "released", [x.message for x in o.report.problems]
    assert o.manifest["row_count"] == 32  # 11 + 11 + 10: only 德钦县's part replaced
    # the same file put in another county's inbox is refused
    inbox = tmp_path / "proj"
    shutil.copytree(REPO / "datasets", inbox / "datasets")
    for d in ("schemas", "validation"):
        shutil.copytree(REPO / d, inbox / d)
    moved = inbox / "datasets" / "samples" / BUNDLED / "weixi-minzheng"
    shutil.move(str(next((inbox / "datasets" / "samples" / BUNDLED / "deqin-minzheng").glob("*.csv"))), moved)
    q = Project(inbox, store=tmp_path / "store2", settings=Settings(cache=tmp_path / "cache"))
    results = q.run([BUNDLED])
    refused = [x for o in results for x in problems(o, "submitter-error")]
    assert [x.message for x in refused] == ["维西傈僳族自治县民政局无权提交分区「533422 德钦县」：该分区由德钦县民政局负责"]


def test_token_organizations_decide_the_submitter() -> None:
    reg = load_registry(REGISTRY)
    assert reg.resolve("anything", frozenset({"deqin-minzheng"}), "533422", "region_code") == ("deqin-minzheng", None)
    who, p = reg.resolve("deqin-minzheng", frozenset({"weixi-minzheng"}), "533422", "region_code")
    assert who is None and p is not None  # the named submitter does not count: the token's user does
    assert p.message == ("CKAN 令牌的用户不是德钦县民政局（deqin-minzheng）的编辑，无权提交分区「533422 德钦县」："
                         "该用户只能提交维西傈僳族自治县民政局的数据")
    assert reg.resolve(None, frozenset(), "530124", "region_code")[1].message.startswith("分区「530124 富民县」不在")


def test_compliance_report_names_the_county_that_has_not_submitted(tmp_path: Path) -> None:
    from gongkai.schedule.compliance import build

    p = Project(REPO, store=tmp_path / "store", settings=Settings(cache=tmp_path / "cache"))
    p.run([BUNDLED])
    report = build(p, 2026, as_of=dt.date(2026, 12, 31), today=dt.date(2026, 12, 31))
    c = next(c for c in report.partitions if c.dataset == BUNDLED)  # every partitioned dataset has its rows
    statuses = {r.partition: r.status for r in c.rows}
    assert statuses["532901"] == "overdue"  # 大理市 is registered, never submitted
    md = report.render("md")
    assert "## 分单位提交 Submissions by agency" in md
    assert "| dibao-county-monthly | 532901 | 大理市 | 大理市民政局 |" in md
    [published] = [x for x in json.loads(report.render("json"))["partitions"] if x["dataset"] == BUNDLED]
    assert published["counts"]["overdue"] == list(statuses.values()).count("overdue") == len(statuses) - 3
