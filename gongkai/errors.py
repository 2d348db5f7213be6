"""Exceptions of the tool, apart from data errors (those are `report.Problem` objects).

Every exception derives from :class:`GongkaiError` and carries an exit code: 2 for a usage or configuration
mistake, 1 for input data that cannot be released. ``transient`` says whether trying again later can help.
"""

from __future__ import annotations


class GongkaiError(Exception):
    """Root of every gongkai exception."""

    exit_code = 2
    transient = False

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message


class ConfigError(GongkaiError):
    """A dataset spec, schema or suite is missing or wrong; the message names the file and the key."""


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


class StoreError(GongkaiError):
    """The release store is unusable (locked, corrupted, not writable)."""


class DatabaseError(GongkaiError):
    """The configured PostgreSQL database could not be reached."""

    transient = True
