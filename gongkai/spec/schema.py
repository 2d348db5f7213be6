"""Frictionless Table Schemas: loading, checking, and the facts the engine needs about each field."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..identifiers import KINDS
from ..vocab import UNITS
from .parsers import PARSERS

SUPPORTED_TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "year", "any"}
CODES_DIR = "codes"  # foreign-key code lists live in schemas/codes/<resource>.csv


@dataclass(frozen=True)
class Field:
    """One Table Schema field, with the parts gongkai's checks use."""

    name: str
    type: str = "string"
    format: str = "default"
    title: str | None = None
    description: str | None = None
    unit: str | None = None
    identifier: str | None = None  # a kind of gongkai.identifiers.KINDS, e.g. "uscc"
    derived_from: dict[str, Any] | None = None  # {"field": ..., "parser": ...}: computed from another field
    constraints: dict[str, Any] = field(default_factory=dict)
    true_values: tuple[str, ...] = ("true", "True", "TRUE", "1", "是")
    false_values: tuple[str, ...] = ("false", "False", "FALSE", "0", "否")

    @classmethod
    def from_descriptor(cls, d: dict[str, Any]) -> Field:
        return cls(
            name=d["name"], type=d.get("type", "string"), format=d.get("format", "default"),
            title=d.get("title"), description=d.get("description"), unit=d.get("unit"),
            identifier=d.get("identifier"), derived_from=d.get("derivedFrom"),
            constraints=dict(d.get("constraints", {})),
            true_values=tuple(d.get("trueValues", cls.true_values)),
            false_values=tuple(d.get("falseValues", cls.false_values)),
        )

    @property
    def label(self) -> str:
        """How a clerk knows the column: its Chinese title when it has one."""
        return f"{self.title}（{self.name}）" if self.title else self.name

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    @property
    def derived(self) -> bool:
        return self.derived_from is not None

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "number", "year")


@dataclass(frozen=True)
class TableSchema:
    fields: list[Field]
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]
    missing_values: tuple[str, ...]
    descriptor: dict[str, Any]

    @classmethod
    def from_descriptor(cls, d: dict[str, Any]) -> TableSchema:
        pk = d.get("primaryKey") or []
        return cls(
            fields=[Field.from_descriptor(f) for f in d["fields"]],
            primary_key=[pk] if isinstance(pk, str) else list(pk),
            foreign_keys=list(d.get("foreignKeys", [])),
            missing_values=tuple(d.get("missingValues", [""])),
            descriptor=d,
        )

    def get(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def check_schema(path: Path, descriptor: dict[str, Any], accepted: Path | None = None) -> TableSchema:
    """Check a descriptor with frictionless plus gongkai's own rules; errors name the file and key.

    ``accepted`` is a directory remembering the descriptors this frictionless version already accepted: its
    import and check cost ≈ 0.5 s of every command that loads the specs, for an answer that cannot change."""
    _check_with_frictionless(path, descriptor, accepted)
    schema = TableSchema.from_descriptor(descriptor)
    for i, f in enumerate(schema.fields):
        where = f"{path}: key 'fields[{i}]' ({f.name})"
        if f.type not in SUPPORTED_TYPES:
            raise ConfigError(f"{where}: type {f.type!r} is not supported by gongkai",
                              f"Use one of: {', '.join(sorted(SUPPORTED_TYPES))}")
        if f.unit is not None and f.unit not in UNITS:
            raise ConfigError(f"{where}: unknown unit {f.unit!r}", f"Known units: {', '.join(UNITS)}")
        if f.unit is not None and UNITS[f.unit][1] != 1:
            raise ConfigError(f"{where}: publish in the base unit {UNITS[f.unit][0]!r}, not {f.unit!r}",
                              "Sources in 万元 etc. are converted exactly to the base unit; a larger unit would lose digits.")
        if f.identifier is not None:
            if f.identifier not in KINDS:
                raise ConfigError(f"{where}: unknown identifier {f.identifier!r}", f"Known: {', '.join(KINDS)}")
            if f.type != "string":
                raise ConfigError(f"{where}: an identifier field must have type string, not {f.type!r}",
                                  "Codes keep their leading zeros and check letters only as text.")
        if f.derived_from is not None:
            _check_derived(where, f, schema)
    for i, fk in enumerate(schema.foreign_keys):
        resource = fk.get("reference", {}).get("resource", "")
        if resource and not (path.parent / CODES_DIR / f"{resource}.csv").is_file():
            raise ConfigError(f"{path}: key 'foreignKeys[{i}].reference.resource' names {resource!r}, "
                              f"but {path.parent / CODES_DIR / (resource + '.csv')} does not exist")
    return schema


@cache
def _frictionless_version() -> str:
    return version("frictionless")


def _check_with_frictionless(path: Path, descriptor: dict[str, Any], accepted: Path | None) -> None:
    key = hashlib.sha256(json.dumps([_frictionless_version(), descriptor], sort_keys=True, ensure_ascii=False,
                                    default=str).encode()).hexdigest()
    if accepted is not None and (accepted / key).is_file():
        return
    import frictionless

    try:
        frictionless.Schema.from_descriptor(descriptor)
    except frictionless.FrictionlessException as e:
        raise ConfigError(f"{path}: invalid Table Schema: {e.error.message}") from None
    if accepted is not None:
        try:
            accepted.mkdir(parents=True, exist_ok=True)
            (accepted / key).touch()
        except OSError:
            pass  # a read-only cache only costs the check next time


def _check_derived(where: str, f: Field, schema: TableSchema) -> None:
    d = f.derived_from or {}
    if set(d) != {"field", "parser"}:
        raise ConfigError(f"{where}: key 'derivedFrom' needs exactly 'field' and 'parser'",
                          'e.g. "derivedFrom": {"field": "opening_hours", "parser": "opening-hours"}')
    if d["parser"] not in PARSERS:
        raise ConfigError(f"{where}: unknown parser {d['parser']!r}", f"Known: {', '.join(PARSERS)}")
    source = next((g for g in schema.fields if g.name == d["field"]), None)
    if source is None or source.derived_from is not None:
        raise ConfigError(f"{where}: 'derivedFrom.field' must name another, non-derived field of the schema")
    if f.type != PARSERS[d["parser"]].type:
        raise ConfigError(f"{where}: parser {d['parser']!r} gives a {PARSERS[d['parser']].type}, so the field's type "
                          f"must be {PARSERS[d['parser']].type!r}")
