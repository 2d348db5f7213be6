"""Dataset specs load strictly: a typo names the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from gongkai import ConfigError, Specs, load_spec
from gongkai.spec import DatasetSpec

from .conftest import REPO


def _copy_project(tmp_path: Path) -> Path:
    for d in ("datasets", "schemas", "validation"):
        shutil.copytree(REPO / d, tmp_path / d, ignore=shutil.ignore_patterns("samples"))
    return tmp_path


def _edit(path: Path, **changes: object) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        node = doc
        *parents, last = key.split(".")
        for p in parents:
            node = node[p]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_bundled_specs_load() -> None:
    catalog = Specs(REPO)
    assert {"lottery-welfare-projects", "fund-allocations", "culture-sports-facilities"} <= set(catalog.by_id)
    for spec in catalog:
        assert isinstance(spec, DatasetSpec)
        assert spec.primary_key, f"{spec.id} needs a primary key for changelogs"
        assert all(p.is_file() for p in spec.source_paths()), spec.id


def test_typo_in_key_names_file_key_and_suggestion(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    spec = root / "datasets" / "fund-allocations.dataset.yaml"
    text = spec.read_text(encoding="utf-8").replace("update_frequency:", "update_frequncy:")
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_spec(spec)
    msg = str(e.value)
    assert "fund-allocations.dataset.yaml" in msg
    assert "update_frequncy" in msg and "did you mean 'update_frequency'" in msg


def test_nested_typo_names_dotted_key(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    spec = root / "datasets" / "fund-allocations.dataset.yaml"
    _edit(spec, **{"source.encodng": "gbk"})
    with pytest.raises(ConfigError, match=r"source\.encodng.*did you mean 'encoding'"):
        load_spec(spec)


def test_spec_naming_missing_schema(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    spec = root / "datasets" / "culture-sports-facilities.dataset.yaml"
    _edit(spec, schema="../schemas/no-such.schema.json")
    with pytest.raises(ConfigError, match=r"key 'schema' names ../schemas/no-such.schema.json, which does not exist"):
        load_spec(spec)


@pytest.mark.parametrize(("key", "value", "pattern"), [
    ("domain", "sports", "unknown domain 'sports'"),
    ("disclosure", "公开", "公开属性 must be one of"),
    ("update_frequency", "sometimes", "unknown frequency"),
    ("deadline.counting", "weekdays", "deadline.counting"),
    ("deadline.from", "amount", "key 'deadline.from' must name a date field"),
    ("legal_basis", None, "key 'legal_basis': required key is missing"),
    ("source.columns.not_a_field", ["x"], "source.columns.not_a_field"),
    ("source.columns.amount", {"headers": ["金额"], "unit": "斤"}, "unknown unit"),
])
def test_invalid_values(tmp_path: Path, key: str, value: object, pattern: str) -> None:
    root = _copy_project(tmp_path)
    spec = root / "datasets" / "fund-allocations.dataset.yaml"
    _edit(spec, **{key: value})
    with pytest.raises(ConfigError, match=pattern):
        load_spec(spec)


def test_schema_with_bad_type_names_schema_file(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    schema = root / "schemas" / "fund-allocations.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"type": "number"', '"type": "numbr"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fund-allocations.schema.json: invalid Table Schema.*numbr"):
        load_spec(root / "datasets" / "fund-allocations.dataset.yaml")


def test_suite_referencing_unknown_column(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    suite = root / "validation" / "lottery-welfare-projects.suite.yaml"
    suite.write_text(suite.read_text(encoding="utf-8").replace("column_A: end_date", "column_A: finish_date"),
                     encoding="utf-8")
    with pytest.raises(ConfigError, match=r"expectations\[0\]\.kwargs': column 'finish_date' is not a field"):
        load_spec(root / "datasets" / "lottery-welfare-projects.dataset.yaml")


def test_file_name_must_match_id(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    src = root / "datasets" / "fund-allocations.dataset.yaml"
    src.rename(root / "datasets" / "allocations.dataset.yaml")
    with pytest.raises(ConfigError, match=r"Rename the file to fund-allocations\.dataset\.yaml"):
        Specs(root)


def test_adding_a_dataset_is_adding_files(tmp_path: Path) -> None:
    """A new dataset needs a spec, a schema and a source, and no code."""
    root = _copy_project(tmp_path)
    (root / "schemas" / "tiny.schema.json").write_text(
        '{"fields": [{"name": "id", "type": "integer"}, {"name": "名称", "type": "string"}], "primaryKey": "id"}',
        encoding="utf-8")
    (root / "datasets" / "tiny.csv").write_text("id,名称\n1,甲\n2,乙\n", encoding="utf-8")
    (root / "datasets" / "tiny-list.dataset.yaml").write_text(yaml.safe_dump({
        "id": "tiny-list", "title": {"zh": "小表", "en": "Tiny"}, "description": {"zh": "测试", "en": "test"},
        "domain": "budget", "publisher": {"name": "省财政厅"}, "disclosure": "主动公开", "legal_basis": ["测试"],
        "update_frequency": "yearly", "schema": "../schemas/tiny.schema.json", "source": {"path": "tiny.csv"},
    }, allow_unicode=True), encoding="utf-8")
    from gongkai import Project

    outcome = Project(root, store=tmp_path / "store").release("tiny-list")
    assert outcome.status == "released" and outcome.report.rows == 2


def test_schema_unit_must_be_the_base_unit(tmp_path: Path) -> None:
    from gongkai.errors import ConfigError
    from gongkai.spec.schema import check_schema

    with pytest.raises(ConfigError, match="publish in the base unit '元', not '万元'"):
        check_schema(tmp_path / "x.schema.json", {"fields": [{"name": "a", "type": "number", "unit": "万元"}]})
