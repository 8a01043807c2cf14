"""PDF text extraction caps and type sniffing from bytes."""

from __future__ import annotations

import io
import zipfile

import pytest

from parsers import sniff
from parsers.pdf import extract_pdf_text


def test_pdf_text_is_extracted(make_pdf) -> None:
    result = extract_pdf_text(make_pdf(["Certificat médical", "Arrêt de travail"]))
    assert result.page_count == 2 and result.pages_read == 2
    assert "Certificat" in result.text and "Arrêt de travail" in result.text
    assert result.problems == () and result.encrypted is False


def test_pdf_page_cap(make_pdf) -> None:
    pdf = make_pdf([f"page numero {n}" for n in range(1, 8)])
    result = extract_pdf_text(pdf, max_pages=3)
    assert result.page_count == 7 and result.pages_read == 3
    assert "page numero 3" in result.text and "page numero 4" not in result.text
    assert any(p.startswith("pdf_page_cap") for p in result.problems)


def test_pdf_time_cap_is_checked_between_pages(make_pdf) -> None:
    result = extract_pdf_text(make_pdf(["a", "b", "c"]), max_seconds=0.0)
    assert result.pages_read == 0
    assert any(p.startswith("pdf_time_cap") for p in result.problems)


def test_encrypted_pdf_needing_a_password(make_pdf) -> None:
    result = extract_pdf_text(make_pdf(["secret"], user_password="motdepasse"))
    assert result.encrypted is True and result.text == ""
    assert result.problems == ("pdf_encrypted",)
    opened = extract_pdf_text(
        make_pdf(["secret"], user_password="motdepasse"), password="motdepasse"
    )
    assert "secret" in opened.text


def test_encrypted_pdf_with_empty_user_password_is_read(make_pdf) -> None:
    result = extract_pdf_text(make_pdf(["lisible quand meme"], user_password=""))
    assert result.encrypted is True
    assert "lisible quand meme" in result.text


@pytest.mark.parametrize(
    "data", [b"", b"%PDF-1.4\n%%EOF", b"not a pdf", b"%PDF-1.7\n" + bytes(5000)]
)
def test_corrupt_pdfs_give_problems(data: bytes) -> None:
    result = extract_pdf_text(data)
    assert result.text == "" and result.problems


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_sniff_office_zip_containers() -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert sniff.sniff_type(buffer.getvalue(), "application/octet-stream") == sniff.XLSX
    assert sniff.sniff_type(_zip({"xl/workbook.xml": b"", "xl/vbaProject.bin": b""})) == sniff.XLSM
    assert sniff.sniff_type(_zip({"word/document.xml": b""})) == sniff.DOCX
    ods = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""})
    assert sniff.sniff_type(ods, "application/zip") == sniff.ODS
    assert sniff.sniff_type(_zip({"a.txt": b"x"}), "application/x-zip") == sniff.ZIP
    assert sniff.sniff_type(b"PK\x03\x04 truncated") == sniff.ZIP


def test_sniff_ole2() -> None:
    import xlwt

    workbook = xlwt.Workbook()
    workbook.add_sheet("Feuille 1").write(0, 0, "NIR")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert sniff.sniff_type(buffer.getvalue(), "application/octet-stream") == sniff.XLS
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    assert sniff.sniff_type(header) == sniff.OLE
    assert sniff.sniff_type(header, filename="ancien.doc") == sniff.DOC
    word = header + "WordDocument".encode("utf-16-le")
    assert sniff.sniff_type(word, filename="x.bin") == sniff.DOC


@pytest.mark.parametrize(
    ("data", "declared", "filename", "expected"),
    [
        (b"%PDF-1.5 ...", "application/octet-stream", None, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "application/octet-stream", None, "image/png"),
        (b"\xff\xd8\xff\xe0 JFIF", "image/png", None, "image/jpeg"),
        (b"GIF89a....", "", None, "image/gif"),
        (b"II*\x00....", "", None, "image/tiff"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "", None, "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "", None, "image/heic"),
        ("nom;prénom\nDupont;Jean\n".encode(), "application/vnd.ms-excel", "l.csv", "text/csv"),
        ("nom;pr\xe9nom\n".encode("cp1252"), "application/octet-stream", "l.txt", "text/plain"),
        (
            b"\x01\x02\x03\x04\x05\x06\x07\x08" * 10,
            "application/x-thing",
            None,
            "application/x-thing",
        ),
        (b"", "image/png", None, "image/png"),
    ],
)
def test_sniff_magic(data: bytes, declared: str, filename: str | None, expected: str) -> None:
    assert sniff.sniff_type(data, declared, filename) == expected
