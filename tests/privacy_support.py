"""Reading every published text of a release file, cell by cell, for the privacy tests."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import duckdb


def _walk(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        return [t for k, v in obj.items() for t in (str(k), *_walk(v))]
    if isinstance(obj, list):
        return [t for v in obj for t in _walk(v)]
    return [] if obj is None else [str(obj)]


def published_texts(path: Path) -> list[str]:
    """Every text a reader of ``path`` sees: cells of data files, strings of JSON, sheet names, the whole of others."""
    if path.suffix == ".parquet":
        rows = duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
        return [str(v) for row in rows for v in row if v is not None]
    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path)
        return [*wb.sheetnames, *(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                                  for c in row if c is not None)]
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        return [c for row in csv.reader(io.StringIO(text)) for c in row]
    if path.suffix == ".json":
        return _walk(json.loads(text))
    return [text]
