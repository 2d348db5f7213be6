"""The privacy gate: personal numbers are recognised anywhere, masked or dropped by policy, and refused otherwise."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongkai import Project
from gongkai.gate import pii
from gongkai.gate.protect import rule_sql

from .conftest import REPO, generator, problems, write_csv
from .privacy_support import published_texts

RECIPIENTS = ["dibao-recipients", "student-aid-recipients", "disaster-relief-recipients"]
STREET = re.compile(r"[0-9]+组[0-9]+号|[路街巷道][0-9]+号")


def make_id(region: int, born: dt.date, seq: int) -> str:
    body = f"{region:06d}{born:%Y%m%d}{seq:03d}"
    return body + pii.ID_CHECK[sum(int(c) * w for c, w in zip(body, pii.ID_WEIGHTS, strict=True)) % 11]


# -- recognising ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "kind"), [
    ("11010519491231002X", "id18"),             # the GB 11643 example, X check character
    ("11010519491231002x", "id18"),
    (make_id(532122, dt.date(1962, 5, 1), 7), "id18"),   # 中甸县: abolished 2001, still on old cards
    (make_id(999999, dt.date(1911, 1, 1), 1), "id18"),   # unknown region code: still an ID
    ("110105491231002", "id15"),
    ("13512345678", "mobile"), ("+86 135 1234 5678", "mobile"), ("8613512345678", "mobile"),
    ("013512345678", "mobile"), ("0-135-1234-5678", "mobile"),   # the trunk prefix 0, dialled from a landline
    ("010-12345678", None), ("01012345678", None),              # a Beijing landline is no mobile
    ("4111111111111111", "bank"), ("6217 0000 0000 0000 009", None),
    ("110105194912310021", None),               # wrong check digit
    ("110105194902300025", None),               # 30 February
    ("12345678901", None), ("0871-65123456", None), ("91530100MA6K0XXX1X", None),
])
def test_classify(value: str, kind: str | None) -> None:
    assert pii.classify(value) == kind


ids = st.builds(make_id, st.integers(100000, 899999), st.dates(dt.date(1900, 1, 1), dt.date(2024, 12, 31)),
                st.integers(0, 999))
mobiles = st.builds(lambda p, n: f"1{p}{n:09d}", st.sampled_from("3456789"), st.integers(0, 999_999_999))
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
not_digit = text.filter(lambda s: not s[-1:].isdigit())
not_digit_start = text.filter(lambda s: not s[:1].isdigit())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(before=text, number=ids, after=text)
def test_any_valid_id_anywhere_is_found(before: str, number: str, after: str) -> None:
    """Even glued to other digits: every 18-character window of a digit run is tried."""
    assert any(f.kind == "id18" for f in pii.find(before + number + after))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(before=not_digit, number=mobiles, after=not_digit_start)
def test_any_mobile_in_text_is_found(before: str, number: str, after: str) -> None:
    assert any(f.kind == "mobile" for f in pii.find(before + number + after))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(text, ids, text), min_size=1, max_size=20))
def test_sql_prefilter_passes_every_embedded_id(rows: list[tuple[str, str, str]]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(i, a + n + b) for i, (a, n, b) in enumerate(rows)])
    found = {i for (i,) in con.execute(f"SELECT i FROM t WHERE {pii.prefilter_sql('v')}").fetchall()}
    assert found == set(range(len(rows)))


def test_masks() -> None:
    assert pii.mask("id18", "11010519491231002X") == "110105********002X"
    assert pii.mask("mobile", "+86 135 1234 2210") == "135****2210"
    assert pii.mask("bank", "6217000000000000009") == "***************0009"
    assert pii.mask("name", "李建国") == "李**"
    assert pii.scrub("卡号4111111111111111，电话13512342210") == "卡号************1111，电话135****2210"


@pytest.mark.parametrize(("rule", "value", "published"), [
    ("mask-name", "欧阳娜娜", "欧**"),
    ("mask-phone", "135-1234-2210", "135****2210"),
    ("mask-id", "11010519491231002X", "110105********002X"),
    ("mask-bank", "6217 0000 0000 0000 009", "***************0009"),
    ("generalise-address", "香格里拉市建塘镇尼史村3组12号", "香格里拉市建塘镇尼史村"),
    ("generalise-address", "香格里拉市建塘镇长征路12号", "香格里拉市建塘镇"),
    ("generalise-address", "长征路12号", None),
])
def test_rules(rule: str, value: str, published: str | None) -> None:
    [(got,)] = duckdb.connect().execute(f"SELECT {rule_sql(rule, 'v')} FROM (SELECT ? AS v)", [value]).fetchall()
    assert got == published


# -- the gate ---------------------------------------------------------------------------------------------


def _source_personal_values() -> set[str]:
    """Every ID, phone and card number in the bundled recipient sources."""
    found: set[str] = set()
    for d in RECIPIENTS:
        for p in sorted(f for f in (REPO / "datasets" / "samples" / d).rglob("*") if f.is_file()):  # county folders
            if p.suffix == ".xlsx":
                import openpyxl

                cells = [str(c) for row in openpyxl.load_workbook(p).active.iter_rows(values_only=True) for c in row if c]
                text = "\n".join(cells)
            else:
                raw = p.read_bytes()
                text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gb18030")
            found |= {re.sub(r"\D", "", f.text) for f in pii.find(text)}
    return found


def test_recipient_datasets_publish_nothing_personal(project: Project) -> None:
    personal = _source_personal_values()
    assert len(personal) > 300  # the sources really are full of it
    for d in RECIPIENTS:
        o = project.release(d)
        assert o.status == "released", [p.to_dict() for p in o.report.problems[:3]]
        for f in o.path.iterdir():
            cells = published_texts(f)  # cell by cell: line breaks now join digit groups
            text = "\n".join(cells)
            found = [x for c in cells for x in pii.find(c)]
            assert not found, (d, f.name, found[:3])
            assert not STREET.search(text), (d, f.name, STREET.search(text))
            digits = re.sub(r"\D", " ", text).split()
            assert not personal & set(digits), (d, f.name)
        protected = o.manifest["protection"]["counts"]
        assert protected and all(sum(rules.values()) > 0 for rules in protected.values())
        report = json.loads((o.path / "validation.json").read_text(encoding="utf-8"))
        if project.spec(d).partition is None:  # a partitioned one: test_partitioned_protection_counts_every_county
            assert report["protection"]["counts"] == protected
        assert o.report.to_dict()["checks"][-1].startswith("personal-data scan")


def test_partitioned_protection_counts_every_county(project: Project) -> None:
    o = project.release("dibao-recipients")  # three counties' rosters, every ID number dropped
    assert o.status == "released" and o.manifest is not None
    report = json.loads((o.path / "validation.json").read_text(encoding="utf-8"))
    rows = o.manifest["row_count"]
    assert o.manifest["protection"]["counts"]["id_number"]["drop"] == rows
    assert report["protection"]["counts"]["id_number"]["drop"] == rows


def _roster(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    import random

    rows = generator.dibao_roster(random.Random(generator.SEED))
    edit(rows)
    return write_csv(tmp_path / "名册.csv", rows)


def test_one_unmasked_id_in_remarks_is_refused(project: Project, tmp_path: Path) -> None:
    leaked = make_id(533421, dt.date(1958, 3, 9), 31)

    def edit(rows: list[dict[str, object]]) -> None:
        rows[20]["备注"] = f"户主身份证{leaked}，已核实"

    outcome = project.release("dibao-recipients", [_roster(tmp_path, edit)])
    [p] = problems(outcome, "personal-data")
    assert outcome.status == "invalid" and p.row == 22 and p.field == "remarks" and p.file == "名册.csv"
    assert p.value == pii.mask("id18", leaked) and leaked not in p.message
    assert not project.store.versions("dibao-recipients")
    dumped = json.dumps(outcome.report.to_dict(), ensure_ascii=False)
    assert leaked not in dumped and leaked[:14] not in dumped


@pytest.mark.parametrize(("column", "value", "kind"), [
    ("备注", "电话 135 1234 2210 联系", "mobile"),
    ("备注", "电话１３５１２３４２２１０", "mobile"),                 # full-width digits
    ("备注", "135.1234.2210", "mobile"), ("备注", "135　1234　2210", "mobile"),
    ("备注", "1351234 2210", "mobile"), ("备注", "0086 135 1234 2210", "mobile"),
    ("备注", "证件110101.19490307.1236", "id18"),
    ("备注", "4111111111111111", "bank"),
    ("村（社区）", "尼史村13512342210", "mobile"),
    ("乡镇（街道）", "建塘镇110105491231002", "id15"),
    ("备注", "旧证110105491231002", "id15"),
])
def test_personal_numbers_in_any_published_column_are_refused(project: Project, tmp_path: Path, column: str,
                                                               value: str, kind: str) -> None:
    def edit(rows: list[dict[str, object]]) -> None:
        rows[3][column] = value

    outcome = project.validate("dibao-recipients", [_roster(tmp_path, edit)])
    found = problems(outcome, "personal-data")
    assert found and all(p.row == 5 for p in found), [p.to_dict() for p in found]
    assert pii.KINDS[kind] in found[0].message


def test_phone_typed_into_a_number_column_is_refused(project: Project, tmp_path: Path) -> None:
    def edit(rows: list[dict[str, object]]) -> None:
        rows[4]["月保障金额（元）"] = "13512342210"

    outcome = project.validate("dibao-recipients", [_roster(tmp_path, edit)])
    [p] = problems(outcome, "personal-data")
    assert p.row == 6 and p.field == "monthly_amount" and p.value == "135****2210"


def test_recipient_name_written_in_remarks_is_refused(project: Project, tmp_path: Path) -> None:
    def edit(rows: list[dict[str, object]]) -> None:
        rows[7]["备注"] = f"{rows[7]['户主姓名']}因病致贫"

    outcome = project.validate("dibao-recipients", [_roster(tmp_path, edit)])
    [p] = problems(outcome, "personal-data")
    assert p.row == 9 and p.field == "remarks" and p.value.endswith("**")


def test_schema_errors_on_personal_fields_do_not_leak(project: Project, tmp_path: Path) -> None:
    def edit(rows: list[dict[str, object]]) -> None:
        rows[2]["身份证号码"] = str(rows[2]["身份证号码"])[:-1] + "Z"  # breaks the pattern

    path = _roster(tmp_path, edit)
    raw = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))[2]["身份证号码"]
    outcome = project.validate("dibao-recipients", [path])
    [p] = problems(outcome, "pattern-error")
    assert p.row == 4 and raw not in (p.value or "") and raw not in p.message


def test_small_cells_suppressed_with_secondary(project: Project) -> None:
    o = project.release("dibao-village-counts")
    con = duckdb.connect()
    rows = con.execute(f"SELECT period, township, households, persons FROM read_parquet('{o.path / 'data.parquet'}')").fetchall()
    assert all(v is None or v == 0 or v >= 5 for _, _, h, p in rows for v in (h, p))
    groups: dict[tuple[str, str], list[int | None]] = {}
    for period, town, h, _ in rows:
        groups.setdefault((period, town), []).append(h)
    for values in groups.values():  # never exactly one hidden cell in a group: the total would give it back
        assert sum(v is None for v in values) != 1
    s = o.manifest["protection"]["suppression"]
    assert s["threshold"] == 5 and s["within"] == ["period", "township"] and s["cells"]["households"] > 0
    assert s["secondary"]["households"] > 0
    schema = json.loads((o.path / "datapackage.json").read_text(encoding="utf-8"))["resources"][0]["schema"]
    assert "隐去" in next(f for f in schema["fields"] if f["name"] == "households")["description"]


@pytest.mark.parametrize(("only_if", "message"), [
    ({"id_number": {"party_type": ["自然人"]}}, "not drop"),
    ({"facts": {"party_type": ["自然人"]}}, "needs a masking rule"),
    ({"party_name": {"party_kind": ["自然人"]}}, "privacy.only_if.party_name.party_kind"),
])
def test_only_if_is_checked_when_the_spec_loads(tmp_path: Path, only_if: dict, message: str) -> None:  # type: ignore[type-arg]
    import yaml

    from gongkai.errors import ConfigError
    from gongkai.spec import load_spec

    raw = yaml.safe_load((REPO / "datasets" / "administrative-penalties.dataset.yaml").read_text(encoding="utf-8"))
    raw["schema"] = str(REPO / "schemas" / "administrative-penalties.schema.json")
    raw["quality"] = str(REPO / "validation" / "administrative-penalties.suite.yaml")
    raw["privacy"]["only_if"] = only_if
    path = tmp_path / "administrative-penalties.dataset.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_spec(path)
