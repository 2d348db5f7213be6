"""Identifier and code checks (居民身份证号, 统一社会信用代码, 行政区划代码, phones): Python and SQL rules agree on
known valid and invalid values, and a schema field with ``identifier`` rejects bad cells with the reason."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai import identifiers
from gongkai.errors import ConfigError
from gongkai.gate import identifier_sql
from gongkai.identifiers import id_check_char, reason, uscc_check_char
from gongkai.project import Project
from gongkai.spec.schema import check_schema

from .conftest import FIXTURES, REPO, problems

# (kind, value, expected reason fragment or None when valid)
CASES = [
    ("resident-id", "11010519491231002X", None),  # GB 11643's own example
    ("resident-id", "11010519491231002x", "最后一位"),  # lower-case x: normalised upstream, raw here
    ("resident-id", "110105194912310021", "校验码应为 X"),
    ("resident-id", "532122199003070012", None if id_check_char("53212219900307001") == "2" else "校验码"),
    ("resident-id", "532122199002300018", "出生日期 19900230 不存在"),
    ("resident-id", "999999199001010010", "地址码 999999"),
    ("resident-id", "110105491231002", "15位旧号码"),
    ("resident-id", "1101051949123100", "应为18位"),
    ("resident-id", (f := "110105" + (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d") + "001")
     + id_check_char(f), "不合理"),
    ("uscc", "91350100M000100Y43", None),  # GB 32100's example
    ("uscc", "91110000600037341L", None),
    ("uscc", "11100000000013127D", None),  # a central ministry: region part 100000
    ("uscc", "91330106MA27XK8E2A", "校验码应为 D"),
    ("uscc", "91350100M000100Y4", "应为18位"),
    ("uscc", "91350100M0001O0Y43", "不允许的字符 O"),
    ("uscc", "91999900M000100Y43", "校验码应为"),  # the region part is not checked; the check character is
    ("region-code", "530102", None),
    ("region-code", "441900", None),  # 东莞市: a prefecture with no counties, not a digit-range rule
    ("region-code", "530121", "已撤销"),  # 呈贡县, 2011
    ("region-code", "500105", "已撤销的代码（江北区，2025年起不再使用）"),  # Chongqing's 2025 change
    ("region-code", "532122", "已撤销"),  # 鲁甸县 moved to 530621
    ("region-code", "539999", "不是行政区划代码"),
    ("region-code", "53010", "应为6位数字"),
    ("region-code-historical", "530121", None),
    ("region-code-historical", "539999", "不是行政区划代码"),
    ("phone", "13512345678", None),
    ("phone", "+86 135 1234 5678", None),
    ("phone", "0871-65123456", None),
    ("phone", "(0871)65123456", None),
    ("phone", "010-62345678转8001", None),
    ("phone", "0871-65123456、13512345678", None),
    ("phone", "12345678901", "不是有效的电话号码"),
    ("phone", "0871-6512", "不是有效的电话号码"),
    ("phone", "12317", "不是有效的电话号码"),
    ("hotline", "12317", None),
    ("hotline", "400-810-1234", None),
    ("hotline", "95588", None),
    ("hotline", "0887-8223456", None),
    ("hotline", "1231", "不是有效的服务电话"),
]


def _sql_reason(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> str | None:
    return con.execute(f"SELECT {identifier_sql.reason_sql(kind, 'v')} FROM (SELECT ? AS v)", [value]).fetchall()[0][0]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    identifier_sql.create_sql(c)
    return c


@pytest.mark.parametrize(("kind", "value", "expected"), CASES)
def test_known_values(con: duckdb.DuckDBPyConnection, kind: str, value: str, expected: str | None) -> None:
    got = reason(kind, value)
    if expected is None:
        assert got is None, f"{value} should be a valid {kind}: {got}"
    else:
        assert got is not None and expected in got, (value, got)
    assert _sql_reason(con, kind, value) == got  # the SQL rule says exactly the same


def _resident_id(region: str, born: dt.date, seq: int) -> str:
    first = f"{region}{born:%Y%m%d}{seq:03d}"
    return first + id_check_char(first)


REGIONS = ["110105", "530102", "533422", "530121", "441900"]


@settings(max_examples=150, deadline=None)
@given(region=st.sampled_from(REGIONS), born=st.dates(dt.date(1920, 1, 1), dt.date(2020, 12, 31)),
       seq=st.integers(0, 999), pos=st.integers(0, 16), digit=st.integers(1, 9))
def test_any_valid_id_passes_and_any_single_digit_change_fails(con: duckdb.DuckDBPyConnection, region: str,
                                                                born: dt.date, seq: int, pos: int, digit: int) -> None:
    good = _resident_id(region, born, seq)
    assert reason("resident-id", good) is None and _sql_reason(con, "resident-id", good) is None
    bad = good[:pos] + str((int(good[pos]) + digit) % 10) + good[pos + 1:]
    assert reason("resident-id", bad) is not None  # MOD 11-2 catches every single-digit error
    assert _sql_reason(con, "resident-id", bad) == reason("resident-id", bad)


@settings(max_examples=150, deadline=None)
@given(body=st.text(identifiers.USCC_CHARS, min_size=8, max_size=8), kind=st.sampled_from(["91", "12", "52", "93"]),
       region=st.sampled_from(["530102", "110000", "100000"]), pos=st.integers(0, 16))
def test_uscc_check_character(con: duckdb.DuckDBPyConnection, body: str, kind: str, region: str, pos: int) -> None:
    first = kind + region + body + "1"
    good = first + uscc_check_char(first)
    assert reason("uscc", good) is None and _sql_reason(con, "uscc", good) is None
    chars = identifiers.USCC_CHARS
    swapped = good[:pos] + chars[(chars.index(good[pos]) + 1) % 31] + good[pos + 1:]
    assert _sql_reason(con, "uscc", swapped) == reason("uscc", swapped) is not None


def test_region_code_list_is_national_with_history() -> None:
    with open(identifiers.REGION_CODES, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_code = {r["code"]: r for r in rows}
    provinces = [r for r in rows if r["level"] == "province" and not r["valid_to"]]
    assert len(provinces) == 34  # 23 provinces, 5 autonomous regions, 4 municipalities, 2 SARs
    assert by_code["530121"]["valid_to"] == "2011" and by_code["530114"]["name"] == "呈贡区"
    assert by_code["530102"]["parent"] == "530100" and by_code["530100"]["parent"] == "530000"
    assert 3000 < sum(1 for r in rows if not r["valid_to"]) < 4000
    # the foreign-key code list is the current part of the same list
    with open(REPO / "schemas" / "codes" / "region-codes.csv", encoding="utf-8") as f:
        fk = {r["code"] for r in csv.DictReader(f)}
    assert fk == {r["code"] for r in rows if not r["valid_to"]}


def test_region_code_list_rebuilds_from_its_source() -> None:
    """The shipped list is yescallop/areacodes' result.csv as of 2025-12-31 plus the 市辖区/县 group codes. The
    fixture is its 2024 state (commit eed219a): rebuilt from it, the list differs exactly by 2025's changes —
    Chongqing's 江北区 and 渝北区 abolished, 两江新区 created — so each code's years of use come from the source."""
    import gzip
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_region_codes", REPO / "gongkai" / "data" / "build_region_codes.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with open(identifiers.REGION_CODES, encoding="utf-8") as f:
        committed = {r["code"]: r for r in csv.DictReader(f)}
    source = gzip.decompress((FIXTURES / "areacodes-eed219a-result.csv.gz").read_bytes()).decode("utf-8")
    rebuilt = {r["code"]: r for r in mod.parse(source, list(committed.values()))}
    changed = {c for c in committed.keys() | rebuilt.keys() if committed.get(c) != rebuilt.get(c)}
    assert changed == {"500105", "500112", "500157"}
    assert (committed["500105"]["valid_to"], committed["500105"]["years"]) == ("2025", "1997-2025")
    assert rebuilt["500105"]["valid_to"] == "" and "500157" not in rebuilt
    assert committed["500157"]["name"] == "两江新区" and committed["500157"]["years"] == "2025-"
    real = [r for r in committed.values() if r["name"] not in mod.GROUPS]
    assert len(real) == 6451 and sum(1 for r in real if not r["valid_to"]) == 3212
    # the historical code list of the foreign keys is the same list
    with open(REPO / "schemas" / "codes" / "region-codes-historical.csv", encoding="utf-8") as f:
        assert {r["code"]: r for r in csv.DictReader(f)} == committed


# (code, record date, expected reason fragment or None): the lists are as of 31 December, so a code created or
# abolished during a year is valid for records of that whole year
DATED = [
    ("500105", "2025-03-01", None),  # 江北区, abolished in November 2025: a record of early 2025 may carry it
    ("500105", "2025-12-31", None),
    ("500105", "2026-01-05", "已停用（江北区，1997年启用，2025年停用）"),
    ("500157", "2025-12-01", None),  # 两江新区, created 2025
    ("500157", "2024-06-30", "尚未启用（两江新区，2025年启用）"),
    ("330113", "2022-05-01", None),  # 临平区, created 2021
    ("330114", "2021-01-15", None),
    ("330114", "2019-05-01", "发放日期 2019-05-01 时该代码尚未启用（钱塘区，2021年启用）"),
    ("422921", "1994-06-01", None),  # 神农架林区: 1983–1986 and 1990–1994
    ("422921", "1988-01-01", "已停用"),
    ("422921", "2025-03-01", "已停用（神农架林区，1983年启用，1986年停用；1990年启用，1994年停用）"),
    ("530121", "2010-01-01", None),  # 呈贡县, abolished 2011: refused by today's list, fine for its time
    ("530102", "2025-01-01", None),
    ("539999", "2025-01-01", "不是行政区划代码"),
]


@pytest.mark.parametrize(("code", "on", "expected"), DATED)
def test_region_code_on_the_records_date(con: duckdb.DuckDBPyConnection, code: str, on: str,
                                         expected: str | None) -> None:
    day = dt.date.fromisoformat(on)
    got = reason("region-code", code, on=day, date_label="发放日期")
    assert (got is None) if expected is None else (got is not None and expected in got), got
    sql = identifier_sql.reason_sql("region-code", "v", on="d", date_label="发放日期")
    assert con.execute(f"SELECT {sql} FROM (SELECT ? AS v, ?::DATE AS d)", [code, day]).fetchall()[0][0] == got
    undated = con.execute(f"SELECT {sql} FROM (SELECT ? AS v, NULL::DATE AS d)", [code]).fetchall()[0][0]
    assert undated == reason("region-code", code)  # no date in the row: today's list


@pytest.mark.parametrize(("code", "expected"), [
    ("330113", None), ("330114", None),  # 临平区, 钱塘区: created 2021
    ("422921", "已撤销"), ("429001", "已撤销"),  # 神农架林区 (1994), 随州市 (2000)
    ("232761", "不是行政区划代码"),  # a statistical code with a traditional-character name, not GB/T 2260
])
def test_region_codes_as_the_authoritative_list_has_them(con: duckdb.DuckDBPyConnection, code: str,
                                                          expected: str | None) -> None:
    got = reason("region-code", code)
    assert (got is None) if expected is None else (got is not None and expected in got)
    assert _sql_reason(con, "region-code", code) == got


def test_resident_of_linping_passes() -> None:
    first = "330113" + "19900101" + "123"
    assert reason("resident-id", first + id_check_char(first)) is None


def _schema(tmp_path: Path, **field: object) -> Path:
    d = {"fields": [{"name": "code", "type": "string", **field}]}
    p = tmp_path / "x.schema.json"
    p.write_text(json.dumps(d), encoding="utf-8")
    return p


def test_schema_rejects_unknown_identifier_and_non_string(tmp_path: Path) -> None:
    p = _schema(tmp_path, identifier="passport")
    with pytest.raises(ConfigError, match="unknown identifier 'passport'"):
        check_schema(p, json.loads(p.read_text()))
    p = _schema(tmp_path, identifier="uscc", type="integer")
    with pytest.raises(ConfigError, match="must have type string"):
        check_schema(p, json.loads(p.read_text()))


def test_bad_identifiers_in_a_source_are_rejected_with_row_and_reason(project: Project, tmp_path: Path) -> None:
    """The facilities directory declares region-code and hotline fields."""
    src = next((REPO / "datasets" / "samples" / "culture-sports-facilities").glob("*.csv"))
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:6]]
    rows[1][header.index("行政区划代码")] = "530121"  # abolished in 2011
    rows[2][header.index("联系电话")] = "0871-6512"  # too short
    rows[3][header.index("联系电话")] = "１２３１７"  # full-width service number: fine after normalisation
    bad = tmp_path / "facilities.csv"
    bad.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    outcome = project.validate("culture-sports-facilities", sources=[bad])
    found = {(p.row, p.field): p.message for p in problems(outcome, "identifier-error")}
    assert set(found) == {(3, "region_code"), (4, "phone")}
    assert "已撤销" in found[3, "region_code"] and "呈贡县" in found[3, "region_code"]
    assert not outcome.ok


def _digit_uscc_passing_luhn() -> str:
    """An all-digit credit code (common for 12… 事业单位) that a bank-card check would also accept."""
    from gongkai.gate.pii import luhn_valid

    for n in range(10**8, 10**8 + 100_000):
        first = f"12530102{n:09d}"
        code = first + uscc_check_char(first)
        if code.isdigit() and luhn_valid(code) and reason("resident-id", code) is not None:
            return code
    raise AssertionError("none found")


def test_scanner_accepts_a_valid_credit_code_but_not_an_id_number_in_its_column(project: Project, tmp_path: Path) -> None:
    src = REPO / "datasets" / "samples" / "private-schools" / "民办学校名录.csv"
    lines = src.read_text(encoding="gbk").splitlines()
    header = lines[0].split(",")
    col = header.index("统一社会信用代码")
    rows = [line.split(",") for line in lines[1:4]]
    rows[0][col] = _digit_uscc_passing_luhn()
    path = tmp_path / "schools.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    outcome = project.validate("private-schools", sources=[path])
    assert not problems(outcome, "personal-data"), problems(outcome, "personal-data")
    # a natural person's ID number typed into the credit-code column is still refused
    person = _resident_id("530102", dt.date(1985, 6, 1), 17)
    rows[1][col] = person
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    outcome = project.validate("private-schools", sources=[path])
    assert [(p.row, p.field) for p in problems(outcome, "personal-data")] == [(3, "uscc")]
    assert person not in json.dumps([p.to_dict() for p in outcome.report.problems], ensure_ascii=False)


def test_a_bad_code_with_a_foreign_key_is_reported_once(tmp_path: Path) -> None:
    import shutil

    (tmp_path / "datasets").mkdir()
    (tmp_path / "schemas" / "codes").mkdir(parents=True)
    shutil.copy(REPO / "schemas" / "codes" / "region-codes.csv", tmp_path / "schemas" / "codes")
    (tmp_path / "schemas" / "t.schema.json").write_text(json.dumps({
        "fields": [{"name": "id", "type": "string"},
                   {"name": "region", "title": "地区代码", "type": "string", "identifier": "region-code"}],
        "primaryKey": ["id"],
        "foreignKeys": [{"fields": "region", "reference": {"resource": "region-codes", "fields": "code"}}]}))
    (tmp_path / "t.csv").write_text("id,地区代码\na,530102\nb,530121\nc,53010X\n", encoding="utf-8")
    (tmp_path / "datasets" / "tt1.dataset.yaml").write_text(
        "id: tt1\ntitle: {zh: 测试, en: Test}\ndescription: {zh: 测试, en: Test}\ndomain: budget\n"
        "publisher: {name: 省财政厅}\ndisclosure: 主动公开\nlegal_basis: [测试]\nupdate_frequency: yearly\n"
        "schema: ../schemas/t.schema.json\nsource: {path: ../t.csv}\n", encoding="utf-8")
    outcome = Project(tmp_path, store=tmp_path / "store").validate("tt1")
    assert [(p.row, p.type) for p in outcome.report.problems] == [(3, "identifier-error"), (4, "identifier-error")]


@pytest.mark.parametrize("zone", ["320594", "320891"])  # 苏州工业园区, 淮安经济开发区: not in GB/T 2260
def test_uscc_of_a_development_zone_passes(con: duckdb.DuckDBPyConnection, zone: str) -> None:
    first = "91" + zone + "MA1MXXXX"[:8] + "1"
    good = first + uscc_check_char(first)
    assert reason("uscc", good) is None and _sql_reason(con, "uscc", good) is None
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert reason("uscc", bad) == _sql_reason(con, "uscc", bad) == f"校验码应为 {good[17]}"


def _relief_source(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    """The disaster-relief sample (dated by 发放日期, its spec's deadline.from) with (县级区划代码, 发放日期) per row."""
    src = next((REPO / "datasets" / "samples" / "disaster-relief-recipients").glob("*.csv"))
    with open(src, encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    header, body = table[0], table[1:len(rows) + 1]
    for row, (code, day) in zip(body, rows, strict=True):
        row[header.index("县级区划代码")], row[header.index("发放日期")] = code, day
    out = tmp_path / "relief.csv"
    with open(out, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *body])
    return out


def test_a_dated_dataset_judges_region_codes_on_each_records_date(project: Project, tmp_path: Path) -> None:
    rows = [("500105", "2025-03-01"), ("500105", "2026-01-05"), ("330114", "2022-05-01"), ("330114", "2019-05-01"),
            ("422921", "1994-06-01"), ("422921", "2000-01-01"), ("500157", "2025-11-20"), ("533401", "2025-04-01")]
    outcome = project.validate("disaster-relief-recipients", sources=[_relief_source(tmp_path, rows)])
    found = {p.row: p for p in problems(outcome, "identifier-error")}
    assert set(found) == {3, 5, 7}  # header is line 1: rows 2.. in the order above
    assert found[3].message == "「500105」不是有效的行政区划代码：发放日期 2026-01-05 时该代码已停用（江北区，1997年启用，2025年停用）"
    assert "发放日期 2019-05-01 时该代码尚未启用（钱塘区，2021年启用）" in found[5].message
    assert "神农架林区" in found[7].message and found[7].field == "county_code" and found[7].value == "422921"
    assert "核对记录的日期" in found[3].hint
    assert not problems(outcome, "foreign-key")  # the foreign key holds every code that has existed


def test_an_undated_dataset_judges_region_codes_by_todays_list(project: Project, tmp_path: Path) -> None:
    """The facilities directory's spec names no record date (deadline.from: source): current codes only."""
    src = next((REPO / "datasets" / "samples" / "culture-sports-facilities").glob("*.csv"))
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:3]]
    rows[0][header.index("行政区划代码")] = "500105"
    bad = tmp_path / "facilities.csv"
    bad.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    found = problems(project.validate("culture-sports-facilities", sources=[bad]), "identifier-error")
    assert [(p.row, p.message) for p in found] == [(2, "「500105」不是有效的行政区划代码：是已撤销的代码（江北区，2025年起不再使用）")]


def test_a_dated_spec_whose_foreign_key_holds_only_current_codes_is_refused(tmp_path: Path) -> None:
    from .conftest import project_copy

    root = project_copy(tmp_path)
    schema = root / "schemas" / "disaster-relief-recipients.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"region-codes-historical"', '"region-codes"'),
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="region-codes-historical"):
        Project(root).spec("disaster-relief-recipients")
