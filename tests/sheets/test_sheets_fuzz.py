"""Damaged files in every format: the judgement never raises and its counts add up."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st
from sheetfixtures import candidate, sheet_with_title, to_csv, to_ods, to_xls, to_xlsx

from intake.config import Config
from intake.spreadsheet import judge_spreadsheet

FORMATS = ("xlsx", "xls", "ods", "csv")


@cache
def _base(fmt: str) -> bytes:
    rows = sheet_with_title([candidate(i) for i in range(12)])
    writer = {
        "xlsx": lambda: to_xlsx([("Recueil", rows)]),
        "xls": lambda: to_xls([("Recueil", rows)]),
        "ods": lambda: to_ods([("Recueil", rows)]),
        "csv": lambda: to_csv(rows, encoding="cp1252"),
    }[fmt]
    return writer()


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    fmt=st.sampled_from(FORMATS),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=40),
    cut=st.none() | st.floats(0, 1),
)
def test_damaged_files_never_raise(
    fmt: str, edits: list[tuple[float, int]], cut: float | None
) -> None:
    data = bytearray(_base(fmt))
    for where, byte in edits:
        data[int(where * (len(data) - 1))] = byte
    if cut is not None:
        data = data[: int(cut * len(data))]
    judgement = judge_spreadsheet(bytes(data), f"recueil.{fmt}", None, Config())
    summary = judgement.summary
    counted = summary.accepted + summary.late + summary.invalid + summary.redoublant
    assert counted == summary.rows == len(judgement.rows)
    if summary.error is not None:
        assert summary.rows == 0
        assert not summary.error.startswith("erreur lors de la lecture"), judgement.problems
