"""The annotated copy of a returned spreadsheet, and the rows the receipt lists.

The sender gets their own data sheet back as ``.xlsx`` with two columns added,
"Statut" and "Motif", so that they can fix the rows and send the file again. Every row
keeps its number (title rows and the header stay where they were), so the row
numbers quoted in the receipt match the copy and their original. Other sheets
(instructions, lists) are left out.

The copy is written as SpreadsheetML text straight into the zip, with the handful of
styles it uses, because openpyxl serialises each cell through its pure-Python XML
writer: about 13 s for 20,000 rows, against well under a second here. The cells are
those openpyxl would write (inline strings, numbers, dates as serial numbers shown
day first, the same fills, fonts and widths).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from parsers.sheets import Sheet, read_workbook

if TYPE_CHECKING:
    from intake.spreadsheet import SpreadsheetJudgement

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
# The longest text a cell holds; Excel cuts there, and so did openpyxl.
_MAX_TEXT = 32767
# Text that spreadsheet programs (and openpyxl) store as an error value.
_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# The styles of the copy, by position in cellXfs (the ``s`` attribute of a cell).
_BOLD, _DATE, _DATETIME, _WHOLE, _WRAP = 1, 2, 3, 4, 5
_FILL_STYLES = {bucket: 6 + index for index, bucket in enumerate(BUCKET_FILLS)}
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="DD/MM/YYYY"/>'
    '<numFmt numFmtId="165" formatCode="DD/MM/YYYY HH:MM"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font><font><b val="1"/></font></fonts>'
    f'<fills count="{2 + len(BUCKET_FILLS)}"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    + "".join(
        f'<fill><patternFill patternType="solid"><fgColor rgb="00{colour}"/></patternFill></fill>'
        for colour in BUCKET_FILLS.values()
    )
    + '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    f'</cellStyleXfs><cellXfs count="{6 + len(BUCKET_FILLS)}">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    + "".join(
        f'<xf numFmtId="0" fontId="0" fillId="{2 + index}" borderId="0" xfId="0" applyFill="1"/>'
        for index in range(len(BUCKET_FILLS))
    )
    + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def receipt_rows(judgement: SpreadsheetJudgement) -> list[dict[str, Any]]:
    """Every row that is not accepted, in file order, for the receipt template."""
    return [
        {
            "row_number": row.row_number,
            "sheet": row.sheet,
            "name": row.name,
            "bucket": row.bucket,
            "bucket_label": row.bucket_label,
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

    Raises ValueError when there is nothing to annotate: the judgement found no table
    (unreadable file, no header), or its sheets are no longer in the file as read.
    """
    if not judgement.tables:
        raise ValueError("the judgement found no table to annotate")
    workbook = read_workbook(data, filename)
    sheets = {sheet.name: sheet for sheet in workbook.sheets}
    verdicts: dict[tuple[str, int], tuple[str, str, str | None]] = {
        (row.sheet, row.row_number): (row.bucket, row.bucket_label, row.reason)
        for row in judgement.rows
    }
    titles: list[str] = []
    parts: list[str] = []
    for table in judgement.tables:
        sheet = sheets.get(table.sheet)
        if sheet is not None:
            titles.append(_title(sheet.name, titles))
            parts.append(_sheet_xml(sheet, table.header_row, verdicts))
    if not parts:
        raise ValueError("the judged sheets are not in the file any more")
    return _package(titles, parts)


def _title(name: str, taken: list[str]) -> str:
    """A valid sheet title, unique regardless of case ("Recueil", then "Recueil1")."""
    title = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "Feuille"
    lowered = {other.lower() for other in taken}
    if title.lower() not in lowered:
        return title
    number = 1
    while f"{title}{number}".lower() in lowered:
        number += 1
    return f"{title}{number}"


def _sheet_xml(
    sheet: Sheet,
    header_row: int,
    verdicts: Mapping[tuple[str, int], tuple[str, str, str | None]],
) -> str:
    from openpyxl.utils import get_column_letter

    width = max((_used_width(row) for row in sheet.rows), default=0)
    letters = [get_column_letter(column) for column in range(1, width + 3)]
    status, motif = letters[width], letters[width + 1]
    top = f"A{header_row + 1}"
    out = [
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIP}"><sheetViews>'
        f'<sheetView workbookViewId="0"><pane ySplit="{header_row}" topLeftCell="{top}" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
        f'activeCell="{top}" sqref="{top}"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><cols>'
        f'<col min="{width + 1}" max="{width + 1}" width="14" customWidth="1"/>'
        f'<col min="{width + 2}" max="{width + 2}" width="70" customWidth="1"/>'
        "</cols><sheetData>"
    ]
    next_number = 1
    for row, number in zip(sheet.rows, sheet.row_numbers, strict=True):
        # Rows the reader skipped (leading blank rows) are written blank, so that every
        # row keeps the number the sender sees.
        while next_number < number:
            out.append(f'<row r="{next_number}"/>')
            next_number += 1
        out.append(f'<row r="{number}">')
        for letter, value in zip(letters, row[:width], strict=False):
            if value is not None:
                out.append(_cell(f"{letter}{number}", value))
        if number == header_row:
            out.append(_text(f"{status}{number}", STATUS_HEADER, _BOLD))
            out.append(_text(f"{motif}{number}", REASON_HEADER, _BOLD))
        elif (sheet.name, number) in verdicts:
            bucket, label, reason = verdicts[(sheet.name, number)]
            out.append(_text(f"{status}{number}", label, _FILL_STYLES[bucket]))
            out.append(_text(f"{motif}{number}", reason or "", _WRAP))
        out.append("</row>")
        next_number = number + 1
    out.append("</sheetData></worksheet>")
    return "".join(out)


def _used_width(row: tuple[Any, ...]) -> int:
    width = len(row)
    while width and row[width - 1] is None:
        width -= 1
    return width


def _cell(ref: str, value: Any) -> str:
    """A cell as the sender wrote it: dates shown day first, long numbers in full."""
    kind = value.__class__
    if kind is str:
        if _ILLEGAL.search(value):
            value = _ILLEGAL.sub("", value)
        if value in _ERROR_CODES:
            return f'<c r="{ref}" t="e"><v>{value}</v></c>'
        return _text(ref, value)
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind is float and value.is_integer() and abs(value) >= 1e10:
        # A NIR typed as a number: show all its digits, not 1,85058E+14.
        return _number(ref, int(value), _WHOLE)
    if kind is int or kind is float:
        return _number(ref, value)
    if kind is datetime:
        style = _DATE if value.time() == datetime.min.time() else _DATETIME
        return _number(ref, _serial(value), style)
    if kind is date:
        return _number(ref, _serial(value), _DATE)
    return _text(ref, str(value))


def _text(ref: str, text: str, style: int = 0) -> str:
    # An inline string is text whatever it says: one that looks like a formula ("=...")
    # stays text, and the copy never computes anything.
    styled = f' s="{style}"' if style else ""
    if not text:
        return f'<c r="{ref}"{styled} t="inlineStr"/>'
    text = text[:_MAX_TEXT]
    # Leading or trailing spaces are kept only when the XML says so.
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _number(ref: str, number: float, style: int = 0) -> str:
    styled = f' s="{style}"' if style else ""
    shown = f"{number:.16g}" if math.isfinite(number) else ""
    return f'<c r="{ref}"{styled} t="n"><v>{shown}</v></c>'


# Dates repeat down a sheet (birth dates, sessions): each is converted once.
@lru_cache(maxsize=4096)
def _serial(value: date) -> float:
    """The spreadsheet serial number of a date or time (days since 30/12/1899)."""
    from openpyxl.utils.datetime import to_excel

    return float(to_excel(value))


def _package(titles: list[str], sheets: list[str]) -> bytes:
    """The .xlsx zip: the sheets, the styles and the parts that tie them together."""
    numbers = range(1, len(sheets) + 1)
    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
            f'ContentType="{_TYPE}.worksheet+xml"/>'
            for n in numbers
        )
        + "</Types>"
    )
    root_relationships = (
        f'{_XML}<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
        f'Type="{_RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIP}"><bookViews>'
        '<workbookView activeTab="0"/></bookViews><sheets>'
        + "".join(
            f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
            for n, title in zip(numbers, titles, strict=True)
        )
        + "</sheets></workbook>"
    )
    workbook_relationships = (
        f'{_XML}<Relationships xmlns="{_PACKAGE}">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{_RELATIONSHIP}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in numbers
        )
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_RELATIONSHIP}/styles" '
        'Target="styles.xml"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_relationships)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_relationships)
        archive.writestr("xl/styles.xml", _STYLES)
        for n, xml in zip(numbers, sheets, strict=True):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", xml)
    return buffer.getvalue()
