"""Notifications arrive at a local SMTP sink (aiosmtpd) and a local HTTP receiver: failed runs, and deadlines
coming up or passed (each sent once)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from gongkai import Project
from gongkai.schedule.history import History
from gongkai.schedule.notify import Event, Notifier
from gongkai.schedule.runner import Runner
from gongkai.settings import SmtpSettings

from .conftest import REPO
from .schedule_support import VILLAGE, fake_release, village_csv, write_pipeline

D = dt.date


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, SmtpSettings]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, SmtpSettings("127.0.0.1", controller.port, sender="gongkai@test.example")
    finally:
        controller.stop()


class Receiver:
    """An HTTP endpoint that records JSON POSTs; ``fail`` answers 500 to that many requests first."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.fail = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 200
                if receiver.fail:
                    receiver.fail -= 1
                    status = 500
                else:
                    receiver.posts.append({"path": self.path, **json.loads(body)})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/gongkai"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.httpd.shutdown()
    r.httpd.server_close()


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(f"sqlite:///{tmp_path / 'runs.sqlite'}")


def _runner(project: Project, history: History, settings: SmtpSettings) -> Runner:
    return Runner(project, history, Notifier(settings, backoff=0), sleep=lambda s: None)


def test_a_failed_run_is_notified_by_email_and_webhook(tmp_path: Path, project: Project, history: History,
                                                       smtp: tuple[Sink, SmtpSettings], receiver: Receiver) -> None:
    sink, settings = smtp
    village_csv(tmp_path / "v.csv", change="约四千元")
    p = write_pipeline(tmp_path / "pipelines", "notify-fail", sources={VILLAGE: {"path": "../v.csv"}},
                       notify={"email": ["opendata@mz.example.gov.cn", "duty@mz.example.gov.cn"],
                               "webhook": [receiver.url]})
    result = _runner(project, history, settings).run_pipeline(p)[0]
    assert result.status == "invalid" and "notify_errors" not in result.detail
    assert len(sink.messages) == 1
    to, msg = sink.messages[0]
    assert to == ["opendata@mz.example.gov.cn", "duty@mz.example.gov.cn"]
    assert "数据校验未通过" in msg["Subject"] and VILLAGE in msg["Subject"]
    body = msg.get_content()
    assert "约四千元" in body and f"run {result.run_id}" in body and "The last good release is untouched" in body
    assert len(receiver.posts) == 1
    post = receiver.posts[0]
    assert post["path"] == "/hooks/gongkai"
    assert (post["event"], post["dataset"], post["status"], post["pipeline"]) == ("run-failed", VILLAGE, "invalid", p.id)
    assert post["agency"] == project.spec(VILLAGE).publisher.name


def test_a_good_run_sends_nothing(tmp_path: Path, project: Project, history: History,
                                  smtp: tuple[Sink, SmtpSettings], receiver: Receiver) -> None:
    village_csv(tmp_path / "v.csv")
    p = write_pipeline(tmp_path / "pipelines", "notify-ok", sources={VILLAGE: {"path": "../v.csv"}},
                       notify={"email": ["opendata@mz.example.gov.cn"], "webhook": [receiver.url]})
    assert _runner(project, history, smtp[1]).run_pipeline(p)[0].status == "released"
    assert smtp[0].messages == [] and receiver.posts == []


def test_deadline_notices_come_before_and_after_the_due_date_once_each(
        tmp_path: Path, history: History, smtp: tuple[Sink, SmtpSettings], receiver: Receiver) -> None:
    sink, settings = smtp
    store = tmp_path / "store"
    # monthly data published 2025-09-05 (formed date unknown): the next month's is formed 2025-10-05 (国庆) and
    # due 20 working days later, 2025-11-04 (Oct 11, a Saturday, is a working day)
    fake_release(store, VILLAGE, "v1", "2025-09-05T02:00:00+00:00")
    project = Project(REPO, store=store)
    p = write_pipeline(tmp_path / "pipelines", "deadlines", notify={"email": ["opendata@mz.example.gov.cn"],
                                                                    "webhook": [receiver.url],
                                                                    "deadline_days_before": 3})
    runner = _runner(project, history, settings)
    assert runner.check_deadlines(p, today=D(2025, 10, 28)) == []  # 5 working days left: not yet
    sent = runner.check_deadlines(p, today=D(2025, 10, 31))  # Friday: Nov 3 and Nov 4 are left
    assert [(e.kind, e.data["due"], e.data["working_days_left"]) for e in sent] == [("deadline-upcoming", "2025-11-04", 2)]
    assert runner.check_deadlines(p, today=D(2025, 11, 3)) == []  # already told
    late = runner.check_deadlines(p, today=D(2025, 11, 10))
    assert [(e.kind, e.data["working_days_late"]) for e in late] == [("deadline-overdue", 4)]
    assert runner.check_deadlines(p, today=D(2025, 11, 11)) == []
    subjects = [m["Subject"] for _, m in sink.messages]
    assert len(subjects) == 2 and "即将到期" in subjects[0] and "已逾期" in subjects[1]
    assert "2025-11-04" in subjects[0]
    assert [x["event"] for x in receiver.posts] == ["deadline-upcoming", "deadline-overdue"]


def test_undeliverable_notices_do_not_fail_the_run_or_leak_the_hook_key(tmp_path: Path, project: Project,
                                                                         history: History) -> None:
    village_csv(tmp_path / "v.csv", change="abc")
    dead = f"http://127.0.0.1:{free_port()}/robot/send?access_token=SECRET123"
    p = write_pipeline(tmp_path / "pipelines", "notify-dead", sources={VILLAGE: {"path": "../v.csv"}},
                       notify={"email": ["opendata@mz.example.gov.cn"], "webhook": [dead]})
    runner = Runner(project, history, Notifier(SmtpSettings("127.0.0.1", free_port()), backoff=0, timeout=2))
    result = runner.run_pipeline(p)[0]
    assert result.status == "invalid"
    errors = result.detail["notify_errors"]
    assert len(errors) == 2 and errors[0].startswith("webhook 127.0.0.1:") and errors[1].startswith("e-mail via")
    assert "SECRET123" not in json.dumps(errors)
    assert history.get(result.run_id).detail["notify_errors"] == errors


def test_a_webhook_answering_500_is_retried(receiver: Receiver) -> None:
    receiver.fail = 2
    errors = Notifier(SmtpSettings("127.0.0.1"), backoff=0).send(Event("run-failed", "s", "t"), [], [receiver.url])
    assert errors == [] and len(receiver.posts) == 1


def test_no_smtp_server_configured_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGKAI_SMTP_HOST", raising=False)
    errors = Notifier().send(Event("run-failed", "s", "t"), ["a@b.example"], [])
    assert errors == ["e-mail not sent: no SMTP server configured (set GONGKAI_SMTP_HOST)"]


def test_the_password_is_never_sent_unencrypted(smtp: tuple[Sink, SmtpSettings]) -> None:
    sink, settings = smtp
    with_login = SmtpSettings(settings.host, settings.port, user="gongkai", password="pw", sender=settings.sender)
    errors = Notifier(with_login, backoff=0).send(Event("run-failed", "s", "t"), ["a@b.example"], [])
    assert len(errors) == 1 and "refusing to send the SMTP password unencrypted" in errors[0]
    assert sink.messages == []


def test_smtp_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("secret\n")
    for k, v in {"GONGKAI_SMTP_HOST": "smtp.example.gov.cn", "GONGKAI_SMTP_PORT": "465", "GONGKAI_SMTP_USER": "u",
                 "GONGKAI_SMTP_PASSWORD_FILE": str(tmp_path / "pw"), "GONGKAI_SMTP_FROM": "gk@example.gov.cn"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("GONGKAI_SMTP_PASSWORD", raising=False)
    s = SmtpSettings.from_env(os.environ)
    assert s is not None
    assert s.password is not None
    assert (s.host, s.port, s.user, s.password.reveal(), s.sender, s.security) == (
        "smtp.example.gov.cn", 465, "u", "secret", "gk@example.gov.cn", "ssl")
    assert "secret" not in repr(s)


def test_unanswered_requests_are_warned_before_and_after_their_answer_deadline(
        tmp_path: Path, history: History, smtp: tuple[Sink, SmtpSettings], receiver: Receiver) -> None:
    """YSQ2026-007 of the register sample came on 2026-11-16, unanswered: 20 working days end on 2026-12-14."""
    sink, settings = smtp
    project = Project(REPO, store=tmp_path / "store")
    assert project.release("information-requests").status == "released"
    p = write_pipeline(tmp_path / "pipelines", "requests", datasets=["information-requests"],
                       notify={"email": ["opendata@cz.example.gov.cn"], "webhook": [receiver.url],
                               "deadline_days_before": 3})
    runner = _runner(project, history, settings)

    def requests(today: dt.date) -> list[Event]:
        return [e for e in runner.check_deadlines(p, today=today) if e.kind.startswith("request-")]

    assert requests(D(2026, 12, 8)) == []  # 4 working days left: not yet
    [soon] = requests(D(2026, 12, 9))
    assert (soon.kind, soon.data["request_no"], soon.data["due"], soon.data["working_days_left"]) == (
        "request-upcoming", "YSQ2026-007", "2026-12-14", 3)
    assert soon.data["agency"] == "省财政厅"  # the organ that received it, not the register's publisher
    assert requests(D(2026, 12, 10)) == []  # already told
    [late] = requests(D(2026, 12, 16))
    assert (late.kind, late.data["working_days_late"]) == ("request-overdue", 2)
    assert requests(D(2026, 12, 17)) == []
    mails = [m for _, m in sink.messages if "依申请公开" in m["Subject"]]
    assert len(mails) == 2 and "YSQ2026-007" in mails[1]["Subject"] and "已逾期" in mails[1]["Subject"]
    assert mails[0].get_content().startswith("省财政厅：")
    assert "赵" not in "".join(m.get_content() for m in mails)  # no applicant in any notice
    assert [x["event"] for x in receiver.posts if x["event"].startswith("request-")] == [
        "request-upcoming", "request-overdue"]


def test_each_open_request_names_the_organ_that_must_answer(tmp_path: Path) -> None:
    """The register holds every organ's requests: 省财政厅's YSQ2026-007 (due 2026-12-14) and 省民政厅's own
    YSQ2026-005, received 2026-11-30: 20 working days end on 2026-12-28 (no holiday in December)."""
    from gongkai.schedule.requests import open_requests

    project = Project(REPO, store=tmp_path / "store")
    assert project.release("information-requests").status == "released"
    got = {(r.agency, r.request_no, r.status, r.due) for r in
           open_requests(project, ["information-requests"], D(2026, 12, 23), 3)}
    assert got == {("省财政厅", "YSQ2026-007", "overdue", "2026-12-14"),
                   ("省民政厅", "YSQ2026-005", "upcoming", "2026-12-28")}
