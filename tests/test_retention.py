"""Retention: rows whose 公示期 has ended leave the release, and ``expire`` withdraws the versions holding them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from gongkai import Project, verify
from gongkai.cli import cli
from gongkai.errors import ConfigError

from .conftest import REPO

PENALTIES = "administrative-penalties"
RETENTION = """
retention:
  field: decision_date
  months: 6
  basis: 行政处罚信息公示期限（示例：六个月）
"""


def project_with_retention(tmp_path: Path, extra: str = RETENTION) -> Project:
    """A copy of the project whose penalty spec keeps a row six months from its decision date."""
    root = tmp_path / "p"
    for d in ("schemas", "validation", "calendar"):
        shutil.copytree(REPO / d, root / d)
    (root / "datasets").mkdir()
    (root / "datasets" / "samples").symlink_to(REPO / "datasets" / "samples")
    spec = (REPO / "datasets" / f"{PENALTIES}.dataset.yaml").read_text(encoding="utf-8")
    (root / "datasets" / f"{PENALTIES}.dataset.yaml").write_text(spec + extra, encoding="utf-8")
    return Project(root, store=tmp_path / "store")


def decision_dates(path: Path) -> list[dt.date]:
    return [r[0] for r in duckdb.connect().execute(
        f"SELECT decision_date FROM read_parquet('{path / 'data.parquet'}') WHERE decision_date IS NOT NULL").fetchall()]


def test_expire_releases_without_expired_rows_and_withdraws_holders(tmp_path: Path) -> None:
    project = project_with_retention(tmp_path)
    first = project.release(PENALTIES, as_of=dt.date(2026, 3, 1))
    assert first.status == "released" and first.version == "v1", first.report.problems
    dates = decision_dates(first.path)
    as_of = dt.date(2026, 6, 15)
    expired = [d for d in dates if d < dt.date(2025, 12, 15)]
    assert expired and len(expired) < len(dates)  # the sample spans both sides of the cut

    outcome, withdrawn = project.expire(PENALTIES, as_of)
    assert outcome.status == "released" and outcome.version == "v2"
    assert min(decision_dates(outcome.path)) >= dt.date(2025, 12, 15)
    assert outcome.report.rows - len(expired) == int(outcome.manifest["row_count"])
    assert any("过公示期" in n for n in outcome.report.notes)
    assert sorted(withdrawn) == ["v1"] and "公示期已满" in withdrawn["v1"]["reason"]
    assert project.store.latest(PENALTIES) == "v2"
    assert verify(project.store.dataset_dir(PENALTIES)).ok

    again, more = project.expire(PENALTIES, as_of)  # the same day again: nothing new, nothing to withdraw
    assert again.status == "unchanged" and again.version == "v2" and more == {}


def test_the_as_of_day_is_an_input_of_the_release(tmp_path: Path) -> None:
    """The same sources on a later day must run the gate again: rows may have expired."""
    project = project_with_retention(tmp_path)
    assert project.release(PENALTIES, as_of=dt.date(2026, 3, 1)).version == "v1"
    assert project.release(PENALTIES, as_of=dt.date(2026, 3, 1)).status == "unchanged"
    later = project.release(PENALTIES, as_of=dt.date(2026, 6, 15))
    assert later.status == "released" and later.version == "v2"


def test_retention_needs_a_date_field_and_one_term(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"retention\.field"):
        project_with_retention(tmp_path, RETENTION.replace("decision_date", "party_name")).spec(PENALTIES)
    with pytest.raises(ConfigError, match="exactly one"):
        project_with_retention(tmp_path / "b", RETENTION + "  years: 1\n").spec(PENALTIES)


def test_expire_without_retention_is_refused(project: Project) -> None:
    with pytest.raises(ConfigError, match="retention"):
        project.expire("lottery-welfare-projects")


def test_cli_expire(tmp_path: Path) -> None:
    project = project_with_retention(tmp_path)
    project.release(PENALTIES, as_of=dt.date(2026, 3, 1))
    out = CliRunner().invoke(cli, ["--store", str(project.store.path), "--json", "expire", "--as-of", "2026-06-15"],
                             env={"GONGKAI_PROJECT": str(project.root)})
    assert out.exit_code == 0, out.output
    assert '"withdrawn": [\n   "v1"\n  ]' in out.output


def test_a_scheduled_pipeline_expires_rows_the_next_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The source does not change, the day does: the scheduler must not skip it, and withdraws v1."""
    from gongkai.release import retention
    from gongkai.schedule.history import History
    from gongkai.schedule.runner import Runner

    from .schedule_support import write_pipeline

    project = project_with_retention(tmp_path)
    pipeline = write_pipeline(project.root / "pipelines", "penalties-daily", datasets=[PENALTIES])
    runner = Runner(project, History(f"sqlite:///{tmp_path / 'runs.sqlite'}"), sleep=lambda s: None)
    monkeypatch.setattr(retention, "today", lambda: dt.date(2026, 3, 1))
    assert [r.status for r in runner.run_pipeline(pipeline)] == ["released"]
    assert [r.status for r in runner.run_pipeline(pipeline)] == ["skipped"]
    monkeypatch.setattr(retention, "today", lambda: dt.date(2026, 6, 15))
    [day2] = runner.run_pipeline(pipeline)
    assert day2.status == "released" and day2.versions == ["v2"] and day2.detail["withdrawn"] == ["v1"]
    assert project.store.latest(PENALTIES) == "v2" and project.store.is_withdrawn(PENALTIES, "v1")


def test_the_main_job_expires_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gongkai.release import retention

    project = project_with_retention(tmp_path)
    project.release(PENALTIES, as_of=dt.date(2026, 3, 1))
    monkeypatch.setattr(retention, "today", lambda: dt.date(2026, 6, 15))
    [out] = project.run([PENALTIES])
    assert out.version == "v2" and project.store.is_withdrawn(PENALTIES, "v1")
