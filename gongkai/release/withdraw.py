"""Withdrawing a release: its files leave the store, a tombstone takes their place, the manifest stays.

A version that published what it must not (a leaked ID number, a record whose 公示期 has ended) cannot be
edited — releases are immutable and hash-chained. It is withdrawn instead: every file of its directory except
``manifest.json`` is deleted and ``withdrawal.json`` records what was withdrawn (the version, the manifest's
sha256, the files), when, why and by whom. The manifest stays so the next version's link still verifies, and
:meth:`Store.latest` skips a withdrawn version, so the one before it is current again. A later release whose
content equals a withdrawn version's is refused: it would publish the leak again.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from pathlib import Path
from typing import Any

from ..errors import StoreError, UsageError
from ..files import sha256_file
from ..gate.pii import scrub
from .store import TOMBSTONE, Store, _fsync_dir

TOMBSTONE_FORMAT = 1
KEEP = frozenset({"manifest.json", TOMBSTONE})


def withdraw(store: Store, dataset: str, version: str, reason: str, by: str | None = None,
             now: dt.datetime | None = None) -> dict[str, Any]:
    """Withdraw ``version`` of ``dataset`` (the caller holds the dataset's lock); return its tombstone.

    The tombstone is written before any file is deleted, so a crash in between leaves a version that is
    already withdrawn (never current again) and a second call deletes what is left."""
    d = store.release_dir(dataset, version)
    reason = " ".join(reason.split())
    if not reason:
        raise UsageError("撤回必须说明理由（--reason）", "例如：--reason '第 12 行公开了完整身份证号'。")
    manifest_path = d / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("partitions"):
        raise UsageError(f"{dataset} 是分区数据集：{version} 的数据还保存在各分区的提交中，暂不支持撤回",
                         "请先更正出问题的分区重新提交，由新版本取代它。")
    tomb_path = d / TOMBSTONE
    if tomb_path.is_file():
        tomb = json.loads(tomb_path.read_text(encoding="utf-8"))
    else:
        when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        tomb = {
            "gongkai_withdrawal": TOMBSTONE_FORMAT,
            "dataset": dataset,
            "version": version,
            "manifest_sha256": sha256_file(manifest_path),
            "fingerprint": manifest.get("fingerprint"),
            "row_count": manifest.get("row_count"),
            "files": sorted(manifest.get("files", {})),
            "withdrawn": when.isoformat(),
            "reason": scrub(reason),  # the reason may quote the leaked number: the tombstone is published
            "by": scrub(" ".join((by or _user()).split())),
        }
        _write_whole(tomb_path, tomb)
    try:
        for p in d.iterdir():
            if p.is_file() and p.name not in KEEP:
                p.unlink()
    except OSError as e:
        raise StoreError(f"{d}：撤回时无法删除文件（{e.strerror}）",
                         "检查存储目录的权限后再运行一次同样的 withdraw 命令，它会删除剩下的文件。") from None
    _fsync_dir(d)
    return tomb


def withdrawn_fingerprints(store: Store, dataset: str) -> dict[str, str]:
    """{content fingerprint: version} of the withdrawn versions: content that must not be released again."""
    return {str(t["fingerprint"]): v for v, t in store.withdrawals(dataset).items() if t.get("fingerprint")}


def refuse_withdrawn(fingerprint: str, refused: dict[str, str], dataset: str) -> None:
    """Stop a release whose content is that of a withdrawn version."""
    if fingerprint in refused:
        v = refused[fingerprint]
        raise UsageError(f"{dataset}：本次发布的内容与已撤回的 {v} 完全相同，发布它会重新公开被撤回的数据，已拒绝",
                         f"先更正数据源（删除或更正 {v} 被撤回的原因所涉及的行），再发布。")


def release_base(store: Store, dataset: str) -> tuple[tuple[str, Path] | None, tuple[str, Path] | None]:
    """(the current version a release is compared with, the newest version its manifest links to)."""
    latest, newest = store.latest(dataset), store.newest(dataset)
    current = (latest, store.release_dir(dataset, latest)) if latest else None
    chain = (newest, store.release_dir(dataset, newest)) if newest else None
    return current, chain


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _write_whole(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.chmod(0o444)
    tmp.replace(path)

