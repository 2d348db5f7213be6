"""Ingest: an agency's files, in whatever encoding and layout, read into one DuckDB table of normalised text
cells named by schema field, each row knowing its file, sheet and row number."""

from .header import ColumnMatch, Header, SourceFile, norm_label, split_unit
from .load import Ingest
from .normalise import normalise_sql
from .workspace import Workspace

__all__ = ["ColumnMatch", "Header", "Ingest", "SourceFile", "Workspace", "norm_label", "normalise_sql", "split_unit"]
