"""The gate every release passes: Table Schema checks and quality suites over the ingested rows, then the privacy
policy and a scan of everything that would be published. Nothing is written while it runs."""

from .protect import Protection
from .run import GateResult, Progress, run_gate

__all__ = ["GateResult", "Progress", "Protection", "run_gate"]
