"""Opening hours parsed into a structured form beside the original text; derived fields in a release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gongkai.project import Project
from gongkai.spec.parsers import opening_hours

from .conftest import REPO, problems

MON_FRI, TUE_SUN, EVERY = [1, 2, 3, 4, 5], [2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(("text", "rules", "weekly", "osm"), [
    ("周二至周日 9:00-17:00", [(None, TUE_SUN, [["09:00", "17:00"]])], 48, "Tu-Su 09:00-17:00"),
    ("周二至周日 9:00-12:00 / 14:00-17:30", [(None, TUE_SUN, [["09:00", "12:00"], ["14:00", "17:30"]])], 39,
     "Tu-Su 09:00-12:00,14:00-17:30"),
    ("夏季 8:00-12:00 / 14:00-18:00", [("夏季", EVERY, [["08:00", "12:00"], ["14:00", "18:00"]])], 56, None),
    ("夏季 8:00-12:00 / 14:00-21:00；冬季 9:00-12:00 / 14:00-20:00",
     [("夏季", EVERY, [["08:00", "12:00"], ["14:00", "21:00"]]), ("冬季", EVERY, [["09:00", "12:00"], ["14:00", "20:00"]])],
     63, None),  # the smaller season counts
    ("每天 6:30-22:00", [(None, EVERY, [["06:30", "22:00"]])], 108.5, "Mo-Su 06:30-22:00"),
    ("全天开放", [(None, EVERY, [["00:00", "24:00"]])], 168, "24/7"),
    ("周一至周五 9:00-17:00，周六、周日 9:00-21:00",
     [(None, MON_FRI, [["09:00", "17:00"]]), (None, [6, 7], [["09:00", "21:00"]])], 64, "Mo-Fr 09:00-17:00; Sa,Su 09:00-21:00"),
    ("周一闭馆，其他时间 9：00—17：00", [(None, TUE_SUN, [["09:00", "17:00"]])], 48, None),
    ("工作日 上午9:00-12:00，下午2:00-5:30", [(None, MON_FRI, [["09:00", "12:00"], ["14:00", "17:30"]])], 32.5,
     "Mo-Fr 09:00-12:00,14:00-17:30"),  # 下午 2:00 is on a 12-hour clock
    ("周一至周五 ８：３０－１７：３０", [(None, MON_FRI, [["08:30", "17:30"]])], 45, "Mo-Fr 08:30-17:30"),
])
def test_opening_hours(text: str, rules: list[tuple], weekly: float | None, osm: str | None) -> None:  # type: ignore[type-arg]
    got = opening_hours(text)
    assert got is not None
    assert [(r["season"], r["days"], r["hours"]) for r in got["rules"]] == rules
    assert got["weekly_hours"] == weekly
    if osm:
        assert got["osm"] == osm


def test_notes_and_holidays_are_kept_apart() -> None:
    got = opening_hours("周二至周日 9:00-17:00（16:30 停止入馆），法定节假日照常开放")
    assert got is not None
    assert got["notes"] == ["16:30 停止入馆", "法定节假日照常开放"]
    assert got["weekly_hours"] == 48


@pytest.mark.parametrize("text", ["看情况", "另行通知", "周二至周日", "25:00-26:00"])
def test_unreadable_opening_hours(text: str) -> None:
    assert opening_hours(text) is None


def test_release_carries_structured_hours_and_warns_on_unreadable_text(project: Project, tmp_path: Path) -> None:
    src = next((REPO / "datasets" / "samples" / "culture-sports-facilities").glob("*.csv"))
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:5]]
    col = header.index("开放时间")
    rows[0][col] = "看情况"  # unreadable: a warning, the release goes on
    rows[1][col] = "/"  # not applicable
    path = tmp_path / "facilities.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    outcome = project.release("culture-sports-facilities", sources=[path])
    assert outcome.status == "released", outcome.report.problems
    warned = problems(outcome, "parse-warning")
    assert [(p.row, p.severity, p.value) for p in warned] == [(2, "warning", "看情况")]
    assert outcome.path is not None
    data = json.loads((outcome.path / "data.json").read_text(encoding="utf-8"))
    rows_out = data if isinstance(data, list) else data["data"]
    assert rows_out[0]["opening_hours_structured"] is None and rows_out[1]["opening_hours_structured"] is None
    parsed = json.loads(rows_out[2]["opening_hours_structured"])
    assert parsed["weekly_hours"] == rows_out[2]["weekly_hours_parsed"] > 0
    assert parsed["rules"][0]["hours"]
    schema = json.loads((outcome.path / "datapackage.json").read_text(encoding="utf-8"))["resources"][0]["schema"]
    derived = {f["name"]: f.get("derivedFrom") for f in schema["fields"]}
    assert derived["weekly_hours_parsed"] == {"field": "opening_hours", "parser": "weekly-hours"}


def test_a_field_derived_from_a_protected_field_is_refused(tmp_path: Path) -> None:
    import yaml

    from gongkai.errors import ConfigError
    from gongkai.spec import load_spec

    raw = yaml.safe_load((REPO / "datasets" / "culture-sports-facilities.dataset.yaml").read_text(encoding="utf-8"))
    raw["schema"] = str(REPO / "schemas" / "culture-sports-facilities.schema.json")
    raw["quality"] = str(REPO / "validation" / "culture-sports-facilities.suite.yaml")
    raw["privacy"] = {"fields": {"opening_hours": "drop"}}
    path = tmp_path / "culture-sports-facilities.dataset.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"derived from 'opening_hours', which privacy\.fields protects"):
        load_spec(path)
