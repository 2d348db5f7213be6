"""The release store: ``<store>/<dataset>/<version>/`` directories, immutable once written.

A release is built in a hidden temporary directory beside its final place and renamed into place in one step,
so a reader (or a crash) never sees half a release. A per-dataset lock (``flock``, released by the kernel when
its process dies) keeps two writers apart.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StoreError, UsageError

LOCK_WAIT = 600.0  # seconds a release waits for another writer of the same dataset
VERSION_RE = re.compile(r"^v(\d+)$")
TOMBSTONE = "withdrawal.json"  # in a withdrawn version's directory, beside the manifest it keeps


def default_store(root: Path | None = None, given: Path | None = None) -> Path:
    """``given`` (the --store flag or ``GONGKAI_STORE``), else ``store/`` in the project."""
    return Path(given) if given else (root or Path.cwd()) / "store"


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def dataset_dir(self, dataset: str) -> Path:
        return self.path / dataset

    def versions(self, dataset: str) -> list[str]:
        d = self.dataset_dir(dataset)
        if not d.is_dir():
            return []
        found = [(int(m.group(1)), p.name) for p in d.iterdir() if (m := VERSION_RE.match(p.name)) and p.is_dir()]
        return [name for _, name in sorted(found)]

    def latest(self, dataset: str) -> str | None:
        """The current version: the newest one not withdrawn (a withdrawal makes the one before it current)."""
        v = [name for name in self.versions(dataset) if not self.is_withdrawn(dataset, name)]
        return v[-1] if v else None

    def newest(self, dataset: str) -> str | None:
        """The newest version written, withdrawn or not: the end of the manifest chain."""
        v = self.versions(dataset)
        return v[-1] if v else None

    def is_withdrawn(self, dataset: str, version: str) -> bool:
        return (self.dataset_dir(dataset) / version / TOMBSTONE).is_file()

    def withdrawals(self, dataset: str) -> dict[str, dict[str, Any]]:
        """{version: its tombstone} of every withdrawn version."""
        return {v: json.loads((self.dataset_dir(dataset) / v / TOMBSTONE).read_text(encoding="utf-8"))
                for v in self.versions(dataset) if self.is_withdrawn(dataset, v)}

    def release_dir(self, dataset: str, version: str) -> Path:
        d = self.dataset_dir(dataset) / version
        if not d.is_dir():
            known = ", ".join(self.versions(dataset)) or "none"
            raise UsageError(f"dataset {dataset!r} has no version {version!r} in {self.path}", f"versions: {known}")
        return d

    def data_dir(self, dataset: str, version: str) -> Path:
        """A version's directory for reading its data: refused, with the reason, when it was withdrawn."""
        d = self.release_dir(dataset, version)
        if (d / TOMBSTONE).is_file():
            reason = json.loads((d / TOMBSTONE).read_text(encoding="utf-8")).get("reason", "")
            raise UsageError(f"{dataset} {version} 已撤回（{reason}），它的数据文件已删除",
                             f"当前版本：{self.latest(dataset) or '无'}；撤回记录见 {d / TOMBSTONE}。")
        return d

    def manifest(self, dataset: str, version: str) -> dict[str, Any]:
        return json.loads((self.release_dir(dataset, version) / "manifest.json").read_text(encoding="utf-8"))

    def next_version(self, dataset: str) -> str:
        newest = self.newest(dataset)  # never reuse a withdrawn version's number
        return f"v{int(newest[1:]) + 1}" if newest else "v1"

    @contextmanager
    def lock(self, dataset: str, wait: float = LOCK_WAIT) -> Iterator[None]:
        """The dataset's write lock; waits up to ``wait`` seconds for another writer (a county's submission
        arriving while another's is written) before giving up with a clear message."""
        d = self.dataset_dir(dataset)
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create {d}: {e.strerror}", "Check --store / GONGKAI_STORE and permissions.") from None
        with (d / ".lock").open("w") as f:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreError(f"another gongkai process has been releasing {dataset} for more than "
                                         f"{wait:.0f} s", "Wait for it to finish, then run again (the wait is "
                                         "GONGKAI_LOCK_WAIT seconds).") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    @contextmanager
    def staging(self, dataset: str) -> Iterator[Path]:
        """A temporary directory inside the dataset's folder; removed unless :meth:`commit` moved it."""
        tmp = self.dataset_dir(dataset) / f".tmp-{uuid.uuid4().hex[:12]}"
        tmp.mkdir(parents=True)
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def commit(self, dataset: str, staging: Path, version: str) -> Path:
        final = self.dataset_dir(dataset) / version
        for f in staging.iterdir():
            f.chmod(0o444)
            with f.open("rb") as fh:
                os.fsync(fh.fileno())  # the files are on disk before the version appears
        _fsync_dir(staging)
        os.rename(staging, final)  # atomic on one filesystem; fails if the version exists
        _fsync_dir(final.parent)
        return final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
