"""Dataset specs: one declarative ``datasets/<id>.dataset.yaml`` per dataset, checked when it loads."""

from __future__ import annotations

import difflib
import glob
import json
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .links import FlowMap, Link, check_catalog_links, check_spec_links
from .vocab import DISCLOSURE, DOMAINS, FREQUENCIES, UNITS


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: str
    en: str


class Publisher(_Model):
    name: str = Field(description="Responsible agency, e.g. 省民政厅")
    code: str | None = Field(None, description="统一社会信用代码 of the agency")


class ColumnMap(_Model):
    headers: list[str] = Field(default_factory=list, description="Chinese headers and aliases")
    unit: str | None = Field(None, description="Unit of the source column when its header names none")

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, v: str | None) -> str | None:
        if v is not None and v not in UNITS:
            raise ValueError(f"unknown unit {v!r}; known: {', '.join(UNITS)}")
        return v


class Totals(_Model):
    field: str = Field(description="Column whose text marks a total row")
    labels: list[str] = Field(default_factory=lambda: ["合计", "总计", "小计", "累计"])
    action: Literal["drop", "verify"] = "verify"


class Source(_Model):
    path: str | list[str] = Field(description="File, glob or list of them, relative to the spec")
    format: Literal["auto", "csv", "xlsx", "xls", "json"] = "auto"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    sheet: str | int | None = None
    header_row: int | Literal["auto"] = "auto"
    header_rows: int | Literal["auto"] = Field("auto", description="Rows the header spans (1-3); auto detects")
    totals: Totals | None = None
    extra_columns: Literal["error", "ignore"] = "error"
    columns: dict[str, list[str] | ColumnMap] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _expand(cls, v: dict[str, Any]) -> dict[str, Any]:
        return {k: ColumnMap(headers=m) if isinstance(m, list) else m for k, m in v.items()}

    def paths(self, base: Path) -> list[Path]:
        """Resolve the source path(s) against ``base``; a glob expands to the files it matches, sorted."""
        out: list[Path] = []
        for p in [self.path] if isinstance(self.path, str) else self.path:
            full = base / p
            if glob.has_magic(str(p)):
                out.extend(sorted(Path(m) for m in glob.glob(str(full))))
            else:
                out.append(full)
        return out


Rule = Literal["drop", "mask-name", "mask-phone", "mask-id", "mask-bank", "generalise-address"]


class Suppression(_Model):
    """Small-cell suppression for aggregate counts, with secondary suppression inside each group."""

    fields: list[str] = Field(min_length=1, description="Count fields to suppress")
    threshold: int = Field(5, ge=2, description="Counts from 1 to threshold-1 are suppressed")
    within: list[str] = Field(default_factory=list, description="Fields whose values form a group with a known total")


class Privacy(_Model):
    """Which fields are personal and how each is published; the scanner checks the rest."""

    fields: dict[str, Rule] = Field(default_factory=dict)
    only_if: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="Apply a field's rule only in rows where another field has one of these "
        "values, e.g. {party_name: {party_type: [自然人]}}: a company's name stays, a person's is masked")
    suppress: Suppression | None = None
    notes: str | None = None


class DatasetSpec(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
    title: Text
    description: Text
    domain: str
    publisher: Publisher
    disclosure: str
    legal_basis: list[str] = Field(min_length=1)
    update_frequency: str
    deadline_working_days: Literal[7, 20] = 20
    formed_field: str | None = Field(None, description="Date field whose latest value is when the information was formed")
    license: str = "CC-BY-4.0"
    tags: list[str] = Field(default_factory=list)
    schema_: str = Field(alias="schema")
    quality: str | None = None
    privacy: Privacy = Field(default_factory=Privacy)
    source: Source
    links: list[Link] = Field(default_factory=list, description="Foreign keys to other datasets of the catalog")
    flows: FlowMap | None = Field(None, description="Fields that make this dataset's rows a fund-flow tree")

    path: Path = Field(default=Path("."), exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        if v not in DOMAINS:
            raise ValueError(f"unknown domain {v!r}; use one of: {', '.join(DOMAINS)}")
        return v

    @field_validator("update_frequency")
    @classmethod
    def _freq(cls, v: str) -> str:
        if v not in FREQUENCIES:
            raise ValueError(f"unknown frequency {v!r}; use one of: {', '.join(FREQUENCIES)}")
        return v

    @field_validator("disclosure")
    @classmethod
    def _disclosure(cls, v: str) -> str:
        if v not in DISCLOSURE:
            raise ValueError(f"公开属性 must be one of {', '.join(DISCLOSURE)}, not {v!r}")
        return v

    # -- resolved files -------------------------------------------------------------------------------

    @property
    def base(self) -> Path:
        return self.path.parent

    @property
    def schema_path(self) -> Path:
        return (self.base / self.schema_).resolve()

    @property
    def quality_path(self) -> Path | None:
        return (self.base / self.quality).resolve() if self.quality else None

    @cached_property
    def schema(self) -> dict[str, Any]:
        """The Table Schema descriptor (already checked by :func:`load_spec`)."""
        return json.loads(self.schema_path.read_text(encoding="utf-8"))

    @property
    def primary_key(self) -> list[str]:
        pk = self.schema.get("primaryKey") or []
        return [pk] if isinstance(pk, str) else list(pk)

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.schema["fields"]]

    def source_paths(self) -> list[Path]:
        return self.source.paths(self.base)


def _key_error(path: Path, err: ValidationError) -> ConfigError:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(e["loc"])
            close = difflib.get_close_matches(str(e["loc"][-1]), allowed, n=1)
            msg = "unknown key" + (f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}")
        elif e["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"key '{key}': {msg}")
    return ConfigError(f"{path}: invalid dataset spec\n  " + "\n  ".join(lines),
                       "Fix the keys named above (see README, 'Dataset specs').")


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = DatasetSpec
    for part in loc[:-1]:
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        ann = getattr(field, "annotation", None)
        model = next((a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return []
    return [f.alias or n for n, f in model.model_fields.items() if n != "path"]


def read_yaml_mapping(path: Path, missing: str, mapping: str) -> dict[str, Any]:
    """A YAML file of keys (a dataset spec, a pipeline); errors name the file: ``no such {missing}``,
    ``{mapping} must be a mapping of keys``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {missing}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {mapping} must be a mapping of keys")
    return raw


def load_spec(path: Path) -> DatasetSpec:
    """Load and check one spec, its Table Schema and its quality suite; errors name the file and key."""
    from .schema import check_schema
    from .suite import load_suite

    raw = read_yaml_mapping(path, "dataset spec", "a dataset spec")
    try:
        spec = DatasetSpec.model_validate({**raw, "path": path.resolve()})
    except ValidationError as e:
        raise _key_error(path, e) from None
    if not spec.schema_path.is_file():
        raise ConfigError(f"{path}: key 'schema' names {spec.schema_}, which does not exist ({spec.schema_path})",
                          "Create the Table Schema file or correct the path (relative to the spec).")
    check_schema(spec.schema_path, spec.schema)
    for field in spec.source.columns:
        if field not in spec.field_names:
            raise ConfigError(f"{path}: key 'source.columns.{field}' maps a field the schema does not have",
                              f"Fields in {spec.schema_}: {', '.join(spec.field_names)}")
    if spec.formed_field and next((f for f in spec.schema["fields"] if f["name"] == spec.formed_field), {}).get("type") != "date":
        raise ConfigError(f"{path}: key 'formed_field' must name a date field of the schema, not {spec.formed_field!r}")
    if spec.source.totals and spec.source.totals.field not in spec.field_names:
        raise ConfigError(f"{path}: key 'source.totals.field' names unknown field {spec.source.totals.field!r}")
    for field in spec.privacy.fields:
        if field not in spec.field_names:
            raise ConfigError(f"{path}: key 'privacy.fields.{field}' names a field the schema does not have")
    for f in spec.schema["fields"]:
        source = (f.get("derivedFrom") or {}).get("field")
        if source in spec.privacy.fields:
            raise ConfigError(f"{path}: field {f['name']!r} is derived from {source!r}, which privacy.fields protects",
                              "A derived field would publish what the rule hides: derive from an unprotected field.")
    for field, condition in spec.privacy.only_if.items():
        if spec.privacy.fields.get(field) in (None, "drop"):
            raise ConfigError(f"{path}: key 'privacy.only_if.{field}' needs a masking rule in privacy.fields "
                              f"(not drop: a column is published whole or not at all)")
        for other in condition:
            if other not in spec.field_names:
                raise ConfigError(f"{path}: key 'privacy.only_if.{field}.{other}' names a field the schema does not have")
    if spec.privacy.suppress:
        for key in ("fields", "within"):
            for field in getattr(spec.privacy.suppress, key):
                if field not in spec.field_names:
                    raise ConfigError(f"{path}: key 'privacy.suppress.{key}' names unknown field {field!r}")
        for field in spec.privacy.suppress.fields:
            if next(f for f in spec.schema["fields"] if f["name"] == field).get("type") != "integer":
                raise ConfigError(f"{path}: key 'privacy.suppress.fields': {field!r} is not an integer count")
    if spec.quality_path is not None:
        if not spec.quality_path.is_file():
            raise ConfigError(f"{path}: key 'quality' names {spec.quality}, which does not exist")
        load_suite(spec.quality_path, spec.field_names)
    check_spec_links(spec)
    return spec


class Catalog:
    """All dataset specs of a project directory (``<root>/datasets/*.dataset.yaml``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.specs: dict[str, DatasetSpec] = {}
        for p in sorted((root / "datasets").glob("*.dataset.yaml")):
            spec = load_spec(p)
            if spec.id in self.specs:
                raise ConfigError(f"{p}: key 'id': {spec.id!r} is already used by {self.specs[spec.id].path}")
            if p.name != f"{spec.id}.dataset.yaml":
                raise ConfigError(f"{p}: key 'id' is {spec.id!r} but the file is named {p.name}",
                                  f"Rename the file to {spec.id}.dataset.yaml or change the id.")
            self.specs[spec.id] = spec
        check_catalog_links(self.specs)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)

    def get(self, dataset_id: str) -> DatasetSpec:
        from .errors import UsageError

        try:
            return self.specs[dataset_id]
        except KeyError:
            close = difflib.get_close_matches(dataset_id, list(self.specs), n=1)
            raise UsageError(f"unknown dataset {dataset_id!r}",
                             f"did you mean {close[0]!r}?" if close else "run `gongkai list` to see the datasets") from None
