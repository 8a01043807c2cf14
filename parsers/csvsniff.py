"""Read a CSV export: guess its encoding and delimiter, return its records as rows.

Spreadsheet programs write CSV in many ways: UTF-8 with or without a byte-order
mark, Windows-1252 from a French Excel, ``;`` (French locale) or ``,`` or tab as the
delimiter, and sometimes a first ``sep=;`` line that Excel reads as a directive and
does not show. This module imports nothing from the rest of the project and never
raises on bad input.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

DELIMITERS = (";", ",", "\t", "|")

# How many records the delimiter guess looks at.
_SNIFF_RECORDS = 40


@dataclass(frozen=True)
class CsvTable:
    """The records of a CSV file, each with its row number as a spreadsheet shows it."""

    rows: tuple[tuple[str | None, ...], ...]
    row_numbers: tuple[int, ...]
    encoding: str
    delimiter: str
    # True when the file had more records than the caller's limit: rows stop there.
    truncated: bool = False
    problems: tuple[str, ...] = ()


def decode_text(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    # Windows-1252 leaves five bytes undefined: let charset-normalizer look, and fall
    # back to Latin-1, which decodes any byte.
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, errors="replace"), best.encoding
    except Exception:  # noqa: BLE001 - a detector failure only means we use Latin-1
        pass
    return data.decode("latin-1"), "latin-1"


def looks_like_text(data: bytes) -> bool:
    """True when the first bytes look like text rather than a binary file."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls <= len(head) // 100


def _guess_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most regular columns."""
    sample_lines = text.splitlines()[:_SNIFF_RECORDS]
    sample = "\n".join(sample_lines)
    best = (0, 0, 0)
    chosen = ";"
    for rank, delimiter in enumerate(DELIMITERS):
        if delimiter not in sample:
            continue
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter)]
        except csv.Error:
            continue
        wide = [n for n in counts if n > 1]
        if not wide:
            continue
        # The most frequent width among split records, how often it occurs, and a
        # preference for the earlier (more usual) delimiters on ties.
        width, frequency = Counter(wide).most_common(1)[0]
        score = (frequency, width, -rank)
        if score > best:
            best, chosen = score, delimiter
    return chosen


def read_csv(data: bytes, *, max_rows: int) -> CsvTable:
    """Read CSV bytes into rows of strings (empty cells are None)."""
    text, encoding = decode_text(data)
    problems: list[str] = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        problems.append("NUL characters removed")
    first_number = 1
    delimiter = ""
    # Excel's "sep=;" first line names the delimiter and is not shown as a row.
    first_line, _, rest = text.partition("\n")
    if first_line.strip().lower().startswith("sep=") and len(first_line.strip()) == 5:
        delimiter = first_line.strip()[4]
        text = rest
    if not delimiter:
        delimiter = _guess_delimiter(text)
    rows: list[tuple[str | None, ...]] = []
    numbers: list[int] = []
    truncated = False
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = first_number
    try:
        for record in reader:
            if len(rows) >= max_rows:
                truncated = True
                break
            rows.append(tuple(value if value.strip() else None for value in record))
            numbers.append(number)
            number += 1
    except csv.Error as exc:
        problems.append(f"CSV read stopped at record {number}: {exc}")
    while rows and not any(v is not None for v in rows[-1]):
        rows.pop()
        numbers.pop()
    return CsvTable(
        rows=tuple(rows),
        row_numbers=tuple(numbers),
        encoding=encoding,
        delimiter=delimiter,
        truncated=truncated,
        problems=tuple(problems),
    )
