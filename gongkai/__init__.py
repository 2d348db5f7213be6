"""gongkai (公开): versioned, validated open-data releases of Chinese government disclosures.

The public API, loaded on first use so that a light command imports only what it needs::

    from gongkai import Project, verify
    outcome = Project.discover().release("fund-allocations")
    assert verify(outcome.path).ok

The stages live in subpackages: :mod:`gongkai.spec` → :mod:`gongkai.ingest` → :mod:`gongkai.gate` →
:mod:`gongkai.release` → :mod:`gongkai.ckan` / :mod:`gongkai.flows` → :mod:`gongkai.schedule`, with
:mod:`gongkai.project` orchestrating and :mod:`gongkai.cli` at the edge.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import (
    CkanError,
    CkanNotFound,
    CkanUnavailable,
    ConfigError,
    DatabaseError,
    GongkaiError,
    IntegrityError,
    NotAuthorized,
    SourceError,
    SqlError,
    StoreError,
    TransientSourceError,
    UsageError,
)

__version__ = "0.1.0"

_LAZY = {
    "Project": ".project", "Outcome": ".project", "find_root": ".project",
    "Settings": ".settings",
    "DatasetSpec": ".spec", "Specs": ".spec", "load_spec": ".spec", "TableSchema": ".spec",
    "Problem": ".report", "Report": ".report",
    "Store": ".release.store", "Verification": ".release.verify", "verify": ".release.verify",
    "GateResult": ".gate", "run_gate": ".gate",
}

if TYPE_CHECKING:
    from .gate import GateResult, run_gate
    from .project import Outcome, Project, find_root
    from .release.store import Store
    from .release.verify import Verification, verify
    from .report import Problem, Report
    from .settings import Settings
    from .spec import DatasetSpec, Specs, TableSchema, load_spec


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gongkai' has no attribute {name!r}")


__all__ = [
    "CkanError", "CkanNotFound", "CkanUnavailable", "ConfigError", "DatabaseError", "DatasetSpec", "GateResult",
    "GongkaiError", "IntegrityError", "NotAuthorized", "Outcome", "Problem", "Project", "Report", "Settings",
    "SourceError", "Specs", "SqlError", "Store", "StoreError", "TableSchema", "TransientSourceError", "UsageError",
    "Verification", "find_root", "load_spec", "run_gate", "verify",
]
