"""Verifying releases anyone has downloaded: file hashes, the Data Package, and the manifest hash chain."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..files import sha256_file
from .store import VERSION_RE


@dataclass
class Verification:
    checked: list[str] = field(default_factory=list)  # release directories checked
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.checked)


def verify(path: Path) -> Verification:
    """Check a release directory, or a dataset directory holding several versions (then the chain too)."""
    path = Path(path)
    if (path / "manifest.json").is_file():
        releases = [path]
        siblings = _versions(path.parent)
        chain_dirs = siblings[: siblings.index(path) + 1] if path in siblings else [path]
    elif path.is_dir() and _versions(path):
        releases = chain_dirs = _versions(path)

    else:
        raise UsageError(f"{path} holds no manifest.json and no versions",
                         "Give a release directory (…/<dataset>/v3) or a dataset directory (…/<dataset>).")
    result = Verification()
    if releases is chain_dirs and releases[0].name != "v1":
        result.problems.append(f"{path}: the history starts at {releases[0].name}; earlier versions are missing")
    for d in releases:
        _verify_release(d, result)
    _verify_chain(chain_dirs if len(releases) > 1 else chain_dirs[-2:], result)
    return result


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


def _verify_release(d: Path, result: Verification) -> None:
    result.checked.append(str(d))
    manifest = _load(d / "manifest.json", result)
    if manifest is None:
        return
    listed = manifest.get("files", {})
    for name, meta in listed.items():
        p = d / name
        if not p.is_file():
            result.problems.append(f"{d.name}/{name}: listed in the manifest but missing")
            continue
        if p.stat().st_size != meta.get("bytes"):
            result.problems.append(f"{d.name}/{name}: size {p.stat().st_size} bytes, manifest says {meta.get('bytes')}")
        if sha256_file(p) != meta.get("sha256"):
            result.problems.append(f"{d.name}/{name}: sha256 differs from the manifest (the file was changed)")
    for p in d.iterdir():
        if p.is_file() and p.name != "manifest.json" and p.name not in listed:
            result.problems.append(f"{d.name}/{p.name}: not listed in the manifest")
    package = _load(d / "datapackage.json", result) if (d / "datapackage.json").is_file() else None
    for res in (package or {}).get("resources", []):
        p = d / res["path"]
        want = str(res.get("hash", "")).removeprefix("sha256:")
        if p.is_file() and want and sha256_file(p) != want:
            result.problems.append(f"{d.name}/{res['path']}: sha256 differs from datapackage.json")


def _verify_chain(dirs: list[Path], result: Verification) -> None:
    if dirs and dirs[0].name == "v1":
        first = _load(dirs[0] / "manifest.json", result)
        if first is not None and first.get("previous") is not None:
            result.problems.append("v1: the first version's manifest names a previous version")
    numbers = [int(d.name[1:]) for d in dirs if d.name[1:].isdigit()]
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers)) if numbers else []
    if missing:
        result.problems.append(f"versions missing from the chain: {', '.join(f'v{n}' for n in missing)}")
    for prev, cur in itertools.pairwise(dirs):
        m = _load(cur / "manifest.json", result)
        link = (m or {}).get("previous") or {}
        if link.get("version") != prev.name:
            result.problems.append(f"{cur.name}: manifest names previous version {link.get('version')!r}, expected {prev.name!r}")
        elif link.get("manifest_sha256") != sha256_file(prev / "manifest.json"):
            result.problems.append(f"{cur.name}: the hash of {prev.name}/manifest.json does not match the chain "
                                   f"(the earlier manifest was changed)")
