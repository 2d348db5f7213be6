"""Loading dataset specs: the YAML file, its Table Schema, its quality suite and its links, checked when they
load so that every mistake names the file and the key."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ConfigError, UsageError
from .dataset import DatasetSpec
from .links import ALLOCATING, STAGES
from .schema import check_schema
from .suite import YAML_LOADER, load_suite


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
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {missing}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {mapping} must be a mapping of keys")
    return raw


def load_spec(path: Path, accepted: Path | None = None) -> DatasetSpec:
    """Load and check one spec, its Table Schema and its quality suite; errors name the file and key.
    ``accepted``: where frictionless' verdicts on schemas are remembered (:func:`~.schema.check_schema`)."""
    raw = read_yaml_mapping(path, "dataset spec", "a dataset spec")
    try:
        spec = DatasetSpec.model_validate({**raw, "path": path.resolve()})
    except ValidationError as e:
        raise _key_error(path, e) from None
    if not spec.schema_path.is_file():
        raise ConfigError(f"{path}: key 'schema' names {spec.schema_file}, which does not exist ({spec.schema_path})",
                          "Create the Table Schema file or correct the path (relative to the spec).")
    check_schema(spec.schema_path, spec.schema_descriptor, accepted)
    for field in spec.source.columns:
        if field not in spec.field_names:
            raise ConfigError(f"{path}: key 'source.columns.{field}' maps a field the schema does not have",
                              f"Fields in {spec.schema_file}: {', '.join(spec.field_names)}")
    if spec.formed_field and next((f for f in spec.schema_descriptor["fields"] if f["name"] == spec.formed_field), {}).get("type") != "date":
        raise ConfigError(f"{path}: key 'deadline.from' must name a date field of the schema or be 'source', not {spec.formed_field!r}",
                          "Date fields: " + ", ".join(f["name"] for f in spec.schema_descriptor["fields"] if f.get("type") == "date"))
    _check_dated_regions(path, spec)
    dates = [f["name"] for f in spec.schema_descriptor["fields"] if f.get("type") == "date"]
    if spec.retention and spec.retention.field not in dates:
        raise ConfigError(f"{path}: key 'retention.field' must name a date field of the schema, not "
                          f"{spec.retention.field!r}", "Date fields: " + (", ".join(dates) or "none"))
    if spec.retention and spec.partition:
        raise ConfigError(f"{path}: key 'retention' cannot be used with 'partition' yet",
                          "Expired rows of a partitioned dataset are removed by re-submitting the partition.")
    if spec.partition and spec.partition.field not in spec.field_names:
        raise ConfigError(f"{path}: key 'partition.field' names {spec.partition.field!r}, which the schema does not have",
                          f"Fields in {spec.schema_file}: {', '.join(spec.field_names)}")
    if spec.agencies_path:
        from .agencies import load_registry

        load_registry(spec.agencies_path)  # a wrong registry fails when the spec is read, not at a county's release
    if spec.source.totals and spec.source.totals.field not in spec.field_names:
        raise ConfigError(f"{path}: key 'source.totals.field' names unknown field {spec.source.totals.field!r}")
    for field in spec.privacy.fields:
        if field not in spec.field_names:
            raise ConfigError(f"{path}: key 'privacy.fields.{field}' names a field the schema does not have")
    for f in spec.schema_descriptor["fields"]:
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
            if next(f for f in spec.schema_descriptor["fields"] if f["name"] == field).get("type") != "integer":
                raise ConfigError(f"{path}: key 'privacy.suppress.fields': {field!r} is not an integer count")
    if spec.quality_path is not None:
        if not spec.quality_path.is_file():
            raise ConfigError(f"{path}: key 'quality' names {spec.quality}, which does not exist")
        load_suite(spec.quality_path, spec.field_names)
    check_spec_links(spec)
    return spec


def check_spec_links(spec: DatasetSpec) -> None:
    """Checks that need only this spec: every named field exists, amounts are numbers."""
    fields = spec.fields
    path = spec.path
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
    for role, name in fm.roles().items():
        if name not in fields:
            raise ConfigError(f"{path}: key 'flows.{role}' names {name!r}, which is not a field of the schema",
                              f"Fields: {', '.join(fields)}")
    if fields[fm.amount].get("type") not in ("number", "integer"):
        raise ConfigError(f"{path}: key 'flows.amount' must name a number field, not {fm.amount!r}")
    stage_enum = set(fields[fm.stage].get("constraints", {}).get("enum", [])) if fm.stage else set()
    if not fm.edge_list and ((fm.stage and not stage_enum) or not stage_enum <= set(ALLOCATING)):
        raise ConfigError(f"{path}: key 'flows.stage' must name a field whose enum is 下达 and/or 拨付",
                          'e.g. "constraints": {"enum": ["下达", "拨付"]}; 支出 and 结余 come from the linked projects')
    if fm.edge_list and ((fm.stage and not stage_enum) or not stage_enum <= set(STAGES)):
        raise ConfigError(f"{path}: key 'flows.stage' must name a field whose enum is within {'、'.join(STAGES)}",
                          'e.g. "constraints": {"enum": ["下达", "拨付", "支出", "结余"]}')
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
            tfields = specs[dataset].fields
            for role, name in use.model_dump().items():
                if name is None:
                    continue
                if name not in tfields:
                    raise ConfigError(f"{spec.path}: key 'flows.uses.{dataset}.{role}' names {name!r}, "
                                      f"which is not a field of {dataset}", f"Fields: {', '.join(tfields)}")
                if role in ("received", "total", "spent", "balance") and tfields[name].get("type") not in ("number", "integer"):
                    raise ConfigError(f"{spec.path}: key 'flows.uses.{dataset}.{role}': {name!r} is not a number field")


class Specs:
    """All dataset specs of a project directory (``<root>/datasets/*.dataset.yaml``), by id."""

    def __init__(self, root: Path, accepted: Path | None = None) -> None:
        self.root = root
        self.by_id: dict[str, DatasetSpec] = {}
        for p in sorted((root / "datasets").glob("*.dataset.yaml")):
            spec = load_spec(p, accepted)
            if spec.id in self.by_id:
                raise ConfigError(f"{p}: key 'id': {spec.id!r} is already used by {self.by_id[spec.id].path}")
            if p.name != f"{spec.id}.dataset.yaml":
                raise ConfigError(f"{p}: key 'id' is {spec.id!r} but the file is named {p.name}",
                                  f"Rename the file to {spec.id}.dataset.yaml or change the id.")
            self.by_id[spec.id] = spec
        check_catalog_links(self.by_id)

    def __iter__(self) -> Iterator[DatasetSpec]:
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    @property
    def ids(self) -> list[str]:
        return list(self.by_id)

    def get(self, dataset_id: str) -> DatasetSpec:
        try:
            return self.by_id[dataset_id]
        except KeyError:
            close = difflib.get_close_matches(dataset_id, list(self.by_id), n=1)
            raise UsageError(f"unknown dataset {dataset_id!r}",
                             f"did you mean {close[0]!r}?" if close else "run `gongkai list` to see the datasets") from None


def _check_dated_regions(path: Path, spec: DatasetSpec) -> None:
    """A spec that dates its records judges their region codes on that date, so a foreign key to the current
    codes only would refuse a record dated before a change: it must reference the list of every code."""
    if not spec.formed_field:
        return
    regional = {f["name"] for f in spec.schema_descriptor["fields"] if f.get("identifier") == "region-code"}
    for fk in spec.schema_descriptor.get("foreignKeys", []):
        names = {fk["fields"]} if isinstance(fk["fields"], str) else set(fk["fields"])
        if names & regional and fk["reference"].get("resource") == "region-codes":
            raise ConfigError(f"{spec.schema_path}: the foreign key of {', '.join(sorted(names & regional))} references "
                              f"region-codes (current codes only), but {path.name} dates its records "
                              f"(deadline.from: {spec.formed_field}), so their region codes are judged on that date",
                              'Reference "region-codes-historical" (every code, with its years of use) instead.')
