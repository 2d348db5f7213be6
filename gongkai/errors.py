"""Every exception of the tool, under one root. Data problems are not exceptions: they are
:class:`gongkai.report.Problem` records.

Each exception carries an exit code (2: a usage or configuration mistake; 1: input that cannot be released, a
catalog that refused, a file that failed its check) and ``transient``: whether trying again later can help.
"""

from __future__ import annotations


class GongkaiError(Exception):
    """Root of every gongkai exception: ``message``, ``hint`` (what to do next), ``exit_code``, ``transient``."""

    exit_code = 2
    transient = False

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message


class ConfigError(GongkaiError):
    """A dataset spec, schema, suite, pipeline or setting is missing or wrong; the message names file and key."""


class UsageError(GongkaiError):
    """The command was called wrongly (unknown dataset, version, path)."""


class SourceError(GongkaiError):
    """A source file cannot be read at all (encoding, format, password, missing sheet)."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, *, code: str = "source-error",
                 file: str | None = None, sheet: str | None = None, row: int | None = None) -> None:
        super().__init__(message, hint)
        self.code = code
        self.file = file
        self.sheet = sheet
        self.row = row


class TransientSourceError(SourceError):
    """The source did not answer, timed out or failed on the server side: a later try can succeed."""

    transient = True


class StoreError(GongkaiError):
    """The release store is unusable (locked, corrupted, not writable)."""


class DatabaseError(GongkaiError):
    """The configured PostgreSQL or run-history database could not be reached."""

    transient = True


class IntegrityError(GongkaiError):
    """A file does not match the sha256 its manifest records: it is refused, never used."""

    exit_code = 1


class SqlError(GongkaiError):
    """DuckDB refused or failed a ``gongkai sql`` query."""


class CkanError(GongkaiError):
    """CKAN refused or failed a call."""

    exit_code = 1


class CkanUnavailable(CkanError):
    """CKAN did not answer, timed out or failed with a server error: trying again later can help."""

    transient = True


class NotAuthorized(CkanError):
    """The token may not do this."""


class CkanNotFound(CkanError):
    """CKAN has no such object (dataset, resource, organization)."""
