"""Read a spreadsheet (xlsx, xlsm, xlsb, xls, ods, csv) into typed rows, safely.

The format is recognised from the bytes, not the name: a zip holding ``xl/`` is an
Office Open XML workbook, an OLE2 file with a ``Workbook`` stream is a legacy ``.xls``,
a zip whose ``mimetype`` member says so is an OpenDocument spreadsheet, and text is
CSV. Workbooks are read by python-calamine, which never runs macros.

Reading never raises. A file that cannot be read gives a :class:`Workbook` with no
sheets and ``error``/``error_kind`` set: ``protected`` (password, encrypted package),
``corrupt`` (truncated, malformed), ``too_large`` (zip bomb, absurd cell ranges, more
rows than ``max_rows``) or ``unsupported`` (not a spreadsheet). Before python-calamine
sees a zip, its declared sizes and compression ratios are checked, and the extent of
every sheet is estimated, because calamine allocates the whole rectangle a sheet spans
and a few kilobytes can claim billions of cells.

Bounding policy: a sheet longer than ``max_rows`` is cut at ``max_rows`` rows and the
workbook carries ``error_kind="too_large"`` together with the rows read so far.

Isolation: calamine runs in a forked child with a memory ceiling and a time limit,
because a few malformed files make native code abort the process (a failed
allocation is not an exception); the child's death becomes ``corrupt``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import re
import secrets
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from parsers.csvsniff import looks_like_text, read_csv

if TYPE_CHECKING:
    import python_calamine

CellValue = str | float | int | bool | datetime | date | None
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

_CELL_REF_RISK = re.compile(rb'r="(?:[A-Z]{2}|[A-Z]*\d{6})')
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s([^>]*)>")
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_OOXML_MAIN = (
    b"spreadsheetml.sheet.main",
    b"spreadsheetml.template.main",
    b"sheet.macroEnabled.main",
)
_OOXML_BINARY = b"sheet.binary.macroEnabled.main"


@dataclass(frozen=True)
class Sheet:
    """One sheet: rows of typed cells, each with its 1-based row number as displayed."""

    name: str
    rows: tuple[tuple[CellValue, ...], ...]
    row_numbers: tuple[int, ...]
    visible: bool = True


@dataclass(frozen=True)
class Workbook:
    sheets: tuple[Sheet, ...]
    format: Format | None
    error: str | None = None
    error_kind: ErrorKind | None = None
    problems: tuple[str, ...] = ()


class _Refused(Exception):
    """A guard refused the file before or while reading it."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


def read_workbook(
    data: bytes,
    filename: str | None,
    *,
    max_rows: int = 200_000,
    max_cells: int = 5_000_000,
    isolated: bool = True,
) -> Workbook:
    """Read every sheet of a spreadsheet file; never raises (see the module docstring).

    With ``isolated`` (the default), workbooks are read by a child process (see
    :func:`_read_isolated`); CSV is always read here, in pure Python.
    """
    fmt: Format | None = None
    try:
        fmt = sniff_format(data, filename)
        if fmt == "csv":
            return _read_csv(data, max_rows)
        if isolated:
            return _read_isolated(data, fmt, max_rows, max_cells)
        return _read_calamine(data, fmt, max_rows=max_rows, max_cells=max_cells)
    except _Refused as refusal:
        return Workbook(sheets=(), format=fmt, error=str(refusal), error_kind=refusal.kind)
    except MemoryError:
        return Workbook(sheets=(), format=fmt, error="out of memory", error_kind="too_large")
    except (KeyboardInterrupt, SystemExit):
        raise
    # python-calamine turns Rust panics into pyo3's PanicException, which derives from
    # BaseException: a malformed file must not take the poller down with it.
    except BaseException as exc:  # noqa: BLE001 - per-file boundary
        return Workbook(
            sheets=(), format=fmt, error=f"{type(exc).__name__}: {exc}", error_kind="corrupt"
        )


# The child reading a workbook may use this much address space and time. A real
# collection spreadsheet needs a few tens of megabytes and well under a second.
CHILD_MEMORY = 1536 * 1024 * 1024
CHILD_SECONDS = 60.0


def _read_isolated(data: bytes, fmt: Format, max_rows: int, max_cells: int) -> Workbook:
    """Read with calamine in a child process, with a memory ceiling and a time limit.

    Calamine is native code: some malformed files make it request absurd amounts of
    memory, and a failed allocation aborts the whole process, which no ``except`` can
    catch. In a child, that only costs the child. The child is forked (no new
    interpreter, no re-import of the main program, the bytes already in memory): it
    only reads, pickles the rows back through a pipe and exits.
    """
    import multiprocessing

    # Imported and resolved here, before the fork, so that the child takes no import
    # or module lock that another thread of this process might hold.
    import python_calamine  # noqa: F401

    tempfile.gettempdir()
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        # No fork on this platform: read in this process.
        return _read_calamine(data, fmt, max_rows=max_rows, max_cells=max_cells)
    path = _temporary_path(fmt)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child_read, args=(sender, data, fmt, max_rows, max_cells, path), daemon=True
    )
    try:
        process.start()
    except (OSError, AssertionError):
        # No child processes here (inside a daemon process, a sandbox): read here.
        receiver.close()
        sender.close()
        return _read_calamine(data, fmt, max_rows=max_rows, max_cells=max_cells)
    sender.close()
    result: object = None
    try:
        if receiver.poll(CHILD_SECONDS):
            try:
                result = receiver.recv()
            except (EOFError, OSError):
                result = None
        else:
            result = "timeout"
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
        with contextlib.suppress(OSError):
            os.unlink(path)
    if isinstance(result, Workbook):
        return result
    if result == "timeout":
        raise _Refused("too_large", f"reading took more than {CHILD_SECONDS:.0f} s")
    raise _Refused("corrupt", f"the reader process died (exit code {process.exitcode})")


def _child_read(
    sender: Any, data: bytes, fmt: Format, max_rows: int, max_cells: int, path: str
) -> None:  # pragma: no cover - runs in the child process
    import resource

    # Without a ceiling (a platform that refuses it), the time limit still holds.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    # Calamine's panic messages and backtraces would land in the poller's log: the
    # error travels back in the Workbook instead.
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    faulthandler.disable()
    try:
        workbook = _read_calamine(data, fmt, max_rows=max_rows, max_cells=max_cells, path=path)
    except _Refused as refusal:
        workbook = Workbook(sheets=(), format=fmt, error=str(refusal), error_kind=refusal.kind)
    except MemoryError:
        workbook = Workbook(sheets=(), format=fmt, error="out of memory", error_kind="too_large")
    except BaseException as exc:  # noqa: BLE001 - the child's only job is to answer
        workbook = Workbook(
            sheets=(), format=fmt, error=f"{type(exc).__name__}: {exc}", error_kind="corrupt"
        )
    sender.send(workbook)
    sender.close()


def sniff_format(data: bytes, filename: str | None) -> Format:
    """Recognise the format from the bytes; raise :class:`_Refused` when it is none of ours."""
    if not data:
        raise _Refused("corrupt", "empty file")
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _Refused("protected", "encrypted Office package (password-protected)")
        for stream in ("WordDocument", "PowerPoint Document", "__substg1.0_"):
            if stream.encode("utf-16-le") in data:
                raise _Refused("unsupported", f"OLE2 file with a {stream} stream, not a workbook")
        return "xls"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, filename)
    if data.startswith(b"%PDF"):
        raise _Refused("unsupported", "PDF file, not a spreadsheet")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<html", b"<!doctype", b"<table")):
        raise _Refused("unsupported", "HTML or XML export, not a spreadsheet file")
    if looks_like_text(data):
        return "csv"
    raise _Refused("unsupported", "unrecognised binary file")


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
        raise _Refused("protected", "password-protected workbook (FILEPASS record)")
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
    if (max_row + 1) * (max_col + 1) > max_cells:
        raise _Refused(
            "too_large", f"a sheet spans {max_row + 1} rows x {max_col + 1} columns of cells"
        )


def _sniff_zip(data: bytes, filename: str | None) -> Format:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _Refused("corrupt", f"broken zip container: {exc}") from None
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
        raise _Refused("corrupt", "Office Open XML package without a workbook part")
    raise _Refused("unsupported", "zip archive that is not a spreadsheet")


def _check_zip(data: bytes, fmt: Format, max_cells: int) -> None:
    """Refuse zip bombs and sheets whose cell rectangle is absurd, before calamine."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _Refused("corrupt", f"broken zip container: {exc}") from None
    if len(infos) > MAX_MEMBERS:
        raise _Refused("too_large", f"zip with {len(infos)} members")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_FROM and ratio > MAX_RATIO:
            raise _Refused(
                "too_large",
                f"zip member {info.filename} expands {ratio:.0f} times to {info.file_size} bytes",
            )
    if total > MAX_UNCOMPRESSED:
        raise _Refused("too_large", f"zip declares {total} uncompressed bytes")
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
        raise _Refused("corrupt", f"unreadable zip member: {exc}") from None


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
    if max_row * max_col > max_cells:
        raise _Refused("too_large", f"{name} spans {max_row} rows x {max_col} columns of cells")


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
    if max_row * max(max_col, 1) > max_cells:
        raise _Refused("too_large", f"{name} spans {max_row} rows x {max_col} columns of cells")


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
                raise _Refused(
                    "too_large",
                    f"content.xml expands to {max_row} rows x {max_col} columns of cells",
                )


# Calamine gives empty cells as "" (our None), and times of day and durations, which
# our cells carry as text; the other types pass through.
_KEPT = frozenset({float, int, bool, datetime, date})


def _temporary_path(fmt: Format) -> str:
    suffix = ".xlsx" if fmt == "xlsm" else f".{fmt}"
    return os.path.join(tempfile.gettempdir(), f"sheet-{secrets.token_hex(8)}{suffix}")


def _open_calamine(
    data: bytes, fmt: Format, path: str | None = None
) -> python_calamine.CalamineWorkbook:
    """Open with the reader for ``fmt``: calamine picks it by the file's extension.

    Opening from memory makes calamine guess the format by trying each reader in turn,
    which loses the precise error (a password-protected .xls then reads as "cannot
    detect file format"); a temporary file with the right extension keeps it.
    """
    import python_calamine

    # The name is made here rather than by tempfile, whose first use takes a lock: in a
    # forked child, a lock some other thread of the parent held would never open. The
    # parent of an isolated read chooses it, to remove the file if the child dies.
    path = path or _temporary_path(fmt)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return python_calamine.CalamineWorkbook.from_path(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _read_calamine(
    data: bytes, fmt: Format, *, max_rows: int, max_cells: int, path: str | None = None
) -> Workbook:
    import python_calamine

    if fmt in ("xlsx", "xlsm", "xlsb", "ods"):
        _check_zip(data, fmt, max_cells)
    elif fmt == "xls":
        _check_xls(data, max_cells)
    try:
        book = _open_calamine(data, fmt, path)
    except python_calamine.PasswordError as exc:
        raise _Refused("protected", f"password-protected workbook: {exc}") from None
    except python_calamine.CalamineError as exc:
        kind: ErrorKind = "too_large" if "limit" in str(exc).lower() else "corrupt"
        raise _Refused(kind, f"{type(exc).__name__}: {exc}") from None
    visible = python_calamine.SheetVisibleEnum.Visible
    visibility = {meta.name: meta.visible == visible for meta in book.sheets_metadata}
    sheets: list[Sheet] = []
    problems: list[str] = []
    cells_left = max_cells
    error: str | None = None
    error_kind: ErrorKind | None = None
    failed = 0
    for name in book.sheet_names:
        try:
            sheet = book.get_sheet_by_name(name)
        except python_calamine.PasswordError as exc:
            raise _Refused("protected", f"password-protected sheet {name}: {exc}") from None
        except python_calamine.CalamineError as exc:
            if "limit" in str(exc).lower():
                raise _Refused("too_large", f"sheet {name}: {exc}") from None
            problems.append(f"sheet {name} unreadable: {exc}")
            failed += 1
            continue
        start = sheet.start
        if start is None:
            sheets.append(
                Sheet(name=name, rows=(), row_numbers=(), visible=visibility.get(name, True))
            )
            continue
        first_row, first_col = start
        height = min(sheet.height, max_rows)
        if height * sheet.width > cells_left:
            raise _Refused("too_large", f"sheet {name} holds {sheet.height} x {sheet.width} cells")
        if sheet.height > max_rows:
            error = f"sheet {name} has {sheet.height} rows; only the first {max_rows} were read"
            error_kind = "too_large"
        cells_left -= height * sheet.width
        pad = (None,) * first_col
        rows = tuple(
            pad
            + tuple(
                [
                    (v or None) if v.__class__ is str else v if v.__class__ in _KEPT else str(v)
                    for v in row
                ]
            )
            for row in sheet.to_python(skip_empty_area=True, nrows=height)
        )
        numbers = tuple(range(first_row + 1, first_row + 1 + len(rows)))
        sheets.append(
            Sheet(
                name=name,
                # The comprehension above turned times and durations into text.
                rows=cast(tuple[tuple[CellValue, ...], ...], rows),
                row_numbers=numbers,
                visible=visibility.get(name, True),
            )
        )
    if failed and not any(sheet.rows for sheet in sheets):
        raise _Refused("corrupt", "; ".join(problems))
    return Workbook(
        sheets=tuple(sheets),
        format=fmt,
        error=error,
        error_kind=error_kind,
        problems=tuple(problems),
    )


def _read_csv(data: bytes, max_rows: int) -> Workbook:
    table = read_csv(data, max_rows=max_rows)
    sheet = Sheet(name="CSV", rows=table.rows, row_numbers=table.row_numbers)
    problems = (f"encoding {table.encoding}, delimiter {table.delimiter!r}",) + table.problems
    if table.truncated:
        return Workbook(
            sheets=(sheet,),
            format="csv",
            error=f"more than {max_rows} records; only the first {max_rows} were read",
            error_kind="too_large",
            problems=problems,
        )
    return Workbook(sheets=(sheet,), format="csv", problems=problems)
