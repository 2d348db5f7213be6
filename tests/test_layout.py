"""The shape of the engine: layered stages with no import cycles, small modules, one home per helper, settings
read only at the edge, and the command runnable as ``python -m gongkai``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

PACKAGE = REPO / "gongkai"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _lint(config: Path, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                           f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True))"],
                          cwd=cwd, env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def test_layers_and_no_cycles() -> None:
    """cli > schedule > project > flows | ckan > release > gate > ingest > spec > base, and no cycle anywhere
    (the contracts are in pyproject.toml)."""
    result = _lint(REPO / "pyproject.toml", REPO, REPO)  # in its own process: import-linter reconfigures logging
    assert result.returncode == 0, result.stdout


def test_the_contracts_catch_a_wrong_import_and_a_cycle(tmp_path: Path) -> None:
    """The check is real: a spec module importing the gate, or two gate modules importing each other, fail it."""
    for name, edit in (("upward", ("spec/suite.py", "from ..gate import checks  # noqa\n")),
                       ("cycle", ("gate/pii.py", "from . import scan  # noqa\n"))):
        root = tmp_path / name
        shutil.copytree(PACKAGE, root / "gongkai", ignore=shutil.ignore_patterns("__pycache__", "data", "templates"))
        target = root / "gongkai" / edit[0]
        target.write_text(target.read_text(encoding="utf-8") + edit[1], encoding="utf-8")
        shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
        result = _lint(root / "pyproject.toml", root, root)
        assert result.returncode != 0, result.stdout
        assert "BROKEN" in result.stdout


def test_no_module_is_large() -> None:
    sizes = {p.relative_to(REPO).as_posix(): len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES}
    assert not {m: n for m, n in sizes.items() if n > 420}, "split modules over about 400 lines"


def test_sql_quoting_has_one_home() -> None:
    """Identifiers and literals are quoted by gongkai.quoting only: no second copy that could drift."""
    copies = re.compile(r"""replace\(\s*(['"])'\1\s*,\s*(['"])''\2\s*\)|replace\(\s*'"'\s*,\s*'""'\s*\)""")
    found = [p.relative_to(REPO).as_posix() for p in MODULES if p.name != "quoting.py"
             and copies.search(p.read_text(encoding="utf-8"))]
    assert found == []


def test_environment_is_read_only_by_the_settings() -> None:
    """Library code takes a Settings object; only gongkai/settings.py reads the environment."""
    reads = re.compile(r"os\.environ(?!\.setdefault\(\"GX_ANALYTICS_ENABLED\")|os\.getenv|getenv\(")
    found = [p.relative_to(REPO).as_posix() for p in MODULES if p.name != "settings.py"
             and reads.search(p.read_text(encoding="utf-8"))]
    assert found == []


def test_the_private_folder_is_named_once() -> None:
    found = [p.relative_to(REPO).as_posix() for p in MODULES if '".schedule"' in p.read_text(encoding="utf-8")]
    assert found == ["gongkai/files.py"]


def test_python_m_gongkai() -> None:
    out = subprocess.run([sys.executable, "-m", "gongkai", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "validate" in out.stdout and "flows" in out.stdout and "schedule" in out.stdout
