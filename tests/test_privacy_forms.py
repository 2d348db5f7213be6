"""Personal numbers however they are written (issue 14, leaks 1–2): every form clerks and adversaries use is
found, in cells and in what a release says about its sources, and no published byte holds one in full."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongkai import Project, digits
from gongkai.gate import pii

from .conftest import REPO, generator, problems, write_csv
from .privacy_support import published_texts
from .test_privacy import make_id

MOBILE = "17131400087"
ID = make_id(532122, dt.date(1963, 8, 14), 228)
STYLES = {  # digit 0 of each style; the other nine follow it
    "ascii": "0", "fullwidth": "０", "arabic-indic": "٠", "devanagari": "०", "bold": "𝟎", "bengali": "০",
}
CN = {"cn": "〇一二三四五六七八九", "cn-capital": "零壹贰叁肆伍陆柒捌玖", "cn-yao": "〇幺二三四五六七八九"}
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"


def styled(number: str, style: str) -> str:
    if style in CN:
        return "".join(CN[style][int(c)] if c.isdigit() else c for c in number)
    if style == "circled":
        return "".join(CIRCLED[int(c)] if c.isdigit() else c for c in number)
    zero = ord(STYLES[style])
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in number)


FORMS = [  # (written form, kind): the cases of the issue
    ("(171)3140 0087", "mobile"), ("171、3140、0087", "mobile"), ("171:3140:0087", "mobile"),
    ("171：3140：0087", "mobile"), ("（171）3140-0087", "mobile"), ("171\t3140\t0087", "mobile"),
    ("171\n3140\r\n0087", "mobile"), ("171.3140.0087", "mobile"), ("171，3140，0087", "mobile"),
    ("532122,19630814,2280".replace("2280", ID[-4:]), "id18"), (f"{ID[:6]} {ID[6:14]} {ID[14:]}", "id18"),
    ("\u200b".join(MOBILE), "mobile"), ("\u2060".join(MOBILE), "mobile"), ("\u00ad".join(MOBILE), "mobile"),
    ("\ufeff".join(ID), "id18"), (" ".join(MOBILE), "mobile"),
    *[(styled(MOBILE, s), "mobile") for s in [*STYLES, *CN, "circled"] if s != "ascii"],
    (styled(ID, "arabic-indic"), "id18"), (styled(ID, "cn"), "id18"), (styled(ID, "bold"), "id18"),
    ("一七一 三一四〇 〇〇八七", "mobile"), ("⑰⑬①④⓪⓪⓪⑧⑦", "mobile"),
]


@pytest.mark.parametrize(("form", "kind"), FORMS)
def test_every_written_form_is_found_and_passes_the_sql_prefilter(form: str, kind: str) -> None:
    text = f"户主联系方式：{form}，已核实"
    assert [f.kind for f in pii.find(text)] == [kind], form
    assert pii.digits_of(next(pii.find(text)).text).upper() == (MOBILE if kind == "mobile" else ID)
    assert not list(pii.find(pii.scrub(text)))
    [(passed,)] = duckdb.connect().execute(f"SELECT {pii.prefilter_sql('?')}", [text]).fetchall()
    assert passed


@pytest.mark.parametrize("value", ["0871-65123456", "（0871）65123456", "0871-6512345、0871-6512346",
                                   "1,350,000.00元", "135123422.10", "2025.01.01-2025.12.31", "9:00-17:00",
                                   "第一组", "一二三四五", "12317",
                                   "2508-530112-44-03-709234",  # a project code: its 16-digit part passes Luhn
                                   "索引号：015110483/2026-00014"])  # on every disclosure page; its 18 digits pass Luhn
def test_landlines_amounts_and_dates_are_not_personal(value: str) -> None:
    assert not list(pii.find(value))


def test_a_card_in_groups_of_four_is_found_where_the_same_digits_as_an_index_number_are_not() -> None:
    card = "6222021234560006"  # passes Luhn
    assert [f.kind for f in pii.find(" ".join(card[i:i + 4] for i in range(0, 16, 4)))] == ["bank"]
    assert [f.kind for f in pii.find(card)] == ["bank"]
    assert not list(pii.find(f"{card[:9]}/{card[9:13]}-{card[13:]}"))


@pytest.mark.parametrize("value", ["0871-65123456", "（0871）65123456", "电话0871-65123456", "编号CP2025-0001"])
def test_landlines_stop_at_the_prefilter(value: str) -> None:
    """The speed issue: office phones must not reach extraction (they were most of the scan's time)."""
    [(passed,)] = duckdb.connect().execute(f"SELECT {pii.prefilter_sql('?')}", [value]).fetchall()
    assert not passed


def test_the_shipped_folding_table_is_current() -> None:
    assert digits.build_table() == digits.table()


# -- property: any style, any clerk separator, any format character -----------------------------------------

SEPARATORS = [" ", "\t", "\n", "、", "，", ",", ":", "：", "(", ")", "（", "）", "-", "－", "　", "/"]
numbers = st.one_of(
    st.builds(make_id, st.integers(110000, 659999), st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)),
              st.integers(0, 999)),
    st.builds(lambda p, n: f"1{p}{n:09d}", st.sampled_from("3456789"), st.integers(0, 999_999_999)))


@st.composite
def written(draw: st.DrawFn) -> tuple[str, str]:
    """A number as someone might write it: styled digits, split into groups by separators, format characters."""
    number = draw(numbers)
    style = draw(st.sampled_from([*STYLES, *CN, "circled"]))
    cuts = sorted(draw(st.sets(st.integers(3, len(number) - 3), max_size=4)))  # groups of 3+ digits
    sep = draw(st.sampled_from(SEPARATORS))
    parts = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    text = sep.join(styled(p, style) for p in parts)
    if draw(st.booleans()):
        text = draw(st.sampled_from(["\u200b", "\u2060", "\u00ad", "\ufeff"])).join(text)
    return number, text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=written(), before=st.sampled_from(["", "电话", "户主身份证 ", "备注："]),
       after=st.sampled_from(["", "，已核实", " 联系人", "。"]))
def test_any_written_number_is_found_masked_and_prefiltered(case: tuple[str, str], before: str, after: str) -> None:
    number, text = case
    text = before + text + after
    found = list(pii.find(text))
    assert any(pii.digits_of(f.text).upper() == number for f in found), (text, found)
    assert not list(pii.find(pii.scrub(text)))
    [(passed,)] = duckdb.connect().execute(f"SELECT {pii.prefilter_sql('?')}", [text]).fetchall()
    assert passed


# -- the gate: cells in any source format ----------------------------------------------------------------------

XIANGGELILA = "xianggelila-minzheng"  # the generator's roster is 香格里拉市's: its 民政局 submits that partition


def _roster(tmp_path: Path, cells: dict[int, str], name: str = "名册.csv") -> Path:
    rows = generator.dibao_roster(random.Random(generator.SEED))
    for i, v in cells.items():
        rows[i]["备注"] = v
    return write_csv(tmp_path / name, rows)


def test_every_form_in_a_csv_cell_is_refused(project: Project, tmp_path: Path) -> None:
    cells = {i: f"户主电话{form}" for i, (form, _) in enumerate(FORMS)}
    outcome = project.validate("dibao-recipients", [_roster(tmp_path, cells)])
    found = problems(outcome, "personal-data")
    assert {p.row for p in found} == {i + 2 for i in cells}, [p.to_dict() for p in found]
    dumped = json.dumps(outcome.report.to_dict(), ensure_ascii=False)
    assert not [f for f in pii.find(dumped) if pii.digits_of(f.text).upper() in (MOBILE, ID)]


def test_every_form_in_an_xlsx_cell_is_refused(project: Project, tmp_path: Path) -> None:
    rows = generator.dibao_roster(random.Random(generator.SEED))
    for i, (form, _) in enumerate(FORMS):
        rows[i]["备注"] = form
    path = tmp_path / "名册.xlsx"
    generator.write_xlsx(rows, path, "名册", "低保对象名册")
    outcome = project.release("dibao-recipients", [path])
    assert outcome.status == "invalid"
    assert {p.row for p in problems(outcome, "personal-data")} == {i + 3 for i in range(len(FORMS))}
    assert not project.store.versions("dibao-recipients")


def test_landlines_in_cells_are_published(project: Project, tmp_path: Path) -> None:
    cells = {1: "村委会电话0871-65123456", 2: "补助1,350,000.00元", 3: "2025.01.01-2025.12.31"}
    outcome = project.validate("dibao-recipients", [_roster(tmp_path, cells)])
    assert not problems(outcome, "personal-data")


# -- metadata: file, sheet and column names ----------------------------------------------------------------------

def test_numbers_in_file_and_sheet_names_are_never_published(project: Project, tmp_path: Path) -> None:
    rows = generator.dibao_roster(random.Random(generator.SEED))
    path = tmp_path / f"低保名册 联系人{styled(MOBILE, 'fullwidth')}.xlsx"
    generator.write_xlsx(rows, path, ID[:6] + " " + ID[6:14] + " " + ID[14:], "低保对象名册")
    outcome = project.release("dibao-recipients", [path], submitter=XIANGGELILA)
    assert outcome.status == "released", [p.to_dict() for p in outcome.report.problems[:3]]
    _assert_nothing_personal(outcome.path)
    [source] = outcome.manifest["sources"]
    assert "171****0087" in source["name"] and source["sheet"] == pii.mask("id18", ID)


def test_a_phone_in_a_column_header_is_masked_in_every_place(project: Project, tmp_path: Path) -> None:
    rows = generator.dibao_roster(random.Random(generator.SEED))
    header = [*rows[0], f"联系人{MOBILE}"]
    outcome = project.validate("dibao-recipients", [write_csv(tmp_path / "名册.csv", rows, header=header)])
    shown = [p for p in outcome.report.problems if p.column and "0087" in p.column]
    assert shown, [p.to_dict() for p in outcome.report.problems]
    for p in outcome.report.problems:
        assert MOBILE not in p.where and MOBILE not in p.message
    assert MOBILE not in json.dumps(outcome.report.to_dict(), ensure_ascii=False)
    outcome.report.write_html(tmp_path / "validation.html")
    assert MOBILE not in (tmp_path / "validation.html").read_text(encoding="utf-8")


def _assert_nothing_personal(release: Path) -> None:
    for f in release.iterdir():
        for text in published_texts(f):
            assert not list(pii.find(text)), (f.name, list(pii.find(text))[:3])


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=written(), sheet=written())
def test_no_published_byte_holds_a_number_whatever_the_source_is_named(tmp_path_factory: pytest.TempPathFactory,
                                                                        name: tuple[str, str],
                                                                        sheet: tuple[str, str]) -> None:
    tmp = tmp_path_factory.mktemp("named")
    project = Project(REPO, store=tmp / "store")
    rows = generator.dibao_roster(random.Random(generator.SEED))
    file_name = "名册" + "".join(c for c in name[1] if c not in "/\n\t\r\x00") + ".xlsx"
    sheet_name = "".join(c for c in sheet[1] if c not in "[]:*?/\\\n\t\r")[:31] or "s"
    path = tmp / file_name
    generator.write_xlsx(rows, path, sheet_name, "低保对象名册")
    outcome = project.release("dibao-recipients", [path], submitter=XIANGGELILA)
    assert outcome.status == "released", [p.to_dict() for p in outcome.report.problems[:3]]
    _assert_nothing_personal(outcome.path)
    _assert_nothing_personal_in_ckan_metadata(project, "dibao-recipients", outcome.manifest["version"])


def _assert_nothing_personal_in_ckan_metadata(project: Project, dataset: str, version: str) -> None:
    """What the publisher would send to CKAN for the package, built without a server."""
    from gongkai.ckan.publish import Publisher

    spec = project.spec(dataset)
    meta = Publisher._metadata(SimpleNamespace(store=project.store), spec, "org", version)  # type: ignore[arg-type]
    for text in (str(v) for v in meta.values()):
        assert not list(pii.find(text)), text


def test_ckan_metadata_of_a_spec_with_a_mobile_in_its_title_is_masked(project: Project, tmp_path: Path) -> None:
    import yaml

    from gongkai.ckan.publish import Publisher
    from gongkai.spec import load_spec

    o = project.release("dibao-recipients")
    raw = yaml.safe_load((REPO / "datasets" / "dibao-recipients.dataset.yaml").read_text(encoding="utf-8"))
    raw["schema"] = str(REPO / "schemas" / "dibao-recipients.schema.json")
    raw["quality"] = str(REPO / "validation" / "dibao-recipients.suite.yaml")
    raw["partition"]["agencies"] = str(REPO / "datasets" / raw["partition"]["agencies"])
    raw["title"]["zh"] += f"（联系人 {styled(MOBILE, 'arabic-indic')}）"
    raw["description"]["zh"] += " 咨询 171 3140 0087"
    path = tmp_path / "dibao-recipients.dataset.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    spec = load_spec(path)
    meta = Publisher._metadata(SimpleNamespace(store=project.store), spec, "org", o.manifest["version"])  # type: ignore[arg-type]
    assert "171****0087" in meta["title"] and "171****0087" in meta["notes"]
    assert not [f for v in meta.values() for f in pii.find(str(v))]


def test_a_hash_is_no_number_however_its_digits_fall() -> None:
    """A sha256 with a Luhn-valid 16-digit run (seen in a manifest) is kept; the same digits alone are a card."""
    digest = "a" + "2360389210709009" + "b" * 47
    assert len(digest) == 64 and [f.kind for f in pii.find("2360389210709009")] == ["bank"]
    assert not list(pii.find(digest)) and not list(pii.find(f"sha256: {digest}"))
    assert [f.kind for f in pii.find("a2360389210709009")] == ["bank"]  # not a digest: still found
