"""parsers.sheets: every format, format sniffing, row numbers, and every refusal."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from sheetfixtures import (
    HEADER,
    candidate,
    sheet_with_title,
    to_csv,
    to_ods,
    to_xls,
    to_xlsx,
)

from parsers.sheetguards import sniff_format
from parsers.sheets import read_workbook

ROWS = sheet_with_title([candidate(0), candidate(1)])


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("xlsx", to_xlsx([("Recueil", ROWS)])),
        ("xlsm", to_xlsx([("Recueil", ROWS)], macro=True)),
        ("xls", to_xls([("Recueil", ROWS)])),
        ("ods", to_ods([("Recueil", ROWS)])),
        ("csv", to_csv(ROWS, encoding="cp1252")),
    ],
)
def test_every_format_reads_the_same_cells(fmt: str, data: bytes) -> None:
    # A misleading name: the format comes from the bytes.
    workbook = read_workbook(data, "recueil.bin")
    assert workbook.error is None, workbook.error
    assert workbook.format == fmt
    sheet = workbook.sheets[0]
    by_number = dict(zip(sheet.row_numbers, sheet.rows, strict=True))
    assert by_number[1][0].startswith("Tableau de recueil")
    assert list(by_number[3][: len(HEADER)]) == HEADER
    assert by_number[4][2] == "DURAND0"
    assert by_number[4][3] == "Camille0"
    if fmt == "csv":
        assert by_number[4][5] == "03/05/1985"
    else:
        birth = by_number[4][5]
        assert isinstance(birth, (date, datetime))
        assert (birth.year, birth.month, birth.day) == (1985, 5, 3)


def test_row_numbers_match_the_spreadsheet_program_after_blank_rows() -> None:
    rows = [[], [], [], ["Titre"], [], ["Nom", "Prénom"], ["DUPONT", "Jean"]]
    for data in (to_xlsx([("S", rows)]), to_xls([("S", rows)]), to_ods([("S", rows)])):
        sheet = read_workbook(data, None).sheets[0]
        numbers = dict(zip(sheet.row_numbers, sheet.rows, strict=True))
        assert numbers[4][0] == "Titre"
        assert numbers[7][:2] == ("DUPONT", "Jean")


def test_columns_keep_their_position_when_column_a_is_empty() -> None:
    sheet = read_workbook(to_xlsx([("S", [[None, None, "Nom"], [None, None, "X"]])]), None).sheets[
        0
    ]
    assert sheet.rows[0] == (None, None, "Nom")


def test_every_sheet_is_read_in_order_with_visibility() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Consignes"
    book.active.append(["Lisez-moi"])
    hidden = book.create_sheet("Listes")
    hidden.append(["Famille"])
    hidden.sheet_state = "hidden"
    book.create_sheet("Recueil").append(["Nom"])
    buffer = io.BytesIO()
    book.save(buffer)
    workbook = read_workbook(buffer.getvalue(), "x.xlsx")
    assert [s.name for s in workbook.sheets] == ["Consignes", "Listes", "Recueil"]
    assert [s.visible for s in workbook.sheets] == [True, False, True]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "sep_line"),
    [
        ("cp1252", ";", False),
        ("utf-8-sig", ",", False),
        ("utf-8", "\t", False),
        ("utf-8", ";", True),
    ],
)
def test_csv_encodings_and_delimiters(encoding: str, delimiter: str, sep_line: bool) -> None:
    rows = [
        ["Organisme", "Nom", "Prénom", "Commentaire"],
        ["CAF de l'Hérault", "LEFÈVRE", "Anaïs", "dit « oui », puis non"],
    ]
    data = to_csv(rows, encoding=encoding, delimiter=delimiter, sep_line=sep_line)
    workbook = read_workbook(data, "recueil.csv")
    assert workbook.format == "csv"
    sheet = workbook.sheets[0]
    assert sheet.rows[1] == ("CAF de l'Hérault", "LEFÈVRE", "Anaïs", "dit « oui », puis non")
    # Excel does not show the "sep=" line: the header is row 1 either way.
    assert sheet.row_numbers[:2] == (1, 2)


def test_csv_record_with_a_line_break_is_one_row() -> None:
    data = b'Nom;Note\r\nDUPONT;"deux\r\nlignes"\r\nMARTIN;x\r\n'
    sheet = read_workbook(data, "x.csv").sheets[0]
    assert sheet.rows[2] == ("MARTIN", "x")
    assert sheet.row_numbers[2] == 3


@pytest.mark.parametrize(
    "body",
    [
        # XOR obfuscation (type 0): calamine would read garbage without our check.
        b"\x00\x00" + b"\x00" * 126,
        # RC4 encryption (type 1, version 1.1).
        b"\x01\x00\x01\x00\x01\x00" + b"\x00" * 122,
    ],
    ids=["xor", "rc4"],
)
def test_protected_xls_with_filepass(body: bytes) -> None:
    data = bytearray(to_xls([("S", [["Nom"], ["DUPONT"]])]))
    # Excel puts a FILEPASS record (type 0x002F) right after the workbook's BOF record
    # when a password protects the file: put one over the records that follow BOF
    # (INTERFACEHDR, MMS, INTERFACEEND, WRITEACCESS: 132 bytes in xlwt's output).
    bof = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")
    assert bof > 0
    at = bof + 4 + 16
    data[at : at + 132] = b"\x2f\x00" + (128).to_bytes(2, "little") + body
    workbook = read_workbook(bytes(data), "x.xls")
    assert workbook.error_kind == "protected"
    assert workbook.sheets == ()


def test_encrypted_office_package_is_protected() -> None:
    data = bytearray(to_xls([("S", [["Nom"]])]))
    # An encrypted .xlsx is an OLE2 file holding an "EncryptedPackage" stream: rename
    # the workbook stream's directory entry to that name.
    old = "Workbook".encode("utf-16-le")
    at = data.find(old)
    assert at > 0
    name = "EncryptedPackage".encode("utf-16-le") + b"\x00\x00"
    data[at : at + len(name)] = name
    data[at + 64 : at + 66] = len(name).to_bytes(2, "little")
    workbook = read_workbook(bytes(data), "secret.xlsx")
    assert workbook.error_kind == "protected"


@pytest.mark.parametrize(
    "make",
    [
        lambda: to_xlsx([("S", ROWS)])[:3000],
        lambda: to_xls([("S", ROWS)])[:1500],
        lambda: to_ods([("S", ROWS)])[:-200],
        lambda: b"",
        lambda: b"PK\x03\x04" + b"\x00" * 100,
    ],
    ids=["xlsx-truncated", "xls-truncated", "ods-truncated", "empty", "zip-header-only"],
)
def test_truncated_or_empty_files_are_corrupt(make) -> None:  # type: ignore[no-untyped-def]
    workbook = read_workbook(make(), "x.xlsx")
    assert workbook.error_kind == "corrupt"
    assert workbook.error


def test_garbage_inside_a_valid_zip_is_corrupt() -> None:
    source = zipfile.ZipFile(io.BytesIO(to_xlsx([("S", ROWS)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>99"
            target.writestr(info, content)
    workbook = read_workbook(out.getvalue(), "x.xlsx")
    assert workbook.error_kind == "corrupt"


def test_other_files_are_unsupported() -> None:
    assert read_workbook(b"%PDF-1.4\n...", "recueil.pdf").error_kind == "unsupported"
    assert read_workbook(b"<html><table>", "recueil.xls").error_kind == "unsupported"
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert read_workbook(docx.getvalue(), "recueil.xlsx").error_kind == "unsupported"
    assert read_workbook(bytes(range(256)) * 4, "x.xlsx").error_kind == "unsupported"


def test_zip_bomb_is_refused_before_reading() -> None:
    source = zipfile.ZipFile(io.BytesIO(to_xlsx([("S", ROWS)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        # 60 MB of blanks squeezed into ~60 KB: a thousand times its compressed size.
        with target.open("xl/worksheets/padding.xml", "w") as member:
            chunk = b" " * (1 << 20)
            for _ in range(60):
                member.write(chunk)
    data = out.getvalue()
    assert len(data) < 1_000_000
    workbook = read_workbook(data, "recueil.xlsx")
    assert workbook.error_kind == "too_large"
    assert "expands" in (workbook.error or "")


def test_declared_sizes_over_the_limit_are_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        target.writestr("xl/workbook.xml", "<workbook/>")
        for index in range(25):
            # Stored (ratio 1) but 9 MB each: 225 MB in all.
            target.writestr(f"xl/media/image{index}.bin", b"\x00" * (9 * 1024 * 1024))
    workbook = read_workbook(out.getvalue(), "x.xlsx")
    assert workbook.error_kind == "too_large"


def test_sparse_cells_claiming_a_huge_rectangle_are_refused() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "Nom"
    book.active.cell(row=6000, column=16000, value="x")
    buffer = io.BytesIO()
    book.save(buffer)
    # A 5 KB file whose two cells would make calamine allocate 96 million cells.
    workbook = read_workbook(buffer.getvalue(), "x.xlsx")
    assert workbook.error_kind == "too_large"


def test_ods_repeated_cells_bomb_is_refused() -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        "<office:body><office:spreadsheet><table:table table:name='S'>"
        "<table:table-row table:number-rows-repeated='100000'>"
        "<table:table-cell table:number-columns-repeated='5000' office:value-type='string'>"
        "<text:p>x</text:p></table:table-cell></table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    workbook = read_workbook(out.getvalue(), "x.ods")
    assert workbook.format == "ods"
    assert workbook.error_kind == "too_large"


def _raw_xlsx(rows: int) -> bytes:
    """A minimal .xlsx written directly (openpyxl would take long for this many rows)."""
    parts = ['<row r="1"><c r="A1" t="inlineStr"><is><t>Nom</t></is></c></row>']
    parts.extend(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>N{n}</t></is></c>'
        f'<c r="B{n}"><v>{n}</v></c></row>'
        for n in range(2, rows + 2)
    )
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(parts)}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Recueil" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def test_a_100000_row_sheet_is_bounded_by_max_rows() -> None:
    data = _raw_xlsx(100_000)
    cut = read_workbook(data, "x.xlsx", max_rows=50_000)
    assert cut.error_kind == "too_large"
    assert len(cut.sheets[0].rows) == 50_000
    assert cut.sheets[0].row_numbers[-1] == 50_000
    whole = read_workbook(data, "x.xlsx")
    assert whole.error_kind is None
    assert len(whole.sheets[0].rows) == 100_001
    assert whole.sheets[0].rows[-1] == ("N100001", 100001.0)


def test_a_long_csv_is_bounded_by_max_rows() -> None:
    data = b"Nom;Valeur\n" + b"".join(b"N%d;%d\n" % (n, n) for n in range(100_000))
    cut = read_workbook(data, "x.csv", max_rows=1000)
    assert cut.error_kind == "too_large"
    assert len(cut.sheets[0].rows) == 1000


def test_sniff_format_ignores_the_name() -> None:
    assert sniff_format(to_xls([("S", [["a"]])]), "recueil.xlsx") == "xls"
    assert sniff_format(to_ods([("S", [["a"]])]), "recueil.xlsx") == "ods"
    assert sniff_format(to_xlsx([("S", [["a"]])]), "recueil.ods") == "xlsx"
    assert sniff_format(b"Nom;Prenom\nA;B\n", "recueil.xls") == "csv"


def test_xls_cells_claiming_a_huge_rectangle_are_refused_before_calamine() -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("S")
    sheet.write(0, 0, "Nom")
    sheet.write(65535, 255, "x")
    buffer = io.BytesIO()
    book.save(buffer)
    # 6 KB whose two cells would make calamine allocate 16.7 million cells (a gigabyte).
    workbook = read_workbook(buffer.getvalue(), "x.xls", max_cells=1_000_000)
    assert workbook.error_kind == "too_large"
    assert "65536 rows x 256 columns" in (workbook.error or "")


def test_a_long_xls_within_bounds_reads_whole() -> None:
    rows = [["Nom", "Valeur"]] + [[f"N{n}", n] for n in range(3000)]
    workbook = read_workbook(to_xls([("S", rows)]), "x.xls")
    assert workbook.error is None
    assert workbook.sheets[0].rows[-1] == ("N2999", 2999.0)


def _xlsb_record(kind: int, body: bytes) -> bytes:
    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            byte, value = value & 0x7F, value >> 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)

    return varint(kind) + varint(len(body)) + body


def test_xlsb_cells_claiming_a_huge_rectangle_are_refused_before_calamine() -> None:
    sheet = b"".join(
        [
            _xlsb_record(0, (0).to_bytes(4, "little") + b"\x00" * 8),  # row 1
            _xlsb_record(5, (0).to_bytes(4, "little") + b"\x00" * 12),  # A1, a number
            _xlsb_record(0, (999_999).to_bytes(4, "little") + b"\x00" * 8),  # row 1,000,000
            _xlsb_record(5, (16_000).to_bytes(4, "little") + b"\x00" * 12),  # a far number
        ]
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.bin", b"")
        archive.writestr("xl/worksheets/sheet1.bin", sheet)
    workbook = read_workbook(out.getvalue(), "x.xlsb")
    assert workbook.format == "xlsb"
    assert workbook.error_kind == "too_large"
    assert "1000000 rows x 16001 columns" in (workbook.error or "")


def test_a_reader_that_aborts_the_process_only_costs_the_child(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    import parsers.sheets as sheets

    path = tmp_path / "sheet.xlsx"

    def abort(*args: object, path: str, **kwargs: object) -> None:
        # Native code that aborts (as calamine does when an allocation fails) after
        # the temporary copy was written.
        Path(path).write_bytes(b"copy")
        os.abort()

    monkeypatch.setattr(sheets, "_temporary_path", lambda fmt: str(path))
    monkeypatch.setattr(sheets, "_read_calamine", abort)
    workbook = read_workbook(to_xlsx([("S", ROWS)]), "x.xlsx")
    assert workbook.error_kind == "corrupt"
    assert "died" in (workbook.error or "")
    # The parent removes the copy the dead child left behind.
    assert not path.exists()


def test_a_reader_that_hangs_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import parsers.sheets as sheets

    monkeypatch.setattr(sheets, "CHILD_SECONDS", 0.5)
    monkeypatch.setattr(sheets, "_read_calamine", lambda *args, **kwargs: time.sleep(30))
    started = time.monotonic()
    workbook = read_workbook(to_xlsx([("S", ROWS)]), "x.xlsx")
    assert workbook.error_kind == "too_large"
    assert time.monotonic() - started < 10


def test_the_child_has_a_memory_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    import parsers.sheets as sheets

    def greedy(*args: object, **kwargs: object) -> None:
        bytearray(4 * sheets.CHILD_MEMORY)

    monkeypatch.setattr(sheets, "_read_calamine", greedy)
    workbook = read_workbook(to_xlsx([("S", ROWS)]), "x.xlsx")
    assert workbook.error_kind == "too_large"
    assert workbook.error == "out of memory"


def test_isolated_and_in_process_reads_agree() -> None:
    data = to_ods([("Consignes", [["Lire"]]), ("Recueil", ROWS)])
    assert read_workbook(data, "x.ods") == read_workbook(data, "x.ods", isolated=False)
