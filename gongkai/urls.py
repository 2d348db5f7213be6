"""URLs as gongkai shows them (never a password, key or query string), and SQLAlchemy engine URLs."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any


def _host_port(parts: urllib.parse.SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return host + (f":{parts.port}" if parts.port else "")


def show_url(url: str) -> str:
    """scheme://host[:port]/path, without ``user:password@`` and without the query (either may carry a secret)."""
    try:
        parts = urllib.parse.urlsplit(url)
        where = _host_port(parts)
    except ValueError:
        return "(unparsable URL)"
    return urllib.parse.urlunsplit((parts.scheme, where, parts.path, "", "")) + ("?…" if parts.query else "")


def host_of(url: str) -> str:
    """Host and port only (a webhook's path can itself be the key)."""
    try:
        return _host_port(urllib.parse.urlsplit(url)) or "(no host)"
    except ValueError:
        return "(unparsable URL)"


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the scheme, host and port of ``base`` (a token goes nowhere else)."""
    a, b = urllib.parse.urlsplit(str(url)), urllib.parse.urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def mask_userinfo(url: str) -> str:
    """``url`` as typed (to say what is wrong with it), its ``user:password@`` replaced by ``***@``."""
    return repr(re.sub(r"(?<=://)[^/?#]*@", "***@", url) if "@" in url else url)


def show_database_url(url: str) -> str:
    """A database URL without its password."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return mask_userinfo(url)


def has_password(url: str) -> bool:
    """True if ``url`` carries a password (or cannot be parsed, to be safe)."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).password is not None
    except Exception:
        return True


def engine_url(url: str) -> Any:
    """A SQLAlchemy URL; ``postgresql://`` uses psycopg2 (installed with gongkai) unless psycopg 3 is there."""
    import importlib.util

    import sqlalchemy as sa

    u = sa.engine.make_url(url)
    if u.drivername == "postgresql" and importlib.util.find_spec("psycopg") is None:
        u = u.set(drivername="postgresql+psycopg2")
    return u


def libpq_url(url: str) -> str:
    """A URL psycopg2 takes (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+psycopg2://", "postgresql://")
