"""Configuration, resolved once at the edge (the CLI, a worker) into a :class:`Settings`; library code takes it as
an argument and never reads the environment itself.

    settings = Settings.from_env()                       # the environment, then:
    settings = settings.with_(store=Path("/srv/store"))  # command-line flags win

Environment variables (each also a flag where the CLI has one):

=============================  =====================================================================
``GONGKAI_PROJECT``            project directory (default: the nearest parent holding ``datasets/``)
``GONGKAI_STORE``              release store (default: ``store/`` in the project)
``GONGKAI_DATABASE_URL``       PostgreSQL URL: run quality suites in that database
``GONGKAI_MEMORY_LIMIT``       DuckDB memory limit of the gate (default 1GB)
``GONGKAI_SQL_MEMORY``         DuckDB memory limit of ``gongkai sql`` (default 2GB)
``GONGKAI_SQL_PROCESS_MEMORY`` hard limit on the whole ``gongkai sql`` worker process (default 4GB)
``GONGKAI_SQL_TIMEOUT``        seconds a ``gongkai sql`` statement may run (default 300)
``GONGKAI_MAX_SOURCE_BYTES``   largest source file read (default 2GB)
``GONGKAI_MAX_XLSX_BYTES``     largest uncompressed size of an XLSX source (default 2GB)
``GONGKAI_MAX_XLSX_RATIO``     largest compression ratio of an XLSX member (default 200)
``GONGKAI_MAX_LINE_BYTES``     longest CSV line (default 8MB)
``GONGKAI_CACHE``              download cache (default ``$XDG_CACHE_HOME/gongkai`` or ``~/.cache/gongkai``)
``GONGKAI_HISTORY_URL``        run-history database (default SQLite in ``<store>/.schedule/``)
``GONGKAI_PIPELINES``          directory of ``*.pipeline.yaml`` (default ``pipelines/`` in the project)
``GONGKAI_QUEUE_URL``          Redis URL of the RQ queue
``CKAN_URL``                   the CKAN catalog
``CKAN_API_TOKEN``             its API token (or ``CKAN_API_TOKEN_FILE``: a file holding it)
``GONGKAI_SMTP_*``             e-mail: ``HOST`` (none: no e-mail), ``PORT``, ``USER``, ``PASSWORD`` or
                               ``PASSWORD_FILE``, ``FROM``, ``SECURITY`` (auto, starttls, ssl, none)
=============================  =====================================================================

The CKAN token is found by one rule everywhere: an explicit token file (``--ckan-token-file``, a pipeline's
``target.token_file``) first, then the environment (``CKAN_API_TOKEN``, or the variable a pipeline's
``target.token_env`` names), then the file ``CKAN_API_TOKEN_FILE`` names. Secrets are :class:`Secret` values:
their ``repr`` and ``str`` never show them.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError, UsageError


class Secret:
    """A secret string that is never printed: ``str``, ``repr`` and f-strings show ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def _read_secret(path: Path, what: str) -> Secret:
    try:
        return Secret(Path(path).read_text(encoding="utf-8").strip())
    except OSError as e:
        raise UsageError(f"cannot read the {what} file {path}: {e.strerror}",
                         "Point it at a readable file that holds only the secret.") from None


@dataclass(frozen=True)
class CkanSettings:
    """Where the catalog is and how to find its token; the token file is read only when a token is needed."""

    url: str | None = None
    token_value: Secret | None = field(default=None, repr=False)
    token_file: Path | None = None        # an explicit file (flag or pipeline): wins over the environment
    env_token_file: Path | None = None    # CKAN_API_TOKEN_FILE: used when nothing else gives a token

    def token(self) -> Secret | None:
        if self.token_file is not None:
            return _read_secret(self.token_file, "CKAN token")
        if self.token_value:
            return self.token_value
        if self.env_token_file is not None:
            return _read_secret(self.env_token_file, "CKAN token")
        return None

    def override(self, url: str | None = None, token_file: Path | None = None, token_env: str | None = None,
                 environ: Mapping[str, str] | None = None) -> CkanSettings:
        """These settings with a flag's or a pipeline's URL, token file and token variable taking precedence."""
        value = self.token_value
        if token_env and environ is not None and environ.get(token_env):
            value = Secret(environ[token_env])
        return dataclasses.replace(self, url=url or self.url, token_value=value,
                                   token_file=token_file or self.token_file)


Security = Literal["auto", "starttls", "ssl", "none"]


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: Secret | None = field(default=None, repr=False)
    sender: str = "gongkai@localhost"
    security: Security = "auto"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SmtpSettings | None:
        """SMTP from ``GONGKAI_SMTP_*``; None without a host. A bad value raises :class:`ConfigError`."""
        host = environ.get("GONGKAI_SMTP_HOST")
        if not host:
            return None
        security = environ.get("GONGKAI_SMTP_SECURITY", "auto")
        if security not in ("auto", "starttls", "ssl", "none"):
            raise ConfigError(f"GONGKAI_SMTP_SECURITY={security!r}: use auto, starttls, ssl or none")
        raw_port = environ.get("GONGKAI_SMTP_PORT") or ("465" if security == "ssl" else "25")
        try:
            port = int(raw_port)
        except ValueError:
            raise ConfigError(f"GONGKAI_SMTP_PORT={raw_port!r} is not a port number",
                              "Set it to a number such as 25, 465 or 587.") from None
        password = Secret(environ["GONGKAI_SMTP_PASSWORD"]) if environ.get("GONGKAI_SMTP_PASSWORD") else None
        if password is None and environ.get("GONGKAI_SMTP_PASSWORD_FILE"):
            try:
                password = Secret(Path(environ["GONGKAI_SMTP_PASSWORD_FILE"]).read_text(encoding="utf-8").strip())
            except OSError as e:
                raise ConfigError(f"GONGKAI_SMTP_PASSWORD_FILE cannot be read ({e.strerror})",
                                  "Point it at a readable file holding the SMTP password.") from None
        return cls(host, port, environ.get("GONGKAI_SMTP_USER") or None, password,
                   environ.get("GONGKAI_SMTP_FROM") or f"gongkai@{socket.getfqdn()}",
                   "ssl" if port == 465 and security == "auto" else security)  # type: ignore[arg-type]


def _path(v: str | None) -> Path | None:
    return Path(v) if v else None


UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def parse_bytes(value: str, name: str) -> int:
    """``4GB``, ``512MB``, ``1048576`` → bytes (binary units, as DuckDB reads them)."""
    v = value.strip().upper().replace(" ", "").removesuffix("IB").removesuffix("I")
    number = v.rstrip("KMGTB")
    unit = v[len(number):]
    unit = unit if unit in UNITS else unit + "B"
    try:
        n = float(number) * UNITS[unit]
    except (ValueError, KeyError):
        raise ConfigError(f"{name}={value!r} is not a size", "Give a size such as 512MB or 4GB.") from None
    if n <= 0:
        raise ConfigError(f"{name}={value!r}: the size must be positive")
    return int(n)


def _number(env: Mapping[str, str], name: str, default: float, zero: bool = False) -> float:
    """A positive number from ``env`` (or 0 too, with ``zero``: GONGKAI_LOCK_WAIT=0 means do not wait)."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        n = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if n < 0 or (n == 0 and not zero):
        raise ConfigError(f"{name}={raw!r}: the value must be positive")
    return n


def _size(env: Mapping[str, str], name: str, default: str) -> int:
    return parse_bytes(env.get(name) or default, name)


@dataclass(frozen=True)
class SourceLimits:
    """What one source file may cost before it is refused (:mod:`gongkai.ingest.limits`)."""

    max_file_bytes: int = 2 << 30
    max_xlsx_uncompressed: int = 2 << 30
    max_xlsx_ratio: int = 200
    max_line_bytes: int = 8 << 20

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SourceLimits:
        return cls(_size(env, "GONGKAI_MAX_SOURCE_BYTES", "2GB"), _size(env, "GONGKAI_MAX_XLSX_BYTES", "2GB"),
                   int(_number(env, "GONGKAI_MAX_XLSX_RATIO", 200)), _size(env, "GONGKAI_MAX_LINE_BYTES", "8MB"))


@dataclass(frozen=True)
class Settings:
    project: Path | None = None
    store: Path | None = None
    database_url: str | None = field(default=None, repr=False)
    memory_limit: str = "1GB"
    sql_memory_limit: str = "2GB"
    lock_wait: float = 600.0
    sql_process_memory: int = 4 << 30
    sql_timeout: float = 300.0
    source_limits: SourceLimits = field(default_factory=SourceLimits)
    cache: Path | None = None
    history_url: str | None = field(default=None, repr=False)
    pipelines: Path | None = None
    queue_url: str | None = field(default=None, repr=False)
    ckan: CkanSettings = field(default_factory=CkanSettings)
    smtp: SmtpSettings | None = None
    smtp_error: str | None = None  # a bad SMTP setting: reported when an e-mail is due, not at start-up
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the environment (``os.environ`` by default), then ``overrides`` that are not None."""
        env = dict(os.environ if environ is None else environ)
        smtp, smtp_error = None, None
        try:
            smtp = SmtpSettings.from_env(env)
        except ConfigError as e:
            smtp_error = f"e-mail not sent: bad SMTP setting: {e}"
        settings = cls(
            project=_path(env.get("GONGKAI_PROJECT")),
            store=_path(env.get("GONGKAI_STORE")),
            database_url=env.get("GONGKAI_DATABASE_URL") or None,
            memory_limit=env.get("GONGKAI_MEMORY_LIMIT") or "1GB",
            sql_memory_limit=env.get("GONGKAI_SQL_MEMORY") or "2GB",
            lock_wait=_number(env, "GONGKAI_LOCK_WAIT", 600.0, zero=True),


            sql_process_memory=_size(env, "GONGKAI_SQL_PROCESS_MEMORY", "4GB"),
            sql_timeout=_number(env, "GONGKAI_SQL_TIMEOUT", 300.0),
            source_limits=SourceLimits.from_env(env),
            cache=_path(env.get("GONGKAI_CACHE"))
            or Path(env.get("XDG_CACHE_HOME") or Path(env.get("HOME") or Path.home()) / ".cache") / "gongkai",
            history_url=env.get("GONGKAI_HISTORY_URL") or None,
            pipelines=_path(env.get("GONGKAI_PIPELINES")),
            queue_url=env.get("GONGKAI_QUEUE_URL") or None,
            ckan=CkanSettings(env.get("CKAN_URL") or None,
                              Secret(env["CKAN_API_TOKEN"]) if env.get("CKAN_API_TOKEN") else None,
                              env_token_file=_path(env.get("CKAN_API_TOKEN_FILE"))),
            smtp=smtp, smtp_error=smtp_error, environ=env)
        return settings.with_(**overrides)

    def with_(self, **overrides: Any) -> Settings:
        """A copy with the given values (None means "not given" and keeps the current one)."""
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def cache_dir(self) -> Path:
        return self.cache or Path.home() / ".cache" / "gongkai"
