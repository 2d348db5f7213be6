"""Fund flows for journalists: one table of flows built from released datasets (:mod:`.model`), the tree
(:func:`.queries.trace`, :func:`.queries.top`), the sums that do not add up (:mod:`.reconcile`), the page with
its Sankey diagram (:mod:`.page`) and read-only SQL over every released table (:mod:`.sql`)."""

from .model import FlowModel, build
from .queries import Trace, top, trace
from .reconcile import Finding, Reconciliation, reconcile

__all__ = ["Finding", "FlowModel", "Reconciliation", "Trace", "build", "reconcile", "top", "trace"]
