"""A run with nothing changed skips the gate; a change to the source, spec, schema, suite, calendar or gongkai
reruns it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gongkai import Project
from gongkai.release import fingerprint

REPO = Path(__file__).resolve().parent.parent
DATASET = "social-assistance-statistics"  # an ordinary dataset: a partitioned one has no inputs fingerprint


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for d in ("datasets", "schemas", "validation", "calendar"):
        shutil.copytree(REPO / d, tmp_path / "p" / d)
    return tmp_path / "p"


def release(root: Path) -> tuple[str, bool]:
    """(status, whether the gate ran), from a fresh Project as a new command would build it."""
    outcome = Project(root, store=root / "store").release(DATASET)
    return outcome.status, bool(outcome.report.timings)


def append(path: Path, text: str) -> None:
    path.write_bytes(path.read_bytes() + text.encode())


def touch_schema(root: Path) -> None:
    p = root / "schemas" / f"{DATASET}.schema.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d["fields"][0]["description"] = (d["fields"][0].get("description") or "") + "（修订）"
    p.write_text(json.dumps(d, ensure_ascii=False, indent=2), encoding="utf-8")


def touch_source(root: Path) -> None:
    src = next((root / "datasets" / "samples" / DATASET).glob("*.xlsx"))
    import openpyxl

    wb = openpyxl.load_workbook(src)
    ws = wb.active
    assert ws is not None
    ws.title = ws.title  # same cells, new bytes (a re-saved workbook)
    wb.save(src)


CHANGES: dict[str, Callable[[Path], None]] = {
    "source": touch_source,
    "spec": lambda r: append(r / "datasets" / f"{DATASET}.dataset.yaml", "\n# 修订\n"),
    "schema": touch_schema,
    "suite": lambda r: append(r / "validation" / f"{DATASET}.suite.yaml", "\n# 修订\n"),
    "calendar": lambda r: append(r / "calendar" / "2026.yaml", "\n# 修订\n"),  # due dates may move
}


def test_unchanged_inputs_skip_the_gate(root: Path) -> None:
    assert release(root) == ("released", True)
    assert release(root) == ("unchanged", False)
    outcome = Project(root, store=root / "store").release(DATASET)
    assert outcome.version == "v1" and outcome.report.rows > 0 and outcome.path is not None


@pytest.mark.parametrize("what", list(CHANGES))
def test_any_changed_input_reruns_the_gate(root: Path, what: str) -> None:
    release(root)
    CHANGES[what](root)
    assert release(root)[1] is True  # a new version only if the published bytes differ (a schema description)
    assert release(root) == ("unchanged", False)  # and the new inputs are remembered


def test_a_new_gongkai_reruns_the_gate(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release(root)
    monkeypatch.setattr(fingerprint, "code_digest", lambda: "another gongkai")
    assert release(root) == ("unchanged", True)


def test_a_release_made_elsewhere_reruns_the_gate(root: Path) -> None:
    release(root)
    store = root / "store" / DATASET
    shutil.copytree(store / "v1", store / "v2")  # a later version the record does not know
    assert release(root)[1] is True
