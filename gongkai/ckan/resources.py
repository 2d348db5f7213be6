"""Putting a file into a CKAN dataset as a resource, only when its content differs (by sha256): the one place
that decides whether an upload is needed, for release files, report files and flow pages alike."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from ..errors import CkanError
from ..files import sha256_file
from .client import Client


def put_resource(client: Client, package: dict[str, Any], name: str, content: Path | bytes,
                 fields: dict[str, Any], *, immutable: bool = False) -> tuple[dict[str, Any], bool]:
    """Create resource ``name`` of ``package`` from a file or bytes, or replace it if its sha256 differs.

    Returns ``(resource, written)``. An ``immutable`` resource (a released version's file) that exists with other
    content is refused rather than replaced."""
    digest = sha256_file(content) if isinstance(content, Path) else hashlib.sha256(content).hexdigest()
    existing = next((r for r in package.get("resources", []) if r.get("name") == name), None)
    if existing is not None and existing.get("sha256") == digest:
        return existing, False
    if existing is not None and immutable:
        raise CkanError(f"{package.get('name')}: the catalog's {name} differs from the local file (sha256)",
                        "Releases are immutable: find out who changed it before publishing again.")
    data = {"name": name, "sha256": digest, **fields}
    upload: Any = content.open("rb") if isinstance(content, Path) else io.BytesIO(content)
    if not isinstance(content, Path):
        upload.name = name
    with upload:
        if existing is None:
            resource = client.call("resource_create", {"package_id": package["id"], **data}, files={"upload": upload})
        else:
            resource = client.call("resource_patch", {"id": existing["id"], **data}, files={"upload": upload})
    return dict(resource), True
