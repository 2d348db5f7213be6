"""Cross-dataset keys and fund-flow roles declared in dataset specs (``links:`` and ``flows:``).

A *link* is a foreign key to another dataset of the catalog: ``fund-allocations.project_id`` names a row of
``poverty-projects`` by its primary key when the allocation's fund is 财政专项扶贫资金. *Flows* says which fields
of a dataset make fund flows, in one of two shapes:

- a **tree by id**: each row has its own ``id`` and its ``parent``'s id (``fund-allocations``), and
  ``flows.uses`` says which columns of each linked project dataset record what the project received, spent and
  has left;
- an **edge list**: rows of ``from`` → ``to`` with an ``amount`` (and optionally fund, year, stage, 文号, 上级文号,
  date, region code, project), whose nodes are matched by name (after normalising, with ``aliases``), by 文号, by
  region code or by project id (:mod:`gongkai.flows.edges`).

Both are checked when the specs load: a field that does not exist, a dataset that is not in the catalog, a key
that is not the target's primary key are refused with the file and the key
(:func:`gongkai.spec.loading.check_links`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

STAGES = ("下达", "拨付", "支出", "结余", "合同")
Stage = Literal["下达", "拨付", "支出", "结余", "合同"]
ALLOCATING = ("下达", "拨付")  # money passed on to a lower level
USING = ("支出", "结余")       # money spent, or kept


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
    """Fields of a dataset whose rows are fund flows: a tree by ``id``/``parent``, or an edge list (no ids)."""

    id: str | None = Field(None, description="Tree by id: this row's allocation id (with parent)")
    parent: str | None = Field(None, description="Tree by id: the parent allocation's id")
    fund: str | None = Field(None, description="Fund name (required for a tree by id)")
    year: str | None = Field(None, description="Year of the fund (required for a tree by id)")
    from_: str = Field(alias="from")
    to: str
    amount: str
    region: str | None = Field(None, description="Region code of the recipient")
    project: str | None = Field(None, description="Project id of the recipient")
    project_name: str | None = Field(None, description="Project name (edge lists)")
    document: str | None = Field(None, description="文号 the row's money was passed on under")
    parent_document: str | None = Field(None, description="上级文号: the document the sender received it under")
    date: str | None = None
    to_code: str | None = Field(None, description="统一社会信用代码 of the recipient (e.g. a supplier)")
    stage: str | None = Field(None, description="A field holding the stage (tree by id: 下达 or 拨付)")
    default_stage: Stage = Field("下达", description="Stage of rows without one (合同 for contracts)")
    aliases: dict[str, str] = Field(default_factory=dict,
                                    description="Name parts that mean the same node, e.g. {财政部门: 财政局}")
    uses: dict[str, UseMap] = Field(default_factory=dict, description="Linked dataset id → its use columns")

    @model_validator(mode="after")
    def _shape(self) -> FlowMap:
        if (self.id is None) != (self.parent is None):
            raise ValueError("a tree by id needs both 'id' and 'parent'; an edge list has neither")
        if self.id is not None and (self.fund is None or self.year is None):
            raise ValueError("a tree by id needs 'fund' and 'year'")
        if self.id is None and self.uses:
            raise ValueError("'uses' goes with a tree by id (id and parent); an edge list records 支出 and 结余 as rows")
        return self

    @property
    def edge_list(self) -> bool:
        return self.id is None

    def roles(self) -> dict[str, str]:
        """Role → field, for every role this map names (``from`` without the trailing underscore)."""
        skip = {"uses", "aliases", "default_stage"}
        return {k.rstrip("_"): v for k, v in self.model_dump(exclude=skip).items() if v is not None}
