"""The one seam to CKAN, without a server: what is retried, what is not, and what is never shown."""

from __future__ import annotations

import pytest

from gongkai.ckan.client import Client
from gongkai.errors import CkanUnavailable


def test_ckan_writes_are_not_retried_blindly() -> None:
    c = Client("http://127.0.0.1:9", "secret-token", retries=2, backoff=0.01, timeout=2)
    with pytest.raises(CkanUnavailable, match="run the same command again"):
        c.call("package_patch", {"id": "x"})
    assert c.calls["package_patch"] == 1  # a write CKAN may have saved is never sent twice
    with pytest.raises(CkanUnavailable):
        c.call("package_show", {"id": "x"})
    assert c.calls["package_show"] == 3  # reads are retried
    assert "secret-token" not in repr(c)
