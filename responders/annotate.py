"""The annotated copy of a returned spreadsheet, and the rows the receipt lists.

The sender gets their own data sheet back as ``.xlsx`` with two columns added,
"Statut" and "Motif", so that they can fix the rows and send the file again. Every row
keeps its number (title rows and the header stay where they were), so the row
numbers quoted in the receipt match the copy and their original. Other sheets
(instructions, lists) are left out.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from parsers.sheets import Sheet, read_workbook

if TYPE_CHECKING:
    from intake.spreadsheet import SpreadsheetJudgement

BUCKET_LABELS = {
    "accepted": "Accepté",
    "late": "En retard",
    "invalid": "Invalide",
    "redoublant": "Redoublant",
}
# Cell fills of the "Statut" column, the usual green/amber/red of spreadsheet users.
BUCKET_FILLS = {
    "accepted": "C6EFCE",
    "late": "FFEB9C",
    "invalid": "FFC7CE",
    "redoublant": "D9D9D9",
}
STATUS_HEADER = "Statut"
REASON_HEADER = "Motif"

# Characters that the XML of an .xlsx cannot hold (openpyxl refuses them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def receipt_rows(judgement: SpreadsheetJudgement) -> list[dict[str, Any]]:
    """Every row that is not accepted, in file order, for the receipt template."""
    return [
        {
            "row_number": row.row_number,
            "sheet": row.sheet,
            "name": row.name,
            "bucket": row.bucket,
            "bucket_label": BUCKET_LABELS[row.bucket],
            "reason": row.reason,
        }
        for row in judgement.rows
        if row.bucket != "accepted"
    ]


def annotated_filename(filename: str | None) -> str:
    """``recueil.xls`` -> ``recueil (annoté).xlsx``."""
    stem = (filename or "tableau").rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    return f"{stem or 'tableau'} (annoté).xlsx"


def annotated_copy(data: bytes, filename: str | None, judgement: SpreadsheetJudgement) -> bytes:
    """The judged sheet(s) as .xlsx with "Statut" and "Motif" columns added.

    Raises ValueError when the judgement found no table (unreadable file, no header):
    there is then nothing to annotate.
    """
    from openpyxl import Workbook

    if not judgement.tables:
        raise ValueError("the judgement found no table to annotate")
    workbook = read_workbook(data, filename)
    sheets = {sheet.name: sheet for sheet in workbook.sheets}
    verdicts: dict[tuple[str, int], tuple[str, str | None]] = {
        (row.sheet, row.row_number): (row.bucket, row.reason) for row in judgement.rows
    }
    book = Workbook(write_only=True)
    for table in judgement.tables:
        sheet = sheets.get(table.sheet)
        if sheet is None:
            continue
        _write_sheet(book, sheet, table.header_row, verdicts)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(
    book: Any,
    sheet: Sheet,
    header_row: int,
    verdicts: Mapping[tuple[str, int], tuple[str, str | None]],
) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    title = re.sub(r"[\[\]:*?/\\]", "-", sheet.name)[:31] or "Feuille"
    out = book.create_sheet(title)
    width = max((_used_width(row) for row in sheet.rows), default=0)
    status_letter = get_column_letter(width + 1)
    out.column_dimensions[status_letter].width = 14
    out.column_dimensions[get_column_letter(width + 2)].width = 70
    out.freeze_panes = f"A{header_row + 1}"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    fills = {
        bucket: PatternFill("solid", start_color=colour) for bucket, colour in BUCKET_FILLS.items()
    }

    next_number = 1
    for row, number in zip(sheet.rows, sheet.row_numbers, strict=True):
        # Rows the reader skipped (leading blank rows) are written blank, so that every
        # row keeps the number the sender sees.
        while next_number < number:
            out.append([])
            next_number += 1
        cells: list[Any] = [_cell(out, value) for value in row[:width]]
        cells.extend([None] * (width - len(cells)))
        if number == header_row:
            for text in (STATUS_HEADER, REASON_HEADER):
                cell = WriteOnlyCell(out, value=text)
                cell.font = bold
                cells.append(cell)
        elif (sheet.name, number) in verdicts:
            bucket, reason = verdicts[(sheet.name, number)]
            status = WriteOnlyCell(out, value=BUCKET_LABELS[bucket])
            status.fill = fills[bucket]
            motif = WriteOnlyCell(out, value=reason or "")
            motif.alignment = wrap
            cells.extend([status, motif])
        out.append(cells)
        next_number = number + 1


def _used_width(row: tuple[Any, ...]) -> int:
    width = len(row)
    while width and row[width - 1] is None:
        width -= 1
    return width


def _cell(sheet: Any, value: Any) -> Any:
    """A cell as the sender wrote it: dates shown day first, long numbers in full."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = (
            "DD/MM/YYYY" if value.time() == datetime.min.time() else "DD/MM/YYYY HH:MM"
        )
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD/MM/YYYY"
        return cell
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e10:
        # A NIR typed as a number: show all its digits, not 1,85058E+14.
        cell = WriteOnlyCell(sheet, value=int(value))
        cell.number_format = "0"
        return cell
    if isinstance(value, str):
        if _ILLEGAL.search(value):
            value = _ILLEGAL.sub("", value)
        if not value.startswith("="):
            return value
        # Text that looks like a formula stays text: the copy must not compute anything.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
