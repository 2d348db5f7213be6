"""Dataset specs: one declarative ``datasets/<id>.dataset.yaml`` per dataset (the models; loading checks them)."""

from __future__ import annotations

import glob
import json
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..vocab import DISCLOSURE, DOMAINS, FREQUENCIES, UNITS
from .deadline import Deadline
from .links import FlowMap, Link
from .schema import TableSchema


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
    header_rows: int | Literal["auto"] = Field("auto", description="Rows the header spans (1-5); auto detects")
    totals: Totals | None = None
    extra_columns: Literal["error", "warn", "ignore"] = "warn"  # warn: a column no field names is ignored, said once
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


# a partition value names its folder in the store: a code or a short name (a department's), nothing else
PARTITION_VALUE = r"^[0-9A-Za-z\u4e00-\u9fff_-]{1,64}$"


class Partition(_Model):
    """A dataset assembled from many agencies' submissions, one partition each (e.g. a county's region code)."""

    field: str = Field(description="Field whose value names the partition a row belongs to, e.g. region_code")
    agencies: str | None = Field(None, description="The agency registry saying who answers for which partition, "
                                 "relative to the spec (e.g. agencies/minzheng.yaml); without it any "
                                 "submitter is accepted")


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


class Retention(_Model):
    """How long a row stays published (a 行政处罚 公示期, a recipient list's term), counted from a date field;
    a release leaves out the rows whose term has ended and ``gongkai expire`` withdraws the versions holding them."""

    field: str = Field(description="Date field the term is counted from, e.g. decision_date")
    days: int | None = Field(None, ge=1)
    months: int | None = Field(None, ge=1)
    years: int | None = Field(None, ge=1)
    basis: str = Field(min_length=1, description="The rule that sets the term, e.g. 行政处罚信息公示期限 …")

    @model_validator(mode="after")
    def _one_period(self) -> Retention:
        if sum(v is not None for v in (self.days, self.months, self.years)) != 1:
            raise ValueError("retention needs exactly one of days, months, years")
        return self

    @property
    def interval(self) -> str:
        """The term as a DuckDB interval literal."""
        n, unit = next((v, u) for v, u in ((self.days, "DAY"), (self.months, "MONTH"), (self.years, "YEAR")) if v)
        return f"INTERVAL {int(n)} {unit}"

    @property
    def label(self) -> str:
        return next(f"{v} {u}" for v, u in ((self.days, "天"), (self.months, "个月"), (self.years, "年")) if v)


class DatasetSpec(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
    title: Text
    description: Text
    domain: str
    publisher: Publisher
    disclosure: str
    legal_basis: list[str] = Field(min_length=1)
    update_frequency: str
    deadline: Deadline = Field(default_factory=Deadline, description="How long the law gives to disclose, from when")
    license: str = "CC-BY-4.0"
    tags: list[str] = Field(default_factory=list)
    schema_file: str = Field(alias="schema", description="The Table Schema file, relative to the spec")
    quality: str | None = None
    privacy: Privacy = Field(default_factory=Privacy)
    source: Source
    links: list[Link] = Field(default_factory=list, description="Foreign keys to other datasets of the catalog")
    flows: FlowMap | None = Field(None, description="Fields that make this dataset's rows a fund-flow tree")
    partition: Partition | None = Field(None, description="Assembled from one submission per partition")
    retention: Retention | None = Field(None, description="How long a row stays published, from a date field")

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

    @property
    def formed_field(self) -> str | None:
        """The date field whose latest value is when the information was formed (None: the source's date)."""
        return self.deadline.field

    # -- resolved files -------------------------------------------------------------------------------

    @property
    def base(self) -> Path:
        return self.path.parent

    @property
    def schema_path(self) -> Path:
        return (self.base / self.schema_file).resolve()

    @property
    def agencies_path(self) -> Path | None:
        """The agency registry of a partitioned dataset, if it names one."""
        return (self.base / self.partition.agencies).resolve() if self.partition and self.partition.agencies else None

    @property
    def quality_path(self) -> Path | None:
        return (self.base / self.quality).resolve() if self.quality else None

    @cached_property
    def schema_descriptor(self) -> dict[str, Any]:
        """The Table Schema descriptor as written (checked by :func:`gongkai.spec.load_spec`)."""
        return json.loads(self.schema_path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    @cached_property
    def table_schema(self) -> TableSchema:
        """The Table Schema as the engine reads it, parsed once."""
        return TableSchema.from_descriptor(self.schema_descriptor)

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        """Field name → its descriptor."""
        return {f["name"]: f for f in self.schema_descriptor["fields"]}

    @property
    def primary_key(self) -> list[str]:
        return self.table_schema.primary_key

    @property
    def field_names(self) -> list[str]:
        return self.table_schema.names

    def source_paths(self) -> list[Path]:
        return self.source.paths(self.base)
