"""Fetching a pipeline's source so that an unchanged source costs (almost) nothing.

- **path / glob**: the files are read where they are; their sha256 is the fingerprint.
- **http(s)**: the file is downloaded into a cache beside the store, with its ``ETag`` and ``Last-Modified``
  kept in a small JSON file next to it; the next fetch is a conditional GET, and a ``304 Not Modified`` answer
  reuses the cached copy without downloading anything. The whole download has a deadline: a server that accepts
  the connection and never answers times out.
- **sql**: a query against the agency's database (SQLAlchemy URL from an environment variable), written to a
  UTF-8 CSV whose headers are the query's column names.

The fingerprint (sha256 over each file's name and sha256) is what the scheduler compares with the last completed
run: equal means nothing to do. Network failures and time-outs raise :class:`TransientSourceError` (worth a
retry); a missing file, a 404 or bad SQL raise :class:`~gongkai.errors.SourceError` or
:class:`~gongkai.errors.ConfigError` (retrying cannot help).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import email.utils
import hashlib
import json
import os
import re
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from ..errors import ConfigError, SourceError, TransientSourceError
from ..files import private_dir, private_open, sha256_file
from ..spec.dataset import DatasetSpec
from ..spec.pipelines import SourceSpec, SqlSource
from ..urls import engine_url, show_url

CHINA = ZoneInfo("Asia/Shanghai")
CHUNK = 1 << 16


@dataclass
class Fetched:
    """The files to release from, and how they were obtained."""

    paths: list[Path]
    fingerprint: str
    parts: list[dict[str, Any]] = field(default_factory=list)
    formed: dt.date | None = None
    temporary: bool = False  # a SQL dump: deleted after the run (only its fingerprint is kept)

    def cleanup(self) -> None:
        """Delete the files if they are a temporary dump (they can hold unmasked personal data)."""
        if self.temporary:
            for p in self.paths:
                p.unlink(missing_ok=True)

    @property
    def not_modified(self) -> bool:
        """Every part was answered with 304 Not Modified (nothing was downloaded)."""
        return bool(self.parts) and all(p["status"] == "not-modified" for p in self.parts)


def fetch(source: SourceSpec | None, spec: DatasetSpec, base: Path, cache: Path, timeout: float,
          environ: Mapping[str, str] | None = None) -> Fetched:
    """Fetch the dataset's source: the pipeline's override (paths relative to ``base``) or the spec's own.
    ``environ`` holds the variable a SQL source names for its database URL."""
    if source is None or source.kind == "path":
        paths = spec.source_paths() if source is None else _resolve(source.path, base)  # type: ignore[arg-type]
        if not paths:
            where = source.path if source else spec.source.path
            raise SourceError(f"{spec.id}: no file matches {where}",
                              "Put the agency's file there, or correct the path in the pipeline / dataset spec.")
        for p in paths:
            if not p.is_file():
                raise SourceError(f"{spec.id}: source file {p} does not exist",
                                  "Put the agency's file there, or correct the path in the pipeline / dataset spec.")
        parts = [{"kind": "path", "name": p.name, "origin": str(p), "status": "read", "bytes": p.stat().st_size,
                  "sha256": sha256_file(p)} for p in paths]
        formed = None
        if source is not None and source.formed == "last-modified":
            formed = max(dt.datetime.fromtimestamp(p.stat().st_mtime, CHINA).date() for p in paths)
        return Fetched(paths, _fingerprint(parts), parts, formed)
    private_dir(cache)
    if source.kind == "url":
        urls = source.urls
        names = _unique_names([_name_from_url(u, spec.id, i) for i, u in enumerate(urls)])
        parts, formed_dates = [], []
        with requests.Session() as session:
            session.headers["User-Agent"] = "gongkai"
            for url, name in zip(urls, names, strict=True):
                part = _get(session, url, cache / name, timeout)
                parts.append(part)
                if part.get("last_modified"):
                    formed_dates.append(email.utils.parsedate_to_datetime(part["last_modified"]).astimezone(CHINA).date())
        formed = max(formed_dates) if source.formed == "last-modified" and formed_dates else None
        return Fetched([cache / n for n in names], _fingerprint(parts), parts, formed)
    assert source.sql is not None
    part = _query(source.sql, spec.id, cache, timeout, environ or {})
    return Fetched([cache / part["name"]], _fingerprint([part]), [part], temporary=True)


def _resolve(path: str | list[str], base: Path) -> list[Path]:
    import glob

    out: list[Path] = []
    for p in [path] if isinstance(path, str) else path:
        full = Path(p) if Path(p).is_absolute() else base / p
        out.extend(sorted(Path(m) for m in glob.glob(str(full))) if glob.has_magic(str(p)) else [full])
    return out


def _fingerprint(parts: list[dict[str, Any]]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(f"{p['name']}\0{p['sha256']}\n".encode())
    return h.hexdigest()


# -- HTTP ---------------------------------------------------------------------------------------------------

def _name_from_url(url: str, dataset: str, i: int) -> str:
    """The cache file name: the URL path's last segment, decoded first (``%2F..`` cannot climb out of the cache);
    a name with a slash or backslash, a leading dot or a NUL becomes ``<dataset>-<n><ext>``."""
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path).rsplit("/", 1)[-1]
    if name and not name.startswith(".") and not any(c in name for c in "/\\\0"):
        return name
    ext = re.search(r"\.[A-Za-z0-9]{1,10}$", name)
    return f"{dataset}-{i + 1}{ext.group(0) if ext else ''}"


def _unique_names(names: list[str]) -> list[str]:
    return [n if names.count(n) == 1 else f"{i + 1}-{n}" for i, n in enumerate(names)]


def _get(session: requests.Session, url: str, target: Path, timeout: float, conditional: bool = True) -> dict[str, Any]:
    meta_path = target.with_name(target.name + ".http.json")
    meta = _read_meta(meta_path, url, target) if conditional else None
    headers = {}
    if meta:
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    deadline = time.monotonic() + timeout
    tmp = target.with_name(f".{target.name}.part")
    try:
        with session.get(url, headers=headers, stream=True, timeout=(timeout, timeout), allow_redirects=True) as r:
            if r.status_code == 304:
                if meta and sha256_file(target) == meta.get("sha256"):
                    return {**meta, "kind": "url", "name": target.name, "origin": show_url(url), "status": "not-modified"}
                if meta:  # the cached copy was altered: fetch the whole file again
                    r.close()
                    return _get(session, url, target, timeout, conditional=False)
                raise TransientSourceError(f"{show_url(url)}: 304 Not Modified to an unconditional request",
                                           "A caching proxy answered wrongly; the run is retried.")
            _check_status(r, url)
            h, size = hashlib.sha256(), 0
            with private_open(tmp, "wb") as f:
                for chunk in r.iter_content(CHUNK):
                    if time.monotonic() > deadline:
                        raise requests.Timeout()
                    f.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
            etag, last_modified = r.headers.get("ETag"), r.headers.get("Last-Modified")
    except requests.exceptions.SSLError as e:  # its text quotes the URL: not shown
        tmp.unlink(missing_ok=True)
        raise SourceError(f"{show_url(url)}: TLS certificate problem ({'certificate verify failed' if 'CERTIFICATE_VERIFY' in str(e) else 'TLS handshake failed'})",
                          "Ask the agency to fix its HTTPS certificate, or check the URL.") from None
    except (requests.Timeout, requests.ConnectionError) as e:
        tmp.unlink(missing_ok=True)
        timed_out = isinstance(e, requests.Timeout) or "timed out" in str(e).lower()
        raise TransientSourceError(
            f"{show_url(url)}: {'no answer within ' + format(timeout, 'g') + ' s' if timed_out else 'cannot connect'}",
            "The agency's server is down or slow; the run is retried. Raise timeout_seconds in the pipeline if it is "
            "just slow.") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    meta = {"url_sha256": _url_hash(url), "url": show_url(url), "etag": etag, "last_modified": last_modified, "sha256": h.hexdigest(), "bytes": size,
            "fetched": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
    with private_open(meta_path, "w", encoding="utf-8") as f:
        f.write(json.dumps(meta, ensure_ascii=False, indent=1))
    return {**meta, "kind": "url", "name": target.name, "origin": show_url(url), "status": "downloaded"}


def _url_hash(url: str) -> str:
    """What the cache keeps of the URL: its sha256 (the URL itself may carry a password or a key)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _read_meta(meta_path: Path, url: str, target: Path) -> dict[str, Any] | None:
    """The validators of the cached copy, if it is still there, intact and from the same URL."""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("url_sha256") != _url_hash(url) or not target.is_file() or target.stat().st_size != meta.get("bytes"):
        return None
    return meta  # type: ignore[no-any-return]


def _check_status(r: requests.Response, url: str) -> None:
    if r.status_code < 400:
        return
    if r.status_code >= 500 or r.status_code in (408, 425, 429):
        raise TransientSourceError(f"{show_url(url)}: the server answered HTTP {r.status_code}",
                                   "A server-side problem; the run is retried.")
    raise SourceError(f"{show_url(url)}: the server answered HTTP {r.status_code} {r.reason}",
                      "Check the URL in the pipeline file (has the agency moved the file?) and its access rights.")


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0][:200] if str(e) else type(e).__name__


# -- SQL ----------------------------------------------------------------------------------------------------

def _query(sql: SqlSource, dataset: str, cache: Path, timeout: float, environ: Mapping[str, str]) -> dict[str, Any]:
    import sqlalchemy as sa

    url = environ.get(sql.url_env)
    if not url:
        raise ConfigError(f"{dataset}: the pipeline's sql.url_env names {sql.url_env}, which is not set",
                          f"Set {sql.url_env} to the agency database's SQLAlchemy URL, "
                          "e.g. postgresql://reader@db.example/minzheng.")
    try:
        u = engine_url(url)
        backend = u.get_backend_name()
        connect_args: dict[str, Any] = {}
        if backend == "postgresql":
            connect_args = {"connect_timeout": max(1, int(timeout)),
                            "options": f"-c statement_timeout={int(timeout * 1000)}"}
        elif backend == "sqlite":
            connect_args = {"timeout": timeout}
        elif backend in ("mysql", "mariadb"):
            connect_args = {"connect_timeout": max(1, int(timeout)), "read_timeout": max(1, int(timeout))}
        engine = sa.create_engine(u, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as e:
        raise ConfigError(f"{dataset}: {sql.url_env} is not a usable database URL ({type(e).__name__})",
                          "Use a SQLAlchemy URL such as postgresql://user@host/db and install its driver.") from None
    name = sql.name or f"{dataset}.csv"
    target, tmp = cache / name, cache / f".{name}.part"
    rows = 0
    try:
        with engine.connect() as c, private_open(tmp, "w", encoding="utf-8", newline="") as f:
            result = c.execute(sa.text(sql.query))
            w = csv.writer(f)
            w.writerow(list(result.keys()))
            for row in result:
                w.writerow([_cell(v) for v in row])
                rows += 1
    except sa.exc.OperationalError as e:  # connection refused, lost, statement timeout
        tmp.unlink(missing_ok=True)
        raise TransientSourceError(f"{dataset}: the database in {sql.url_env} failed: {_first_line(e.orig)}",
                                   "The agency database is unreachable or the query took too long; the run is "
                                   "retried.") from None
    except sa.exc.DBAPIError as e:  # bad SQL, missing table or column: retrying cannot help
        tmp.unlink(missing_ok=True)
        raise SourceError(f"{dataset}: the pipeline's SQL query failed: {_first_line(e.orig)}",
                          "Fix sql.query in the pipeline file (table and column names).") from None
    finally:
        engine.dispose()
    os.replace(tmp, target)
    return {"kind": "sql", "name": name, "origin": sql.url_env, "status": "queried", "rows": rows,
            "bytes": target.stat().st_size, "sha256": sha256_file(target)}


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    return str(v)
