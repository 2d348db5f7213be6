"""Pipelines (``pipelines/<id>.pipeline.yaml``): which datasets, from which source, when (cron), to which target,
and who is told. :mod:`gongkai.schedule` runs them."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..deadlines import is_working_day
from ..errors import ConfigError, UsageError
from .loading import read_yaml_mapping

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SqlSource(_Model):
    query: str = Field(description="SELECT whose column names are the headers the dataset spec knows")
    url_env: str = Field(description="Environment variable holding the SQLAlchemy URL of the agency database")
    name: str | None = Field(None, description="File name of the result (default <dataset>.csv)")


class SourceSpec(_Model):
    """Where a dataset's data comes from in this pipeline: exactly one of path, url or sql."""

    path: str | list[str] | None = Field(None, description="File or glob (or a list), relative to the pipeline file")
    url: str | list[str] | None = Field(None, description="HTTP(S) URL(s), fetched with ETag / Last-Modified")
    sql: SqlSource | None = None
    formed: Literal["data", "last-modified"] = Field(
        "data", description="last-modified: the source's modification date is when the information was formed")
    submitter: str | None = Field(None, description="A partitioned dataset: the agency (its CKAN organization or "
                                  "title in the dataset's registry) submitting these files as its own partition")
    partition: str | None = Field(None, description="A partitioned dataset: the partition these files hold "
                                  "(default: inferred from their rows)")

    @model_validator(mode="after")
    def _one_kind(self) -> SourceSpec:
        given = [k for k in ("path", "url", "sql") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of path, url or sql (got {', '.join(given) or 'none'})")
        for u in self.urls:
            if not u.startswith(("http://", "https://")):
                raise ValueError(f"url {u!r} must start with http:// or https://")
        if self.sql is not None and self.formed == "last-modified":
            raise ValueError("formed: last-modified needs a file or URL source, not sql")
        return self

    @property
    def kind(self) -> Literal["path", "url", "sql"]:
        return "path" if self.path is not None else "url" if self.url is not None else "sql"

    @property
    def urls(self) -> list[str]:
        return [] if self.url is None else [self.url] if isinstance(self.url, str) else list(self.url)


class Target(_Model):
    kind: Literal["store", "ckan"] = "store"
    url: str | None = Field(None, description="CKAN URL (default: env CKAN_URL)")
    token_file: str | None = Field(None, description="File with the API token, relative to the pipeline file "
                                                     "(default: env CKAN_API_TOKEN_FILE)")
    token_env: str = Field("CKAN_API_TOKEN", description="Environment variable holding the API token")


class Notify(_Model):
    email: list[str] = Field(default_factory=list)
    webhook: list[str] = Field(default_factory=list)
    events: list[Literal["failure", "deadline"]] = Field(default_factory=lambda: ["failure", "deadline"])
    deadline_days_before: int = Field(3, ge=0, le=20, description="Warn this many working days before a due date")

    @field_validator("email")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for a in v:
            if not EMAIL_RE.match(a):
                raise ValueError(f"{a!r} is not an e-mail address")
        return v

    @field_validator("webhook")
    @classmethod
    def _hooks(cls, v: list[str]) -> list[str]:
        for u in v:
            if not u.startswith(("http://", "https://")):
                raise ValueError(f"webhook {u!r} must start with http:// or https://")
        return v


class Retry(_Model):
    attempts: int = Field(3, ge=1, le=10, description="Tries in all, for transient failures only")
    backoff_seconds: float = Field(30, ge=0, description="Wait before the 2nd try; doubles for each further try")
    max_backoff_seconds: float = Field(600, ge=0)


class PipelineSpec(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
    title: str
    schedule: str = Field(description="cron: minute hour day month weekday (a 6th field: seconds)")
    timezone: str = "Asia/Shanghai"
    working_days: bool = Field(False, description="Fire only on China's working days: 调休 weekend days included, "
                               "statutory holidays skipped (the calendar/ files); unknown years fall back to Mon–Fri")
    datasets: list[str] = Field(min_length=1)
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    target: Target = Field(default_factory=Target)
    notify: Notify = Field(default_factory=Notify)
    retry: Retry = Field(default_factory=Retry)
    timeout_seconds: float = Field(60, gt=0, description="A source that does not answer within this fails")
    lease_seconds: float = Field(300, ge=1, description="A crashed run's lock expires after this on other hosts")

    path: Path = Field(default=Path("."), exclude=True)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        if not croniter.is_valid(v):
            raise ValueError(f"{v!r} is not a cron expression (minute hour day month weekday, e.g. '30 7 * * *')")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Shanghai)") from None
        return v

    @model_validator(mode="after")
    def _sources_named(self) -> PipelineSpec:
        for d in self.sources:
            if d not in self.datasets:
                raise ValueError(f"sources.{d}: {d!r} is not one of this pipeline's datasets")
        return self

    @property
    def base(self) -> Path:
        return self.path.parent

    def next_run(self, after: dt.datetime) -> dt.datetime:
        """The first time the schedule fires strictly after ``after`` (aware datetimes, result in the pipeline's zone)."""
        local = after.astimezone(ZoneInfo(self.timezone))
        it = croniter(self.schedule, local)
        while True:
            nxt: dt.datetime = it.get_next(dt.datetime)
            if not self.working_days:
                return nxt
            working = is_working_day(nxt.date())
            if working or (working is None and nxt.weekday() < 5):
                return nxt


def load_pipeline(path: Path, datasets: set[str] | None = None) -> PipelineSpec:
    """Load and check one pipeline file; with ``datasets`` (the catalog's ids) unknown datasets are refused."""
    raw = read_yaml_mapping(path, "pipeline file", "a pipeline")
    try:
        spec = PipelineSpec.model_validate({**raw, "path": path.resolve()})
    except ValidationError as e:
        lines = []
        for err in e.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = {"extra_forbidden": "unknown key", "missing": "required key is missing",
                   "string_pattern_mismatch": "use 3-100 lowercase letters, digits and hyphens, e.g. monthly-dibao",
                   }.get(err["type"], err["msg"])
            lines.append(f"key '{key}': {msg.removeprefix('Value error, ')}")
        raise ConfigError(f"{path}: invalid pipeline\n  " + "\n  ".join(lines),
                          "Fix the keys named above (see pipelines/README.md).") from None
    if path.name != f"{spec.id}.pipeline.yaml":
        raise ConfigError(f"{path}: key 'id' is {spec.id!r} but the file is named {path.name}",
                          f"Rename the file to {spec.id}.pipeline.yaml or change the id.")
    for d in spec.datasets if datasets is not None else []:
        if d not in datasets:  # type: ignore[operator]
            close = difflib.get_close_matches(d, sorted(datasets), n=1)  # type: ignore[arg-type]
            raise ConfigError(f"{path}: key 'datasets': unknown dataset {d!r}",
                              f"did you mean {close[0]!r}?" if close else "run `gongkai list` to see the datasets")
    return spec


def pipelines_dir(root: Path, given: Path | None = None) -> Path:
    """``given`` (the --pipelines flag or ``GONGKAI_PIPELINES``), else ``pipelines/`` in the project."""
    return given or root / "pipelines"


def load_pipelines(directory: Path, datasets: set[str] | None = None) -> dict[str, PipelineSpec]:
    out: dict[str, PipelineSpec] = {}
    for p in sorted(directory.glob("*.pipeline.yaml")):
        spec = load_pipeline(p, datasets)
        if spec.id in out:
            raise ConfigError(f"{p}: pipeline id {spec.id!r} is already used by {out[spec.id].path}")
        out[spec.id] = spec
    return out


def find_pipeline(name: str, directory: Path, datasets: set[str] | None = None) -> PipelineSpec:
    """A pipeline by id (in ``directory``) or by the path of its file."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return load_pipeline(p, datasets)
    candidate = directory / f"{name}.pipeline.yaml"
    if candidate.is_file():
        return load_pipeline(candidate, datasets)
    known = sorted(x.name.removesuffix(".pipeline.yaml") for x in directory.glob("*.pipeline.yaml"))
    close = difflib.get_close_matches(name, known, n=1)
    raise UsageError(f"unknown pipeline {name!r} in {directory}",
                     f"did you mean {close[0]!r}?" if close else f"pipelines: {', '.join(known) or 'none'}")
