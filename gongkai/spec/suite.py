"""Quality suites: ``validation/<id>.suite.yaml``, a list of Great Expectations expectations.

Each entry is ``{type, kwargs, meta}`` exactly as in a Great Expectations suite, where ``meta`` adds what a clerk
reads: ``id`` (stable rule code), ``message``, ``hint`` and ``severity`` (error | warning), and ``kind``: a
``defect`` of the data (the default; an error refuses the release) or a ``finding`` about the agency's conduct
(published late, spent above allocation, a drop without 说明), which is published with the release in
``findings.csv`` and counted in compliance but never blocks it; ``finding`` names its category (late | overspent |
unexplained-drop | other). Two gongkai additions:

- ``expect_table_row_count_to_be_between`` may take ``min_ratio_of_previous`` / ``max_ratio_of_previous``: bounds
  relative to the previous release's row count (skipped for a first release);
- ``unexpected_rows_expectation`` takes ``unexpected_rows_query``: portable SQL over ``{batch}`` returning the
  offending rows (with ``_row``). It runs in the engine that holds the data (DuckDB, or PostgreSQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import ConfigError

SQL_RULE = "unexpected_rows_expectation"
COLUMN_KWARGS = ("column", "column_A", "column_B")
RATIO_KWARGS = ("min_ratio_of_previous", "max_ratio_of_previous")
FINDINGS = {"late": "逾期公示", "overspent": "超支", "unexplained-drop": "无说明的减少", "other": "其他"}

# libyaml's parser when PyYAML has it: the pure-Python one was most of the time every command spent loading specs
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Expectation:
    type: str
    kwargs: dict[str, Any]
    id: str
    message: str
    hint: str = ""
    severity: Literal["error", "warning"] = "error"
    meta: dict[str, Any] = field(default_factory=dict)
    kind: Literal["defect", "finding"] = "defect"
    finding: str | None = None

    @property
    def is_sql(self) -> bool:
        return self.type == SQL_RULE

    def columns(self) -> list[str]:
        cols = [self.kwargs[k] for k in COLUMN_KWARGS if k in self.kwargs]
        return cols + list(self.kwargs.get("column_list", []))


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    expectations: list[Expectation]


def load_suite(path: Path, fields: list[str]) -> Suite:
    """Load a suite and check it against the dataset's fields; errors name the file and the entry."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("expectations"), list):
        raise ConfigError(f"{path}: a quality suite needs a key 'expectations' holding a list")
    unknown = set(raw) - {"name", "expectations", "meta"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; allowed: name, expectations, meta")
    out: list[Expectation] = []
    for i, e in enumerate(raw["expectations"]):
        def where(sub: str = "", i: int = i) -> str:
            return f"{path}: key 'expectations[{i}]{sub}'"

        if not isinstance(e, dict) or "type" not in e:
            raise ConfigError(f"{where()}: each expectation needs 'type' (and usually 'kwargs', 'meta')")
        extra = set(e) - {"type", "kwargs", "meta"}
        if extra:
            raise ConfigError(f"{where()}: unknown key(s) {', '.join(sorted(extra))}; allowed: type, kwargs, meta")
        etype, kwargs, meta = e["type"], dict(e.get("kwargs") or {}), dict(e.get("meta") or {})
        if not re.fullmatch(r"(expect_[a-z0-9_]+|unexpected_rows_expectation)", etype):
            raise ConfigError(f"{where('.type')}: {etype!r} is not a Great Expectations expectation name",
                              "Use the snake_case name, e.g. expect_column_values_to_be_between.")
        kind = meta.pop("kind", "defect")
        if kind not in ("defect", "finding"):
            raise ConfigError(f"{where('.meta.kind')}: must be defect or finding, not {kind!r}",
                              "defect: 数据错误，拒绝发布；finding: 履职问题（迟报、超支等），随数据发布并计入合规统计。")
        category = meta.pop("finding", "other" if kind == "finding" else None)
        if kind == "finding" and category not in FINDINGS:
            raise ConfigError(f"{where('.meta.finding')}: must be one of {', '.join(FINDINGS)}, not {category!r}")
        severity = "warning" if kind == "finding" else meta.pop("severity", "error")
        meta.pop("severity", None)
        exp = Expectation(etype, kwargs, id=str(meta.pop("id", f"{etype}-{i}")),
                          message=str(meta.pop("message", etype)), hint=str(meta.pop("hint", "")),
                          severity=severity, meta=meta, kind=kind, finding=category)
        if exp.severity not in ("error", "warning"):
            raise ConfigError(f"{where('.meta.severity')}: must be error or warning, not {exp.severity!r}")
        for col in exp.columns():
            if col not in fields:
                raise ConfigError(f"{where('.kwargs')}: column {col!r} is not a field of the dataset",
                                  f"Fields: {', '.join(fields)}")
        if exp.is_sql and "{batch}" not in str(kwargs.get("unexpected_rows_query", "")):
            raise ConfigError(f"{where('.kwargs.unexpected_rows_query')}: must select from {{batch}}")
        if any(k in kwargs for k in RATIO_KWARGS) and etype != "expect_table_row_count_to_be_between":
            raise ConfigError(f"{where('.kwargs')}: *_ratio_of_previous only goes with expect_table_row_count_to_be_between")
        if exp.id in {x.id for x in out}:
            raise ConfigError(f"{where('.meta.id')}: {exp.id!r} is used twice")
        out.append(exp)
    return Suite(str(raw.get("name", path.stem)), path, out)
