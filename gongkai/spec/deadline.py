"""The ``deadline:`` key of a dataset spec: how long the law or plan gives to disclose, counted from when.

    deadline:
      days: 20                 # 政府信息公开条例 第二十六条: 20 working days of being formed or changed
      counting: working        # or calendar (预算法 第十四条: 20 calendar days of approval)
      from: approved_date      # a date field of the schema; "source": the source file's date
      extension: 0             # further days when an extension is granted (依申请公开: 20 working days)
      basis: 政府信息公开条例第二十六条

A spec without the key gets the regulation's default (20 working days from the source's date).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..deadlines import add_days, days_between

DEFAULT_BASIS = "政府信息公开条例第二十六条"


class Deadline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    days: int = Field(20, ge=1, le=366, description="Days to disclose")
    counting: Literal["working", "calendar"] = Field("working", description="Working days (China's calendar, 调休 "
                                                     "included) or calendar days")
    from_: str = Field("source", alias="from", description="Date field whose latest value is when the information "
                       "was formed, or 'source' for the source file's date")
    extension: int = Field(0, ge=0, le=366, description="Further days allowed when an extension is granted")
    basis: str = Field(DEFAULT_BASIS, min_length=2, description="The law or plan that sets the deadline")

    @property
    def field(self) -> str | None:
        """The formed-date field, or None when the source's date is the formed date."""
        return None if self.from_ == "source" else self.from_

    def due(self, formed: dt.date, extended: bool = False) -> dt.date | None:
        """The last day to disclose; None when a working-day count leaves the calendar."""
        return add_days(formed, self.days + (self.extension if extended else 0), self.counting)

    def elapsed(self, formed: dt.date, day: dt.date) -> int | None:
        """Days of this deadline used up from ``formed`` to ``day``."""
        return days_between(formed, day, self.counting)

    def describe_zh(self) -> str:
        unit = "个工作日" if self.counting == "working" else "日"
        start = "信息形成或变更之日" if self.field is None else f"“{self.field}”之日"
        ext = f"（可延长 {self.extension} {unit}）" if self.extension else ""
        return f"{start}起 {self.days} {unit}{ext}，依据{self.basis}"
