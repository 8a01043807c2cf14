"""Export the accepted spreadsheet rows of one exam month, for organising the juries.

One line per accepted candidate row (SPEC §2.3), ordered by organisation and name,
as ``.xlsx`` (openpyxl) or ``.csv`` (``;``-separated UTF-8 with a BOM, which French
spreadsheet programs open directly). Text cells that start with ``=``, ``+``,
``-``, ``@`` (or a tab or carriage return) get a leading apostrophe: the values come
from files sent by third parties, and a spreadsheet program would otherwise run
them as formulas (CSV/formula injection). Used by the web page and by
``intake export rows``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from store import Case
from store.queue import rows_for_exam_month

FORMATS = ("xlsx", "csv")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
COLUMNS = (
    ("Organisme", "organisation"),
    ("Branche", "branch"),
    ("Nom", "last_name"),
    ("Prénom", "first_name"),
    ("NIR", "nir"),
    ("Date de naissance", "birth_date"),
    ("Courriel", "email"),
    ("CQP", "cqp"),
    ("Blocs", "blocks"),
    ("Certifiable à partir du", "certifiable_from"),
    ("Mois d'examen", "exam_month"),
    ("Dossier", "case_ref"),
    ("Ligne du tableau", "row_number"),
)
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class ExportError(ValueError):
    """A month or format that cannot be exported."""


def check_month(month: str) -> str:
    if not _MONTH.fullmatch(month or ""):
        raise ExportError(f"month must be written YYYY-MM (e.g. 2025-06), not {month!r}")
    return month


def neutralise(value: str) -> str:
    """``value`` made inert for a spreadsheet program (leading apostrophe if needed)."""
    if value.startswith(_DANGEROUS_START):
        return "'" + value
    return value


def export_table(session: Session, month: str) -> list[list[Any]]:
    """The header and the accepted rows of ``month`` (values not yet neutralised)."""
    rows = rows_for_exam_month(session, check_month(month))
    case_ids = {row.case_id for row in rows}
    refs: dict[int, str] = {}
    for start in range(0, len(case_ids), 500):
        chunk = list(case_ids)[start : start + 500]
        for case_id, ref in session.exec(
            select(Case.id, Case.ref).where(col(Case.id).in_(chunk))
        ).all():
            if case_id is not None:
                refs[case_id] = ref
    table: list[list[Any]] = [[title for title, _ in COLUMNS]]
    for row in rows:
        values = {**row.model_dump(), "case_ref": refs.get(row.case_id, "")}
        table.append([values.get(name) for _, name in COLUMNS])
    return table


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return neutralise(str(value))


def to_csv(table: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in table:
        writer.writerow([_cell_text(v) for v in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31] or "Export"
    for row_index, line in enumerate(table, start=1):
        for column_index, value in enumerate(line, start=1):
            cell = sheet.cell(row=row_index, column=column_index)
            if isinstance(value, date):
                cell.value = value
                cell.number_format = "DD/MM/YYYY"
            elif isinstance(value, int) and not isinstance(value, bool):
                cell.value = value
            elif value is not None:
                cell.value = neutralise(str(value))
                # Stored as text: openpyxl would otherwise write "=..." as a formula.
                cell.data_type = "s"
            if row_index == 1:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column_index, (title_text, _) in enumerate(COLUMNS, start=1):
        width = max(
            [len(title_text)] + [len(_cell_text(line[column_index - 1])) for line in table[1:200]]
        )
        sheet.column_dimensions[sheet.cell(row=1, column=column_index).column_letter].width = min(
            max(width + 2, 8), 45
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_rows(session: Session, month: str, fmt: str) -> bytes:
    """The accepted rows of exam month ``month`` as a file of format ``fmt``."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    table = export_table(session, month)
    if fmt == "csv":
        return to_csv(table)
    return to_xlsx(table, f"Acceptés {month}")


def filename(month: str, fmt: str) -> str:
    return f"candidats-acceptes-{check_month(month)}.{fmt}"
