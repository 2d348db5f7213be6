"""The services some tests need, and whether each is reachable here.

A test marked ``postgres``, ``redis``, ``ckan`` or ``browser`` is skipped, with the reason, when its service is
missing on a developer's machine; under CI (``CI=true``) the same absence fails the test, so nothing rots unseen.
``scripts/test`` installs and starts all four.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("GONGKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("GONGKAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CKAN_URL = os.environ.get("GONGKAI_TEST_CKAN_URL", "http://127.0.0.1:" + os.environ.get("CKAN_PORT", "5070"))
CKAN_TOKEN_FILE = Path(os.environ.get("GONGKAI_TEST_CKAN_TOKEN_FILE", REPO / "ckan_config" / ".local" / "api-token"))
SERVICES = ("postgres", "redis", "ckan", "browser")


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@cache
def missing(service: str) -> str | None:
    """Why ``service`` cannot be used here, or None when it can."""
    try:
        if service == "postgres":
            import psycopg2

            psycopg2.connect(PG_URL, connect_timeout=3).close()
        elif service == "redis":
            from redis import Redis

            Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        elif service == "ckan":
            if not CKAN_TOKEN_FILE.is_file():
                return f"no CKAN token at {CKAN_TOKEN_FILE} (start it with `ckan_config/local-ckan up`)"
            with urllib.request.urlopen(f"{CKAN_URL}/api/3/action/status_show", timeout=5):
                pass
        elif service == "browser":
            lacking = [b for b in ("chromium", "chromedriver") if shutil.which(b) is None]
            if lacking:
                return f"{' and '.join(lacking)} not installed (Debian's chromium, chromium-driver)"
    except Exception as e:
        return f"{service} is not reachable: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return None
