"""Dashboard figures and chart, and the exports of accepted rows (formulas neutralised)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from intake.export import neutralise
from tests.web.conftest import Site
from tests.web.mails import FORMULA_NAMES

DANGEROUS = ("=", "+", "-", "@")


def test_dashboard_chart_waiting_and_returns(site: Site) -> None:
    client = site.login("lea")
    page = client.get("/dashboard")
    assert page.status_code == 200
    text = page.text
    svg = re.search(r"<svg[^>]*aria-label=\"Messages reçus[^>]*>.*?</svg>", text, re.S)
    assert svg is not None
    bars = re.findall(r"<rect [^>]*><title>([^<]+)</title>", svg.group(0))
    # Eight mails over the last 30 days, one bar segment per day and kind.
    assert sum(int(t.rsplit(":", 1)[1]) for t in bars) == 8
    # The two deferral requests came on different days: two segments of one.
    assert sum(1 for t in bars if "Demande de report : 1" in t) == 2
    assert re.search(r'<div class="value">7</div><div class="what">dossiers à traiter', text)
    # The oldest waiting case is listed first.
    oldest = re.findall(r'<td><a href="/cases/([^"]+)">', text)
    assert oldest[0] == site.refs["question-dates"]
    # The CAF's return for the June/July deadline, with its invalid rows flagged.
    row = re.search(r"<td>CAF du Rhône</td>(.*?)</tr>", text, re.S)
    assert row is not None
    numbers = re.findall(r'<td class="num[^"]*">(\d+)</td>', row.group(1))
    assert numbers == ["12", "10", "0", "1", "1"]
    assert "31/03/2025" in text and "clos (opération déjà réalisée)" in text


def test_exports_page_lists_months(site: Site) -> None:
    page = site.login("lea").get("/exports").text
    assert "juin 2025" in page
    assert "/exports/rows?month=2025-06&amp;format=xlsx" in page
    assert "/exports/rows?month=2025-03&amp;format=xlsx" not in page  # nothing accepted


@pytest.mark.parametrize("value", ["=1+1", "+33", "-2", "@SUM(A1)", "\t=x", "\r=x"])
def test_neutralise_dangerous_starts(value: str) -> None:
    assert neutralise(value) == "'" + value


def test_neutralise_keeps_ordinary_text() -> None:
    for value in ("Dupont", "Jean-Pierre", "2023-004512", "", "a=b"):
        assert neutralise(value) == value


def test_csv_export_neutralises_formulas(site: Site) -> None:
    response = site.login("lea").get("/exports/rows?month=2025-06&format=csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][2] == "Nom" and len(rows) == 11
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(DANGEROUS) for cell in cells)
    for name in FORMULA_NAMES:
        assert "'" + name in cells
    assert "01/06/2025" in cells  # dates written the French way


def test_xlsx_export_has_no_formula_cells(site: Site) -> None:
    from openpyxl import load_workbook

    response = site.login("lea").get("/exports/rows?month=2025-06&format=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    values = []
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value
            values.append(cell.value)
    texts = [v for v in values if isinstance(v, str)]
    assert not any(v.startswith(DANGEROUS) for v in texts)
    assert "'" + FORMULA_NAMES[0] in texts
    assert any(isinstance(v, date) for v in values)
    # The NIR stays text (a number would lose nothing here, but leading zeros elsewhere).
    nir_column = [row[4].value for row in sheet.iter_rows(min_row=2)]
    assert all(isinstance(v, str) and len(v) == 15 for v in nir_column)


def test_export_refuses_bad_month_or_format(site: Site) -> None:
    client = site.login("lea")
    assert client.get("/exports/rows?month=2025-13&format=csv").status_code == 400
    assert client.get("/exports/rows?month=2025-06&format=html").status_code == 400
