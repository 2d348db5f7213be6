"""Cross-dataset keys and fund-flow roles declared in dataset specs (``links:`` and ``flows:``).

A *link* is a foreign key to another dataset of the catalog: ``fund-allocations.project_id`` names a row of
``poverty-projects`` by its primary key when the allocation's fund is 财政专项扶贫资金. *Flows* says which fields
of an allocation dataset make a fund-flow tree, and ``flows.uses`` which columns of each linked project dataset
record what the project received, spent and has left. Both are checked when the specs load: a field that does
not exist, a dataset that is not in the catalog, a key that is not the target's primary key are refused with the
file and the key
(:func:`gongkai.spec.loading.check_links`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
