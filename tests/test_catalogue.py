"""The catalogue page is generated from the specs: the committed page is what `gongkai catalogue` writes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gongkai.cli import cli
from gongkai.release.catalogue import render
from gongkai.spec import Specs

from .conftest import REPO


def test_committed_catalogue_is_generated() -> None:
    page = (REPO / "docs" / "catalogue.md").read_text(encoding="utf-8")
    assert page == render(Specs(REPO)), "docs/catalogue.md is stale: run `gongkai catalogue`"


def test_catalogue_lists_every_dataset_field_and_unit_but_no_dropped_field() -> None:
    catalog = Specs(REPO)
    page = render(catalog)
    for spec in catalog:
        assert f'<a id="{spec.id}"></a>' in page and spec.publisher.name in page
        section = page.split(f'<a id="{spec.id}"></a>')[1].split("<a id=")[0]
        for basis in spec.legal_basis:
            assert basis in section
        for f in spec.schema_descriptor["fields"]:
            listed = f"| `{f['name']}` |" in section
            assert listed == (spec.privacy.fields.get(f["name"]) != "drop"), (spec.id, f["name"])
            if listed and f.get("unit"):
                assert f"| `{f['name']}` | {f.get('title', '')} | {f['type']} | {f['unit']} |" in section


def test_check_option_fails_on_a_stale_page(tmp_path: Path) -> None:
    stale = tmp_path / "catalogue.md"
    stale.write_text("# hand-written\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["catalogue", "--check", "-o", str(stale)]).exit_code == 1
    assert runner.invoke(cli, ["catalogue", "-o", str(stale)]).exit_code == 0
    assert runner.invoke(cli, ["catalogue", "--check", "-o", str(stale)]).exit_code == 0
    assert stale.read_text(encoding="utf-8") == render(Specs(REPO))
