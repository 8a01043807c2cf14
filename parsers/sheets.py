"""Read a spreadsheet (xlsx, xlsm, xlsb, xls, ods, csv) into typed rows, safely.

The format is recognised from the bytes and the file checked before it is read (see
:mod:`parsers.sheetguards`); workbooks are read by python-calamine, which never runs
macros, and CSV by :mod:`parsers.csvsniff`. This module assembles what they read into
a :class:`Workbook` of :class:`Sheet` rows.

Reading never raises. A file that cannot be read gives a :class:`Workbook` with no
sheets and ``error``/``error_kind`` set: ``protected`` (password, encrypted package),
``corrupt`` (truncated, malformed), ``too_large`` (zip bomb, absurd cell ranges, more
rows than ``max_rows``) or ``unsupported`` (not a spreadsheet).

Bounding policy: a sheet longer than ``max_rows`` is cut at ``max_rows`` rows and the
workbook carries ``error_kind="too_large"`` together with the rows read so far.

Isolation: calamine runs in a forked child with a memory ceiling and a time limit,
because a few malformed files make native code abort the process (a failed
allocation is not an exception); the child's death becomes ``corrupt``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from parsers.csvsniff import read_csv
from parsers.sheetguards import ErrorKind, Format, Refused, check_workbook, sniff_format

if TYPE_CHECKING:
    import python_calamine

CellValue = str | float | int | bool | datetime | date | None


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
    except (KeyboardInterrupt, SystemExit):
        raise
    # python-calamine turns Rust panics into pyo3's PanicException, which derives from
    # BaseException: a malformed file must not take the poller down with it.
    except BaseException as exc:  # noqa: BLE001 - per-file boundary
        return _unread(fmt, exc)


def _unread(fmt: Format | None, exc: BaseException) -> Workbook:
    """The workbook without sheets that says why the file could not be read."""
    if isinstance(exc, Refused):
        return Workbook(sheets=(), format=fmt, error=str(exc), error_kind=exc.kind)
    if isinstance(exc, MemoryError):
        return Workbook(sheets=(), format=fmt, error="out of memory", error_kind="too_large")
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
        raise Refused("too_large", f"reading took more than {CHILD_SECONDS:.0f} s")
    raise Refused("corrupt", f"the reader process died (exit code {process.exitcode})")


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
    except BaseException as exc:  # noqa: BLE001 - the child's only job is to answer
        workbook = _unread(fmt, exc)
    sender.send(workbook)
    sender.close()


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

    check_workbook(data, fmt, max_cells)
    try:
        book = _open_calamine(data, fmt, path)
    except python_calamine.PasswordError as exc:
        raise Refused("protected", f"password-protected workbook: {exc}") from None
    except python_calamine.CalamineError as exc:
        kind: ErrorKind = "too_large" if "limit" in str(exc).lower() else "corrupt"
        raise Refused(kind, f"{type(exc).__name__}: {exc}") from None
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
            raise Refused("protected", f"password-protected sheet {name}: {exc}") from None
        except python_calamine.CalamineError as exc:
            if "limit" in str(exc).lower():
                raise Refused("too_large", f"sheet {name}: {exc}") from None
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
            raise Refused("too_large", f"sheet {name} holds {sheet.height} x {sheet.width} cells")
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
        raise Refused("corrupt", "; ".join(problems))
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
