"""Build collection spreadsheets for the tests, in every format the bot reads.

Each writer takes a list of sheets, each a name and a list of rows (lists of cell
values: str, int, float, date, datetime or None) and returns the file's bytes. Nothing
is committed: every test builds the files it needs.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

Row = Sequence[Any]
SheetSpec = tuple[str, Sequence[Row]]

HEADER = [
    "Organisme",
    "Branche",
    "Nom",
    "Prénom",
    "NIR",
    "Date de naissance",
    "Email",
    "CQP",
    "Bloc(s)",
    "Certifiable à partir du",
    "Redoublant",
]


def nir_with_key(body: str) -> str:
    """A 15-character NIR: ``body`` (13 characters, 2A/2B allowed) and its control key."""
    number = body.replace("2A", "19", 1) if body[5:7] == "2A" else body
    number = number.replace("2B", "18", 1) if body[5:7] == "2B" else number
    return f"{body}{97 - int(number) % 97:02d}"


def nir_for(index: int, *, sex: int = 1, department: str = "69") -> str:
    """A distinct valid NIR per index."""
    body = f"{sex}{85 + index % 10:02d}{1 + index % 12:02d}{department}{index % 1000:03d}{index % 1000:03d}"
    return nir_with_key(body)


def candidate(
    index: int = 0,
    *,
    organisation: Any = "CAF du Rhône",
    branch: Any = "Famille",
    last: Any = None,
    first: Any = None,
    nir: Any = None,
    birth: Any = date(1985, 5, 3),
    email: Any = None,
    cqp: Any = "GC",
    blocks: Any = "1, 2",
    certifiable: Any = date(2025, 6, 15),
    repeat: Any = "Non",
) -> list[Any]:
    """One candidate row in HEADER order; by default valid and for June 2025."""
    return [
        organisation,
        branch,
        last if last is not None else f"DURAND{index}",
        first if first is not None else f"Camille{index}",
        nir if nir is not None else nir_for(index),
        birth,
        email if email is not None else f"camille.durand{index}@caf-rhone.fr",
        cqp,
        blocks,
        certifiable,
        repeat,
    ]


def sheet_with_title(rows: Sequence[Row], header: Row = tuple(HEADER)) -> list[Row]:
    """The usual template: a title, a blank line, then the header and the rows."""
    return [["Tableau de recueil d'informations — CQP 2025"], [], list(header), *rows]


def to_xlsx(sheets: Sequence[SheetSpec], *, macro: bool = False) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if macro:
        data = _as_xlsm(data)
    return data


def _as_xlsm(data: bytes) -> bytes:
    """Turn an .xlsx into a macro-enabled package (content type and a vbaProject part)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            target.writestr(info, content)
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def to_xls(sheets: Sequence[SheetSpec]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for name, rows in sheets:
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (date, datetime)):
                    sheet.write(r, c, value, date_style)
                else:
                    sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_ods(sheets: Sequence[SheetSpec]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for name, rows in sheets:
        table = Table(name=name)
        for row in rows:
            table_row = TableRow()
            for value in row:
                if value is None:
                    cell = TableCell()
                elif isinstance(value, bool):
                    cell = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
                elif isinstance(value, (int, float)):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                elif isinstance(value, (date, datetime)):
                    iso = value.isoformat() if isinstance(value, date) else value.isoformat()
                    cell = TableCell(valuetype="date", datevalue=iso)
                    cell.addElement(P(text=value.strftime("%d/%m/%Y")))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                table_row.addElement(cell)
            table.addElement(table_row)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def to_csv(
    rows: Sequence[Row], *, encoding: str = "utf-8", delimiter: str = ";", sep_line: bool = False
) -> bytes:
    """CSV as Excel writes it: dates as dd/mm/yyyy, everything else as text."""
    buffer = io.StringIO()
    if sep_line:
        buffer.write(f"sep={delimiter}\r\n")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(
            [
                ""
                if v is None
                else v.strftime("%d/%m/%Y")
                if isinstance(v, (date, datetime))
                else str(v)
                for v in row
            ]
        )
    return buffer.getvalue().encode(encoding)


def big_rows(count: int, *, seed: int = 7) -> list[list[Any]]:
    """``count`` candidate rows with a realistic mix of values and mistakes."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        row = candidate(index, nir=int(nir_for(index)) if index % 3 else nir_for(index))
        row[9] = datetime(2025, 1 + index % 12, 1 + index % 28)
        if index % 50 == 0:
            row[6] = "pas-une-adresse"
        if index % 97 == 0:
            row[10] = "Oui"
        if rng.random() < 0.02:
            row[4] = str(row[4])[:-2] + "00"
        rows.append(row)
    return rows
