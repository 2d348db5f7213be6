"""gongkai (公开): versioned, validated open-data releases of Chinese government disclosures."""

from .errors import ConfigError, GongkaiError, SourceError, StoreError, UsageError
from .pipeline import Outcome, Project, find_root
from .report import Problem, Report
from .spec import Catalog, DatasetSpec, load_spec
from .store import Store
from .verify import Verification, verify

__version__ = "0.1.0"
__all__ = [
    "Catalog", "ConfigError", "DatasetSpec", "GongkaiError", "Outcome", "Problem", "Project", "Report",
    "SourceError", "Store", "StoreError", "UsageError", "Verification", "find_root", "load_spec", "verify",
]
