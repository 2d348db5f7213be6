"""SQL quoting, the only copy: identifiers, string literals and file paths for DuckDB and PostgreSQL.

Every SQL text gongkai builds quotes through here, so a field named ``a"b`` or a store path holding ``'`` can
never break a statement or change its meaning.
"""

from __future__ import annotations

from os import PathLike


def q(name: str) -> str:
    """A quoted identifier: ``a"b`` → ``"a""b"``."""
    return '"' + str(name).replace('"', '""') + '"'


def lit(value: object) -> str:
    """A string literal: ``it's`` → ``'it''s'``; a path is written as its text."""
    text = value.__fspath__() if isinstance(value, PathLike) else str(value)
    return "'" + str(text).replace("'", "''") + "'"
