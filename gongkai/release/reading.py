"""Released tables for queries: which version of each dataset to read (the latest, or the one current on a date),
and its files, checked against the release's manifest before use.

Two sources give the same :class:`Release` records: :class:`LocalReleases` (a release store) and
``gongkai.ckan.remote.CkanReleases`` (any CKAN that gongkai published to, through a download cache).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import IntegrityError, StoreError, UsageError
from ..files import sha256_file
from .store import Store


@dataclass(frozen=True)
class Release:
    """One version of one dataset, with its files on local disk, already checked against the manifest."""

    dataset: str
    version: str
    created: str
    manifest_sha256: str
    files: dict[str, Path]
    where: str                       # the store directory or CKAN URL it came from
    links: dict[str, str] = field(default_factory=dict)  # "dataset" → page; file name → download URL
    manifest: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.dataset} {self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "created": self.created,
                "manifest_sha256": self.manifest_sha256, "source": self.where, "url": self.links.get("dataset")}

    def source_units(self) -> dict[str, str]:
        """Field → the unit its source column was in (e.g. amount → 万元), from the release's validation report."""
        path = self.files.get("validation.json")
        if path is None:
            return {}
        report = json.loads(path.read_text(encoding="utf-8"))
        units: dict[str, set[str]] = {}
        for src in report.get("sources", []):
            for name, col in (src.get("columns") or {}).items():
                if col.get("unit"):
                    units.setdefault(name, set()).add(col["unit"])
        return {k: "/".join(sorted(v)) for k, v in units.items()}


class ReleaseSource(Protocol):
    where: str

    def versions(self, dataset: str) -> list[tuple[str, str]]:
        """(version, created) of every version that is published, oldest first."""
        ...

    def fetch(self, dataset: str, version: str, names: list[str]) -> Release:
        """The release with the named files on disk, each checked against its manifest."""
        ...


def parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", "Write it as YYYY-MM-DD, e.g. --as-of 2025-06-30.") from None


def pick_version(source: ReleaseSource, dataset: str, as_of: dt.date | None, pin: str | None = None) -> str:
    """The version ``pin`` (checked to exist), else the latest, or the latest one created on or before ``as_of``
    (UTC dates, whole day included)."""
    versions = source.versions(dataset)
    if not versions:
        raise UsageError(f"{dataset} has no release in {source.where}",
                         f"Release it first (gongkai release {dataset}), or check --store / --ckan-url.")
    if pin is not None:
        if pin not in {v for v, _ in versions}:
            raise UsageError(f"{dataset} has no version {pin!r} in {source.where}",
                             "versions: " + ", ".join(f"{v} ({created[:10]})" for v, created in versions))
        return pin
    if as_of is None:
        return versions[-1][0]
    current = [v for v, created in versions if created[:10] <= as_of.isoformat()]
    if not current:
        first, created = versions[0]
        raise UsageError(f"{dataset} had no release on or before {as_of} (the first, {first}, is from {created[:10]})",
                         "Choose a later --as-of date.")
    return current[-1]


def resolve(source: ReleaseSource, datasets: list[str], as_of: dt.date | None,
            names: tuple[str, ...] = ("data.parquet", "validation.json"),
            pins: dict[str, str] | None = None) -> dict[str, Release]:
    """The release of each dataset: the version pinned in ``pins``, else the one current at ``as_of``."""
    pins = pins or {}
    return {d: source.fetch(d, pick_version(source, d, as_of, pins.get(d)), list(names)) for d in datasets}


def check_file(path: Path, manifest: dict[str, Any], name: str, where: str) -> None:
    """Refuse a file whose sha256 differs from the manifest's record of it."""
    expected = (manifest.get("files") or {}).get(name, {}).get("sha256")
    if expected is None:
        raise IntegrityError(f"{where}: the manifest of {manifest.get('dataset')} {manifest.get('version')} lists no {name}",
                             "The release is incomplete or not made by gongkai; it cannot be checked, so it is not used.")
    got = sha256_file(path)
    if got != expected:
        raise IntegrityError(f"{where}: {name} of {manifest.get('dataset')} {manifest.get('version')} does not match its "
                             f"manifest (sha256 {got[:12]}… instead of {expected[:12]}…); refusing to use it",
                             "The file was changed or damaged after the release. Run `gongkai verify` on it, "
                             "or ask the publisher.")


class LocalReleases:
    """Releases in a local store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.where = str(store.path)

    def versions(self, dataset: str) -> list[tuple[str, str]]:
        return [(v, self.store.manifest(dataset, v)["created"]) for v in self.store.versions(dataset)
                if not self.store.is_withdrawn(dataset, v)]  # a withdrawn version has no data to read

    def fetch(self, dataset: str, version: str, names: list[str]) -> Release:
        d = self.store.release_dir(dataset, version)
        raw = (d / "manifest.json").read_bytes()
        manifest = json.loads(raw)
        files = {}
        for name in names:
            if not (d / name).is_file():
                raise StoreError(f"{d / name} is missing", f"Run `gongkai verify {d}`.")
            check_file(d / name, manifest, name, str(d))
            files[name] = d / name
        return Release(dataset, version, manifest["created"], hashlib.sha256(raw).hexdigest(), files, self.where,
                       {"dataset": d.resolve().as_uri(), **{n: p.resolve().as_uri() for n, p in files.items()}},
                       manifest)
