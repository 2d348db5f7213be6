"""Whether a release can be skipped before the gate runs: a fingerprint of everything the gate and the release read.

The source bytes, the spec, the retention ``as_of`` day (when the spec has a retention term), the Table Schema and its code lists, the quality suite, the project's calendar files, the ``formed`` date given by
the caller and gongkai itself (its version and the bytes of its code) go into one sha256. After a release (or
an "unchanged" verdict) it is written to ``<store>/<dataset>/.inputs.json`` with the version it produced; the next
run with the same fingerprint, while that version is still the latest, returns at once instead of re-running a
gate whose answer cannot differ. Any change to any input runs the gate again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cache
from importlib.metadata import version
from pathlib import Path

from ..files import sha256_file
from ..spec.dataset import DatasetSpec
from ..spec.schema import CODES_DIR
from .store import Store

RECORD = ".inputs.json"
PACKAGE = Path(__file__).resolve().parent.parent


@cache
def code_digest() -> str:
    """gongkai's version and the bytes of its code and data: a changed check must re-check unchanged data."""
    h = hashlib.sha256(f"gongkai {version('gongkai')}\n".encode())
    for p in sorted(PACKAGE.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(f"{p.relative_to(PACKAGE)}\0".encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def inputs_fingerprint(spec: DatasetSpec, sources: list[Path], formed: dt.date | None = None,
                       extra: list[Path] = (), as_of: dt.date | None = None) -> str:  # type: ignore[assignment]
    """One sha256 over the inputs of a release of ``spec`` from ``sources`` (and ``extra`` files the project
    reads for every release, such as the working-day calendars behind the disclosure due date; ``as_of``, the
    day a retention term is counted to: another day may expire rows)."""
    h = hashlib.sha256(f"code\0{code_digest()}\nformed\0{formed}\n".encode())
    if as_of is not None:
        h.update(f"retention as_of\0{as_of.isoformat()}\n".encode())
    files = [("spec", spec.path), ("schema", spec.schema_path), ("suite", spec.quality_path)]
    for fk in spec.table_schema.foreign_keys:
        resource = fk.get("reference", {}).get("resource", "")
        if resource:
            files.append((f"codes {resource}", spec.schema_path.parent / CODES_DIR / f"{resource}.csv"))
    files += [(f"source {p.name}", p) for p in sources]
    files += [(f"project {p.name}", p) for p in extra]
    for role, path in files:
        digest = sha256_file(path) if path is not None and Path(path).is_file() else "-"
        h.update(f"{role}\0{digest}\n".encode())
    return h.hexdigest()


def recorded_version(store: Store, dataset: str, fingerprint: str) -> str | None:
    """The version the same inputs produced, if it is still the latest release; else None (run the gate)."""
    try:
        rec = json.loads((store.dataset_dir(dataset) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    latest = store.latest(dataset)
    if rec.get("fingerprint") != fingerprint or latest is None or rec.get("version") != latest:
        return None
    return latest


def record(store: Store, dataset: str, fingerprint: str, version: str) -> None:
    """Remember that these inputs gave ``version`` (written whole, then renamed into place)."""
    path = store.dataset_dir(dataset) / RECORD
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fingerprint": fingerprint, "version": version}), encoding="utf-8")
    tmp.replace(path)


def forget(store: Store, dataset: str) -> None:
    """Drop the record (after a withdrawal): the next release of the dataset runs its gate."""
    (store.dataset_dir(dataset) / RECORD).unlink(missing_ok=True)
