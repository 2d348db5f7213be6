"""The 政府信息公开工作年度报告 tables match counts worked out by hand from the bundled register samples, one per
organ (datasets/samples/information-requests/<organization>/): each organ reports its own requests.

- 省财政厅: 7 requests of 2026; 自然人 001, 003, 005, 007; 商业企业 002; 法律服务机构 004; 科研机构 006; 007 not yet
  answered.
- 省民政厅: 5 requests of 2026; 自然人 001 (部分公开), 003 (予以公开), 005 (received 30 November, not yet answered);
  社会公益组织 002 (予以公开); 其他 004 (其他处理).
- 省教育厅 2 (自然人, 法律服务机构), 省卫生健康委 1 (商业企业), 省生态环境厅 2 (自然人, 科研机构): 17 in all."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai import Project
from gongkai.cli import cli
from gongkai.errors import UsageError
from gongkai.schedule.annual import build

from .conftest import REPO


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(REPO, store=tmp_path / "store")
    assert p.release("information-requests").status == "released"
    return p


def test_request_tables_match_the_hand_count(project: Project) -> None:
    report = build(project, "省财政厅", 2026)
    [requests] = [t for t in report.tables if t[0].startswith("三")]
    rows = {r[0]: r[1:] for r in requests[2]}
    # columns: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计
    assert rows["一、本年新收政府信息公开申请数量"] == ["4", "1", "1", "0", "1", "0", "7"]
    assert rows["三、本年度办理结果：予以公开"] == ["2", "0", "1", "0", "0", "0", "3"]
    assert rows["三、本年度办理结果：部分公开"] == ["0", "1", "0", "0", "0", "0", "1"]
    assert rows["三、本年度办理结果：不予公开"] == ["0", "0", "0", "0", "1", "0", "1"]
    assert rows["三、本年度办理结果：无法提供"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert rows["四、结转下年度继续办理"] == ["1", "0", "0", "0", "0", "0", "1"]
    release = project.store.release_dir("information-requests", "v1")
    assert "张**" not in (release / "data.csv").read_text(encoding="utf-8")  # no applicant is published
    assert "applicant_name" not in (release / "data.csv").read_text(encoding="utf-8").splitlines()[0]
    assert (release / "findings.csv").read_text(encoding="utf-8").count("answered-within-deadline") == 1  # YSQ2026-005


def _requests(project: Project, agency: str) -> dict[str, list[str]]:
    [requests] = [t for t in build(project, agency, 2026).tables if t[0].startswith("三")]
    return {r[0]: r[1:] for r in requests[2]}


def test_each_organ_reports_its_own_requests(project: Project) -> None:
    rows = _requests(project, "省民政厅")
    assert rows["一、本年新收政府信息公开申请数量"] == ["3", "0", "0", "1", "0", "1", "5"]
    assert rows["三、本年度办理结果：予以公开"] == ["1", "0", "0", "1", "0", "0", "2"]
    assert rows["三、本年度办理结果：部分公开"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert rows["三、本年度办理结果：其他处理"] == ["0", "0", "0", "0", "0", "1", "1"]
    assert rows["四、结转下年度继续办理"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert _requests(project, "省卫生健康委")["一、本年新收政府信息公开申请数量"] == ["0", "1", "0", "0", "0", "0", "1"]
    assert not [t for t in build(project, "省卫生健康委", 2026).tables if t[0].endswith("规范性文件")]  # not its list


def test_the_assembling_office_reports_every_organ(project: Project) -> None:
    """省人民政府办公厅 publishes the register and answers for no partition of it: its report covers them all."""
    rows = _requests(project, "省人民政府办公厅")
    assert rows["一、本年新收政府信息公开申请数量"] == ["9", "2", "2", "1", "2", "1", "17"]
    assert rows["四、结转下年度继续办理"] == ["2", "0", "0", "0", "0", "0", "2"]


def test_the_cli_writes_every_format(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["--store", str(project.store.path), "annual-report", "--agency", "省财政厅",
                                 "--year", "2026", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert "收到和处理政府信息公开申请情况" in r.output
    assert {p.name for p in out.iterdir()} == {"annual-report-2026.md", "annual-report-2026.html", "annual-report-2026.csv"}


def test_an_unknown_agency_is_named(project: Project) -> None:
    with pytest.raises(UsageError, match="未知的机构“省外交部”"):
        build(project, "省外交部", 2026)


class _NoOrganizations:
    """A CKAN client whose token is a member of 省民政厅 only."""

    def call(self, action: str, data: dict | None = None, files: dict | None = None) -> list[dict]:
        assert action == "organization_list_for_user"
        return [{"name": "sheng-minzheng", "title": "省民政厅", "id": "x"}]


def test_publish_without_the_agency_organization_is_refused(project: Project) -> None:
    from gongkai.errors import NotAuthorized
    from gongkai.schedule.annual import publish

    with pytest.raises(NotAuthorized, match=r"省财政厅.*its organizations: 省民政厅"):
        publish(build(project, "省财政厅", 2026), _NoOrganizations())  # type: ignore[arg-type]


def test_normative_documents_are_counted_from_the_policy_list(tmp_path: Path) -> None:
    """The policy-documents sample: 11 规范性文件 of 省民政厅; 9 written in 2026 (not 云民发〔2025〕60号 of 2025-12-26
    nor 云民规〔2020〕3号); 10 in force (云民规〔2020〕3号 is 失效)."""
    p = Project(REPO, store=tmp_path / "store")
    assert p.release("policy-documents").status == "released"
    [docs] = [t for t in build(p, "省民政厅", 2026).tables if t[0].endswith("规范性文件")]
    assert docs[2] == [["规范性文件", "9", "—", "10"]]
    assert not [t for t in build(p, "省财政厅", 2026).tables if t[0].endswith("规范性文件")]  # not its list
