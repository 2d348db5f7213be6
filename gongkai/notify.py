"""Notifications of failed runs and of disclosure deadlines, to webhooks (a JSON POST) and by e-mail (SMTP).

SMTP settings come from the environment: ``GONGKAI_SMTP_HOST`` (no host: no e-mail), ``GONGKAI_SMTP_PORT``
(default 25; 465 means implicit TLS), ``GONGKAI_SMTP_USER``, ``GONGKAI_SMTP_PASSWORD`` or
``GONGKAI_SMTP_PASSWORD_FILE``, ``GONGKAI_SMTP_FROM`` and ``GONGKAI_SMTP_SECURITY`` (``auto``: STARTTLS when the
server offers it; ``starttls``, ``ssl`` or ``none``). A password is never sent over an unencrypted connection
unless ``GONGKAI_SMTP_SECURITY=none`` says so. Sending never raises: failures come back as messages.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Literal

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from .errors import ConfigError

log = logging.getLogger("gongkai.notify")

EventKind = Literal["run-failed", "deadline-upcoming", "deadline-overdue"]


@dataclass
class Event:
    kind: EventKind
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"event": self.kind, "subject": self.subject, "text": self.text, **self.data}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "gongkai@localhost"
    security: Literal["auto", "starttls", "ssl", "none"] = "auto"

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("GONGKAI_SMTP_HOST")
        if not host:
            return None
        security = os.environ.get("GONGKAI_SMTP_SECURITY", "auto")
        if security not in ("auto", "starttls", "ssl", "none"):
            raise ConfigError(f"GONGKAI_SMTP_SECURITY={security!r}: use auto, starttls, ssl or none")
        raw_port = os.environ.get("GONGKAI_SMTP_PORT") or ("465" if security == "ssl" else "25")
        try:
            port = int(raw_port)
        except ValueError:
            raise ConfigError(f"GONGKAI_SMTP_PORT={raw_port!r} is not a port number",
                              "Set it to a number such as 25, 465 or 587.") from None
        password = os.environ.get("GONGKAI_SMTP_PASSWORD")
        if not password and os.environ.get("GONGKAI_SMTP_PASSWORD_FILE"):
            try:
                password = Path(os.environ["GONGKAI_SMTP_PASSWORD_FILE"]).read_text(encoding="utf-8").strip()
            except OSError as e:
                raise ConfigError(f"GONGKAI_SMTP_PASSWORD_FILE cannot be read ({e.strerror})",
                                  "Point it at a readable file holding the SMTP password.") from None
        return cls(host, port, os.environ.get("GONGKAI_SMTP_USER") or None, password,
                   os.environ.get("GONGKAI_SMTP_FROM") or f"gongkai@{socket.getfqdn()}",
                   "ssl" if port == 465 and security == "auto" else security)  # type: ignore[arg-type]


class Notifier:
    """Sends an :class:`Event` to e-mail addresses and webhook URLs; returns what could not be delivered."""

    def __init__(self, smtp: SmtpSettings | None = None, *, timeout: float = 15, attempts: int = 3,
                 backoff: float = 1.0) -> None:
        self.smtp_error: str | None = None
        if smtp is None:
            try:
                smtp = SmtpSettings.from_env()
            except Exception as e:  # a bad setting must not raise into a run: reported when e-mail is due
                self.smtp_error = f"e-mail not sent: bad SMTP setting: {e}"
                log.warning("%s", self.smtp_error)
        self.smtp = smtp
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff

    def send(self, event: Event, emails: list[str], webhooks: list[str]) -> list[str]:
        errors = []
        for url in webhooks:
            try:
                self._retrying(lambda url=url: self._webhook(url, event))  # type: ignore[misc]
            except Exception as e:
                errors.append(f"webhook {_host(url)}: {_short(e)}")
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
                server.login(s.user, s.password or "")
            server.send_message(msg)


class _Transient(Exception):
    pass


def _transient(e: BaseException) -> bool:
    if isinstance(e, _Transient | requests.ConnectionError | requests.Timeout):
        return True
    if isinstance(e, smtplib.SMTPResponseException):
        return 400 <= e.smtp_code < 500  # 4xx: try again later
    return isinstance(e, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError | socket.timeout)


def _host(url: str) -> str:
    """Host and port of a webhook URL, never its ``user:password@``, path or query (any may carry a key)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "(unparsable URL)"
    if ":" in host:
        host = f"[{host}]"
    return (host + (f":{port}" if port else "")) or "(no host)"


def _short(e: BaseException) -> str:
    if isinstance(e, requests.RequestException):  # its text quotes the URL, which may carry a key
        return "no answer (timeout)" if isinstance(e, requests.Timeout) else f"cannot connect ({type(e).__name__})"
    text = str(e) or type(e).__name__
    return text.splitlines()[0][:200]
