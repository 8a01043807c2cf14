"""Decide, before python-calamine sees the bytes, what format a file is and whether it is safe.

The format is recognised from the bytes, not the name: a zip holding ``xl/`` is an
Office Open XML workbook, an OLE2 file with a ``Workbook`` stream is a legacy ``.xls``,
a zip whose ``mimetype`` member says so is an OpenDocument spreadsheet, and text is
CSV. Then, because calamine allocates the whole rectangle a sheet spans and a few
kilobytes can claim billions of cells, every zip's declared sizes and compression
ratios are checked and the extent of every sheet is estimated; an encrypted ``.xls``
(FILEPASS) is refused too. A refusal is a :class:`Refused` carrying the error kind
that :mod:`parsers.sheets` puts on the workbook.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable
from typing import Literal

from parsers.csvsniff import looks_like_text

Format = Literal["xlsx", "xlsm", "xlsb", "xls", "ods", "csv"]
ErrorKind = Literal["protected", "corrupt", "too_large", "unsupported"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

# Zip guards. A genuine 20,000-row sheet is about 12 MB of XML compressed 13 times;
# bombs declare gigabytes at ratios in the thousands.
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECK_FROM = 10 * 1024 * 1024
MAX_MEMBERS = 10_000

_OOXML_MAIN = (
    b"spreadsheetml.sheet.main",
    b"spreadsheetml.template.main",
    b"sheet.macroEnabled.main",
)
_OOXML_BINARY = b"sheet.binary.macroEnabled.main"


class Refused(Exception):
    """A guard refused the file before or while reading it."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


def sniff_format(data: bytes, filename: str | None) -> Format:
    """Recognise the format from the bytes; raise :class:`Refused` when it is none of ours."""
    if not data:
        raise Refused("corrupt", "empty file")
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise Refused("protected", "encrypted Office package (password-protected)")
        for stream in ("WordDocument", "PowerPoint Document", "__substg1.0_"):
            if stream.encode("utf-16-le") in data:
                raise Refused("unsupported", f"OLE2 file with a {stream} stream, not a workbook")
        return "xls"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, filename)
    if data.startswith(b"%PDF"):
        raise Refused("unsupported", "PDF file, not a spreadsheet")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<html", b"<!doctype", b"<table")):
        raise Refused("unsupported", "HTML or XML export, not a spreadsheet file")
    if looks_like_text(data):
        return "csv"
    raise Refused("unsupported", "unrecognised binary file")


def _open_zip(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The archive and its members; a container zipfile cannot read is ``corrupt``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        return archive, archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Refused("corrupt", f"broken zip container: {exc}") from None


def _sniff_zip(data: bytes, filename: str | None) -> Format:
    archive, infos = _open_zip(data)
    names = {info.filename for info in infos}
    content_types = b""
    if "[Content_Types].xml" in names:
        try:
            content_types = archive.open("[Content_Types].xml").read(1_000_000)
        except Exception:  # noqa: BLE001 - unreadable member: fall back on part names
            content_types = b""
    # The workbook part is usually xl/workbook.xml, but producers put it elsewhere
    # (root folder, backslash paths): the content types say what it is.
    if "xl/workbook.bin" in names or _OOXML_BINARY in content_types:
        return "xlsb"
    if "xl/workbook.xml" in names or any(kind in content_types for kind in _OOXML_MAIN):
        macro = (
            b"macroEnabled" in content_types
            or any(name.lower().endswith("vbaproject.bin") for name in names)
            or (filename or "").lower().endswith(".xlsm")
        )
        return "xlsm" if macro else "xlsx"
    if "mimetype" in names:
        try:
            mimetype = archive.open("mimetype").read(200).strip()
        except Exception:  # noqa: BLE001 - unreadable member: treated as not ODS
            mimetype = b""
        if mimetype == ODS_MIMETYPE:
            return "ods"
    if "content.xml" in names and (filename or "").lower().endswith(".ods"):
        return "ods"
    if any(name.startswith("xl/") for name in names):
        raise Refused("corrupt", "Office Open XML package without a workbook part")
    raise Refused("unsupported", "zip archive that is not a spreadsheet")


def check_workbook(data: bytes, fmt: Format, max_cells: int) -> None:
    """Raise :class:`Refused` when a workbook of format ``fmt`` is unsafe for calamine."""
    if fmt in ("xlsx", "xlsm", "xlsb", "ods"):
        _check_zip(data, fmt, max_cells)
    elif fmt == "xls":
        _check_xls(data, max_cells)


def _check_zip(data: bytes, fmt: Format, max_cells: int) -> None:
    """Refuse zip bombs and sheets whose cell rectangle is absurd, before calamine."""
    archive, infos = _open_zip(data)
    if len(infos) > MAX_MEMBERS:
        raise Refused("too_large", f"zip with {len(infos)} members")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_FROM and ratio > MAX_RATIO:
            raise Refused(
                "too_large",
                f"zip member {info.filename} expands {ratio:.0f} times to {info.file_size} bytes",
            )
    if total > MAX_UNCOMPRESSED:
        raise Refused("too_large", f"zip declares {total} uncompressed bytes")
    try:
        if fmt in ("xlsx", "xlsm"):
            for info in infos:
                name = info.filename.replace("\\", "/").lower()
                if name.endswith(".xml") and "sheet" in name.rsplit("/", 1)[-1]:
                    _check_xlsx_extent(info.filename, archive.read(info), max_cells)
        elif fmt == "xlsb":
            for info in infos:
                name = info.filename.replace("\\", "/").lower()
                if name.endswith(".bin") and name.rsplit("/", 1)[-1].startswith("sheet"):
                    _check_xlsb_extent(info.filename, archive.read(info), max_cells)
        elif fmt == "ods" and "content.xml" in archive.namelist():
            _check_ods_extent(archive.read("content.xml"), max_cells)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise Refused("corrupt", f"unreadable zip member: {exc}") from None


_END_OF_CHAIN = 0xFFFFFFFA
# BIFF records that hold a cell value (blank, formatted-only cells are not counted:
# calamine does not place them): NUMBER, LABELSST, RK, BOOLERR, FORMULA, LABEL, RSTRING.
_XLS_VALUE_RECORDS = frozenset({0x0203, 0x00FD, 0x027E, 0x0205, 0x0006, 0x0204, 0x00D6})
_XLS_MULRK, _XLS_BOF, _XLS_EOF, _XLS_FILEPASS = 0x00BD, 0x0809, 0x000A, 0x002F


def _ole_stream(data: bytes, wanted: tuple[str, ...]) -> bytes | None:
    """The first stream of an OLE2 (compound) file whose name is in ``wanted``.

    Names compare case-insensitively. None when the container is malformed: calamine
    then reports it. Every chain walk is bounded, so a looping FAT cannot hang us.
    """
    if len(data) < 512:
        return None
    sector_size = 1 << int.from_bytes(data[30:32], "little")
    if sector_size not in (512, 4096):
        return None
    per_sector = sector_size // 4

    def sector(sid: int) -> bytes:
        start = 512 + sid * sector_size
        return data[start : start + sector_size]

    fat_ids = list(struct.unpack("<109I", data[76:512]))
    next_difat = int.from_bytes(data[68:72], "little")
    for _ in range(len(data) // sector_size):
        if next_difat >= _END_OF_CHAIN:
            break
        block = sector(next_difat)
        if len(block) < sector_size:
            return None
        ids = struct.unpack(f"<{per_sector}I", block)
        fat_ids.extend(ids[:-1])
        next_difat = ids[-1]
    fat: list[int] = []
    for sid in fat_ids:
        if sid < _END_OF_CHAIN:
            block = sector(sid)
            if len(block) < sector_size:
                return None
            fat.extend(struct.unpack(f"<{per_sector}I", block))

    def chain(start: int, table: list[int], read: Callable[[int], bytes], size: int) -> bytes:
        out = bytearray()
        sid = start
        for _ in range(len(table)):
            if sid >= _END_OF_CHAIN or len(out) >= size or sid >= len(table):
                break
            out += read(sid)
            sid = table[sid]
        return bytes(out[:size])

    directory = chain(int.from_bytes(data[48:52], "little"), fat, sector, len(data))
    root_start = root_size = 0
    for offset in range(0, len(directory) - 127, 128):
        entry = directory[offset : offset + 128]
        name_length = min(int.from_bytes(entry[64:66], "little"), 64)
        name = entry[: max(name_length - 2, 0)].decode("utf-16-le", errors="replace")
        kind = entry[66]
        start = int.from_bytes(entry[116:120], "little")
        size = int.from_bytes(entry[120:124], "little")
        if kind == 5:
            root_start, root_size = start, size
        elif kind == 2 and name.lower() in wanted:
            if size >= int.from_bytes(data[56:60], "little"):
                return chain(start, fat, sector, size)
            # A small stream lives in 64-byte mini sectors inside the root's stream.
            mini_stream = chain(root_start, fat, sector, root_size)
            raw = chain(int.from_bytes(data[60:64], "little"), fat, sector, len(data))
            minifat = list(struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4]))

            def mini_sector(sid: int, stream: bytes = mini_stream) -> bytes:
                return stream[sid * 64 : sid * 64 + 64]

            return chain(start, minifat, mini_sector, size)
    return None


def _check_xls(data: bytes, max_cells: int) -> None:
    """Refuse an encrypted .xls, and sheets whose cells span an absurd rectangle.

    Calamine allocates every cell of the rectangle a sheet spans: two cells at A1 and
    IV65536 in a 6 KB file cost a gigabyte. The value records are scanned first.
    Calamine itself reports only RC4 encryption; FILEPASS also catches XOR.
    """
    stream = _ole_stream(data, ("workbook", "book"))
    if stream is None or len(stream) < 8:
        return
    # BIFF puts FILEPASS right after the workbook's first BOF record.
    second = 4 + int.from_bytes(stream[2:4], "little")
    if stream[second : second + 2] == b"\x2f\x00":
        raise Refused("protected", "password-protected workbook (FILEPASS record)")
    # One unpack per record reads its type, length and (for cells) row and column;
    # this loop runs once per cell, so it is kept bare.
    header = struct.Struct("<HHHH").unpack_from
    values, mulrk, bof, eof = _XLS_VALUE_RECORDS, _XLS_MULRK, _XLS_BOF, _XLS_EOF
    position, last = 0, len(stream) - 8
    max_row = max_col = -1
    while position <= last:
        kind, length, row, column = header(stream, position)
        if kind in values:
            if row > max_row:
                max_row = row
            if column > max_col:
                max_col = column
        elif kind == mulrk and length >= 6:
            end = position + 4 + length - 2
            column = int.from_bytes(stream[end : end + 2], "little")
            max_row, max_col = max(max_row, row), max(max_col, column)
        elif kind == bof:
            max_row = max_col = -1
        elif kind == eof and (max_row + 1) * (max_col + 1) > max_cells:
            break
        position += 4 + length
    _check_extent("a sheet", max_row + 1, max_col + 1, max_cells)


def _check_extent(name: str, rows: int, columns: int, max_cells: int) -> None:
    """Refuse a sheet whose rectangle of ``rows`` x ``columns`` holds too many cells."""
    if rows * columns > max_cells:
        raise Refused("too_large", f"{name} spans {rows} rows x {columns} columns of cells")


# Binary workbook records: a row header (its index), and the cells that hold a value
# (blank cells, type 1, are not placed by calamine).
_XLSB_ROW = 0
_XLSB_VALUE_CELLS = frozenset({2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 62})


def _check_xlsb_extent(name: str, data: bytes, max_cells: int) -> None:
    """Walk a binary sheet's records (variable-length type and size) for its extent."""
    position, size = 0, len(data)
    row = max_row = max_col = 0
    while position < size:
        values = []
        for width in (2, 4):
            value = shift = 0
            for _ in range(width):
                if position >= size:
                    return
                byte = data[position]
                position += 1
                value |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            values.append(value)
        kind, length = values
        if length >= 4 and position + 4 <= size:
            number = int.from_bytes(data[position : position + 4], "little")
            if kind == _XLSB_ROW:
                row = number
            elif kind in _XLSB_VALUE_CELLS:
                max_row, max_col = max(max_row, row + 1), max(max_col, number + 1)
        position += length
    _check_extent(name, max_row, max_col, max_cells)


_CELL_REF_RISK = re.compile(rb'r="(?:[A-Z]{2}|[A-Z]*\d{6})')
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s([^>]*)>")
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _check_xlsx_extent(name: str, xml: bytes, max_cells: int) -> None:
    # Most sheets have no column past Z and no row past 99,999: one quick search
    # settles it. Otherwise every reference is read to find the real rectangle.
    if not _CELL_REF_RISK.search(xml):
        return
    max_row = max_col = 0
    for attributes in _CELL_TAG.findall(xml):
        # A self-closed cell holds no value (only a style): calamine skips it.
        if attributes.endswith(b"/"):
            continue
        ref = _CELL_REF.search(attributes)
        if ref is not None:
            max_row = max(max_row, int(ref.group(2)))
            max_col = max(max_col, _column_number(ref.group(1)))
    _check_extent(name, max_row, max_col, max_cells)


_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*)>")
_ODS_ROWS_REPEATED = re.compile(rb"number-rows-repeated=[\"'](\d+)")
_ODS_COLUMNS_REPEATED = re.compile(rb"number-columns-repeated=[\"'](\d+)")


def _check_ods_extent(xml: bytes, max_cells: int) -> None:
    """Refuse content.xml whose repeated rows and cells expand to an absurd rectangle.

    ``number-rows-repeated`` and ``number-columns-repeated`` let a kilobyte describe
    billions of cells, and calamine expands them. Only rows and cells that hold a
    value count: LibreOffice writes a million repeated empty rows after the data.
    """
    if not _ODS_COLUMNS_REPEATED.search(xml) and not _ODS_ROWS_REPEATED.search(xml):
        return
    # Splitting at the closing tags runs at C speed; a regex over the whole XML does not.
    for table in xml.split(b"</table:table>"):
        row_index = max_row = max_col = 0
        for piece in table.split(b"</table:table-row>"):
            start = piece.rfind(b"<table:table-row")
            if start < 0:
                continue
            end = piece.find(b">", start)
            attributes, body = piece[start:end], piece[end + 1 :]
            repeated = _ODS_ROWS_REPEATED.search(attributes)
            row_index += int(repeated.group(1)) if repeated else 1
            # Calamine places only cells with a value type (text alone is ignored).
            if b"value-type" not in body:
                continue
            if b"columns-repeated" in body:
                column = last_value = 0
                for cell in _ODS_CELL.finditer(body):
                    repeat = _ODS_COLUMNS_REPEATED.search(cell.group(1))
                    column += int(repeat.group(1)) if repeat else 1
                    if b"value-type" in cell.group(1):
                        last_value = column
            else:
                # One cell per tag: their count bounds the row's width.
                last_value = body.count(b"<table:table-cell") + body.count(b"<table:covered")
            max_row, max_col = row_index, max(max_col, last_value)
            if max_row * max_col > max_cells:
                raise Refused(
                    "too_large",
                    f"content.xml expands to {max_row} rows x {max_col} columns of cells",
                )
