"""Notifications of failed runs and of disclosure deadlines, to webhooks (a JSON POST) and by e-mail (SMTP).

SMTP comes from :class:`gongkai.settings.SmtpSettings` (``GONGKAI_SMTP_*``; ``security`` ``auto``: STARTTLS when
the server offers it; ``starttls``, ``ssl`` or ``none``). A password is never sent over an unencrypted connection
unless ``GONGKAI_SMTP_SECURITY=none`` says so. Sending never raises: failures come back as messages.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Literal

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ..settings import SmtpSettings
from ..urls import host_of

log = logging.getLogger("gongkai.notify")

EventKind = Literal["run-failed", "deadline-upcoming", "deadline-overdue", "request-upcoming", "request-overdue"]


@dataclass
class Event:
    kind: EventKind
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"event": self.kind, "subject": self.subject, "text": self.text, **self.data}


class Notifier:
    """Sends an :class:`Event` to e-mail addresses and webhook URLs; returns what could not be delivered."""

    def __init__(self, smtp: SmtpSettings | None = None, *, smtp_error: str | None = None, timeout: float = 15,
                 attempts: int = 3, backoff: float = 1.0) -> None:
        self.smtp = smtp
        self.smtp_error = smtp_error  # a bad setting must not raise into a run: reported when e-mail is due
        if smtp_error:
            log.warning("%s", smtp_error)
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff

    def send(self, event: Event, emails: list[str], webhooks: list[str]) -> list[str]:
        errors = []
        for url in webhooks:
            try:
                self._retrying(lambda url=url: self._webhook(url, event))  # type: ignore[misc]
            except Exception as e:
                errors.append(f"webhook {host_of(url)}: {_short(e)}")
        if emails:
            if self.smtp is None:
                errors.append(self.smtp_error or "e-mail not sent: no SMTP server configured (set GONGKAI_SMTP_HOST)")
            else:
                try:
                    self._retrying(lambda: self._email(emails, event))
                except Exception as e:
                    errors.append(f"e-mail via {self.smtp.host}:{self.smtp.port}: {_short(e)}")
        return errors

    def _retrying(self, fn: Any) -> None:
        for attempt in Retrying(stop=stop_after_attempt(self.attempts), reraise=True,
                                wait=wait_exponential(multiplier=self.backoff, max=30),
                                retry=retry_if_exception(_transient)):
            with attempt:
                fn()

    def _webhook(self, url: str, event: Event) -> None:
        r = requests.post(url, json=event.payload(), timeout=self.timeout, headers={"User-Agent": "gongkai"})
        if r.status_code >= 500 or r.status_code == 429:
            raise _Transient(f"HTTP {r.status_code}")
        if r.status_code >= 400:
            raise RuntimeError(f"HTTP {r.status_code} {r.reason}")

    def _email(self, to: list[str], event: Event) -> None:
        s = self.smtp
        assert s is not None
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = s.sender, ", ".join(to), event.subject
        msg["Date"], msg["Message-ID"] = formatdate(localtime=True), make_msgid(domain="gongkai")
        msg.set_content(event.text, charset="utf-8")
        context = ssl.create_default_context()
        if s.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=context)
        else:
            server = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        with server:
            server.ehlo()
            encrypted = s.security == "ssl"
            if s.security == "starttls" or (s.security == "auto" and server.has_extn("starttls")):
                server.starttls(context=context)
                server.ehlo()
                encrypted = True
            if s.user:
                if not encrypted and s.security != "none":
                    raise RuntimeError("refusing to send the SMTP password unencrypted (the server offers no "
                                       "STARTTLS); set GONGKAI_SMTP_SECURITY=ssl, or none to allow it")
                server.login(s.user, s.password.reveal() if s.password else "")
            server.send_message(msg)


class _Transient(Exception):
    pass


def _transient(e: BaseException) -> bool:
    if isinstance(e, _Transient | requests.ConnectionError | requests.Timeout):
        return True
    if isinstance(e, smtplib.SMTPResponseException):
        return 400 <= e.smtp_code < 500  # 4xx: try again later
    return isinstance(e, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError | socket.timeout)


def _short(e: BaseException) -> str:
    if isinstance(e, requests.RequestException):  # its text quotes the URL, which may carry a key
        return "no answer (timeout)" if isinstance(e, requests.Timeout) else f"cannot connect ({type(e).__name__})"
    text = str(e) or type(e).__name__
    return text.splitlines()[0][:200]
