"""Files: content hashes, and directories only their owner may read (sources and run history hold personal data)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PRIVATE_ROOT = ".schedule"  # the store's private part: source caches and the run history


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def private_dir(path: Path) -> Path:
    """Create ``path`` and its parents; from the ``.schedule`` component down (or ``path`` alone) each is made
    mode 0700 explicitly, whatever the umask: raw sources and the run history can hold unmasked personal data."""
    path.mkdir(parents=True, exist_ok=True)
    parts = path.parts
    top = len(parts) - 1 - parts[::-1].index(PRIVATE_ROOT) if PRIVATE_ROOT in parts else len(parts) - 1
    for i in range(top, len(parts)):
        os.chmod(Path(*parts[: i + 1]), 0o700)
    return path


def private_open(path: Path, mode: str, **kw: object):  # type: ignore[no-untyped-def]
    """Open a new file readable by its owner only (0600, set explicitly whatever the umask)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.chmod(path, 0o600)
    return os.fdopen(fd, mode, **kw)  # type: ignore[call-overload]
