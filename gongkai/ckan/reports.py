"""Reports on CKAN: a dataset of generated files (the compliance report), and a page added to a released dataset
(the fund-flow page). Each file is put only when its content changed, so publishing the same thing again makes
no write; metadata is patched last, so a failure during the uploads leaves the old metadata in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..files import sha256_file
from ..spec.loading import Specs
from .client import Client
from .resources import put_resource


def publish_report_dataset(client: Client, name: str, metadata: dict[str, Any], tags: list[str],
                           files: dict[str, tuple[bytes, str, str]]) -> dict[str, Any]:
    """Create or update dataset ``name`` holding ``files`` (file name → (content, format, description)).

    Returns the dataset's name, URL and the number of writes made."""
    before = client.writes
    pkg = client.show("package_show", id=name)
    if pkg is None:
        client.call("package_create", {"name": name, **metadata, "tags": [{"name": t} for t in tags]})
        pkg = client.call("package_show", {"id": name})
    for fname, (content, fmt, description) in files.items():
        put_resource(client, pkg, fname, content, {"format": fmt, "description": description})
    organization = metadata.get("owner_org")
    changed = {k: v for k, v in metadata.items() if _norm(v) != _norm(pkg.get(k))}
    if organization and (pkg.get("organization") or {}).get("name") == organization:
        changed.pop("owner_org", None)  # CKAN answers with the organization's id
    if changed:
        client.call("package_patch", {"id": name, **changed})
    return {"name": name, "url": f"{client.url}/dataset/{name}", "writes": client.writes - before}


def publish_page(client: Client, specs: Specs, dataset: str, name: str, path: Path, fields: dict[str, Any],
                 uses: list[str]) -> dict[str, Any]:
    """Upload an HTML page as resource ``name`` of ``dataset``. A public dataset gets it only if every dataset the
    page shows (``uses``) is public too: a page must not show what the public may not see."""
    pkg = client.call("package_show", {"id": dataset})
    existing = next((r for r in pkg.get("resources", []) if r.get("name") == name), None)
    if existing is not None and existing.get("sha256") == sha256_file(path):
        return dict(existing)
    if not pkg.get("private"):
        closed = [d for d in uses if specs.get(d).disclosure != "主动公开"
                  or client.call("package_show", {"id": d}).get("private")]
        if closed:
            raise UsageError(f"the page uses data that is not public ({', '.join(closed)}); it is not published "
                             f"to the public dataset {dataset}",
                             "Publish it only once those datasets are 主动公开, or share the HTML file privately.")
    resource, _ = put_resource(client, pkg, name, path, {"format": "HTML", **fields})
    return resource


def _norm(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    return "" if v is None else str(v)
