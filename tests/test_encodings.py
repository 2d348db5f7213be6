"""CSV as it really arrives: GBK is read, Latin-1 or a UTF-8/GBK mix is refused, ragged rows are located."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai.errors import SourceError
from gongkai.ingest.csvfile import read_csv_head

from .conftest import REPO


def test_latin1_cell_is_refused_not_read_as_gbk(tmp_path: Path) -> None:
    f = tmp_path / "latin1.csv"
    f.write_bytes("name,city\nAnna,Paris\nAnnée,Lyon\n".encode("latin-1"))
    with pytest.raises(SourceError) as e:
        read_csv_head(f, "auto", tmp_path)
    assert e.value.code == "encoding-error" and e.value.row == 3 and "source.encoding" in str(e.value.hint)


def test_utf8_lines_in_a_gbk_file_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "mixed.csv"
    f.write_bytes("项目,金额\n".encode("gbk") + "香格里拉市敬老院,1\n".encode("gbk") * 3
                  + "官渡区残疾人康复中心设备购置,2\n".encode() * 3)
    with pytest.raises(SourceError) as e:
        read_csv_head(f, "auto", tmp_path)
    assert e.value.code == "encoding-error" and e.value.row == 5


@pytest.mark.parametrize("sample", sorted(REPO.glob("datasets/samples/*/*.csv")), ids=lambda p: p.parent.name)
def test_real_gbk_and_utf8_samples_still_read(tmp_path: Path, sample: Path) -> None:
    assert read_csv_head(sample, "auto", tmp_path).encoding in ("utf-8", "utf-8-sig", "gb18030")


def test_ragged_row_is_an_extra_cell_problem_and_other_checks_still_run(tmp_path: Path, lottery_rows: list) -> None:
    from gongkai import Project

    from .conftest import lottery_csv

    f = lottery_csv(tmp_path, lottery_rows[:12])
    lines = f.read_text(encoding="utf-8").splitlines(True)
    lines[5] = lines[5].rstrip("\n") + ",多余\n"
    lines[8] = lines[8].replace("CP2025-", "XX", 1)
    f.write_text("".join(lines), encoding="utf-8")
    outcome = Project(REPO, store=tmp_path / "store").validate("lottery-welfare-projects", [f])
    got = [(p.type, p.row) for p in outcome.report.problems]
    assert got == [("extra-cell", 6), ("pattern-error", 9)]
    assert not any("sniff" in p.message.lower() or "Error" in p.message for p in outcome.report.problems)
