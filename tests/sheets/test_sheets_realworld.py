"""Every third-party spreadsheet in ../shared/realworld/sheets: read and judged, never raised.

The files are read where they are (never copied). The only timing here is a generous
guard against a hang or a runaway allocation, not a speed measurement.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake.config import Config
from intake.spreadsheet import judge_spreadsheet
from parsers.sheets import read_workbook

pytestmark = pytest.mark.realworld

HANG_GUARD_SECONDS = 10.0


def _files(realworld: Path) -> list[Path]:
    folder = realworld / "sheets"
    if not folder.is_dir():
        pytest.skip("../shared/realworld/sheets is absent")
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_every_file_reads_without_raising(realworld: Path) -> None:
    files = _files(realworld)
    assert files
    slow = []
    for path in files:
        data = path.read_bytes()
        started = time.monotonic()
        workbook = read_workbook(data, path.name)
        judgement = judge_spreadsheet(data, path.name, datetime(2025, 3, 1, tzinfo=UTC), Config())
        if time.monotonic() - started > HANG_GUARD_SECONDS:
            slow.append(path.name)
        assert (workbook.error is None) == (workbook.error_kind is None), path
        summary = judgement.summary
        counted = summary.accepted + summary.late + summary.invalid + summary.redoublant
        assert counted == summary.rows == len(judgement.rows), path
        if summary.error:
            assert summary.rows == 0, path
    assert not slow


def test_known_hard_files_get_the_right_error(realworld: Path) -> None:
    names = {p.relative_to(realworld / "sheets").as_posix(): p for p in _files(realworld)}
    expected = {
        "python_calamine/password.xlsx": "protected",
        "python_calamine/password.xls": "protected",
        "python_calamine/password.ods": "protected",
        "python_calamine/password.xlsb": "protected",
        "calamine/pass_protected.xlsx": "protected",
        "calamine/issue_594_dos.ods": "too_large",
        "python_calamine/empty_file.xlsx": "corrupt",
    }
    for name, kind in expected.items():
        if name not in names:
            continue
        workbook = read_workbook(names[name].read_bytes(), names[name].name)
        assert workbook.error_kind == kind, name


def test_plain_files_read_their_cells(realworld: Path) -> None:
    names = {p.relative_to(realworld / "sheets").as_posix(): p for p in _files(realworld)}
    for name in ("calamine/date.xlsx", "calamine/date.xls", "calamine/date.ods"):
        if name in names:
            workbook = read_workbook(names[name].read_bytes(), names[name].name)
            assert workbook.error is None, name
            assert any(sheet.rows for sheet in workbook.sheets), name
