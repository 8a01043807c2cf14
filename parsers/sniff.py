"""Recognise a file's type from its bytes (magic numbers), not from what the sender declared.

Mail clients routinely declare ``application/octet-stream`` for everything, or the type
of the extension the file happened to have; the rules need the real type (is this a
spreadsheet, a PDF, a scan?). Only the first bytes are read, except for ZIP and OLE2
containers whose directory names tell an Excel workbook from a Word document.
"""

from __future__ import annotations

import io
import zipfile

PDF = "application/pdf"
ZIP = "application/zip"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroenabled.12"
XLSB = "application/vnd.ms-excel.sheet.binary.macroenabled.12"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCM = "application/vnd.ms-word.document.macroenabled.12"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODT = "application/vnd.oasis.opendocument.text"
XLS = "application/vnd.ms-excel"
DOC = "application/msword"
PPT = "application/vnd.ms-powerpoint"
MSG = "application/vnd.ms-outlook"
OLE = "application/x-ole-storage"
CSV = "text/csv"
TEXT = "text/plain"
OCTET = "application/octet-stream"

# Prefix signatures checked in order; the first match wins.
_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"{\\rtf", "application/rtf"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"%!PS", "application/postscript"),
)

# ISO base media "ftyp" brands of HEIF/HEIC/AVIF images.
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

# OLE2 stream names (UTF-16LE in the directory) and the type they reveal, by priority:
# a Word document may embed a workbook, the reverse is rarer.
_OLE_STREAMS: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    ("WordDocument".encode("utf-16-le"), DOC, ("doc", "dot")),
    ("PowerPoint Document".encode("utf-16-le"), PPT, ("ppt", "pps")),
    ("__substg1.0_".encode("utf-16-le"), MSG, ("msg",)),
    ("Workbook".encode("utf-16-le"), XLS, ("xls", "xlt")),
    ("Book".encode("utf-16-le"), XLS, ("xls", "xlt")),
)
_OLE_BY_EXTENSION = {"xls": XLS, "xlt": XLS, "doc": DOC, "dot": DOC, "ppt": PPT, "msg": MSG}

# Declared types that already say "text of some kind" and are kept when the bytes are text.
_TEXTUAL_DECLARED = ("text/", "application/json", "application/xml", "message/")
# How much of a file the text check reads.
_TEXT_SAMPLE = 8192


def _extension(filename: str | None) -> str:
    if not filename or "." not in filename:
        return ""
    return filename.rsplit(".", 1)[1].strip().lower()


def _sniff_zip(data: bytes, extension: str) -> str:
    """Tell OOXML and OpenDocument files from plain archives by their member names."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                # The OpenDocument "mimetype" member is tiny; cap the read anyway.
                with archive.open("mimetype") as member:
                    declared = member.read(100).decode("ascii", "replace").strip().lower()
                if declared.startswith("application/vnd.oasis.opendocument."):
                    return declared
    except Exception:
        # A truncated or hostile archive is still an archive; its details are unknown.
        return ZIP
    name_set = set(names)
    if any(name.startswith("xl/") for name in names):
        if "xl/workbook.bin" in name_set:
            return XLSB
        if "xl/vbaProject.bin" in name_set or extension == "xlsm":
            return XLSM
        return XLSX
    if any(name.startswith("word/") for name in names):
        return DOCM if "word/vbaProject.bin" in name_set else DOCX
    if any(name.startswith("ppt/") for name in names):
        return PPTX
    return ZIP


def _sniff_ole(data: bytes, extension: str) -> str:
    """Tell xls, doc, ppt and msg apart inside an OLE2 compound file."""
    found: list[str] = []
    for needle, mime, extensions in _OLE_STREAMS:
        if needle in data:
            if extension in extensions:
                return mime
            found.append(mime)
    if found:
        return found[0]
    return _OLE_BY_EXTENSION.get(extension, OLE)


# Every byte except the C0 controls that never occur in text (tab, newlines, form feed
# and the ESC of ISO-2022 encodings do).
_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13, 27))


def _is_text(sample: bytes) -> bool:
    """True when the sample has no NUL and almost no other binary control bytes.

    Any byte sequence without controls decodes in some charset (Windows-1252 takes
    nearly all), so decodability is judged by the controls alone.
    """
    if not sample or b"\x00" in sample:
        return False
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls * 100 <= len(sample)


def sniff_type(data: bytes, declared: str = OCTET, filename: str | None = None) -> str:
    """The MIME type that ``data`` really has, else ``declared``.

    ``declared`` is the sender's Content-Type (lower-case, no parameters) and
    ``filename`` its file name: both only break ties the bytes leave open (an OLE2 file
    with no recognisable stream, text that is CSV by its name).
    """
    declared = (declared or OCTET).lower()
    if not data:
        return declared
    extension = _extension(filename)
    head = data[:16]
    if data[:1024].find(b"%PDF-") >= 0:
        return PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, extension)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(data, extension)
    for prefix, mime in _PREFIXES:
        if head.startswith(prefix):
            return mime
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in (b"avif", b"avis"):
            return "image/avif"
    if _is_text(data[:_TEXT_SAMPLE]):
        if extension == "csv" or declared in ("text/csv", "text/comma-separated-values"):
            return CSV
        if declared.startswith(_TEXTUAL_DECLARED):
            return declared
        return TEXT
    return declared
