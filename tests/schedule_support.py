"""Helpers for the schedule tests: pipeline files, a local HTTP source with ETag, a fake clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from gongkai import Project
from gongkai.spec.pipelines import PipelineSpec, load_pipeline

from .conftest import REPO

VILLAGE = "dibao-village-counts"  # small, no quality suite: a release takes a fraction of a second
VILLAGE_CSV = next((REPO / "datasets" / "samples" / VILLAGE).glob("*.csv"))


def village_csv(path: Path, change: str | None = None) -> Path:
    """The sample village counts; ``change`` replaces the first amount (another value, or text that is invalid)."""
    text = VILLAGE_CSV.read_text(encoding="utf-8")
    if change is not None:
        text = text.replace("4611.15", change, 1)
    path.write_text(text, encoding="utf-8")
    return path


def write_pipeline(directory: Path, pid: str, **keys: Any) -> PipelineSpec:
    directory.mkdir(parents=True, exist_ok=True)
    body = {"id": pid, "title": f"测试 {pid}", "schedule": "30 7 * * *", "datasets": [VILLAGE], **keys}
    path = directory / f"{pid}.pipeline.yaml"
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_pipeline(path, {s.id for s in Project(REPO).specs})


class SourceServer:
    """One file over HTTP with ETag and Last-Modified, answering 304 to a matching If-None-Match. ``mode``:
    ``ok``, ``hang`` (accept, never answer), ``fail`` (HTTP 503 for the next ``failures`` requests), ``missing``
    (404). ``log`` holds (status, body bytes sent, request headers) per request."""

    def __init__(self, body: bytes, name: str = "低保分村统计.csv") -> None:
        self.body, self.name, self.mode, self.failures = body, name, "ok", 0
        self.modified = dt.datetime(2025, 10, 9, 2, 0, tzinfo=dt.UTC)
        self.log: list[tuple[int, int, dict[str, str]]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                headers = dict(self.headers.items())
                if server.mode == "hang":
                    server.log.append((0, 0, headers))
                    server.release.wait(60)
                    return
                if server.mode == "missing":
                    return self._answer(404, b"not found")
                if server.mode == "fail" and server.failures > 0:
                    server.failures -= 1
                    return self._answer(503, b"busy")
                etag = '"' + hashlib.sha256(server.body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    server.log.append((304, 0, headers))
                    return
                self._answer(200, server.body, {"ETag": etag, "Last-Modified": format_datetime(server.modified, usegmt=True),
                                                "Content-Type": "text/csv; charset=utf-8"})

            def _answer(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                server.log.append((status, len(body), dict(self.headers.items())))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        from urllib.parse import quote

        return f"http://127.0.0.1:{self.httpd.server_address[1]}/open/{quote(self.name)}"

    def statuses(self) -> list[int]:
        return [s for s, _, _ in self.log]

    def __enter__(self) -> SourceServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeClock:
    """Time that only moves when the scheduler sleeps; ``on_sleep`` runs after each move (to change a source)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


def fake_release(store: Path, dataset: str, version: str, created: str, formed: str | None = None,
                 working_days: int = 20) -> Path:
    """A release directory holding only the manifest fields the deadline figures read (a fake store for unit
    tests: real releases are always made today)."""
    import json

    d = store / dataset / version
    d.mkdir(parents=True)
    (d / "manifest.json").write_text(json.dumps({
        "dataset": dataset, "version": version, "created": created, "information_formed": formed,
        "deadline_working_days": working_days}), encoding="utf-8")
    return d
