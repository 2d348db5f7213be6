"""The bundled samples are exactly what the deterministic generator makes."""

from __future__ import annotations

from pathlib import Path

from .conftest import REPO, generator


def test_generator_reproduces_committed_samples(tmp_path: Path) -> None:
    import openpyxl

    for made in generator.generate(tmp_path):
        committed = REPO / "datasets" / "samples" / made.relative_to(tmp_path)
        assert committed.is_file(), committed
        if made.suffix == ".xlsx":
            values = lambda p: [list(r) for r in openpyxl.load_workbook(p).active.iter_rows(values_only=True)]  # noqa: E731
            assert values(made) == values(committed)
        else:
            assert made.read_bytes() == committed.read_bytes()
