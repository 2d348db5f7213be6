"""The agency registry of a partitioned dataset: which agency answers for which region's partition.

    # datasets/agencies/minzheng.yaml — named by a spec's ``partition.agencies``
    sector: 民政
    agencies:
      - {organization: sheng-minzheng, title: 省民政厅, region: "530000"}
      - {organization: deqin-minzheng, title: 德钦县民政局, region: "533422"}

``organization`` is the agency's CKAN organization (``ckan_config/organizations.yaml``); ``region`` a current
GB/T 2260 code. County-level agencies each own the partition named by their code; the province's and
prefectures' agencies own none (they assemble). A submission is accepted only from its partition's owner, so one
county cannot overwrite another's rows.

An entry with ``partition`` owns that value instead, whatever its level: the provincial departments each publish
their own 决算 and answer their own requests, so a departments registry names each by the value its rows carry
(``{organization: sheng-jiaoyu, title: 省教育厅, region: "530000", partition: 省教育厅}``); its ``region`` then
only says which government it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError
from .dataset import PARTITION_VALUE

if TYPE_CHECKING:
    from .dataset import DatasetSpec
from ..identifiers import regions
from ..report import Problem


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    organization: str = Field(pattern=r"^[a-z0-9_-]{2,100}$")
    title: str = Field(min_length=2)
    region: str = Field(pattern=r"^[0-9]{6}$")
    # a value of the partition field other than the region code (a department's name); the partition's file name
    partition: str | None = Field(None, pattern=PARTITION_VALUE)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sector: str | None = None
    agencies: list[_Entry] = Field(min_length=1)


@dataclass(frozen=True)
class Agency:
    organization: str
    title: str
    region: str
    region_name: str
    level: str  # province, prefecture or county
    partition: str | None = None  # the value it answers for: its own code (a county), the entry's partition, or none

    @property
    def label(self) -> str:
        return f"{self.title}（{self.organization}）"

    @property
    def shown(self) -> str:
        """Its partition as messages name it: 「533401 香格里拉市」, or a department's 「省教育厅」."""
        return f"{self.region} {self.region_name}" if self.partition == self.region else str(self.partition)


@dataclass(frozen=True)
class Registry:
    path: Path
    agencies: tuple[Agency, ...]

    @property
    def partitions(self) -> dict[str, Agency]:
        """Partition value (a county's code, a department's name) → the agency answering for it."""
        return {a.partition: a for a in self.agencies if a.partition is not None}

    def find(self, submitter: str) -> Agency | None:
        """The agency named by its organization or its title."""
        return next((a for a in self.agencies if submitter in (a.organization, a.title)), None)

    def resolve(self, submitter: str | None, token_orgs: frozenset[str] | None, value: str,
                field: str) -> tuple[str | None, Problem | None]:
        """Who submits partition ``value`` and why they may not. With ``token_orgs`` (the CKAN organizations the
        submitter's own token may edit) the submitter is the partition's owner when the token's user edits it."""
        if token_orgs is None:
            return submitter, self.refusal(submitter, value, field)
        owner = self.partitions.get(value)
        if owner is not None and owner.organization in token_orgs:
            return owner.organization, None
        if owner is None:
            return None, self._unregistered(value, field)
        mine = [a.title for a in self.agencies if a.organization in token_orgs]
        return None, Problem("submitter-error",
                             f"CKAN 令牌的用户不是{owner.title}（{owner.organization}）的编辑，无权提交分区「{owner.shown}」"
                             + (f"：该用户只能提交{'、'.join(mine)}的数据" if mine else ""),
                             f"请由{owner.title}的编辑用本人的令牌提交，或核对文件中的行政区划代码。",
                             field=field, value=value)

    def refusal(self, submitter: str | None, value: str, field: str) -> Problem | None:
        """Why ``submitter`` may not submit partition ``value``, or None when it may."""
        where = self.path.name
        example = next(iter(self.partitions.values()), None)
        if not submitter:
            return Problem("submitter-error", "本数据集由各单位分区提交，本次提交没有指明提交单位",
                           f"请用 --submitter 指明提交单位：单位名册 {where} 中的组织名或单位名称"
                           + (f"（如 {example.organization}）" if example else "") + "。", field=field, value=value)
        agency = self.find(submitter)
        if agency is None:
            return Problem("submitter-error", f"提交单位「{submitter}」不在单位名册 {where} 中",
                           "请使用名册中的组织名或单位名称；新设单位须先登记到名册。", field=field, value=value)
        owner = self.partitions.get(value)
        if owner is None:
            return self._unregistered(value, field)
        if owner != agency:
            return Problem("submitter-error",
                           f"{agency.title}无权提交分区「{owner.shown}」：该分区由{owner.title}负责",
                           f"各单位只能提交本{'辖区' if owner.partition == owner.region else '单位'}的数据："
                           f"请由{owner.title}（{owner.organization}）提交，"
                           "或核对文件中的行政区划代码。", field=field, value=value)
        return None

    def _unregistered(self, value: str, field: str) -> Problem:
        name = regions().get(value)
        shown = f"{value} {name.name}" if name else value
        hint = ("请核对文件中的行政区划代码；新设县（市、区）须先在名册中登记其负责单位。"
                if all(a.partition in (None, a.region) for a in self.agencies)
                else f"请核对文件中的{field}：须与名册中某个单位的 partition 完全一致；新设单位须先在名册中登记。")
        return Problem("submitter-error", f"分区「{shown}」不在单位名册 {self.path.name} 中，没有负责提交的单位",
                       hint, field=field, value=value)



def load_registry(path: Path) -> Registry:
    """Read and check a registry: valid YAML, current region codes, one agency per organization and region, all
    within one province."""
    return _load(path.resolve())


@cache
def _load(path: Path) -> Registry:
    if not path.is_file():
        raise ConfigError(f"单位名册 {path} 不存在", "请创建该文件，或改正数据集说明中 partition.agencies 的路径（相对于说明文件）。")
    try:
        raw = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError as e:
        raise ConfigError(f"单位名册 {path} 不是有效的 YAML（第 {getattr(getattr(e, 'problem_mark', None), 'line', -1) + 1} 行）",
                          "请检查缩进和引号。") from None
    except ValidationError as e:
        first = e.errors()[0]
        at = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"单位名册 {path}：键 {at} 不正确",
                          "每个单位须有 organization（CKAN 组织名，小写字母、数字和连字符）、title（单位名称）和 "
                          "region（6 位现行行政区划代码，加引号）；不按行政区划分区的单位另写 partition（数据中本单位的分区值，"
                          "如部门名称）。") from None
    codes = regions()
    out: list[Agency] = []
    for i, e in enumerate(raw.agencies, 1):
        r = codes.get(e.region)
        if r is None or r.valid_to:
            raise ConfigError(f"单位名册 {path}：第 {i} 个单位（{e.title}）的行政区划代码 {e.region} "
                              + ("已撤销" if r else "不存在"),
                              "请填写现行的 6 位行政区划代码（见 gongkai/data/region-codes.csv）。")
        owns = e.partition or (e.region if r.level == "county" else None)
        for other in out:
            if e.organization == other.organization or (e.partition is None and other.partition in (None, e.region)
                                                        and e.region == other.region):
                raise ConfigError(f"单位名册 {path}：{e.title} 与 {other.title} 的组织名或行政区划代码重复",
                                  "每个行政区划只能有一个负责单位，每个组织只能登记一次。")
            if owns is not None and owns == other.partition:
                raise ConfigError(f"单位名册 {path}：{e.title} 与 {other.title} 负责同一个分区「{owns}」",
                                  "每个分区只能有一个负责单位：请改正其中一个的 partition。")
        out.append(Agency(e.organization, e.title, e.region, r.name, r.level, owns))
    provinces = {_province(a.region) for a in out}
    if len(provinces) > 1:
        raise ConfigError(f"单位名册 {path} 含有多个省份的单位（{'、'.join(sorted(provinces))}）",
                          "一个名册只登记一个省（区、市）及其所属州市、县区的单位。")
    return Registry(path, tuple(out))


def _province(code: str) -> str:
    return code[:2] + "0000"


def registry_of(spec: DatasetSpec) -> Registry | None:
    """The agency registry a partitioned spec names, if any."""
    return load_registry(spec.agencies_path) if spec.agencies_path else None


def owned_partition(spec: DatasetSpec, agency: str) -> str | None:
    """The partition of ``spec`` that ``agency`` (organization or title) answers for, if it answers for one."""
    registry = registry_of(spec)
    found = registry.find(agency) if registry else None
    return found.partition if found else None


def agency_names(specs: list[DatasetSpec]) -> list[str]:
    """Every agency of the catalogue by title: the datasets' publishers and the agencies of their registries (a
    department that submits its part of an assembled dataset reports on it, though it publishes none itself)."""
    return sorted({s.publisher.name for s in specs}
                  | {a.title for s in specs if (r := registry_of(s)) for a in r.agencies})


def submissions(spec: DatasetSpec) -> list[tuple[Path, str | None]]:
    """A partitioned dataset's configured source files, one submission each, with the agency submitting it: the
    registry's organization whose folder holds the file (each agency's inbox), else None (refused as unnamed)."""
    registry = registry_of(spec)
    out = []
    for path in spec.source_paths():
        agency = registry.find(path.parent.name) if registry else None
        out.append((path, agency.organization if agency else None))
    return out
