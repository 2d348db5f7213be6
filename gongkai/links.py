"""Cross-dataset keys and fund-flow roles declared in dataset specs (``links:`` and ``flows:``).

A *link* is a foreign key to another dataset of the catalog: ``fund-allocations.project_id`` names a row of
``poverty-projects`` by its primary key when the allocation's fund is 财政专项扶贫资金. *Flows* says which fields
of an allocation dataset make a fund-flow tree, and ``flows.uses`` which columns of each linked project dataset
record what the project received, spent and has left. Both are checked when the specs load: a field that does
not exist, a dataset that is not in the catalog, a key that is not the target's primary key are refused with the
file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import ConfigError

if TYPE_CHECKING:
    from .spec import DatasetSpec

STAGES = ("下达", "拨付", "支出", "结余")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Link(_Model):
    """This dataset's ``field`` holds the ``key`` (primary key) of a row of ``dataset``, for rows matching ``when``."""

    field: str
    dataset: str
    key: str
    when: dict[str, str | int] = Field(default_factory=dict, description="Only rows with these values link there")


class UseMap(_Model):
    """Columns of a linked project dataset that record the use of the money (all amounts in 元)."""

    name: str = Field(description="Project name")
    org: str | None = Field(None, description="Implementing unit")
    region: str | None = Field(None, description="Region code of the project")
    year: str | None = Field(None, description="Year of the project record, matched with the fund's year")
    received: str = Field(description="What the project records as received from this fund")
    total: str | None = Field(None, description="All the project's money from every source (default: received)")
    spent: str = Field(description="实际支出")
    balance: str | None = Field(None, description="结余")


class FlowMap(_Model):
    """Fields of an allocation dataset whose rows are 下达 flows linked into a tree by their parent id."""

    id: str
    parent: str
    fund: str
    year: str
    from_: str = Field(alias="from")
    to: str
    amount: str
    region: str | None = None
    project: str | None = None
    document: str | None = None
    date: str | None = None
    stage: str | None = Field(None, description="A field holding 下达 or 拨付 (default: every row is 下达)")
    uses: dict[str, UseMap] = Field(default_factory=dict, description="Linked dataset id → its use columns")


def _fields(spec: DatasetSpec) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in spec.schema["fields"]}


def check_spec_links(spec: DatasetSpec) -> None:
    """Checks that need only this spec: every named field exists, amounts are numbers."""
    fields = _fields(spec)
    path: Path = spec.path
    for i, link in enumerate(spec.links):
        where = f"{path}: key 'links[{i}]"
        if link.field not in fields:
            raise ConfigError(f"{where}.field' names {link.field!r}, which is not a field of the schema",
                              f"Fields: {', '.join(fields)}")
        for k, v in link.when.items():
            if k not in fields:
                raise ConfigError(f"{where}.when' names unknown field {k!r}")
            enum = fields[k].get("constraints", {}).get("enum")
            if enum and v not in enum:
                raise ConfigError(f"{where}.when.{k}': {v!r} is not an allowed value", f"Allowed: {', '.join(map(str, enum))}")
    if spec.flows is None:
        return
    fm = spec.flows
    for role, name in fm.model_dump(exclude={"uses"}).items():
        if name is not None and name not in fields:
            raise ConfigError(f"{path}: key 'flows.{role.rstrip('_')}' names {name!r}, which is not a field of the schema",
                              f"Fields: {', '.join(fields)}")
    if fields[fm.amount].get("type") not in ("number", "integer"):
        raise ConfigError(f"{path}: key 'flows.amount' must name a number field, not {fm.amount!r}")
    stage_enum = set(fields[fm.stage].get("constraints", {}).get("enum", [])) if fm.stage else set()
    if (fm.stage and not stage_enum) or not stage_enum <= {"下达", "拨付"}:
        raise ConfigError(f"{path}: key 'flows.stage' must name a field whose enum is 下达 and/or 拨付",
                          'e.g. "constraints": {"enum": ["下达", "拨付"]}; 支出 and 结余 come from the linked projects')
    linked = {link.dataset for link in spec.links}
    for dataset in fm.uses:
        if dataset not in linked:
            raise ConfigError(f"{path}: key 'flows.uses.{dataset}' names a dataset no entry of 'links' points to",
                              f"Add a link to {dataset} (field, dataset, key) or remove this entry.")
        if fm.project is None or not any(lk.field == fm.project for lk in spec.links if lk.dataset == dataset):
            raise ConfigError(f"{path}: key 'flows.project' must be the field that links to {dataset}")
        for i, link in enumerate(spec.links):
            if link.dataset == dataset and fm.fund not in link.when:
                raise ConfigError(f"{path}: key 'links[{i}].when' must say which fund's projects {dataset} records",
                                  f"e.g. when: {{{fm.fund}: 财政专项扶贫资金}}")


def check_catalog_links(specs: dict[str, DatasetSpec]) -> None:
    """Checks across datasets: the target exists, the key is its primary key, the use columns exist and are numbers."""
    for spec in specs.values():
        for i, link in enumerate(spec.links):
            where = f"{spec.path}: key 'links[{i}]"
            target = specs.get(link.dataset)
            if target is None:
                raise ConfigError(f"{where}.dataset' names {link.dataset!r}, which is not a dataset of the project",
                                  f"Datasets: {', '.join(sorted(specs))}")
            if link.key not in target.field_names:
                raise ConfigError(f"{where}.key': {link.dataset} has no field {link.key!r}",
                                  f"Fields of {link.dataset}: {', '.join(target.field_names)}")
            if target.primary_key != [link.key]:
                raise ConfigError(f"{where}.key': {link.key!r} is not the primary key of {link.dataset}",
                                  "A link must name exactly one row: point it at the target's primary key.")
        for dataset, use in (spec.flows.uses.items() if spec.flows else []):
            tfields = _fields(specs[dataset])
            for role, name in use.model_dump().items():
                if name is None:
                    continue
                if name not in tfields:
                    raise ConfigError(f"{spec.path}: key 'flows.uses.{dataset}.{role}' names {name!r}, "
                                      f"which is not a field of {dataset}", f"Fields: {', '.join(tfields)}")
                if role in ("received", "total", "spent", "balance") and tfields[name].get("type") not in ("number", "integer"):
                    raise ConfigError(f"{spec.path}: key 'flows.uses.{dataset}.{role}': {name!r} is not a number field")
