"""Releases read from a CKAN that gongkai published to, through a local download cache.

Each file is downloaded once into ``<cache>/<host>/<dataset>/<version>/<name>`` and checked against its manifest's
sha256 before every use; a file that does not match is refused (and a damaged cached copy fetched again). The
manifests themselves are checked along the hash chain: the current version's manifest against the sha256 in the
dataset's CKAN metadata, each older one against the ``previous.manifest_sha256`` of the version after it. Versions
uploaded but not yet made current (a publish still running) are not used. The API token goes in the
``Authorization`` header and is never printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from ..errors import CkanError, CkanUnavailable, IntegrityError, NotAuthorized, UsageError
from ..files import sha256_file
from ..release.reading import Release, check_file
from ..release.store import VERSION_RE
from ..settings import Secret, Settings
from ..urls import same_origin
from .client import Client


class CkanReleases:
    """The versions of gongkai datasets in a CKAN catalog, with their files fetched into a cache."""

    def __init__(self, url: str | None, token: str | Secret | None, cache: Path | None = None,
                 client: Client | None = None) -> None:
        self.client = client or Client(url, token)
        self.url = self.client.url
        self.where = self.url
        self._token = self.client.token
        host = urlsplit(self.url)
        self.cache = (cache or Settings().cache_dir()) / re.sub(r"[^A-Za-z0-9._-]", "_", host.netloc + host.path)
        self.downloads = 0  # files fetched over HTTP (a warm cache fetches none)
        self._packages: dict[str, dict[str, Any]] = {}
        self._manifests: dict[tuple[str, str], tuple[bytes, dict[str, Any]]] = {}

    def __repr__(self) -> str:  # never show the token
        return f"CkanReleases({self.url!r})"

    # -- catalog ---------------------------------------------------------------------------------------

    def package(self, dataset: str) -> dict[str, Any]:
        if dataset not in self._packages:
            try:
                pkg = self.client.show("package_show", id=dataset)
            except NotAuthorized:  # a private dataset this token (or no token) may not read
                pkg = None
            if pkg is None:
                raise UsageError(f"dataset {dataset!r} is not in the CKAN catalog at {self.url}",
                                 "Publish it first (gongkai publish), or, if it is private (依申请公开), give a token "
                                 "of a member of its organization (--ckan-token-file / CKAN_API_TOKEN).")
            self._packages[dataset] = pkg
        return self._packages[dataset]

    def _resource(self, dataset: str, version: str, name: str) -> dict[str, Any]:
        for r in self.package(dataset).get("resources", []):
            if r.get("version") == version and r.get("name") == f"{version} {name}":
                return r
        raise IntegrityError(f"{self.url}: {dataset} {version} has no resource {version} {name}",
                             "The catalog's copy of this release is incomplete; publish it again (gongkai publish).")

    def versions(self, dataset: str) -> list[tuple[str, str]]:
        pkg = self.package(dataset)
        current = pkg.get("current_version")
        if not current or not VERSION_RE.match(current):
            raise IntegrityError(f"{self.url}: {dataset} names no current version",
                                 "It was not published by gongkai, or its first publish did not finish.")
        n = int(current[1:])
        names = [r.get("name", "") for r in pkg.get("resources", [])]
        gone = {n.split(" ", 1)[0] for n in names if n.endswith(" withdrawal.json")}  # withdrawn: no data left
        have = {n.split(" ", 1)[0] for n in names if n.endswith(" manifest.json")} - gone
        out = [(f"v{i}", self.manifest(dataset, f"v{i}")["created"]) for i in range(1, n + 1) if f"v{i}" in have]
        return out

    # -- manifests along the hash chain --------------------------------------------------------------

    def manifest(self, dataset: str, version: str) -> dict[str, Any]:
        return self._manifest(dataset, version)[1]

    def _manifest(self, dataset: str, version: str) -> tuple[bytes, dict[str, Any]]:
        key = (dataset, version)
        if key not in self._manifests:
            expected = self._expected_manifest_sha(dataset, version)
            path = self._get(dataset, version, "manifest.json", expected)
            raw = path.read_bytes()
            self._manifests[key] = (raw, json.loads(raw))
        return self._manifests[key]

    def _expected_manifest_sha(self, dataset: str, version: str) -> str:
        pkg = self.package(dataset)
        current = pkg["current_version"]
        if int(version[1:]) > int(current[1:]):
            raise UsageError(f"{dataset} {version} is not published yet in {self.url} (current: {current})")
        if version == current:
            if not pkg.get("sha256"):
                raise IntegrityError(f"{self.url}: {dataset} records no manifest sha256", "Publish it again.")
            return str(pkg["sha256"])
        newer = self._manifest(dataset, f"v{int(version[1:]) + 1}")[1]
        prev = newer.get("previous") or {}
        if prev.get("version") != version or not prev.get("manifest_sha256"):
            raise IntegrityError(f"{self.url}: the manifest chain of {dataset} is broken before v{int(version[1:]) + 1}",
                                 "An earlier version is missing or was replaced; ask the publisher.")
        return str(prev["manifest_sha256"])

    # -- files -------------------------------------------------------------------------------------------

    def fetch(self, dataset: str, version: str, names: list[str]) -> Release:
        raw, manifest = self._manifest(dataset, version)
        files = {}
        for name in names:
            expected = (manifest.get("files") or {}).get(name, {}).get("sha256")
            if expected is None:
                check_file(Path("/nonexistent"), manifest, name, self.url)  # raises: not in the manifest
            files[name] = self._get(dataset, version, name, expected)
            check_file(files[name], manifest, name, self.url)  # before every use, cached or not
        links = {"dataset": f"{self.url}/dataset/{dataset}",
                 **{n: str(self._resource(dataset, version, n).get("url", "")) for n in names}}
        return Release(dataset, version, manifest["created"], hashlib.sha256(raw).hexdigest(), files, self.url,
                       links, manifest)

    def _get(self, dataset: str, version: str, name: str, expected: str) -> Path:
        """The cached file if it matches ``expected``; else download it (once) and refuse a mismatch."""
        path = self.cache / dataset / version / name
        if path.is_file() and sha256_file(path) == expected:
            return path
        resource = self._resource(dataset, version, name)
        if resource.get("sha256") and resource["sha256"] != expected:
            raise IntegrityError(f"{self.url}: the catalog's {dataset} {version} {name} records sha256 "
                                 f"{str(resource['sha256'])[:12]}…, its manifest {expected[:12]}…; refusing it",
                                 "The catalog's copy was changed after publishing; ask the publisher.")
        path.parent.mkdir(parents=True, exist_ok=True)
        # the token goes only to the catalog itself, never to another host a resource URL may name
        headers = ({"Authorization": self._token.reveal()} if self._token and same_origin(resource["url"], self.url)
                   else {})
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            digest = hashlib.sha256()
            try:
                with os.fdopen(fd, "wb") as f, requests.get(resource["url"], headers=headers, stream=True,
                                                             timeout=120) as r:
                    if r.status_code in (401, 403, 404):
                        raise CkanError(f"{self.url} refused the download of {dataset} {version} {name} (HTTP {r.status_code})",
                                        "A private dataset needs a token of a member of its organization.")
                    r.raise_for_status()
                    for block in r.iter_content(1 << 20):
                        f.write(block)
                        digest.update(block)
            except requests.RequestException as e:
                raise CkanUnavailable(f"download of {dataset} {version} {name} from {self.url} failed: "
                                      f"{type(e).__name__}", "Try again when the catalog answers.") from None
            self.downloads += 1
            if digest.hexdigest() != expected:
                raise IntegrityError(f"{self.url}: the downloaded {dataset} {version} {name} does not match its manifest "
                                     f"(sha256 {digest.hexdigest()[:12]}… instead of {expected[:12]}…); refusing to use it",
                                     "The catalog's file was changed or damaged in transit; nothing was cached. Ask the "
                                     "publisher, or try again.")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path


def download_release(releases: CkanReleases, dataset: str, version: str | None, out: Path) -> Path:
    """Copy a version's files (every one its manifest lists, and the manifest) from the catalog into
    ``out/<dataset>/<version>/``, each checked against the manifest, the manifest against the hash chain."""
    version = version or str(releases.package(dataset).get("current_version") or "")
    if not VERSION_RE.match(version):
        raise UsageError(f"{version!r} is not a version (v1, v2 …)", f"See the versions: gongkai history {dataset}.")
    names = {r.get("name") for r in releases.package(dataset).get("resources", [])}
    if f"{version} withdrawal.json" in names:
        raise UsageError(f"{dataset} {version} 已撤回：目录中只保留了它的 manifest.json 和 withdrawal.json（撤回说明）",
                         f"下载当前版本：gongkai download {dataset}。")
    raw, manifest = releases._manifest(dataset, version)
    release = releases.fetch(dataset, version, sorted(manifest.get("files") or {}))
    target = out / dataset / version
    target.mkdir(parents=True, exist_ok=True)
    for name, path in release.files.items():
        (target / name).write_bytes(path.read_bytes())
    (target / "manifest.json").write_bytes(raw)
    return target


def find_published(releases: CkanReleases, dataset: str, path: Path) -> tuple[str, str] | None:
    """Which published file of ``dataset`` this one is: ``(version, name)`` when a resource records its sha256 and
    that version's manifest (checked along the chain) lists it with the same hash; else None."""
    digest = sha256_file(path)
    for r in releases.package(dataset).get("resources", []):
        version, _, name = str(r.get("name", "")).partition(" ")
        if r.get("sha256") == digest and VERSION_RE.match(version) and r.get("version") == version:
            raw, manifest = releases._manifest(dataset, version)
            listed = (manifest.get("files") or {}).get(name) or {}
            if (hashlib.sha256(raw).hexdigest() if name == "manifest.json" else listed.get("sha256")) == digest:
                return version, name
    return None
