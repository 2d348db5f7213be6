"""The CKAN token goes only to the catalog's own host, never to another host a resource URL names."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from gongkai.ckan.remote import CkanReleases
from gongkai.errors import GongkaiError
from gongkai.urls import same_origin as _same_origin


def test_same_origin() -> None:
    assert _same_origin("http://127.0.0.1:5070/dataset/x/resource/y/download/a.csv", "http://127.0.0.1:5070")
    assert not _same_origin("http://127.0.0.1:5071/a.csv", "http://127.0.0.1:5070")
    assert not _same_origin("http://evil.example/a.csv", "http://127.0.0.1:5070")
    assert not _same_origin("http://ckan.example/a.csv", "https://ckan.example")


@pytest.mark.parametrize("same_host", [True, False])
def test_token_sent_only_to_the_catalog(tmp_path: Path, same_host: bool) -> None:
    seen: list[str | None] = []
    body = b"a,b\n1,2\n"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        catalog = f"http://127.0.0.1:{port}" if same_host else "http://127.0.0.1:9"
        releases = CkanReleases(catalog, "secret-token", tmp_path / "cache")
        releases._resource = lambda *a: {"url": f"http://127.0.0.1:{port}/data.csv"}  # type: ignore[method-assign]
        expected = hashlib.sha256(body).hexdigest()
        try:
            path = releases._get("d", "v1", "data.csv", expected)
            assert path.read_bytes() == body
        except GongkaiError:
            pass
        assert seen == (["secret-token"] if same_host else [None])
    finally:
        server.shutdown()
