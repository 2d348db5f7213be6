"""A throwaway dataset spec over any Table Schema, so that outside files run through the whole gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gongkai.gate.run import run_gate
from gongkai.ingest import Workspace
from gongkai.report import Report
from gongkai.spec import load_spec


def gate(tmp_path: Path, source: Path, fields: list[dict[str, Any]], **source_keys: Any) -> Report:
    """Run the gate on ``source`` with a spec whose schema is ``fields``; return the report."""
    (tmp_path / "t.schema.json").write_text(json.dumps({"fields": fields}), encoding="utf-8")
    spec = {"id": "conformance-test", "title": {"zh": "测试表", "en": "test"}, "description": {"zh": "测试", "en": "test"},
            "domain": "poverty-alleviation", "publisher": {"name": "测试局"}, "disclosure": "主动公开",
            "legal_basis": ["测试"], "update_frequency": "irregular", "schema": "t.schema.json",
            "source": {"path": str(source), **source_keys}}
    (tmp_path / "t.dataset.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with Workspace() as ws:
        return run_gate(load_spec(tmp_path / "t.dataset.yaml"), ws, [source]).report
