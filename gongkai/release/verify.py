"""Verifying releases anyone has downloaded: file hashes, the Data Package, and the manifest hash chain.

Three shapes are understood: a release directory (``…/<dataset>/v3``), a dataset directory holding several
versions, and what ``ckanapi dump datasets … --datapackages DIR`` writes (``DIR/<dataset>/datapackage.json`` and
``data/`` with every resource, each titled ``v3 data.csv`` as gongkai published it). One file can be checked too,
against the manifest of its version found beside it (or in the dump it came with).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..files import sha256_file
from .store import TOMBSTONE, VERSION_RE


@dataclass
class Verification:
    checked: list[str] = field(default_factory=list)  # release directories (or dumped versions, files) checked
    problems: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # "v2: withdrawn 2026-… by …: reason", for the user

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.checked)


@dataclass
class _Version:
    """One version's files, wherever they lie: {file name in the manifest: path}."""
    label: str  # v3, or the directory shown to the user
    files: dict[str, Path]
    where: str = ""  # what the user is told was checked
    extra: list[str] = field(default_factory=list)  # files beside it that belong to no manifest entry

    @property
    def manifest(self) -> Path | None:
        return self.files.get("manifest.json")


def verify(path: Path) -> Verification:
    """Check a release directory, a dataset directory holding several versions (then the chain too), a ckanapi
    dump of a dataset, or one file."""
    path = Path(path)
    if path.is_file():
        return verify_file(path)
    if (path / "manifest.json").is_file():
        releases = [path]
        siblings = _versions(path.parent)
        chain_dirs = siblings[: siblings.index(path) + 1] if path in siblings else [path]
    elif path.is_dir() and _versions(path):
        releases = chain_dirs = _versions(path)
    elif (path / "datapackage.json").is_file():
        return _verify_dump(path)
    else:
        raise UsageError(f"{path} holds no manifest.json and no versions",
                         "Give a release directory (…/<dataset>/v3), a dataset directory (…/<dataset>), a ckanapi "
                         "dump of a dataset (…/<dataset> with datapackage.json) or one file.")
    result = Verification()
    if releases is chain_dirs and releases[0].name != "v1":
        result.problems.append(f"{path}: the history starts at {releases[0].name}; earlier versions are missing")
    for d in releases:
        _verify_release(_directory(d), result)
        _verify_datapackage(d, result)
        _verify_partitions(d, result)
    chain = chain_dirs if len(releases) > 1 else chain_dirs[-2:]
    _verify_chain([_directory(d) for d in chain], result)
    return result


def verify_file(path: Path) -> Verification:
    """One downloaded file against its version's manifest: beside it, or in the ckanapi dump it came with."""
    result = Verification()
    version, name = _locate(path)
    if version is None or version.manifest is None:
        raise UsageError(f"{path}: no manifest of its version beside it",
                         "Download the version's manifest.json beside it, or check it against the catalog: "
                         "gongkai verify FILE --dataset DATASET --ckan-url URL.")
    manifest = _load(version.manifest, result)
    result.checked.append(str(path))
    if manifest is not None:
        check_listed(f"{version.label}/{name}", path, (manifest.get("files") or {}).get(name), result)
    return result


def check_listed(label: str, path: Path, meta: dict[str, Any] | None, result: Verification) -> None:
    """One file against its manifest entry (``None``: the manifest does not list it)."""
    if meta is None:
        result.problems.append(f"{label}: not listed in the manifest")
    elif path.stat().st_size != meta.get("bytes"):
        result.problems.append(f"{label}: size {path.stat().st_size} bytes, manifest says {meta.get('bytes')}")
    elif sha256_file(path) != meta.get("sha256"):
        result.problems.append(f"{label}: sha256 differs from the manifest (the file was changed)")


def _locate(path: Path) -> tuple[_Version | None, str]:
    if (path.parent / "manifest.json").is_file():
        return _directory(path.parent), path.name
    dump = path.parent.parent
    if path.parent.name == "data" and (dump / "datapackage.json").is_file():
        for v in _dump_versions(dump, Verification()).values():
            for name, p in v.files.items():
                if p.resolve() == path.resolve():
                    return v, name
    return None, path.name


def _directory(d: Path) -> _Version:
    return _Version(d.name, {p.name: p for p in d.iterdir() if p.is_file()}, str(d))


def _versions(d: Path) -> list[Path]:
    if not d.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in d.iterdir() if (m := VERSION_RE.match(p.name)) and (p / "manifest.json").is_file()]
    return [p for _, p in sorted(found)]


def _load(path: Path, result: Verification) -> dict | None:  # type: ignore[type-arg]
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        result.problems.append(f"{path}: cannot be read as JSON ({e})")
        return None


def _verify_release(v: _Version, result: Verification) -> None:
    result.checked.append(v.where or v.label)
    manifest = _load(v.files["manifest.json"], result)
    if manifest is None:
        return
    listed = manifest.get("files", {})
    if TOMBSTONE in v.files:
        _verify_withdrawn(v, listed, result)
        return
    for name, meta in listed.items():
        if name not in v.files:
            result.problems.append(f"{v.label}/{name}: listed in the manifest but missing")
        else:
            check_listed(f"{v.label}/{name}", v.files[name], meta, result)
    for name in [*(n for n in v.files if n != "manifest.json" and n not in listed), *v.extra]:
        result.problems.append(f"{v.label}/{name}: not listed in the manifest")


def _verify_withdrawn(v: _Version, listed: dict[str, Any], result: Verification) -> None:
    """A withdrawn version: its tombstone names this manifest, and none of its other files is left."""
    tomb = _load(v.files[TOMBSTONE], result)
    if tomb is None:
        return
    if tomb.get("manifest_sha256") != sha256_file(v.files["manifest.json"]):
        result.problems.append(f"{v.label}/{TOMBSTONE}: names another manifest.json (the sha256 differs)")
    if tomb.get("version") not in (None, v.label) and VERSION_RE.match(v.label):
        result.problems.append(f"{v.label}/{TOMBSTONE}: is the tombstone of {tomb.get('version')}")
    left = sorted(n for n in [*v.files, *v.extra] if n not in ("manifest.json", TOMBSTONE))
    for name in left:
        result.problems.append(f"{v.label}/{name}: the version was withdrawn but this file is still there"
                               + ("" if name in listed else " (and the manifest does not list it)"))
    result.withdrawn.append(f"{v.label}: withdrawn {tomb.get('withdrawn')} by {tomb.get('by')}: {tomb.get('reason')}")


def _verify_partitions(d: Path, result: Verification) -> None:
    """A partitioned release: every submission it lists is in the store, and rebuilt they give its data.csv."""
    import tempfile

    from .partitions import rebuild_csv

    if (d / TOMBSTONE).is_file():
        return
    manifest = _load(d / "manifest.json", result) or {}
    entries = manifest.get("partitions")
    if not entries:
        return
    package = _load(d / "datapackage.json", result) or {}
    pk = next((r.get("schema", {}).get("primaryKey") for r in package.get("resources", []) if r.get("schema")), None)
    key = [pk] if isinstance(pk, str) else list(pk or [])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "data.csv"
        problems = rebuild_csv(d.parent, entries, key, out)
        result.problems.extend(f"{d.name}: {p}" for p in problems)
        want = manifest.get("files", {}).get("data.csv", {}).get("sha256")
        if not problems and out.is_file() and sha256_file(out) != want:
            result.problems.append(f"{d.name}/data.csv: rebuilt from its {len(entries)} submissions, the sha256 differs")


def _verify_datapackage(d: Path, result: Verification) -> None:
    package = _load(d / "datapackage.json", result) if (d / "datapackage.json").is_file() else None
    for res in (package or {}).get("resources", []):
        p = d / res["path"]
        want = str(res.get("hash", "")).removeprefix("sha256:")
        if p.is_file() and want and sha256_file(p) != want:
            result.problems.append(f"{d.name}/{res['path']}: sha256 differs from datapackage.json")


def _dump_versions(dump: Path, result: Verification) -> dict[int, _Version]:
    """The versions in a ckanapi dump: its datapackage.json keeps each resource's CKAN name as ``title``."""
    package = _load(dump / "datapackage.json", result) or {}
    versions: dict[int, _Version] = {}
    for res in package.get("resources", []):
        label, _, name = str(res.get("title", "")).partition(" ")
        m = VERSION_RE.match(label)
        if not m or not name:
            continue  # not a release file (a report, a page): not part of any manifest
        v = versions.setdefault(int(m.group(1)), _Version(label, {}, f"{dump} {label}"))
        p = dump / str(res.get("path", ""))
        if not p.is_file():
            result.problems.append(f"{label}/{name}: in the dump's datapackage.json, but {res.get('path')} is missing")
        else:
            v.files[name] = p
    return dict(sorted(versions.items()))


def _verify_dump(dump: Path, result: Verification | None = None) -> Verification:
    result = result or Verification()
    versions = _dump_versions(dump, result)
    if not versions:
        raise UsageError(f"{dump}: its datapackage.json lists no gongkai release files",
                         "Dump a dataset published by gongkai (resources named like `v3 data.csv`).")
    paths = [p for v in versions.values() for p in v.files.values()]
    if len(paths) > 2 and len({sha256_file(p) for p in paths}) == 1:
        result.problems.append(f"{dump}: every dumped file holds the same bytes — ckanapi 4.11's `dump --datapackages` "
                               "writes the last resource's content into every file; fetch the files with "
                               "`gongkai download DATASET VERSION --ckan-url URL` instead")
        result.checked.append(str(dump))
        return result
    complete = []
    for v in versions.values():
        if v.manifest is None:
            result.problems.append(f"{v.label}: the dump holds no manifest.json of this version")
            continue
        _verify_release(v, result)
        complete.append(v)
    if next(iter(versions)) != 1:
        result.problems.append(f"{dump}: the history starts at {next(iter(versions.values())).label}; "
                               "earlier versions are missing")
    _verify_chain(complete, result)
    return result


def _verify_chain(versions: list[_Version], result: Verification) -> None:
    dirs = [v for v in versions if v.manifest is not None]
    if dirs and dirs[0].label == "v1":
        first = _load(dirs[0].manifest, result)  # type: ignore[arg-type]
        if first is not None and first.get("previous") is not None:
            result.problems.append("v1: the first version's manifest names a previous version")
    numbers = [int(d.label[1:]) for d in dirs if d.label[1:].isdigit()]
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers)) if numbers else []
    if missing:
        result.problems.append(f"versions missing from the chain: {', '.join(f'v{n}' for n in missing)}")
    for prev, cur in itertools.pairwise(dirs):
        m = _load(cur.manifest, result)  # type: ignore[arg-type]
        link = (m or {}).get("previous") or {}
        if link.get("version") != prev.label:
            result.problems.append(f"{cur.label}: manifest names previous version {link.get('version')!r}, expected {prev.label!r}")
        elif link.get("manifest_sha256") != sha256_file(prev.manifest):  # type: ignore[arg-type]
            result.problems.append(f"{cur.label}: the hash of {prev.label}/manifest.json does not match the chain "
                                   f"(the earlier manifest was changed)")
