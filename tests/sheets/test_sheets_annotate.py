"""responders.annotate: the annotated .xlsx copy and the receipt rows."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest
from sheetfixtures import (
    HEADER,
    candidate,
    nir_for,
    sheet_with_title,
    to_csv,
    to_ods,
    to_xls,
    to_xlsx,
)

from intake.config import Config
from intake.spreadsheet import judge_spreadsheet
from parsers.sheets import read_workbook
from responders.annotate import BUCKET_FILLS, annotated_copy, annotated_filename, receipt_rows

MARCH_1 = datetime(2025, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))


def _rows() -> list[list[object]]:
    return sheet_with_title(
        [
            candidate(0),
            candidate(1, nir="123"),
            [],
            candidate(2, repeat="Oui"),
            candidate(3, certifiable=date(2025, 4, 2)),
        ]
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("recueil.xls", to_xls([("Consignes", [["Lire"]]), ("Recueil", _rows())])),
        ("recueil.ods", to_ods([("Recueil", _rows())])),
        ("recueil.csv", to_csv(_rows(), encoding="cp1252")),
    ],
)
def test_annotated_copy_keeps_row_numbers_and_adds_status_and_reason(
    name: str, data: bytes
) -> None:
    judgement = judge_spreadsheet(data, name, MARCH_1, Config())
    assert judgement.summary.rows == 4
    copy = openpyxl.load_workbook(io.BytesIO(annotated_copy(data, name, judgement)))
    assert len(copy.sheetnames) == 1
    sheet = copy.active
    width = len(HEADER)
    assert str(sheet.cell(row=1, column=1).value).startswith("Tableau de recueil")
    assert [c.value for c in sheet[3]][: width + 2] == [*HEADER, "Statut", "Motif"]
    statuses = {n: sheet.cell(row=n, column=width + 1).value for n in range(4, 9)}
    reasons = {n: sheet.cell(row=n, column=width + 2).value for n in range(4, 9)}
    assert statuses == {
        4: "Accepté",
        5: "Invalide",
        6: None,
        7: "Redoublant",
        8: "En retard",
    }
    assert reasons[5] is not None and reasons[5].startswith("NIR invalide")
    assert reasons[8] == "date limite du 30/11/2024 dépassée pour la session d'avril 2025"
    # Their own data is still there, in its place.
    assert sheet.cell(row=4, column=3).value == "DURAND0"
    assert str(sheet.cell(row=4, column=5).value) == nir_for(0)


def test_the_copy_reads_back_as_the_original_with_styled_verdicts() -> None:
    rows = sheet_with_title(
        [
            candidate(0, organisation="  CAF <Rhône> & Loire  "),
            candidate(1, nir="123"),
            candidate(2, repeat="Oui", birth=datetime(1985, 5, 3, 8, 30)),
            candidate(3, certifiable=date(2025, 4, 2)),
        ]
    )
    # Two data sheets whose names become the same title once made valid.
    data = to_ods([("Recueil/A", rows), ("Recueil-A", rows)])
    judgement = judge_spreadsheet(data, "r.ods", MARCH_1, Config())
    assert [table.sheet for table in judgement.tables] == ["Recueil/A", "Recueil-A"]
    copy = annotated_copy(data, "r.ods", judgement)

    book = openpyxl.load_workbook(io.BytesIO(copy))
    assert book.sheetnames == ["Recueil-A", "Recueil-A1"]
    sheet = book["Recueil-A"]
    width = len(HEADER)
    assert sheet.freeze_panes == "A4"
    assert sheet.column_dimensions["L"].width == 14
    assert sheet.column_dimensions["M"].width == 70
    assert all(sheet.cell(row=3, column=width + n).font.b for n in (1, 2))
    buckets = {row.row_number: row.bucket for row in judgement.rows if row.sheet == "Recueil/A"}
    assert set(buckets.values()) == set(BUCKET_FILLS)
    for number, bucket in buckets.items():
        status = sheet.cell(row=number, column=width + 1)
        assert status.fill.fill_type == "solid"
        assert status.fill.start_color.rgb == f"00{BUCKET_FILLS[bucket]}"
        assert sheet.cell(row=number, column=width + 2).alignment.wrap_text
    assert sheet.cell(row=6, column=6).number_format == "DD/MM/YYYY HH:MM"

    # Every cell of the sender's data comes back as it was read from their file.
    original = read_workbook(data, "r.ods").sheets[0]
    again = read_workbook(copy, "copy.xlsx").sheets[0]
    assert again.row_numbers == original.row_numbers
    assert [row[:width] for row in again.rows] == [row[:width] for row in original.rows]
    assert again.rows[3][0] == "  CAF <Rhône> & Loire  "


def test_dates_are_day_first_and_numeric_nirs_keep_every_digit() -> None:
    rows = sheet_with_title([candidate(0, nir=float(nir_for(0)))])
    data = to_xlsx([("Recueil", rows)])
    judgement = judge_spreadsheet(data, "r.xlsx", MARCH_1, Config())
    sheet = openpyxl.load_workbook(io.BytesIO(annotated_copy(data, "r.xlsx", judgement))).active
    nir_cell = sheet.cell(row=4, column=5)
    assert nir_cell.value == int(nir_for(0))
    assert nir_cell.number_format == "0"
    assert sheet.cell(row=4, column=6).number_format == "DD/MM/YYYY"


def test_text_that_looks_like_a_formula_stays_text() -> None:
    rows = [HEADER, candidate(0, organisation='=HYPERLINK("http://example.org","x")')]
    data = to_csv(rows)
    judgement = judge_spreadsheet(data, "r.csv", MARCH_1, Config())
    copy = annotated_copy(data, "r.csv", judgement)
    cell = openpyxl.load_workbook(io.BytesIO(copy)).active.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert cell.value.startswith("=HYPERLINK")


def test_nothing_to_annotate_in_an_unreadable_file() -> None:
    judgement = judge_spreadsheet(b"", "r.xlsx", MARCH_1, Config())
    with pytest.raises(ValueError):
        annotated_copy(b"", "r.xlsx", judgement)


def test_receipt_rows_list_every_row_not_accepted() -> None:
    data = to_csv(_rows())
    judgement = judge_spreadsheet(data, "r.csv", MARCH_1, Config())
    rows = receipt_rows(judgement)
    assert [(r["row_number"], r["bucket"], r["bucket_label"]) for r in rows] == [
        (5, "invalid", "Invalide"),
        (7, "redoublant", "Redoublant"),
        (8, "late", "En retard"),
    ]
    assert rows[0]["name"] == "Camille1 DURAND1"
    assert all(r["reason"] for r in rows)


def test_receipt_renders_with_the_reply_template() -> None:
    render = pytest.importorskip("responders.render").render
    data = to_csv(_rows())
    judgement = judge_spreadsheet(data, "recueil.csv", MARCH_1, Config())
    rendered = render(
        "spreadsheet_receipt",
        {
            "case_ref": "CQ-2025-000001",
            "sender_name": None,
            "nuc": None,
            "role": "certification",
            "summary": judgement.summary,
            "rejected_rows": receipt_rows(judgement),
            "annotated_filename": annotated_filename("recueil.csv"),
            "filename": "recueil.csv",
        },
    )
    text = str(getattr(rendered, "body", rendered))
    assert "Ligne 5" in text
    assert "candidat redoublant: hors recueil" in text


def test_annotated_filename() -> None:
    assert annotated_filename("recueil CAF.xls") == "recueil CAF (annoté).xlsx"
    assert annotated_filename(None) == "tableau (annoté).xlsx"
