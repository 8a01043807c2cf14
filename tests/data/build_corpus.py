#!/usr/bin/env python3
"""Write the golden corpus of test mails: ``tests/data/eml/<kind>/<name>.eml`` + ``.json``.

Every mail is written out by hand below, with the answer that SPEC §1-§4 and §8 expect
for it (never what the classifier happens to do). The JSON beside each mail holds the
§8 object without ``file``, plus ``inbox`` (the role passed as ``--inbox``), plus
``failed_recipient`` for bounces and an optional ``note`` explaining a subtle answer.

Run ``.venv/bin/python tests/data/build_corpus.py``: it needs reportlab, openpyxl, xlwt,
odfpy and Pillow, and regenerates byte-identical files (fixed dates, boundaries and
Message-IDs; PDF, zip and document metadata pinned). It is a data file written as a
script, which is why it is longer than the house limit for modules.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import quopri
import re
import sys
import textwrap
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "eml"
ACCUEIL = "accueil@union-prof.asso.fr"
CERTIF = "certification@institutquatredix.fr"
MISSING_ORDER = ("name", "phone", "postal_address", "exam_reference")
MAX_TOTAL_BYTES = 3 * 1024 * 1024


def t(text: str) -> str:
    """A hand-written body: the indentation of the source code and the first newline removed."""
    return textwrap.dedent(text).lstrip("\n")


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------


def when(y: int, mo: int, d: int, h: int, mi: int, s: int = 0, tz: str = "+0100") -> datetime:
    """A mail's date in the sender's own time zone (``tz`` written like ``+0200``)."""
    sign = -1 if tz[0] == "-" else 1
    offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5])) * sign
    return datetime(y, mo, d, h, mi, s, tzinfo=timezone(offset))


def encoded_words(text: str, charset: str = "utf-8", mode: str = "B") -> str:
    """RFC 2047 encoded words, folded, never splitting a character across two words."""
    if all(32 <= ord(c) < 127 for c in text):
        return text
    words: list[str] = []
    chunk = ""
    for char in text:
        candidate = chunk + char
        if len(_one_word(candidate, charset, mode)) > 75:
            words.append(_one_word(chunk, charset, mode))
            chunk = char
        else:
            chunk = candidate
    if chunk:
        words.append(_one_word(chunk, charset, mode))
    return "\n ".join(words)


def _one_word(text: str, charset: str, mode: str) -> str:
    data = text.encode(charset)
    if mode.upper() == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    out = []
    for byte in data:
        char = chr(byte)
        if char == " ":
            out.append("_")
        elif char.isascii() and (char.isalnum() or char in "!*+-/"):
            out.append(char)
        else:
            out.append(f"={byte:02X}")
    return f"=?{charset}?Q?{''.join(out)}?="


def addr(name: str | None, address: str, charset: str = "utf-8", mode: str = "B") -> str:
    """A From/To value; a non-ASCII display name is RFC 2047-encoded."""
    if not name:
        return address
    if all(32 <= ord(c) < 127 for c in name):
        needs_quotes = any(c in name for c in ',.;:()<>@[]"')
        shown = f'"{name}"' if needs_quotes else name
        return f"{shown} <{address}>"
    return f"{encoded_words(name, charset, mode)} <{address}>"


def message_id(key: str, sender: str) -> str:
    """A unique, stable Message-ID shaped like the sender's mail client would make it."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    domain = sender.rsplit("@", 1)[1].lower()
    if domain in ("gmail.com", "googlemail.com"):
        token = base64.b64encode(bytes.fromhex(digest[:54])).decode().replace("/", "_")
        return f"<CA{token}@mail.gmail.com>"
    if domain in ("hotmail.fr", "hotmail.com", "outlook.fr", "outlook.com", "live.fr"):
        box = f"PA{digest[:1].upper()}P{digest[1:4].upper()}MB{digest[4:8].upper()}"
        return f"<{box}{digest[8:40].upper()}@{box}.EURP{digest[40:43].upper()}.PROD.OUTLOOK.COM>"
    return f"<{digest[:8]}.{digest[8:20]}@{domain}>"


# ---------------------------------------------------------------------------
# MIME parts, rendered by hand so that boundaries and encodings are ours
# ---------------------------------------------------------------------------


@dataclass
class Part:
    headers: list[tuple[str, str]]
    body: bytes = b""
    parts: list[Part] | None = None
    boundary: str = ""
    preamble: str = ""

    def render(self) -> bytes:
        head = "".join(f"{name}: {value}\n" for name, value in self.headers)
        if not head.isascii():
            raise ValueError(f"non-ASCII header: {head!r}")
        if self.parts is None:
            body = self.body if self.body.endswith(b"\n") else self.body + b"\n"
            return head.encode() + b"\n" + body
        out = head.encode() + b"\n"
        if self.preamble:
            out += self.preamble.encode() + b"\n"
        for sub in self.parts:
            out += f"\n--{self.boundary}\n".encode() + sub.render()
        return out + f"\n--{self.boundary}--\n".encode()


def encode_body(data: bytes, cte: str) -> bytes:
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    if cte == "base64":
        return base64.encodebytes(data)
    return data


def text(
    body: str,
    subtype: str = "plain",
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    *,
    flowed: bool = False,
) -> Part:
    """A text part in the given charset and transfer encoding (7bit, 8bit, qp, base64)."""
    params = (
        f"text/{subtype}; charset={charset}"
        if charset.isalnum()
        else f'text/{subtype}; charset="{charset}"'
    )
    if flowed:
        params += "; format=flowed"
    return Part(
        [("Content-Type", params), ("Content-Transfer-Encoding", cte)],
        encode_body(body.encode(charset), cte),
    )


def _filename_params(filename: str, style: str) -> tuple[str, str]:
    """Content-Type name= and Content-Disposition filename= in a client's style."""
    if filename.isascii():
        return f'name="{filename}"', f'filename="{filename}"'
    if style == "rfc2047":
        word = encoded_words(filename)
        return f'name="{word}"', f'filename="{word}"'
    quoted = "".join(
        c
        if c.isascii() and (c.isalnum() or c in "._-")
        else "".join(f"%{b:02X}" for b in c.encode())
        for c in filename
    )
    return f"name*=utf-8''{quoted}", f"filename*=utf-8''{quoted}"


def attach(
    filename: str | None,
    ctype: str,
    data: bytes,
    *,
    inline: bool = False,
    cid: str | None = None,
    style: str = "rfc2231",
) -> Part:
    """An attached (or inline, Content-ID referenced) file, base64-encoded."""
    headers: list[tuple[str, str]] = []
    if filename is None:
        headers.append(("Content-Type", ctype))
        if inline:
            headers.append(("Content-Disposition", "inline"))
    else:
        name_param, file_param = _filename_params(filename, style)
        headers.append(("Content-Type", f"{ctype};\n {name_param}"))
        disposition = "inline" if inline else "attachment"
        headers.append(("Content-Disposition", f"{disposition};\n {file_param}"))
    headers.append(("Content-Transfer-Encoding", "base64"))
    if cid:
        headers.append(("Content-ID", f"<{cid}>"))
    return Part(headers, base64.encodebytes(data))


def forwarded(raw: bytes, description: str | None = None) -> Part:
    """A whole mail attached as message/rfc822 (a forward "as attachment")."""
    headers = [("Content-Type", "message/rfc822")]
    if description:
        headers.append(("Content-Description", description))
    headers.append(("Content-Disposition", "attachment"))
    return Part(headers, raw)


def raw_part(ctype: str, body: str, extra: tuple[tuple[str, str], ...] = ()) -> Part:
    """A part written verbatim (delivery-status blocks, rfc822 headers)."""
    return Part([("Content-Type", ctype), *extra], body.encode("ascii"))


def multi(subtype: str, boundary: str, *parts: Part, params: str = "", preamble: str = "") -> Part:
    ctype = f'multipart/{subtype};{params}\n boundary="{boundary}"'
    return Part([("Content-Type", ctype)], parts=list(parts), boundary=boundary, preamble=preamble)


def alternative(boundary: str, plain_body: str, html_body: str, charset: str = "utf-8") -> Part:
    return multi(
        "alternative", boundary, text(plain_body, charset=charset), text(html_body, "html", charset)
    )


def eml(
    *,
    frm: str,
    to: str,
    subject: str,
    date: datetime,
    body: Part,
    key: str,
    extra: tuple[tuple[str, str], ...] = (),
    subject_charset: str = "utf-8",
    subject_mode: str = "B",
    cc: str | None = None,
    crlf: bool = False,
    msgid: str | None = None,
) -> bytes:
    """A whole mail: envelope headers, then the body part's own headers and content."""
    sender = re.findall(r"<([^>]+)>", frm)
    sender_address = sender[-1] if sender else frm
    headers: list[tuple[str, str]] = [
        ("From", frm),
        ("To", to),
    ]
    if cc:
        headers.append(("Cc", cc))
    headers += [
        ("Subject", encoded_words(subject, subject_charset, subject_mode)),
        ("Date", format_datetime(date)),
        ("Message-ID", msgid or message_id(key, sender_address)),
        *extra,
        ("MIME-Version", "1.0"),
    ]
    part = Part(headers + body.headers, body.body, body.parts, body.boundary, body.preamble)
    raw = part.render()
    return raw.replace(b"\n", b"\r\n") if crlf else raw


# ---------------------------------------------------------------------------
# Attachments: PDF, images, spreadsheets (all deterministic)
# ---------------------------------------------------------------------------


def pdf(body: str, title: str = "") -> bytes:
    """A one-page PDF (reportlab, invariant mode). ``## `` lines are headings."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    doc = canvas.Canvas(buf, pagesize=A4, invariant=1)
    if title:
        doc.setTitle(title)
    y = 800.0
    for line in t(body).splitlines():
        if line.startswith("## "):
            doc.setFont("Helvetica-Bold", 13)
            doc.drawString(60, y, line[3:])
            y -= 20
        else:
            doc.setFont("Helvetica", 10.5)
            doc.drawString(60, y, line)
            y -= 14.5
        if y < 60:
            doc.showPage()
            y = 800.0
    doc.showPage()
    doc.save()
    return buf.getvalue()


def picture(
    lines: list[str], size: tuple[int, int], fmt: str, *, paper=(246, 243, 236), ink=(40, 40, 60)
) -> bytes:
    """A small image with text on it: a phone photo of a document, or a screenshot."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, paper)
    draw = ImageDraw.Draw(img)
    y = 18
    for line in lines:
        if line.startswith("[bar]"):
            draw.rectangle((0, y - 6, size[0], y + 22), fill=(200, 40, 40))
            draw.text((14, y), line[5:], fill=(255, 255, 255))
        else:
            draw.text((18, y), line, fill=ink)
        y += 22
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=50)
    else:
        img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


LOGO_PNG_CACHE: dict[str, bytes] = {}


def logo(label: str) -> bytes:
    """A tiny company logo for HTML signatures (an inline image, not a document)."""
    if label not in LOGO_PNG_CACHE:
        LOGO_PNG_CACHE[label] = picture(
            [label], (150, 44), "PNG", paper=(20, 70, 140), ink=(255, 255, 255)
        )
    return LOGO_PNG_CACHE[label]


FIXED_ZIP_TIME = (2025, 1, 6, 9, 0, 0)


def pin_zip(data: bytes) -> bytes:
    """Rewrite an OOXML/ODF zip with fixed entry times and fixed document dates."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in ("docProps/core.xml", "meta.xml"):
                content = re.sub(
                    rb"(<(dcterms:created|dcterms:modified|meta:creation-date|dc:date)[^>]*>)[^<]*",
                    rb"\g<1>2025-01-06T09:00:00Z",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = info.compress_type
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()


Grid = list[list[Any]]


def xlsx(sheets: list[tuple[str, Grid]], widths: int = 18) -> bytes:
    """An .xlsx workbook (openpyxl); date cells get a dd/mm/yyyy number format."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, grid in sheets:
        sheet = book.create_sheet(title)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                if isinstance(value, date) and not isinstance(value, datetime):
                    value = datetime(value.year, value.month, value.day)
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, datetime):
                    cell.number_format = "DD/MM/YYYY"
        for letter in "ABCDEFGHIJKLMN":
            sheet.column_dimensions[letter].width = widths
    book.properties.creator = "Institut 4.10"
    book.properties.lastModifiedBy = "Gestionnaire formation"
    book.properties.created = datetime(2025, 1, 6, 9, 0, 0)
    book.properties.modified = datetime(2025, 1, 6, 9, 0, 0)
    buf = io.BytesIO()
    book.save(buf)
    return pin_zip(buf.getvalue())


def xls(sheets: list[tuple[str, Grid]]) -> bytes:
    """A legacy .xls workbook (xlwt, BIFF8); dates are real Excel dates."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for title, grid in sheets:
        sheet = book.add_sheet(title)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, date):
                    sheet.write(r, c, datetime(value.year, value.month, value.day), date_style)
                else:
                    sheet.write(r, c, value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def ods(sheets: list[tuple[str, Grid]]) -> bytes:
    """An OpenDocument spreadsheet (odfpy); dates are office:date-value cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for title, grid in sheets:
        table = Table(name=title)
        for row in grid:
            tr = TableRow()
            for value in row:
                if value is None or value == "":
                    tr.addElement(TableCell())
                    continue
                if isinstance(value, date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                    shown = value.strftime("%d/%m/%Y")
                elif isinstance(value, int | float):
                    cell = TableCell(valuetype="float", value=value)
                    shown = str(value)
                else:
                    cell = TableCell(valuetype="string")
                    shown = str(value)
                cell.addElement(P(text=shown))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return pin_zip(buf.getvalue())


def csv_bytes(grid: Grid, *, delimiter: str, encoding: str, date_style: str = "fr") -> bytes:
    """A CSV file as a spreadsheet program exports it."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in grid:
        cells = []
        for value in row:
            if isinstance(value, date):
                value = value.strftime("%d/%m/%Y") if date_style == "fr" else value.isoformat()
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return buf.getvalue().encode(encoding)


# ---------------------------------------------------------------------------
# Collection-spreadsheet rows: each row states its bucket; a checker re-derives it
# from SPEC §2.3 so that a slip in the hand-made data cannot go unnoticed.
# ---------------------------------------------------------------------------


def nir(
    sex: str,
    yy: str,
    mm: str,
    dept: str,
    commune: str,
    order: str,
    *,
    bad_key: bool = False,
    spaced: bool = False,
) -> str:
    """A NIR with its key: 97 - (13 digits mod 97), Corsica 2A->19 and 2B->18 first."""
    body = f"{sex}{yy}{mm}{dept}{commune}{order}"
    assert len(body) == 13, body
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(dept, dept) + body[7:]
    key = 97 - int(numeric) % 97
    if bad_key:
        key = key % 97 + 1
    if spaced:
        return f"{sex} {yy} {mm} {dept} {commune} {order} {key:02d}"
    return f"{body}{key:02d}"


@dataclass
class R:
    """One candidate row of a collection spreadsheet and the bucket SPEC gives it."""

    bucket: str
    org: Any
    branch: Any
    last: Any
    first: Any
    nir: Any
    birth: Any
    email: Any
    cqp: Any
    blocks: Any
    cert: Any
    redo: Any = "Non"
    extra: dict[str, Any] = field(default_factory=dict)


SESSION_MONTHS = [(2025, m) for m in (1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12)]
DUE = {
    **{(2025, m): None for m in (1, 2)},
    **{(2025, m): date(2024, 11, 30) for m in (3, 4, 5)},
    **{(2025, m): date(2025, 3, 31) for m in (6, 7)},
    **{(2025, m): date(2025, 5, 31) for m in (9, 10)},
    **{(2025, m): date(2025, 7, 31) for m in (11, 12)},
}


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                pass
    return None


def _nir_ok(value: Any) -> bool:
    digits = str(value).replace(" ", "").upper()
    if not re.fullmatch(r"[12]\d{4}(\d{2}|2A|2B)\d{8}", digits):
        return False
    numeric = digits[:5] + {"2A": "19", "2B": "18"}.get(digits[5:7], digits[5:7]) + digits[7:13]
    return 97 - int(numeric) % 97 == int(digits[13:])


def check_bucket(row: R, seen: set[str], mail_date: datetime) -> str:
    """SPEC §2.3 read literally: invalid, redoublant, late, accepted (first match wins)."""
    nir_text = str(row.nir).replace(" ", "").upper()
    repeated = nir_text in seen
    seen.add(nir_text)
    cert = _as_date(row.cert)
    month: tuple[int, int] | None = None
    if cert is not None:
        start = max((cert.year, cert.month), (2025, 1))
        month = next((m for m in SESSION_MONTHS if m >= start), None)
    invalid = (
        not str(row.org).strip()
        or row.branch not in ("Famille", "Recouvrement", "Retraite")
        or not str(row.last).strip()
        or not str(row.first).strip()
        or not _nir_ok(row.nir)
        or (row.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", str(row.email)))
        or row.cqp not in ("GC", "COS")
        or not re.search(r"\d", str(row.blocks))
        or month is None
        or repeated
    )
    if invalid:
        return "invalid"
    if str(row.redo).strip().lower() == "oui":
        return "redoublant"
    assert month is not None
    due = DUE[month]
    if due is None or mail_date.date() > due:
        return "late"
    return "accepted"


def sheet_grid(
    columns: list[tuple[str, str]],
    rows: list[R],
    *,
    above: Grid | None = None,
    blank_rows_after: tuple[int, ...] = (),
) -> Grid:
    """Title rows, the header row, then one line per row in the sheet's own column order."""
    grid: Grid = [list(line) for line in above or []]
    grid.append([header for header, _ in columns])
    for index, row in enumerate(rows):
        line = []
        for _, name in columns:
            value = row.extra.get(name, "") if name.startswith("x:") else getattr(row, name)
            line.append(value)
        grid.append(line)
        if index in blank_rows_after:
            grid.append([""] * len(columns))
    return grid


def summarise(rows: list[R], mail_date: datetime) -> dict[str, int]:
    """The §8 summary from the declared buckets, after checking each against SPEC."""
    seen: set[str] = set()
    for row in rows:
        derived = check_bucket(row, seen, mail_date)
        if derived != row.bucket:
            raise AssertionError(
                f"row {row.last} {row.first}: declared {row.bucket}, SPEC gives {derived}"
            )
    counts = Counter(row.bucket for row in rows)
    return {
        "rows": len(rows),
        "accepted": counts["accepted"],
        "late": counts["late"],
        "invalid": counts["invalid"],
        "redoublant": counts["redoublant"],
    }


# ---------------------------------------------------------------------------
# Expected answers (SPEC §4 reply rules applied here, once)
# ---------------------------------------------------------------------------


def _expected(inbox: str, kind: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "inbox": inbox,
        "kind": kind,
        "topic": None,
        "reason": None,
        "justification_present": None,
        "asks_refund": None,
        "nuc": None,
        "missing": None,
        "reply_template": None,
        "spreadsheet": None,
    }
    note = fields.pop("note", None)
    data.update(fields)
    if note:
        data["note"] = note
    return data


def problem(
    topic: str,
    missing: tuple[str, ...] = (),
    nuc: str | None = None,
    *,
    no_reply: bool = False,
    note: str | None = None,
) -> dict[str, Any]:
    assert set(missing) <= set(MISSING_ORDER)
    ordered = [m for m in MISSING_ORDER if m in missing]
    reply = None if no_reply else ("problem_report_incomplete" if ordered else "problem_report_ack")
    return _expected(
        ACCUEIL_ROLE,
        "problem_report",
        topic=topic,
        nuc=nuc,
        missing=ordered,
        reply_template=reply,
        note=note,
    )


def deferral(
    reason: str,
    justified: bool,
    refund: bool,
    nuc: str | None = None,
    *,
    no_reply: bool = False,
    note: str | None = None,
) -> dict[str, Any]:
    eligible = reason in ("medical", "employer_refusal")
    missing = ["justification"] if eligible and not justified else []
    if not eligible:
        reply = "deferral_ineligible"
    elif justified:
        reply = "deferral_received"
    else:
        reply = "deferral_missing_justification"
    return _expected(
        ACCUEIL_ROLE,
        "deferral_request",
        reason=reason,
        justification_present=justified,
        asks_refund=refund,
        nuc=nuc,
        missing=missing,
        reply_template=None if no_reply else reply,
        note=note,
    )


def returned(
    summary: dict[str, int] | None, *, no_reply: bool = False, note: str | None = None
) -> dict[str, Any]:
    reply = "spreadsheet_receipt" if summary else "spreadsheet_missing_attachment"
    return _expected(
        CERTIF_ROLE,
        "spreadsheet_return",
        missing=[] if summary else ["spreadsheet"],
        spreadsheet=summary,
        reply_template=None if no_reply else reply,
        note=note,
    )


def mycertif(note: str | None = None) -> dict[str, Any]:
    return _expected(CERTIF_ROLE, "mycertif_access", reply_template="mycertif_access", note=note)


def robot(inbox: str, note: str | None = None) -> dict[str, Any]:
    return _expected(inbox, "auto_reply", note=note)


def bounce(inbox: str, recipient: str, note: str | None = None) -> dict[str, Any]:
    data = _expected(inbox, "bounce")
    data["failed_recipient"] = recipient
    if note:
        data["note"] = note
    return data


def other(
    inbox: str, nuc: str | None = None, *, no_reply: bool = False, note: str | None = None
) -> dict[str, Any]:
    return _expected(
        inbox, "other", nuc=nuc, reply_template=None if no_reply else "general_ack", note=note
    )


ACCUEIL_ROLE = "accueil"
CERTIF_ROLE = "certification"


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------


@dataclass
class Entry:
    kind: str
    name: str
    raw: bytes
    expected: dict[str, Any]


CORPUS: list[Entry] = []


def add(name: str, raw: bytes, expected: dict[str, Any]) -> None:
    """Register one mail; the folder is the expected kind."""
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", name), name
    assert all(e.name != name for e in CORPUS), f"duplicate name {name}"
    CORPUS.append(Entry(expected["kind"], name, raw, expected))


def plain_mail(
    key: str,
    frm: str,
    to: str,
    subject: str,
    date: datetime,
    body: str,
    *,
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    **kw: Any,
) -> bytes:
    """A single text/plain mail."""
    return eml(
        frm=frm,
        to=to,
        subject=subject,
        date=date,
        body=text(body, charset=charset, cte=cte),
        key=key,
        **kw,
    )


OUTLOOK = ("X-Mailer", "Microsoft Outlook 16.0")
THUNDERBIRD = ("User-Agent", "Mozilla Thunderbird")
IPHONE = ("X-Mailer", "iPhone Mail (22B83)")
TO_ACCUEIL = f"Accueil Union Prof <{ACCUEIL}>"
TO_CERTIF = f'"Institut 4.10 - Certification" <{CERTIF}>'


def screenshot(*lines: str) -> bytes:
    return picture(list(lines), (520, 260), "PNG", paper=(250, 250, 250), ink=(30, 30, 30))


# ===========================================================================
# accueil: problem reports (SPEC §2.1)
# ===========================================================================


def problem_reports() -> None:
    # All four coordinates in a signature block after "Cordialement".
    add(
        "nuc-lost-signature",
        plain_mail(
            "nuc-lost-signature",
            addr("Sophie Lemaire", "sophie.lemaire82@gmail.com"),
            ACCUEIL,
            "Demande de mon numéro NUC",
            when(2025, 1, 14, 9, 12, 45),
            t("""
            Bonjour,

            Je m'étais inscrite à la session 2023 et je souhaite me réinscrire pour l'épreuve
            pratique professionnelle (UP-EP2) en juin. Malheureusement je ne retrouve plus le mail
            où figurait mon NUC, j'ai changé de boîte mail entre temps.
            Pourriez-vous me le renvoyer ?

            Merci d'avance,
            Cordialement,

            Sophie Lemaire
            8 rue des Acacias
            59800 Lille
            Tél : 06 71 24 88 19
            """),
        ),
        problem("nuc_request"),
    )

    # A first name alone is not a name; no exam named.
    add(
        "nuc-never-received-lowercase",
        plain_mail(
            "nuc-never-received-lowercase",
            "kev.dsl93@hotmail.fr",
            ACCUEIL,
            "nuc",
            when(2025, 2, 3, 22, 47, 10),
            t("""
            bonjour jai jamais recu mon numero nuc comment je fais pour le recuperer ? je doit
            m'inscrire avant la fin du mois
            merci
            kevin
            0645129833
            27 bis avenue Jean Jaurès 93200 Saint-Denis
            """),
            cte="8bit",
            extra=(IPHONE,),
        ),
        problem(
            "nuc_request",
            ("name", "exam_reference"),
            note="'kevin' is a first name only and the From header has no display name.",
        ),
    )

    # HTML only, entities everywhere, coordinates in a signature table; the phone has
    # non-breaking spaces.
    html_body = t("""
    <html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
    <body><div style="font-family: Calibri, sans-serif; font-size: 11pt">
    <p>Madame, Monsieur,</p>
    <p>J&#8217;ai oubli&eacute; mon num&eacute;ro unique de candidat (NUC) et je ne le retrouve dans
    aucun de mes mails. Je souhaiterais m&#8217;inscrire &agrave; l&#8217;&eacute;preuve <b>UP-EC1</b>
    (connaissances g&eacute;n&eacute;rales) de la session de juin.</p>
    <p>Pourriez-vous me le communiquer ou m&#8217;indiquer la marche &agrave; suivre&nbsp;?</p>
    <p>Je vous remercie par avance.</p>
    <p>Bien cordialement,</p>
    <table style="border-top: 2px solid #1f4e79; font-size: 10pt">
    <tr><td><b>Nadia HADDAD</b></td></tr>
    <tr><td>12, boulevard de la Libert&eacute;</td></tr>
    <tr><td>13001 Marseille</td></tr>
    <tr><td>T&eacute;l.&nbsp;: 04&nbsp;91&nbsp;22&nbsp;33&nbsp;71</td></tr>
    </table>
    </div></body></html>
    """)
    add(
        "nuc-html-only-signature-table",
        eml(
            frm=addr("Nadia HADDAD", "nadia.haddad13@orange.fr"),
            to=TO_ACCUEIL,
            subject="Oubli NUC",
            date=when(2025, 2, 20, 14, 3, 22),
            body=text(html_body, "html"),
            key="nuc-html-only-signature-table",
            extra=(OUTLOOK,),
        ),
        problem("nuc_request"),
    )

    add(
        "nuc-english-lost-number",
        plain_mail(
            "nuc-english-lost-number",
            addr("Daniel Okafor", "d.okafor.uk@gmail.com"),
            ACCUEIL,
            "Lost candidate number",
            when(2025, 2, 11, 16, 20, 5, "+0000"),
            t("""
            Hello,

            I sat the Épreuve de connaissances générales in 2023 and I would now like to register
            for the Épreuve orale d'entretien (UP-EO3). The website asks for my candidate number
            (NUC) but I have lost it and I cannot find the email where it was written.

            Could you please send it to me again?

            Many thanks,
            Daniel Okafor
            """),
        ),
        problem("nuc_request", ("phone", "postal_address")),
    )

    add(
        "password-forgotten-with-nuc",
        plain_mail(
            "password-forgotten-with-nuc",
            addr("Thierry Vasseur", "t.vasseur@laposte.net"),
            ACCUEIL,
            "Mot de passe Certif-UP",
            when(2025, 3, 5, 11, 30, 0),
            t("""
            Bonjour,

            Je n'arrive plus à me connecter sur Certif-UP : j'ai oublié mon mot de passe et quand
            je clique sur « demander son mot de passe » je ne reçois rien.
            Mon NUC est le 2023-004512. Je voudrais m'inscrire à la Certification complète
            (UP-CERT) pour la session de septembre.

            Merci de votre aide.

            Cordialement,

            Thierry Vasseur
            45 chemin des Vignes
            21000 Dijon
            07 83 11 20 64
            """),
            extra=(THUNDERBIRD,),
        ),
        problem("password_reset", nuc="2023-004512"),
    )

    # Postcode and town without a street line is not a postal address. NUC without dash.
    add(
        "password-address-without-street",
        plain_mail(
            "password-address-without-street",
            addr("Mélanie Roux", "melanie.roux@free.fr"),
            ACCUEIL,
            "Impossible de me connecter",
            when(2025, 3, 12, 20, 41, 9),
            t("""
            Bonjour,
            je n'arrive plus à me connecter à mon compte candidat, le site me dit que mon mot de
            passe est incorrect alors que je suis sûre de moi. Mon numéro de candidat : 2024018877.
            Je voudrais m'inscrire à l'épreuve de connaissances générales avant la date limite.
            Pouvez-vous réinitialiser mon mot de passe ?
            Merci
            Mélanie Roux
            31000 Toulouse
            06 09 87 65 43
            """),
        ),
        problem(
            "password_reset",
            ("postal_address",),
            nuc="2024-018877",
            note="'31000 Toulouse' has no street line.",
        ),
    )

    add(
        "password-base64-no-phone",
        plain_mail(
            "password-base64-no-phone",
            addr("Patrick Lemoine", "patrick.lemoine@wanadoo.fr"),
            ACCUEIL,
            "Problème de connexion Certif-UP",
            when(2025, 3, 18, 7, 55, 31),
            t("""
            Madame, Monsieur,

            Je me permets de vous écrire car je ne parviens pas à me connecter à mon espace
            Certif-UP. J'ai demandé un nouveau mot de passe trois fois, sans succès : le site
            m'indique que mon identifiant est inconnu.

            Je souhaite m'inscrire à l'épreuve UP-EP2 (épreuve pratique professionnelle).

            Je vous remercie par avance de votre aide.

            Cordialement,

            Patrick Lemoine
            17 avenue de la République
            63000 Clermont-Ferrand
            """),
            cte="base64",
            crlf=True,
            extra=(OUTLOOK,),
        ),
        problem("password_reset", ("phone",)),
    )

    # An employer writes for its employee: the name is the candidate's.
    add(
        "password-employer-on-behalf",
        plain_mail(
            "password-employer-on-behalf",
            addr("Service RH - Transports Girard", "rh@transports-girard.fr"),
            ACCUEIL,
            "Réinitialisation mot de passe - M. Julien Perrin",
            when(2025, 4, 1, 10, 2, 44, "+0200"),
            t("""
            Bonjour,

            Nous vous contactons pour le compte de notre salarié, M. Julien Perrin, qui ne
            parvient pas à réinitialiser son mot de passe sur Certif-UP : le lien reçu par mail
            affiche « lien expiré ».
            M. Perrin souhaite s'inscrire à l'épreuve orale d'entretien de la prochaine session.

            Coordonnées du candidat :
            Julien Perrin
            3 impasse des Peupliers
            44300 Nantes
            Tél. 06 58 44 12 70

            Bien à vous,

            Isabelle Marchand
            Responsable Ressources Humaines
            Transports Girard
            ZA de la Madeleine - 44600 Saint-Nazaire
            02 40 11 22 33
            """),
            extra=(OUTLOOK,),
        ),
        problem(
            "password_reset",
            note="Written by the employer's HR; the candidate's coordinates are all given.",
        ),
    )

    # Coordinates inline in the text; NUC written with a space.
    add(
        "confirmation-step1-nuc-spaces",
        plain_mail(
            "confirmation-step1-nuc-spaces",
            addr("Aurélie Ngo", "aurelie.ngo@gmail.com"),
            ACCUEIL,
            "Mail de confirmation jamais reçu",
            when(2025, 4, 9, 13, 45, 2, "+0200"),
            t("""
            Bonjour,

            Je me suis inscrite hier soir sur Certif-UP pour l'épreuve pratique professionnelle
            mais je n'ai jamais reçu le mail « étape 1 sur 3 » pour confirmer mon adresse mail.
            J'ai regardé dans les spams, rien.
            Mon NUC : 2024 031207.
            Je suis joignable au 06 33 48 20 91, et mon adresse est le 22 rue Pasteur, 38000
            Grenoble.

            Merci d'avance,
            Aurélie Ngo
            """),
        ),
        problem("confirmation_mail_missing", nuc="2024-031207"),
    )

    add(
        "confirmation-prevalidation-missing-exam-phone",
        plain_mail(
            "confirmation-prevalidation-missing-exam-phone",
            addr("Hugo Carpentier", "hugo.carpentier@yahoo.fr"),
            ACCUEIL,
            "pas de mail de pré-validation",
            when(2025, 4, 23, 18, 10, 0, "+0200"),
            t("""
            Bonjour,
            Cela fait maintenant 10 jours que je me suis inscrit et je n'ai toujours reçu aucun
            mail de pré-validation du centre. Est-ce normal ? Je ne sais pas si mon inscription a
            bien été prise en compte.
            Hugo Carpentier
            5 allée des Cèdres
            80000 Amiens
            """),
            extra=(IPHONE,),
        ),
        problem("confirmation_mail_missing", ("phone", "exam_reference")),
    )

    # ISO-8859-1 body and Q-encoded subject; "J. Fabre" is an initial, not a first name.
    add(
        "confirmation-latin1-initial-only",
        plain_mail(
            "confirmation-latin1-initial-only",
            "j.fabre@sfr.fr",
            ACCUEIL,
            "Pas reçu le mail de confirmation",
            when(2025, 4, 29, 8, 3, 51, "+0200"),
            t("""
            Bonjour,

            Je n'ai pas reçu le mail de confirmation de mon inscription à l'épreuve UP-EC1.
            Le centre m'a pourtant dit au téléphone que tout était bon de son côté.
            Pouvez-vous vérifier ?

            Merci.

            J. Fabre
            14 rue de la Gare
            86000 Poitiers
            05 49 12 34 56
            """),
            charset="iso-8859-1",
            subject_charset="iso-8859-1",
            subject_mode="Q",
        ),
        problem(
            "confirmation_mail_missing",
            ("name",),
            note="Signed 'J. Fabre': an initial is not a first name.",
        ),
    )

    add(
        "confirmation-with-screenshot",
        eml(
            frm=addr("Inès Benali", "ines.benali@gmail.com"),
            to=ACCUEIL,
            subject="Bloquée à l'étape 1 sur 3",
            date=when(2025, 5, 6, 9, 30, 17, "+0200"),
            body=multi(
                "mixed",
                "000000000000a1b2c3062f1e4d55",
                text(
                    t("""
                    Bonjour,

                    Je n'ai pas reçu le mail de confirmation de mon adresse (étape 1 sur 3). Je vous
                    joins une capture d'écran de la page où je suis bloquée.

                    Épreuve souhaitée : UP-EO3
                    Inès Benali
                    9 place Bellecour, 69002 Lyon
                    06 18 27 36 45

                    Merci
                    """)
                ),
                attach(
                    "Capture d'écran 2025-05-06 092811.png",
                    "image/png",
                    screenshot(
                        "Certif-UP - Inscription en ligne",
                        "",
                        "[bar] Etape 1 sur 3",
                        "Un mail vous a ete adresse afin de confirmer",
                        "votre adresse mail. Veuillez cliquer sur le lien.",
                    ),
                ),
            ),
            key="confirmation-with-screenshot",
        ),
        problem("confirmation_mail_missing", note="The screenshot is welcome but not required."),
    )

    add(
        "no-centre-lozere",
        plain_mail(
            "no-centre-lozere",
            addr("Romain Delorme", "romain.delorme48@laposte.net"),
            ACCUEIL,
            "Aucun centre d'épreuves",
            when(2025, 1, 21, 20, 5, 38),
            t("""
            Bonjour,

            Lors de mon inscription, au moment de choisir le centre d'épreuves, je tape 48
            (Lozère) et aucun centre ne s'affiche. La liste reste vide. Je souhaite passer
            l'épreuve de connaissances générales (UP-EC1).

            Merci de m'indiquer comment faire.

            Cordialement
            Romain Delorme
            2 rue du Pont Notre-Dame, 48000 Mende
            tel 04 66 65 12 90
            """),
        ),
        problem("no_centre_listed"),
    )

    add(
        "no-centre-corsica-bare",
        eml(
            frm="corse.candidat20@gmail.com",
            to=ACCUEIL,
            subject="Centre d'examen",
            date=when(2025, 2, 14, 12, 0, 3),
            body=alternative(
                "0000000000004f5e6d062e9a0c11",
                "Bonjour, aucun centre d'examen ne s'affiche pour le département 2B. Merci\n",
                "<div dir=\"ltr\">Bonjour, aucun centre d'examen ne s'affiche pour le département 2B. Merci</div>\n",
            ),
            key="no-centre-corsica-bare",
        ),
        problem("no_centre_listed", MISSING_ORDER),
    )

    # HTML signature with an inline company logo (Content-ID): not a document.
    garnier_plain = t("""
    Bonjour,

    Je souhaite m'inscrire à l'épreuve pratique professionnelle mais à l'étape du choix du
    centre, aucun centre n'apparaît pour le département 23 (Creuse).

    Pouvez-vous m'aider ?

    Cordialement,

    Stéphanie Garnier
    Garnier Paysage
    11 route de Guéret
    23000 Sainte-Feyre
    """)
    garnier_html = t("""
    <html><body style="font-family:Arial">
    <p>Bonjour,</p>
    <p>Je souhaite m'inscrire à l'épreuve pratique professionnelle mais à l'étape du choix du
    centre, aucun centre n'apparaît pour le département 23 (Creuse).</p>
    <p>Pouvez-vous m'aider ?</p>
    <p>Cordialement,</p>
    <p><img src="cid:image001.png@01DB8790.4A2C1F30" width="150" height="44" alt="Garnier Paysage"><br>
    <b>Stéphanie Garnier</b><br>Garnier Paysage<br>11 route de Guéret<br>23000 Sainte-Feyre</p>
    </body></html>
    """)
    add(
        "no-centre-outlook-logo",
        eml(
            frm=addr("Stéphanie Garnier", "s.garnier@garnier-paysage.fr"),
            to=TO_ACCUEIL,
            subject="Inscription : pas de centre dans la Creuse",
            date=when(2025, 2, 25, 15, 42, 0),
            body=multi(
                "related",
                "_004_PR3P193MB0652A1_",
                multi(
                    "alternative",
                    "_000_PR3P193MB0652A1_",
                    text(garnier_plain),
                    text(garnier_html, "html"),
                ),
                attach(
                    "image001.png",
                    "image/png",
                    logo("GARNIER PAYSAGE"),
                    inline=True,
                    cid="image001.png@01DB8790.4A2C1F30",
                ),
                params=' type="multipart/alternative";',
            ),
            key="no-centre-outlook-logo",
            extra=(OUTLOOK,),
        ),
        problem("no_centre_listed", ("phone",)),
    )

    add(
        "centre-refused-rennes",
        plain_mail(
            "centre-refused-rennes",
            addr("Yannick Le Goff", "yannick.legoff29@orange.fr"),
            ACCUEIL,
            "Refus du centre",
            when(2025, 3, 3, 8, 40, 12),
            t("""
            Bonjour,
            Le centre de Rennes a refusé ma demande d'inscription (pré-validation refusée) pour
            l'épreuve UP-EP2, sans explication. Que dois-je faire ? Je dois absolument passer
            l'épreuve cette année.
            NUC 2023-007745
            Yannick Le Goff
            6 rue de Brest 29200 Brest
            06 62 71 80 93
            """),
        ),
        problem("centre_refused", nuc="2023-007745"),
    )

    # Windows-1252 body (typographic apostrophes, ellipsis) and B-encoded windows-1252 subject.
    add(
        "centre-refused-cp1252",
        plain_mail(
            "centre-refused-cp1252",
            addr("Chloé Marchetti", "chloe.marchetti@live.fr", "windows-1252", "Q"),
            ACCUEIL,
            "Pré-validation refusée…",
            when(2025, 3, 21, 10, 26, 40),
            t("""
            Bonjour,

            J’ai reçu ce matin un mail m’informant que le centre d’épreuves de Nice a refusé ma
            pré-validation… Je ne comprends pas pourquoi, j’avais bien rempli tous les champs.
            Je voudrais m’inscrire à l’épreuve orale d’entretien (UP-EO3). Dois-je recommencer
            toute l’inscription ?

            Merci par avance pour votre réponse.

            Chloé Marchetti
            Tél : 07 68 12 44 03
            """),
            charset="windows-1252",
            subject_charset="windows-1252",
            extra=(OUTLOOK,),
        ),
        problem("centre_refused", ("postal_address",)),
    )

    # A reply under our own acknowledgement: the quote talks about a password, the new
    # text about a refused pre-validation; the subject carries a case reference (no NUC).
    add(
        "centre-refused-gmail-reply",
        plain_mail(
            "centre-refused-gmail-reply",
            addr("Marc Dubreuil", "marc.dubreuil@gmail.com"),
            ACCUEIL,
            "Re: [UP-2025-000214] Votre signalement a bien été reçu",
            when(2025, 5, 12, 19, 22, 7, "+0200"),
            t("""
            Bonjour,

            Merci pour votre réponse. J'ai pu récupérer mon mot de passe, mais maintenant le
            centre de Lyon a refusé ma pré-validation pour l'épreuve UP-EC1. Que dois-je faire ?

            Marc Dubreuil
            40 cours Gambetta, 69007 Lyon
            06 45 90 12 33

            Le lun. 5 mai 2025 à 10:14, Accueil Union Prof <accueil@union-prof.asso.fr> a écrit :
            > Bonjour,
            >
            > Nous avons bien reçu votre signalement concernant votre mot de passe
            > (référence UP-2025-000214).
            > Vous pouvez demander un nouveau mot de passe depuis la page d'inscription
            > de Certif-UP (« demander son mot de passe »).
            >
            > L'équipe Accueil
            """),
            extra=(
                ("In-Reply-To", "<up-2025-000214.1.reply@union-prof.asso.fr>"),
                ("References", "<up-2025-000214.1.reply@union-prof.asso.fr>"),
            ),
        ),
        problem(
            "centre_refused", note="The case reference UP-2025-000214 in the subject is not a NUC."
        ),
    )

    # "annulée" appears in a payment question: not a deferral.
    add(
        "payment-72h-nuc-in-subject",
        plain_mail(
            "payment-72h-nuc-in-subject",
            addr("Fatou Diallo", "fatou.diallo@gmail.com"),
            ACCUEIL,
            "NUC 2024-007781 - paiement hors délai",
            when(2025, 5, 20, 17, 5, 44, "+0200"),
            t("""
            Bonjour,

            J'ai reçu le mail de pré-validation le 14 mai mais je n'ai pas pu envoyer mon
            règlement dans les 72 heures ouvrées car j'étais en déplacement. Est-ce que mon
            inscription à l'épreuve pratique professionnelle est annulée ? Puis-je encore payer ?

            Cordialement,
            Fatou Diallo
            18 rue Gabriel Péri
            93400 Saint-Ouen-sur-Seine
            07 52 33 18 90
            """),
        ),
        problem(
            "payment",
            nuc="2024-007781",
            note="Asks whether the registration was cancelled for late payment: a payment question, not a cancellation request.",
        ),
    )

    receipt_brun = pdf(
        """
        ## CENTRE D'ÉPREUVES DE STRASBOURG - UNION PROF
        ## REÇU DE PAIEMENT
        Reçu n° CS-25-01187
        Candidat : Olivier BRUN
        NUC : 2023-004512
        Objet : frais d'inscription - Épreuve de connaissances générales (UP-EC1)
        Montant réglé : 120,00 EUR
        Mode de règlement : carte bancaire
        Date du règlement : 27/05/2025
        Ce reçu ne vaut pas convocation.
        """,
        "Reçu de paiement",
    )
    add(
        "payment-charged-twice-refund",
        eml(
            frm=addr("Olivier Brun", "olivier.brun@free.fr"),
            to=ACCUEIL,
            subject="Double prélèvement des frais d'inscription",
            date=when(2025, 6, 2, 12, 30, 9, "+0200"),
            body=multi(
                "mixed",
                "------------9C2F4A1B7E3D5C8A0B6F2E41",
                text(
                    t("""
                    Bonjour,

                    Mon NUC : 2023004512.
                    En consultant mon compte bancaire je constate que les frais d'inscription
                    (120 €) ont été prélevés deux fois, le 27 et le 28 mai. Je souhaite bien sûr
                    garder mon inscription à l'épreuve UP-EC1, mais pourriez-vous me rembourser
                    le paiement effectué en double ?

                    Je joins le reçu de paiement.

                    Olivier Brun
                    7 rue des Tanneurs, 67000 Strasbourg
                    06 87 21 43 65
                    """),
                    flowed=False,
                ),
                attach("recu_paiement.pdf", "application/pdf", receipt_brun),
                preamble="This is a multi-part message in MIME format.",
            ),
            key="payment-charged-twice-refund",
            extra=(THUNDERBIRD,),
        ),
        problem(
            "payment",
            nuc="2023-004512",
            note="A refund of a payment made twice while keeping the registration is a payment problem, not a deferral (SPEC §2.2).",
        ),
    )

    add(
        "payment-how-to-pay-short",
        plain_mail(
            "payment-how-to-pay-short",
            addr("Léa", "lea.m.1999@gmail.com"),
            ACCUEIL,
            "paiement inscription",
            when(2025, 6, 10, 7, 58, 30, "+0200"),
            t("""
            Bonjour, j'ai bien reçu le mail de pré-validation pour l'épreuve UP-EP2 mais je ne
            sais pas comment payer, il n'y a pas de lien. C'est par chèque ou par virement ? et
            à quel ordre ?
            Merci
            Léa
            12 rue Nationale 37000 Tours
            """),
        ),
        problem("payment", ("name", "phone")),
    )

    meyer_plain = t("""
    Bonjour,

    Mon virement pour les frais d'inscription a été rejeté par ma banque (RIB du centre
    incorrect ?). Le délai de 72 heures ouvrées après la pré-validation se termine demain.
    Comment puis-je régler ?

    NUC : 2024-026611

    Antoine Meyer
    25 rue du Faubourg de Pierre
    67000 Strasbourg
    +33 6 12 98 45 70
    """)
    meyer_html = t("""
    <html><head><meta charset="utf-8"></head><body>
    <div>Bonjour,</div><div><br></div>
    <div>Mon virement pour les frais d'inscription a été rejeté par ma banque (RIB du centre
    incorrect ?). Le délai de 72 heures ouvrées après la pré-validation se termine demain.
    Comment puis-je régler ?</div><div><br></div>
    <div>NUC : 2024-026611</div><div><br></div>
    <div>Antoine Meyer<br>25 rue du Faubourg de Pierre<br>67000 Strasbourg<br>+33 6 12 98 45 70</div>
    </body></html>
    """)
    add(
        "payment-transfer-rejected-alternative",
        eml(
            frm=addr("Antoine Meyer", "antoine.meyer@outlook.fr"),
            to=ACCUEIL,
            subject="Virement rejeté",
            date=when(2025, 6, 16, 10, 11, 2, "+0200"),
            body=multi(
                "alternative", "_000_AM0PR02MB5761D3_", text(meyer_plain), text(meyer_html, "html")
            ),
            key="payment-transfer-rejected-alternative",
        ),
        problem("payment", ("exam_reference",), nuc="2024-026611"),
    )

    # First registration for 2025: procedure B is not theirs, whatever they ask about the NUC.
    add(
        "first-registration-no-nuc",
        plain_mail(
            "first-registration-no-nuc",
            addr("Pauline Girard", "pauline.girard2001@gmail.com"),
            ACCUEIL,
            "Première inscription - NUC demandé",
            when(2025, 1, 8, 21, 14, 56),
            t("""
            Bonsoir,

            C'est ma première inscription à une session d'épreuves (je m'inscris pour 2025). Sur
            le site, à la question « Première inscription en ligne », il m'est demandé un NUC
            que je n'ai évidemment pas. Comment dois-je faire pour m'inscrire à
            l'épreuve de connaissances générales ?

            Merci beaucoup,

            Pauline Girard
            31 avenue Foch
            54000 Nancy
            06 24 35 46 57
            """),
        ),
        problem(
            "first_registration",
            note="A first registration in 2025: mode opératoire A, even though a NUC is mentioned.",
        ),
    )

    add(
        "first-registration-last-2019",
        plain_mail(
            "first-registration-last-2019",
            addr("Gérard Poulain", "gerard.poulain@orange.fr"),
            ACCUEIL,
            "Réinscription",
            when(2025, 1, 27, 10, 48, 13),
            t("""
            Madame, Monsieur,
            J'avais passé l'épreuve orale d'entretien en 2019 sans l'obtenir et je voudrais m'y
            réinscrire cette année. Le site me demande mon NUC mais je ne l'ai plus, ça date de
            2019. Pouvez-vous me le redonner ?
            Avec mes remerciements,
            Gérard Poulain
            La Grange Neuve, 12 chemin des Écoliers
            24100 Bergerac
            """),
        ),
        problem(
            "first_registration",
            ("phone",),
            note="Asks for the NUC, but the last registration was in 2019 (before 2022): procedure A, topic first_registration.",
        ),
    )

    add(
        "first-registration-clicked-non",
        plain_mail(
            "first-registration-clicked-non",
            addr("Mehdi Rahmani", "mehdi.rahmani@gmail.com"),
            ACCUEIL,
            "erreur lors de l'inscription",
            when(2025, 2, 2, 14, 33, 20),
            t("""
            Bonjour,
            Je m'inscris pour la première fois (session 2025) et à la question Première
            inscription en ligne j'ai cliqué sur NON par erreur. Maintenant le site me demande un
            identifiant que je n'ai pas. Je voudrais passer la certification complète.
            Merci de votre aide
            Mehdi Rahmani
            Tél 06 11 22 98 76
            Grenoble
            """),
        ),
        problem("first_registration", ("postal_address",)),
    )

    add(
        "other-wrong-exam-chosen",
        plain_mail(
            "other-wrong-exam-chosen",
            addr("Nathalie Caron", "nathalie.caron@sfr.fr"),
            ACCUEIL,
            "Erreur de choix d'épreuve",
            when(2025, 3, 10, 11, 5, 0),
            t("""
            Bonjour,

            Lors de mon inscription j'ai sélectionné par erreur l'épreuve UP-EC1 alors que je
            voulais m'inscrire à l'épreuve UP-EO3. Mon inscription n'est pas encore pré-validée.
            Est-il possible de corriger mon choix ?

            NUC 2022-019843

            Nathalie Caron
            4 rue Saint-Nicolas, 76000 Rouen
            02 35 71 48 22
            """),
        ),
        problem("other", nuc="2022-019843"),
    )

    add(
        "other-error-500-screenshot",
        eml(
            frm=addr("Bruno Lefebvre", "b.lefebvre@neuf.fr"),
            to=ACCUEIL,
            subject="Erreur 500 sur le site",
            date=when(2025, 3, 26, 22, 1, 15),
            body=multi(
                "mixed",
                "=-Xk3FqP0c1sVz9LmYt2Ra==",
                text(
                    t("""
                    Bonsoir, à chaque fois que je saisis mon numéro de sécurité sociale sur
                    Certif-UP j'obtiens une page « Erreur 500 - Internal Server Error ». J'ai
                    essayé avec Chrome et Firefox. Capture d'écran jointe.
                    Bruno Lefebvre, 10 rue Jean Moulin 59300 Valenciennes, 06 30 40 50 60
                    """),
                    cte="8bit",
                ),
                attach(
                    "erreur.png",
                    "image/png",
                    screenshot(
                        "certif-up.union-prof.asso.fr/inscription",
                        "",
                        "[bar] Erreur 500",
                        "Internal Server Error",
                    ),
                ),
            ),
            key="other-error-500-screenshot",
            extra=(("User-Agent", "Evolution 3.52.3"),),
        ),
        problem("other", ("exam_reference",)),
    )

    add(
        "other-change-address",
        plain_mail(
            "other-change-address",
            addr("Yves Morel", "yves.morel@orange.fr"),
            ACCUEIL,
            "Modification de mon adresse",
            when(2025, 4, 14, 9, 12, 26, "+0200"),
            t("""
            Bonjour,

            J'ai déménagé et je n'arrive pas à modifier mon adresse postale dans mon compte
            Certif-UP : le champ est grisé. Ma convocation pour l'épreuve pratique
            professionnelle risque d'être envoyée à l'ancienne adresse.

            Ma nouvelle adresse : 5 place du Marché, 67000 Strasbourg.
            Téléphone : 03 88 21 65 40

            Merci,
            Yves Morel
            """),
        ),
        problem(
            "other",
            note="Moving house is mentioned, but nothing asks not to sit the exam: a registration problem. The exam label is wrapped across a line break, as plain-text clients do.",
        ),
    )

    # A contact form relayed from a noreply address: classified, but never answered.
    add(
        "noreply-contact-form",
        plain_mail(
            "noreply-contact-form",
            addr("Site Union Prof", "noreply@union-prof.asso.fr"),
            ACCUEIL,
            "[Formulaire de contact] Demande de NUC",
            when(2025, 4, 28, 8, 0, 12, "+0200"),
            t("""
            Nouveau message envoyé depuis le formulaire de contact du site www.union-prof.asso.fr

            Nom et prénom : Lucas Bernard
            Adresse : 19 rue des Écoles, 35000 Rennes
            Téléphone : 06 14 52 63 74
            Épreuve : UP-EC1

            Message :
            Bonjour, je n'ai jamais reçu mon NUC après mon inscription en 2023. Pouvez-vous me le
            renvoyer ? Merci.
            """),
        ),
        problem(
            "nuc_request",
            no_reply=True,
            note="From noreply@: no reply is ever sent, whatever the kind.",
        ),
    )

    add(
        "other-validate-button-greyed",
        plain_mail(
            "other-validate-button-greyed",
            "sandrine.p77@gmail.com",
            ACCUEIL,
            "bouton valider",
            when(2025, 5, 27, 13, 37, 0, "+0200"),
            t("""
            bonjour
            je suis bloquée à l'étape du choix des épreuves : le bouton Valider reste grisé quand
            je coche l'épreuve de connaissances générales. j'ai vidé le cache, rien n'y fait.
            mon adresse : 8 rue Molière 77100 Meaux
            merci de votre aide
            S. Perrot
            """),
        ),
        problem(
            "other", ("name", "phone"), note="Signed 'S. Perrot': an initial is not a first name."
        ),
    )


# ===========================================================================
# accueil: deferral requests (SPEC §2.2)
# ===========================================================================


def with_files(
    key: str,
    frm: str,
    subject: str,
    date: datetime,
    body: str,
    files: list[Part],
    boundary: str,
    *,
    to: str = ACCUEIL,
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    **kw: Any,
) -> bytes:
    """A text/plain body followed by attached files, in multipart/mixed."""
    return eml(
        frm=frm,
        to=to,
        subject=subject,
        date=date,
        body=multi("mixed", boundary, text(body, charset=charset, cte=cte), *files),
        key=key,
        **kw,
    )


def photo(*lines: str) -> bytes:
    """A phone photo of a paper document (JPEG)."""
    return picture(list(lines), (440, 420), "JPEG", paper=(228, 224, 212), ink=(25, 25, 40))


def deferrals() -> None:
    cert_besson = pdf(
        """
        ## Docteur Hélène Vidal
        Médecin généraliste
        24 avenue Jean Médecin - 06000 Nice
        Tél. 04 93 80 12 12 - N° RPPS 10101234567

        ## CERTIFICAT MÉDICAL
        Je soussignée, Docteur Hélène Vidal, certifie avoir examiné ce jour
        Madame Camille BESSON, née le 14/09/1994,
        et atteste que son état de santé nécessite une intervention chirurgicale
        et un repos strict du 6 juin au 20 juin 2025 inclus.
        Certificat établi à la demande de l'intéressée et remis en main propre
        pour servir et valoir ce que de droit.

        Fait à Nice, le 30 mai 2025
        Dr H. Vidal (signature et cachet)
        """,
        "Certificat médical",
    )
    add(
        "medical-certificate-pdf",
        with_files(
            "medical-certificate-pdf",
            addr("Camille Besson", "camille.besson@gmail.com"),
            "Demande de report d'inscription - NUC 2024-015530",
            when(2025, 6, 2, 8, 5, 33, "+0200"),
            t("""
            Madame, Monsieur,

            Suite à une intervention chirurgicale prévue le 6 juin, je ne pourrai pas me
            présenter à l'épreuve pratique professionnelle du 12 juin 2025.
            Je sollicite donc le report de mon inscription à la session suivante.
            Vous trouverez ci-joint mon certificat médical.

            Je vous remercie par avance,
            Camille Besson
            """),
            [attach("certificat_medical.pdf", "application/pdf", cert_besson)],
            "000000000000d4e1a8063691b0c2",
        ),
        deferral("medical", True, False, "2024-015530"),
    )

    arret_haddou = pdf(
        """
        ## AVIS D'ARRÊT DE TRAVAIL
        cerfa n° 10170*07
        Volet 3 : à adresser par l'assuré à son employeur

        Assuré : HADDOU Karim
        Arrêt de travail initial
        Du 02/06/2025 au 20/06/2025 inclus
        Sorties autorisées : oui, de 10h à 12h et de 16h à 18h

        Médecin prescripteur : Dr Paul Lenoir
        12 rue Oberkampf, 75011 Paris
        Identifiant : 751234567
        Date : 02/06/2025
        """,
        "Avis d'arrêt de travail",
    )
    add(
        "medical-sick-leave-notice",
        with_files(
            "medical-sick-leave-notice",
            addr("Karim Haddou", "karim.haddou@laposte.net"),
            "report épreuve",
            when(2025, 6, 5, 19, 48, 2, "+0200"),
            t("""
            Bonjour,

            Je suis en arrêt maladie depuis le 2 juin et jusqu'au 20 juin, je ne pourrai donc
            pas passer l'épreuve de connaissances générales le 11 juin. Je demande un report à
            la prochaine session.
            Mon NUC : 2023 009876
            Ci-joint mon avis d'arrêt de travail.

            Karim Haddou
            """),
            [attach("arret_travail_haddou.pdf", "application/pdf", arret_haddou)],
            "----=_Part_1187_2045501.1749145682000",
        ),
        deferral(
            "medical",
            True,
            False,
            "2023-009876",
            note="A doctor's avis d'arrêt de travail is a medical certificate.",
        ),
    )

    ordonnance = pdf(
        """
        ## Dr Jean-Marc Keller
        Médecin généraliste - 3 place Saint-Louis, 57000 Metz

        ## ORDONNANCE
        Mme Sylvie MARCHAL - le 23/05/2025

        1) Amoxicilline 1 g : 1 comprimé matin et soir pendant 8 jours
        2) Paracétamol 1 g : 1 comprimé jusqu'à 3 fois par jour si fièvre
        3) Sirop antitussif : 1 cuillère à soupe 3 fois par jour

        Dr J.-M. Keller
        """,
        "Ordonnance",
    )
    add(
        "medical-prescription-only",
        with_files(
            "medical-prescription-only",
            addr("Sylvie Marchal", "sylvie.marchal57@orange.fr"),
            "Demande de report pour raison médicale",
            when(2025, 5, 26, 10, 15, 0, "+0200"),
            t("""
            Bonjour,
            Je suis actuellement malade (bronchite sévère) et mon médecin m'a prescrit un
            traitement lourd. Je ne serai pas en état de passer l'épreuve orale d'entretien le
            4 juin. Je souhaite reporter mon inscription à la session suivante.
            Je vous joins l'ordonnance de mon médecin.
            Cordialement
            Sylvie Marchal
            NUC 2024-004418
            """),
            [attach("ordonnance.pdf", "application/pdf", ordonnance)],
            "------------A0B1C2D3E4F5A6B7C8D9E0F1",
            extra=(THUNDERBIRD,),
        ),
        deferral(
            "medical",
            False,
            False,
            "2024-004418",
            note="A prescription (ordonnance) is not a medical certificate.",
        ),
    )

    convocation_petit = pdf(
        """
        ## UNION PROF - SESSION DE JUIN 2025
        ## CONVOCATION AUX ÉPREUVES
        Candidat : M. Jordan PETIT
        NUC : 2024-020931
        Épreuve : UP-EP2 - Épreuve pratique professionnelle
        Date : jeudi 12 juin 2025 à 8h30
        Centre d'épreuves : Lycée professionnel Jean Jaurès
        12 rue de la Paix, 42000 Saint-Étienne
        Se présenter 30 minutes avant le début de l'épreuve muni d'une pièce d'identité.
        """,
        "Convocation",
    )
    add(
        "medical-convocation-only",
        with_files(
            "medical-convocation-only",
            addr("Jordan Petit", "jordan.petit@gmail.com"),
            "Absence épreuve du 12 juin",
            when(2025, 6, 9, 7, 12, 40, "+0200"),
            t("""
            Bonjour, je suis malade depuis samedi (grosse fièvre, le médecin passe demain) et je
            ne pourrai pas venir à l'épreuve du 12 juin. Je voudrais la reporter. Je vous mets ma
            convocation en pièce jointe.
            Jordan Petit
            """),
            [attach("convocation_UP-EP2.pdf", "application/pdf", convocation_petit)],
            "000000000000f0e1d2063727a9b1",
        ),
        deferral(
            "medical",
            False,
            False,
            note="Medical reason with only the convocation attached: no justification. The NUC is only inside the PDF, not in the subject or new text: null.",
        ),
    )

    attestation = pdf(
        """
        ## ATTESTATION SUR L'HONNEUR
        Je soussignée Laetitia ROCHE, née le 02/03/1990 à Limoges,
        demeurant 7 rue des Combes, 87000 Limoges,
        atteste sur l'honneur être souffrante et dans l'incapacité de me présenter
        à l'épreuve du 2 juin 2025 pour raison médicale.
        Fait pour servir et valoir ce que de droit.

        Fait à Limoges, le 18/05/2025
        Signature : L. Roche
        """,
        "Attestation sur l'honneur",
    )
    add(
        "medical-sworn-statement",
        with_files(
            "medical-sworn-statement",
            addr("Laetitia Roche", "laetitia.roche@sfr.fr"),
            "demande de report (raison de santé)",
            when(2025, 5, 19, 14, 22, 8, "+0200"),
            t("""
            Bonjour,
            Pour des raisons de santé je ne pourrai pas me présenter à l'épreuve de
            certification complète du 2 juin. Je n'ai pas pu avoir de rendez-vous chez mon
            médecin avant plusieurs semaines, je vous envoie donc une attestation sur l'honneur.
            Je souhaite un report à la session de septembre.
            Merci de votre compréhension,
            Laetitia Roche
            NUC : 2024-012077
            """),
            [attach("attestation_sur_honneur.pdf", "application/pdf", attestation)],
            "_002_DB9PR07MB71D3_",
            crlf=True,
            extra=(OUTLOOK,),
        ),
        deferral(
            "medical",
            False,
            False,
            "2024-012077",
            note="The candidate's own attestation sur l'honneur is not a medical certificate.",
        ),
    )

    add(
        "medical-nothing-attached-later",
        plain_mail(
            "medical-nothing-attached-later",
            addr("Vincent Laurent", "vincent.laurent@yahoo.fr"),
            ACCUEIL,
            "Report épreuve - hospitalisation",
            when(2025, 6, 10, 23, 5, 0, "+0200"),
            t("""
            Bonsoir,

            J'ai été hospitalisé en urgence hier soir (appendicite) et je ne pourrai pas passer
            l'épreuve UP-EC1 prévue le 12 juin. Je demande le report de mon inscription à la
            prochaine session. Je vous enverrai le certificat médical dès ma sortie de l'hôpital.

            NUC 2024-009901

            Vincent Laurent
            """),
            cte="base64",
        ),
        deferral(
            "medical",
            False,
            False,
            "2024-009901",
            note="The certificate is announced for later; nothing is attached.",
        ),
    )

    # iPhone style: the photo is an inline part with a filename, not referenced by any HTML.
    add(
        "medical-photo-jpeg",
        eml(
            frm=addr("Amandine Faure", "amandine.faure@icloud.com"),
            to=ACCUEIL,
            subject="Report",
            date=when(2025, 6, 3, 18, 45, 12, "+0200"),
            body=multi(
                "mixed",
                "Apple-Mail-6F1C2B7A-33D4-4E8B-9A0C-1D2E3F405162",
                text(
                    t("""
                    Bonjour,
                    Je suis malade et ne pourrai pas me présenter à l'épreuve du 5 juin. Je demande
                    le report à la session suivante. Voici la photo de mon certificat médical.
                    Amandine Faure
                    NUC 2024-013356
                    """)
                ),
                attach(
                    "IMG_4512.jpeg",
                    "image/jpeg",
                    photo(
                        "Dr Marc Olivier",
                        "Medecin generaliste - 37000 Tours",
                        "",
                        "CERTIFICAT MEDICAL",
                        "",
                        "Je soussigne certifie que l'etat de sante",
                        "de Mme Amandine FAURE ne lui permet pas",
                        "de se presenter a un examen",
                        "du 3 au 10 juin 2025 inclus.",
                        "",
                        "Fait a Tours le 03/06/2025",
                    ),
                    inline=True,
                ),
                text("\nEnvoyé de mon iPhone\n", cte="quoted-printable"),
            ),
            key="medical-photo-jpeg",
            extra=(IPHONE,),
        ),
        deferral(
            "medical",
            True,
            False,
            "2024-013356",
            note="A photo the body presents as the certificate counts as present (flagged for staff to check).",
        ),
    )

    add(
        "medical-scan-png",
        with_files(
            "medical-scan-png",
            addr("Rachid Bensaïd", "r.bensaid@gmail.com"),
            "Demande de report - certificat",
            when(2025, 5, 30, 11, 2, 55, "+0200"),
            t("""
            Bonjour,
            Suite à une fracture du poignet je suis dans l'incapacité d'écrire et donc de passer
            l'épreuve de connaissances générales le 10 juin.
            Je sollicite un report à la prochaine session.
            Ci-joint le scan du certificat médical établi par les urgences.
            Cordialement,
            Rachid Bensaïd
            NUC : 2023-018264
            """),
            [
                attach(
                    "scan_certificat.png",
                    "image/png",
                    picture(
                        [
                            "CENTRE HOSPITALIER DE CHARTRES - URGENCES",
                            "",
                            "CERTIFICAT MEDICAL INITIAL",
                            "Patient : M. Rachid BENSAID",
                            "Fracture du poignet droit, immobilisation 6 semaines.",
                            "Incapacite d'ecrire jusqu'au 10/07/2025.",
                            "Dr S. Bernier, le 29/05/2025",
                        ],
                        (520, 200),
                        "PNG",
                        paper=(255, 255, 255),
                    ),
                )
            ],
            "000000000000e7c3b1063661ab37",
        ),
        deferral("medical", True, False, "2023-018264"),
    )

    add(
        "medical-text-pasted",
        plain_mail(
            "medical-text-pasted",
            addr("Martine Joly", "martine.joly@wanadoo.fr"),
            ACCUEIL,
            "report d'inscription",
            when(2025, 6, 4, 9, 40, 21, "+0200"),
            t("""
            Bonjour,

            Je suis souffrante et ne pourrai pas me rendre à l'épreuve pratique professionnelle.
            Je n'ai pas de scanner, je vous recopie donc le certificat de mon médecin :

            « Je soussigné, Docteur François Mercier, certifie avoir examiné ce jour Mme Martine
            Joly et que son état de santé nécessite un arrêt de toute activité du 4 au 18 juin
            2025. Certificat remis en main propre à l'intéressée pour servir et valoir ce que de
            droit. Fait à Angers le 4 juin 2025. »

            Je demande le report de mon inscription à la session suivante.
            Bien cordialement,
            Martine Joly
            NUC 2024-006650
            """),
        ),
        deferral(
            "medical",
            False,
            False,
            "2024-006650",
            note="Text pasted into the body is not an attachment (SPEC §2.2).",
        ),
    )

    cert_chevalier = pdf(
        """
        ## Dr Isabelle Roussel - Médecin généraliste
        8 rue Nationale, 59000 Lille

        ## CERTIFICAT MÉDICAL
        Je soussignée, Dr Isabelle Roussel, certifie avoir examiné ce jour
        Mme Élodie CHEVALIER et constaté que son état de santé
        ne lui permet pas de se présenter à un examen du 3 au 16 juin 2025.

        Lille, le 5 juin 2025
        """,
        "Certificat",
    )
    add(
        "medical-followup-certificate-reply",
        with_files(
            "medical-followup-certificate-reply",
            addr("Élodie Chevalier", "elodie.chevalier@gmail.com"),
            "Re: [UP-2025-000187] Votre demande de report : pièce justificative manquante",
            when(2025, 6, 6, 16, 30, 44, "+0200"),
            t("""
            Bonjour,

            Comme demandé, voici le certificat médical de mon médecin.

            Bonne journée,
            Élodie Chevalier

            Le mer. 4 juin 2025 à 11:02, Accueil Union Prof <accueil@union-prof.asso.fr> a écrit :
            > Bonjour,
            >
            > Nous avons bien reçu votre demande de report (référence UP-2025-000187).
            > Pour un motif médical, la demande doit être accompagnée d'un certificat
            > médical. Merci de nous le transmettre en répondant à ce message.
            >
            > L'équipe Accueil
            >
            > Le mar. 3 juin 2025 à 20:15, Élodie Chevalier <elodie.chevalier@gmail.com> a écrit :
            > > Bonjour, je suis malade et ne pourrai pas passer l'épreuve du 12 juin.
            > > Je demande un report. Mon NUC est 2024-011223.
            > > Élodie Chevalier
            """),
            [attach("certificat.pdf", "application/pdf", cert_chevalier)],
            "000000000000aa11bb22063771cd09",
            extra=(
                ("In-Reply-To", "<up-2025-000187.1.reply@union-prof.asso.fr>"),
                (
                    "References",
                    "<CAeLoDiE3jun2025x7f@mail.gmail.com> <up-2025-000187.1.reply@union-prof.asso.fr>",
                ),
            ),
        ),
        deferral(
            "medical",
            True,
            False,
            note="Follow-up bringing the certificate. The NUC is only in the quoted history (null); UP-2025-000187 is a case reference.",
        ),
    )

    cert_lambert = pdf(
        """
        ## CENTRE HOSPITALIER UNIVERSITAIRE DE BORDEAUX
        Service de médecine interne - Hôpital Saint-André

        ## CERTIFICAT MÉDICAL D'HOSPITALISATION
        Je soussigné, Docteur Alain Dufour, praticien hospitalier, certifie que
        Madame Brigitte LAMBERT est hospitalisée dans le service depuis le 15/05/2025.
        La durée prévisible de l'hospitalisation n'est pas connue à ce jour.

        Fait à Bordeaux, le 21/05/2025
        """,
        "Certificat d'hospitalisation",
    )
    add(
        "medical-refund-hospital",
        with_files(
            "medical-refund-hospital",
            addr("Brigitte Lambert", "brigitte.lambert@orange.fr"),
            "Annulation inscription et remboursement",
            when(2025, 5, 22, 15, 10, 3, "+0200"),
            t("""
            Madame, Monsieur,

            Je suis hospitalisée depuis le 15 mai pour une durée indéterminée et ne pourrai pas
            me présenter à l'épreuve orale d'entretien du 3 juin.
            Je souhaite annuler mon inscription et être remboursée des frais d'inscription.
            Vous trouverez en pièce jointe le certificat d'hospitalisation établi par le service.

            Avec mes salutations distinguées,
            Brigitte Lambert
            NUC 2022-014590
            """),
            [attach("certificat_hospitalisation.pdf", "application/pdf", cert_lambert)],
            "_003_AM9PR04MB82A1_",
            extra=(OUTLOOK,),
        ),
        deferral(
            "medical",
            True,
            True,
            "2022-014590",
            note="Asks cancellation and refund with an eligible, justified reason: deferral_received (staff explain only a deferral is possible).",
        ),
    )

    cert_texier = pdf(
        """
        ## Docteur Olivier Jacquet
        Chirurgien orthopédiste - Clinique de l'Anjou, 49000 Angers

        ## CERTIFICAT MÉDICAL
        Je soussigné, Dr Olivier Jacquet, certifie avoir opéré le 9 septembre 2025
        M. François TEXIER (ligamentoplastie du genou gauche).
        Son état nécessite un repos avec interdiction de conduire
        jusqu'au 15 octobre 2025.

        Angers, le 11/09/2025
        """,
        "Certificat médical",
    )
    add(
        "medical-cp1252-filename-accent",
        with_files(
            "medical-cp1252-filename-accent",
            addr("François Texier", "francois.texier@hotmail.fr", "windows-1252", "Q"),
            "Report de l’épreuve – raison médicale",
            when(2025, 9, 15, 12, 0, 9, "+0200"),
            t("""
            Bonjour,

            Je me suis fait opérer du genou la semaine dernière et je ne pourrai pas me déplacer
            pour l’épreuve pratique professionnelle du 25 septembre. Je vous prie de bien vouloir
            reporter mon inscription à la session suivante.
            Vous trouverez ci-joint mon certificat médical.

            Cordialement,
            François Texier
            N° de candidat : 2024-027713
            """),
            [attach("certificat_médical.pdf", "application/pdf", cert_texier, style="rfc2047")],
            "_004_PR1P264MB3F2A_",
            charset="windows-1252",
            subject_charset="windows-1252",
            extra=(OUTLOOK,),
        ),
        deferral("medical", True, False, "2024-027713"),
    )

    cert_fontaine = pdf(
        """
        ## Dr Céline Bourdon - Médecine générale
        2 place du Ralliement, 49100 Angers
        ## CERTIFICAT MÉDICAL
        Je soussignée, Docteur Céline Bourdon, certifie que l'état de santé de
        Mme Julie FONTAINE (entorse grave de la cheville droite) nécessite
        un arrêt de travail et une immobilisation jusqu'au 5 octobre 2025.
        Angers, le 17/09/2025
        """,
        "Certificat médical",
    )
    add(
        "medical-no-refund-negation",
        with_files(
            "medical-no-refund-negation",
            addr("Julie Fontaine", "julie.fontaine@free.fr"),
            "Demande de report - NUC 2023-016402",
            when(2025, 9, 18, 8, 20, 30, "+0200"),
            t("""
            Bonjour,

            Suite à une chute, je suis immobilisée (entorse grave de la cheville) et mon médecin
            m'a arrêtée jusqu'au 5 octobre. Je ne pourrai donc pas passer l'épreuve de
            connaissances générales du 25 septembre.
            Je ne demande ni annulation ni remboursement : je souhaite seulement que mon
            inscription soit reportée à la session suivante.
            Ci-joint le certificat médical.

            Merci d'avance,
            Julie Fontaine
            """),
            [attach("Certificat Fontaine.pdf", "application/pdf", cert_fontaine)],
            "------------7A1B2C3D4E5F6A7B8C9D0E1F",
            extra=(THUNDERBIRD,),
        ),
        deferral(
            "medical",
            True,
            False,
            "2023-016402",
            note="'annulation' and 'remboursement' appear only to say they are NOT asked: asks_refund false.",
        ),
    )

    cert_pereira = pdf(
        """
        ## Dr Thomas Nguyen - Médecin généraliste
        15 rue du Faubourg Saint-Antoine, 75011 Paris
        ## CERTIFICAT MÉDICAL
        Je soussigné, Dr Thomas Nguyen, certifie avoir examiné ce jour
        Mme Ana PEREIRA, qui présente un syndrome grippal fébrile.
        Son état de santé nécessite un arrêt de travail du 8 au 15 juin 2025.
        Paris, le 8 juin 2025
        """,
        "Medical certificate",
    )
    add(
        "medical-english-flu",
        with_files(
            "medical-english-flu",
            addr("Ana Pereira", "ana.pereira.pt@gmail.com"),
            "Request to postpone my exam",
            when(2025, 6, 8, 20, 0, 40, "+0100"),
            t("""
            Dear Sir or Madam,

            I have the flu with a high fever and my doctor told me to stay at home until 15 June,
            so I cannot attend the Épreuve orale d'entretien on 11 June.
            I would like to postpone my registration to the next session. Please find attached my
            medical certificate.

            My NUC is 2024-030015.

            Kind regards,
            Ana Pereira
            """),
            [attach("medical_certificate.pdf", "application/pdf", cert_pereira)],
            "000000000000c9d8e70637a4f012",
        ),
        deferral("medical", True, False, "2024-030015"),
    )

    add(
        "medical-refund-only-no-document",
        plain_mail(
            "medical-refund-only-no-document",
            addr("Didier Masson", "didier.masson@gmail.com"),
            ACCUEIL,
            "remboursement",
            when(2025, 6, 11, 21, 30, 5, "+0200"),
            t("""
            Bonjour,
            je suis malade depuis une semaine et je ne pourrai pas venir passer l'épreuve
            demain. Je voudrais être remboursé des frais d'inscription svp.
            Didier Masson
            2023-021117
            """),
        ),
        deferral(
            "medical",
            False,
            True,
            "2023-021117",
            note="Only a refund is asked, but the reason is eligible: deferral_missing_justification (SPEC §2.2).",
        ),
    )

    refus_morin = pdf(
        """
        ## BATIPRO CONSTRUCTION SAS
        15 rue de l'Industrie - 69800 Saint-Priest

        Monsieur Sébastien MORIN
        Saint-Priest, le 12 mai 2025

        Objet : votre demande de congé pour examen

        Monsieur,
        Nous avons bien reçu votre demande de congé pour examen du 12 juin 2025.
        En raison d'un surcroît exceptionnel d'activité sur nos chantiers, nous sommes
        au regret de ne pas pouvoir y donner une suite favorable à cette date.
        Nous vous prions d'agréer, Monsieur, l'expression de nos salutations distinguées.

        Claire Dumont, Directrice des ressources humaines
        """,
        "Refus de congé pour examen",
    )
    add(
        "employer-refusal-letter-pdf",
        with_files(
            "employer-refusal-letter-pdf",
            addr("Sébastien Morin", "sebastien.morin@gmail.com"),
            "Demande de report - refus congé examen",
            when(2025, 5, 15, 12, 45, 18, "+0200"),
            t("""
            Bonjour,

            Mon employeur a refusé ma demande de congé pour examen pour l'épreuve pratique
            professionnelle du 12 juin (surcroît d'activité). Je vous transmets en pièce jointe
            son courrier de refus et je vous demande de bien vouloir reporter mon inscription à
            la session suivante.

            Cordialement,
            Sébastien Morin
            NUC : 2024-017740
            """),
            [attach("courrier_refus_conge.pdf", "application/pdf", refus_morin)],
            "000000000000b3a2f1063540c9d8",
        ),
        deferral("employer_refusal", True, False, "2024-017740"),
    )

    employer_mail = plain_mail(
        "employer-forwarded-rfc822/inner",
        addr("Thierry Garnier", "t.garnier@pharmacie-centrale-vannes.fr"),
        addr("Aline Barbier", "aline.barbier@orange.fr"),
        "Votre demande de congé pour examen",
        when(2025, 5, 27, 18, 2, 0, "+0200"),
        t("""
        Bonjour Aline,

        Je fais suite à ta demande de congé pour examen du 11 juin. Avec le départ de Julie et
        les congés d'été, je ne peux malheureusement pas te libérer ce jour-là. Je suis désolé,
        je ne peux pas accepter ta demande de congé pour cette date.
        Tu pourras te présenter à la session suivante, je m'engage à te libérer.

        Thierry Garnier
        Pharmacien titulaire - Pharmacie Centrale, Vannes
        """),
    )
    add(
        "employer-forwarded-rfc822",
        eml(
            frm=addr("Aline Barbier", "aline.barbier@orange.fr"),
            to=ACCUEIL,
            subject="TR: Refus de congé",
            date=when(2025, 5, 28, 10, 5, 47, "+0200"),
            body=multi(
                "mixed",
                "----=_Part_4410_19931.1748419547",
                text(
                    t("""
                    Bonjour,
                    Mon employeur refuse de me libérer pour l'épreuve du 11 juin. Je vous transfère
                    son mail en pièce jointe. Je souhaite reporter mon inscription à la session
                    suivante.
                    Aline Barbier
                    NUC 2023-012268
                    """)
                ),
                forwarded(employer_mail),
            ),
            key="employer-forwarded-rfc822",
        ),
        deferral(
            "employer_refusal",
            True,
            False,
            "2023-012268",
            note="The employer's refusal mail forwarded as message/rfc822 counts as the justification.",
        ),
    )

    report_kaci = pdf(
        """
        ## CLINIQUE DU PARC
        Direction des Ressources Humaines
        155 boulevard Stalingrad, 69006 Lyon

        Lyon, le 5 septembre 2025
        Madame Samia KACI

        Objet : demande de report de votre congé pour examen

        Madame,
        Vous nous avez sollicités pour un congé pour examen le 25 septembre 2025.
        Compte tenu des nécessités du service (absence de trois infirmières au bloc
        opératoire), nous vous demandons de bien vouloir reporter ce congé à la session
        suivante. Nous nous engageons à vous l'accorder lors de la prochaine session.

        Hélène Rivière, Directrice des Ressources Humaines
        """,
        "Demande de report",
    )
    add(
        "employer-hr-on-behalf-postponement-letter",
        with_files(
            "employer-hr-on-behalf-postponement-letter",
            addr("Direction des Ressources Humaines - Clinique du Parc", "drh@clinique-du-parc.fr"),
            "Demande de report d'inscription - Mme Samia Kaci",
            when(2025, 9, 8, 14, 0, 0, "+0200"),
            t("""
            Madame, Monsieur,

            Notre salariée, Mme Samia Kaci (NUC 2024-025548), est inscrite à l'épreuve orale
            d'entretien du 25 septembre 2025. En raison des nécessités du service, nous lui avons
            demandé de reporter son congé pour examen.
            Vous trouverez ci-joint notre courrier de demande de report. Nous vous remercions de
            bien vouloir reporter son inscription à la session suivante.

            Veuillez agréer, Madame, Monsieur, nos salutations distinguées.

            Hélène Rivière
            Directrice des Ressources Humaines
            Clinique du Parc - 155 boulevard Stalingrad, 69006 Lyon
            """),
            [attach("Demande report conge examen - S. Kaci.pdf", "application/pdf", report_kaci)],
            "_005_VI1PR09MB4E2B_",
            extra=(OUTLOOK,),
        ),
        deferral(
            "employer_refusal",
            True,
            False,
            "2024-025548",
            note="The employer writes for its employee; its letter asking for the postponement is the required document.",
        ),
    )

    marchand_plain = t("""
    Bonjour,

    Ma responsable a refusé mon congé pour examen pour le 12 juin, il y a trop de monde en
    congés ce mois-ci. Je souhaiterais donc reporter mon inscription à l'épreuve UP-EC1 à la
    session suivante. Je lui ai demandé de me faire un courrier mais je ne l'ai pas encore.

    NUC 2024-019921

    Kevin Marchand
    Préparateur de commandes
    Logistique Ouest - 4 rue des Entrepôts, 35131 Chartres-de-Bretagne
    """)
    marchand_html = t("""
    <html><head><meta charset="utf-8"></head><body style="font-family:Calibri">
    <p>Bonjour,</p>
    <p>Ma responsable a refusé mon congé pour examen pour le 12 juin, il y a trop de monde en
    congés ce mois-ci. Je souhaiterais donc reporter mon inscription à l'épreuve UP-EC1 à la
    session suivante. Je lui ai demandé de me faire un courrier mais je ne l'ai pas encore.</p>
    <p>NUC 2024-019921</p>
    <table><tr><td><img src="cid:logo-lo@signature" alt="Logistique Ouest"></td>
    <td>Kevin Marchand<br>Préparateur de commandes<br>Logistique Ouest - 4 rue des Entrepôts,
    35131 Chartres-de-Bretagne</td></tr></table>
    </body></html>
    """)
    add(
        "employer-refusal-inline-logo-only",
        eml(
            frm=addr("Kevin Marchand", "k.marchand@logistique-ouest.fr"),
            to=ACCUEIL,
            subject="Report inscription",
            date=when(2025, 5, 20, 9, 17, 26, "+0200"),
            body=multi(
                "related",
                "_006_related_LO_",
                multi(
                    "alternative", "_006_alt_LO_", text(marchand_plain), text(marchand_html, "html")
                ),
                attach(
                    "logo_lo.png",
                    "image/png",
                    logo("LOGISTIQUE OUEST"),
                    inline=True,
                    cid="logo-lo@signature",
                ),
                params=' type="multipart/alternative";',
            ),
            key="employer-refusal-inline-logo-only",
            extra=(OUTLOOK,),
        ),
        deferral(
            "employer_refusal",
            False,
            False,
            "2024-019921",
            note="The only image is the signature logo (inline, Content-ID): no document attached.",
        ),
    )

    add(
        "employer-mail-pasted-inline",
        plain_mail(
            "employer-mail-pasted-inline",
            addr("Sandra Mallet", "sandra.mallet@hotmail.fr"),
            ACCUEIL,
            "TR: Congé examen",
            when(2025, 6, 2, 13, 25, 11, "+0200"),
            t("""
            Bonjour,
            Mon employeur refuse mon congé pour examen, voir son mail ci-dessous. Je souhaite
            reporter mon inscription.
            Sandra Mallet
            NUC : 2024-008837

            ________________________________
            De : Laurent Petitjean <l.petitjean@hotel-les-pins.fr>
            Envoyé : lundi 2 juin 2025 11:47
            À : Sandra Mallet <sandra.mallet@hotmail.fr>
            Objet : Congé examen

            Bonjour Sandra,
            Je ne peux pas te donner ton congé pour examen le 12 juin, c'est le week-end du
            congrès et l'hôtel est complet. Désolé.
            Laurent Petitjean
            Directeur - Hôtel Les Pins
            """),
        ),
        deferral(
            "employer_refusal",
            False,
            False,
            "2024-008837",
            note="The employer's mail is forwarded inline, in the body: not an attachment.",
        ),
    )

    recu_renard = pdf(
        """
        ## UNION PROF - CENTRE D'ÉPREUVES DE LILLE
        ## REÇU DE PAIEMENT
        Reçu n° LI-25-00942
        Candidat : M. Mickaël RENARD
        Frais d'inscription - session de septembre 2025
        Montant : 120,00 EUR - réglé par virement le 04/07/2025
        """,
        "Reçu",
    )
    add(
        "employer-refusal-payment-receipt",
        with_files(
            "employer-refusal-payment-receipt",
            addr("Mickaël Renard", "mickael.renard@gmail.com"),
            "report session septembre",
            when(2025, 9, 10, 17, 40, 2, "+0200"),
            t("""
            Bonjour,
            Mon patron m'a refusé le congé pour examen pour le 24 septembre. Je voudrais
            reporter à la session suivante. Je vous joins le justificatif.
            Mickaël Renard
            NUC 2024-028890
            """),
            [attach("justificatif.pdf", "application/pdf", recu_renard)],
            "000000000000a9b8c7063f10e2d4",
        ),
        deferral(
            "employer_refusal",
            False,
            False,
            "2024-028890",
            note="Called 'justificatif', but by its content it is a payment receipt, not the employer's letter.",
        ),
    )

    add(
        "employer-letter-photo",
        with_files(
            "employer-letter-photo",
            addr("Ludovic Henry", "ludovic.henry@gmail.com"),
            "report épreuve - refus employeur",
            when(2025, 9, 12, 20, 30, 59, "+0200"),
            t("""
            Bonjour,
            Mon employeur refuse de m'accorder le congé pour examen pour le 25 septembre. Je vous
            envoie la photo de la lettre de refus qu'il m'a remise.
            Je demande le report à la session suivante.
            Ludovic Henry
            NUC 2024-029903
            """),
            [
                attach(
                    "20250912_202611.jpg",
                    "image/jpeg",
                    photo(
                        "GARAGE HENRIOT SARL",
                        "Route de Dole - 39100 Foucherans",
                        "",
                        "Objet : refus de conge pour examen",
                        "",
                        "Monsieur Henry,",
                        "Nous ne pouvons pas vous accorder le conge",
                        "pour examen demande pour le 25/09/2025.",
                        "",
                        "P. Henriot, gerant",
                    ),
                )
            ],
            "000000000000c1d2e3063f4a5b6c",
            extra=(("X-Mailer", "Samsung Mail"),),
        ),
        deferral(
            "employer_refusal",
            True,
            False,
            "2024-029903",
            note="A photo the body presents as the refusal letter counts as present (flagged for staff).",
        ),
    )

    faire_part = pdf(
        """
        ## Manon & Julien
        ont la joie de vous annoncer leur mariage
        le samedi 14 juin 2025 à 15 heures
        en la mairie de Chambéry.
        La cérémonie sera suivie d'un vin d'honneur au Domaine des Saules.
        """,
        "Faire-part",
    )
    add(
        "other-wedding-refund",
        with_files(
            "other-wedding-refund",
            addr("Manon Lefèvre", "manon.lefevre@gmail.com"),
            "Annulation / report inscription",
            when(2025, 4, 2, 21, 10, 37, "+0200"),
            t("""
            Bonjour,

            Je me marie le 14 juin et je viens de m'apercevoir que l'épreuve pratique
            professionnelle tombe le même jour ! Est-il possible de reporter mon inscription à
            la session de septembre ? Sinon je souhaiterais être remboursée.
            Je vous joins le faire-part.

            Merci beaucoup,
            Manon Lefèvre
            NUC 2024-014409
            """),
            [attach("faire-part.pdf", "application/pdf", faire_part)],
            "000000000000f1e2d3063294a8b7",
        ),
        deferral(
            "other",
            False,
            True,
            "2024-014409",
            note="A wedding is not an eligible reason; no document is required, so justification_present is false.",
        ),
    )

    add(
        "other-holiday-abroad",
        plain_mail(
            "other-holiday-abroad",
            addr("Frédéric Aubert", "fred.aubert@free.fr"),
            ACCUEIL,
            "Report épreuve juin",
            when(2025, 5, 5, 8, 50, 14, "+0200"),
            t("""
            Bonjour, j'ai réservé un voyage au Canada du 5 au 20 juin (réservé avant de connaître
            la date de l'épreuve). Pourriez-vous reporter mon inscription à l'épreuve UP-EO3 à
            septembre ? Merci. Frédéric Aubert, NUC 2023-020054
            """),
        ),
        deferral("other", False, False, "2023-020054"),
    )

    add(
        "other-moving-reunion-cancel",
        plain_mail(
            "other-moving-reunion-cancel",
            addr("Josiane Payet", "josiane.payet@wanadoo.fr"),
            ACCUEIL,
            "annulation inscription",
            when(2025, 5, 12, 7, 30, 0, "+0400"),
            t("""
            Bonjour,
            Je déménage à La Réunion fin mai pour raisons familiales et je ne pourrai pas passer
            l'épreuve à Montpellier en juin. Je souhaite annuler mon inscription.
            Josiane Payet
            NUC 2024-010776
            """),
        ),
        deferral(
            "other",
            False,
            True,
            "2024-010776",
            note="A cancellation request: asks_refund true; moving house is not eligible.",
        ),
    )

    add(
        "other-transport-strike",
        plain_mail(
            "other-transport-strike",
            addr("Thomas Weber", "thomas.weber67@gmail.com"),
            ACCUEIL,
            "Grève SNCF - épreuve du 12 juin",
            when(2025, 6, 11, 19, 2, 48, "+0200"),
            t("""
            Bonsoir,
            Avec la grève SNCF annoncée demain, je n'ai aucun train pour aller à Nancy passer
            l'épreuve de connaissances générales. Est-il possible de reporter mon passage à la
            prochaine session ?
            Thomas Weber
            NUC 2024-022675
            """),
        ),
        deferral("other", False, False, "2024-022675"),
    )

    add(
        "other-bereavement",
        plain_mail(
            "other-bereavement",
            addr("Nadège Colin", "nadege.colin@sfr.fr"),
            ACCUEIL,
            "Demande de report",
            when(2025, 6, 6, 10, 0, 26, "+0200"),
            t("""
            Bonjour,

            Mon père est décédé mardi et les obsèques auront lieu le jour de l'épreuve orale
            d'entretien, le 11 juin. Je vous demande de bien vouloir reporter mon inscription à
            la session suivante.

            Je vous remercie de votre compréhension.
            Nadège Colin
            NUC : 2023-015589
            """),
        ),
        deferral(
            "other",
            False,
            False,
            "2023-015589",
            note="A bereavement is not one of the two eligible reasons (SPEC §2.2).",
        ),
    )

    add(
        "unspecified-postpone-short",
        plain_mail(
            "unspecified-postpone-short",
            "yanis.b@gmail.com",
            ACCUEIL,
            "report",
            when(2025, 5, 14, 12, 12, 12, "+0200"),
            "Bonjour je souhaiterais reporter mon inscription à la prochaine session svp. NUC 2024-021436. Merci\n",
            cte="8bit",
        ),
        deferral("unspecified", False, False, "2024-021436"),
    )

    add(
        "unspecified-cancel-refund",
        plain_mail(
            "unspecified-cancel-refund",
            addr("Christophe Guérin", "c.guerin@laposte.net"),
            ACCUEIL,
            "Annulation de mon inscription",
            when(2025, 4, 17, 16, 41, 9, "+0200"),
            t("""
            Madame, Monsieur,
            Je souhaite annuler mon inscription à la Certification complète et obtenir le
            remboursement des 150 € de frais d'inscription.
            Merci de me confirmer l'annulation.
            Christophe Guérin
            NUC 2023-004488
            """),
        ),
        deferral("unspecified", False, True, "2023-004488"),
    )

    convocation_dupuis = pdf(
        """
        ## UNION PROF - SESSION DE SEPTEMBRE 2025
        ## CONVOCATION AUX ÉPREUVES
        Candidate : Mme Marion DUPUIS
        NUC : 2024-024417
        Épreuve : UP-EC1 - Épreuve de connaissances générales
        Date : mercredi 24 septembre 2025 à 9h00
        Centre d'épreuves : CFA des métiers, 5 rue Ampère, 31000 Toulouse
        """,
        "Convocation",
    )
    add(
        "unspecified-convocation-attached",
        with_files(
            "unspecified-convocation-attached",
            addr("Marion Dupuis", "marion.dupuis@gmail.com"),
            "Report de mon épreuve",
            when(2025, 9, 2, 11, 11, 11, "+0200"),
            t("""
            Bonjour,
            Je ne pourrai pas être présente à l'épreuve du 24 septembre. Pouvez-vous reporter
            mon inscription à la prochaine session ? Je vous joins ma convocation.
            Bonne journée,
            Marion Dupuis
            """),
            [attach("Convocation.pdf", "application/pdf", convocation_dupuis)],
            "000000000000d2c3b4063e9f8a7b",
        ),
        deferral(
            "unspecified",
            False,
            False,
            note="No reason given. The NUC is only inside the attached convocation: null.",
        ),
    )


# ===========================================================================
# certification: returned collection spreadsheets (SPEC §2.3)
#
# Every row below carries the bucket SPEC gives it and, above it, why. summarise()
# re-derives each bucket from SPEC's rules and refuses to build the corpus on a mismatch.
# Deadlines: Jan/Feb closed (late), Mar-May 30/11/2024, Jun/Jul 31/03/2025,
# Sep/Oct 31/05/2025, Nov/Dec 31/07/2025; no session in August.
# ===========================================================================

STD_COLUMNS = [
    ("Organisme", "org"),
    ("Branche", "branch"),
    ("Nom", "last"),
    ("Prénom", "first"),
    ("NIR", "nir"),
    ("Date de naissance", "birth"),
    ("Email", "email"),
    ("CQP", "cqp"),
    ("Blocs", "blocks"),
    ("Certifiable à partir du", "cert"),
    ("Redoublant", "redo"),
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
D = date


def cert_mail(
    key: str,
    frm: str,
    subject: str,
    date_: datetime,
    body: str,
    files: list[Part],
    boundary: str,
    **kw: Any,
) -> bytes:
    return with_files(
        key, frm, subject, date_, body, files, boundary, to=kw.pop("to", CERTIF), **kw
    )


def spreadsheets() -> None:
    # --- CAF du Rhône, .xlsx, header on the first row; mail of 12/03/2025.
    sent = when(2025, 3, 12, 10, 14, 2)
    org = "CAF du Rhône"
    rows = [
        # Exam month June (due 31/03/2025), mail 12/03: on time.
        R(
            "accepted",
            org,
            "Famille",
            "MARTIN",
            "Julie",
            nir("2", "91", "04", "69", "383", "112"),
            D(1991, 4, 17),
            "julie.martin@caf69.fr",
            "GC",
            "1, 2",
            D(2025, 6, 2),
        ),
        # July (due 31/03): on time.
        R(
            "accepted",
            org,
            "Famille",
            "BENOIT",
            "Karim",
            nir("1", "88", "11", "69", "123", "045"),
            D(1988, 11, 2),
            "karim.benoit@caf69.fr",
            "GC",
            "3",
            D(2025, 7, 1),
        ),
        # September (due 31/05): on time.
        R(
            "accepted",
            org,
            "Famille",
            "ROUSSEL",
            "Anne-Sophie",
            nir("2", "85", "02", "42", "218", "301"),
            D(1985, 2, 23),
            "as.roussel@caf69.fr",
            "COS",
            "1",
            D(2025, 9, 1),
        ),
        # November (due 31/07): on time.
        R(
            "accepted",
            org,
            "Famille",
            "NGUYEN",
            "Minh",
            nir("1", "93", "07", "75", "115", "088"),
            D(1993, 7, 9),
            "minh.nguyen@caf69.fr",
            "COS",
            "2, 3",
            D(2025, 11, 3),
        ),
        # June; no e-mail (optional): on time.
        R(
            "accepted",
            org,
            "Famille",
            "FAURE",
            "Patricia",
            nir("2", "79", "05", "01", "053", "214"),
            D(1979, 5, 30),
            "",
            "GC",
            "2",
            D(2025, 6, 16),
        ),
        # October; no birth date (optional): on time.
        R(
            "accepted",
            org,
            "Famille",
            "GAUTHIER",
            "Lucas",
            nir("1", "96", "12", "69", "266", "017"),
            "",
            "lucas.gauthier@caf69.fr",
            "GC",
            "1 et 2",
            D(2025, 10, 6),
        ),
        # April exam month: due 30/11/2024, the mail is of 2025: late.
        R(
            "late",
            org,
            "Famille",
            "PERRIN",
            "Claire",
            nir("2", "90", "09", "38", "185", "421"),
            D(1990, 9, 14),
            "claire.perrin@caf69.fr",
            "GC",
            "3",
            D(2025, 4, 7),
        ),
        # Repeat candidate (Oui): outside this collection.
        R(
            "redoublant",
            org,
            "Famille",
            "MOREAU",
            "Jérôme",
            nir("1", "83", "03", "69", "388", "260"),
            D(1983, 3, 8),
            "jerome.moreau@caf69.fr",
            "COS",
            "2",
            D(2025, 6, 2),
            "Oui",
        ),
    ]
    book = xlsx([("Candidats", sheet_grid(STD_COLUMNS, rows))])
    add(
        "xlsx-caf-rhone",
        cert_mail(
            "xlsx-caf-rhone",
            addr("Sandrine Blanc", "sandrine.blanc@caf69.fr"),
            "Tableau de recueil - CAF du Rhône",
            sent,
            t("""
            Bonjour,

            Veuillez trouver ci-joint le tableau de recueil d'informations de la CAF du Rhône pour
            les certifications 2025 des CQP par blocs de compétences.

            Je reste à votre disposition pour tout complément.

            Cordialement,

            Sandrine Blanc
            Chargée de formation - Service RH
            CAF du Rhône
            04 72 00 00 00
            """),
            [attach("Tableau_recueil_CAF69_2025.xlsx", XLSX_TYPE, book)],
            "_007_PA4PR04MB7C1E_",
            crlf=True,
            extra=(OUTLOOK,),
        ),
        returned(summarise(rows, sent)),
    )

    # --- URSSAF Île-de-France, .xlsx with a title block above the header and header
    # variants; mail of 28/05/2025 (before the 31/05 deadline for Sep/Oct).
    sent = when(2025, 5, 28, 16, 40, 51, "+0200")
    org = "URSSAF Île-de-France"
    first_nir = nir("2", "87", "06", "93", "066", "154")
    rows = [
        # September (due 31/05): on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "DIALLO",
            "Aminata",
            first_nir,
            D(1987, 6, 12),
            "aminata.diallo@urssaf.fr",
            "GC",
            "1",
            D(2025, 9, 15),
        ),
        # October (due 31/05): on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "LEROY",
            "Bastien",
            nir("1", "92", "01", "75", "112", "230"),
            D(1992, 1, 27),
            "bastien.leroy@urssaf.fr",
            "GC",
            "2",
            D(2025, 10, 1),
        ),
        # November (due 31/07): on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "CHAUVIN",
            "Estelle",
            nir("2", "94", "10", "92", "050", "077"),
            D(1994, 10, 3),
            "estelle.chauvin@urssaf.fr",
            "COS",
            "1, 2, 3",
            D(2025, 11, 17),
        ),
        # NIR key wrong (one more than the right key): invalid.
        R(
            "invalid",
            org,
            "Recouvrement",
            "TESSIER",
            "Romain",
            nir("1", "89", "08", "94", "028", "319", bad_key=True),
            D(1989, 8, 19),
            "romain.tessier@urssaf.fr",
            "GC",
            "3",
            D(2025, 9, 1),
        ),
        # E-mail without '@': invalid.
        R(
            "invalid",
            org,
            "Recouvrement",
            "ROY",
            "Sylvain",
            nir("1", "81", "04", "77", "288", "102"),
            D(1981, 4, 5),
            "sylvain.roy.urssaf.fr",
            "GC",
            "1",
            D(2025, 10, 13),
        ),
        # CQP GCAM belongs to the Maladie branch (myCertif): invalid.
        R(
            "invalid",
            org,
            "Recouvrement",
            "MARCHAND",
            "Inès",
            nir("2", "95", "03", "91", "174", "066"),
            D(1995, 3, 21),
            "ines.marchand@urssaf.fr",
            "GCAM",
            "2",
            D(2025, 9, 1),
        ),
        # December, NIR written with spaces: on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "BOYER",
            "Nicolas",
            nir("1", "90", "12", "95", "127", "041", spaced=True),
            D(1990, 12, 30),
            "nicolas.boyer@urssaf.fr",
            "COS",
            "3",
            D(2025, 12, 1),
        ),
        # Same NIR as DIALLO Aminata above (entered twice for another block): invalid.
        R(
            "invalid",
            org,
            "Recouvrement",
            "DIALLO",
            "Aminata",
            first_nir,
            D(1987, 6, 12),
            "aminata.diallo@urssaf.fr",
            "GC",
            "2",
            D(2025, 9, 15),
        ),
        # Repeat candidate: redoublant.
        R(
            "redoublant",
            org,
            "Recouvrement",
            "FERRAND",
            "Julien",
            nir("1", "86", "02", "78", "646", "188"),
            D(1986, 2, 11),
            "julien.ferrand@urssaf.fr",
            "GC",
            "1",
            D(2025, 9, 1),
            "Oui",
        ),
        # June exam month (due 31/03), mail of 28/05: late.
        R(
            "late",
            org,
            "Recouvrement",
            "CARON",
            "Mélissa",
            nir("2", "97", "09", "93", "048", "215"),
            D(1997, 9, 2),
            "melissa.caron@urssaf.fr",
            "COS",
            "2",
            D(2025, 6, 2),
        ),
    ]
    columns = [
        ("Organisme", "org"),
        ("Branche", "branch"),
        ("Nom de naissance", "last"),
        ("Prénom", "first"),
        ("N° de sécurité sociale", "nir"),
        ("Date de naissance", "birth"),
        ("Courriel", "email"),
        ("CQP", "cqp"),
        ("Blocs de compétences", "blocks"),
        ("Certifiable à partir du", "cert"),
        ("Redoublant", "redo"),
    ]
    above = [
        [
            "Tableau de recueil d'informations - Certifications 2025 des CQP par blocs de compétences"
        ],
        ["Organisme : URSSAF Île-de-France - Référent : M. Olivier Kahn"],
        [],
    ]
    book = xlsx([("Recueil", sheet_grid(columns, rows, above=above))])
    add(
        "xlsx-urssaf-idf-title-row",
        cert_mail(
            "xlsx-urssaf-idf-title-row",
            addr("Olivier Kahn", "olivier.kahn@urssaf.fr"),
            "URSSAF IDF - retour du tableau de recueil CQP 2025",
            sent,
            t("""
            Bonjour,

            Je vous prie de trouver en pièce jointe le tableau de recueil complété pour les
            candidats de l'URSSAF Île-de-France (sessions de septembre à décembre).

            Bien cordialement,

            Olivier Kahn
            Responsable développement des compétences
            URSSAF Île-de-France
            """),
            [attach("Recueil URSSAF IDF CQP 2025.xlsx", XLSX_TYPE, book)],
            "_008_DU2PR04MB8E44_",
            extra=(OUTLOOK,),
        ),
        returned(
            summarise(rows, sent),
            note="Header on row 4 under a title block; header variants (Nom de naissance, N° de sécurité sociale, Courriel, Blocs de compétences).",
        ),
    )

    # --- CARSAT Bretagne, .xlsx: an instructions sheet first, extra columns, another
    # column order; sent on the 31/07 deadline day itself at 23:15 local time.
    sent = when(2025, 7, 31, 23, 15, 0, "+0200")
    org = "CARSAT Bretagne"
    rows = [
        # November (due 31/07), mail on 31/07 local time: on time.
        R(
            "accepted",
            org,
            "Retraite",
            "LE GALL",
            "Maëlle",
            nir("2", "91", "05", "29", "019", "133"),
            D(1991, 5, 4),
            "maelle.legall@carsat-bretagne.fr",
            "GC",
            "1",
            D(2025, 11, 3),
            extra={"x:mat": "B4471", "x:obs": ""},
        ),
        # December: on time.
        R(
            "accepted",
            org,
            "Retraite",
            "KERMARREC",
            "Yann",
            nir("1", "84", "09", "35", "238", "072"),
            D(1984, 9, 18),
            "yann.kermarrec@carsat-bretagne.fr",
            "COS",
            "2",
            D(2025, 12, 1),
            extra={"x:mat": "B3902", "x:obs": "Temps partiel"},
        ),
        # November, explicit "Non": on time.
        R(
            "accepted",
            org,
            "Retraite",
            "PRIGENT",
            "Soizic",
            nir("2", "79", "12", "22", "278", "015"),
            D(1979, 12, 6),
            "soizic.prigent@carsat-bretagne.fr",
            "GC",
            "2, 3",
            D(2025, 11, 24),
            "Non",
            extra={"x:mat": "B2218", "x:obs": ""},
        ),
        # September (due 31/05), mail of 31/07: late.
        R(
            "late",
            org,
            "Retraite",
            "TANGUY",
            "Erwan",
            nir("1", "93", "03", "56", "260", "044"),
            D(1993, 3, 15),
            "erwan.tanguy@carsat-bretagne.fr",
            "GC",
            "1",
            D(2025, 9, 8),
            extra={"x:mat": "B5120", "x:obs": ""},
        ),
        # No block given: invalid.
        R(
            "invalid",
            org,
            "Retraite",
            "GUILLOU",
            "Anaïs",
            nir("2", "96", "07", "29", "232", "118"),
            D(1996, 7, 27),
            "anais.guillou@carsat-bretagne.fr",
            "COS",
            "",
            D(2025, 11, 3),
            extra={"x:mat": "B5233", "x:obs": "Blocs à confirmer"},
        ),
        # Repeat candidate AND late (October, due 31/05): redoublant wins (rule 2 before 3).
        R(
            "redoublant",
            org,
            "Retraite",
            "RIOU",
            "Gwenaël",
            nir("1", "82", "06", "35", "288", "097"),
            D(1982, 6, 1),
            "gwenael.riou@carsat-bretagne.fr",
            "GC",
            "3",
            D(2025, 10, 6),
            "Oui",
            extra={"x:mat": "B1876", "x:obs": "Redoublant bloc 3"},
        ),
    ]
    columns = [
        ("Matricule", "x:mat"),
        ("Nom", "last"),
        ("Prénom", "first"),
        ("NIR", "nir"),
        ("Date de naissance", "birth"),
        ("Organisme", "org"),
        ("Branche", "branch"),
        ("CQP", "cqp"),
        ("Bloc(s)", "blocks"),
        ("Certifiable à partir du", "cert"),
        ("Redoublant", "redo"),
        ("Adresse mail", "email"),
        ("Observations", "x:obs"),
    ]
    instructions = [
        ["TABLEAU DE RECUEIL D'INFORMATIONS - MODE D'EMPLOI"],
        [],
        ["1. Une ligne par candidat, dans l'onglet Candidats."],
        ["2. Le NIR est saisi sur 15 caractères (13 chiffres + clé)."],
        ["3. CQP : GC ou COS uniquement (les CQP de la branche Maladie passent par myCertif)."],
        ["4. Certifiable à partir du : date indiquée dans myCertif UCANSS."],
        ["5. Ne pas inscrire les redoublants."],
    ]
    book = xlsx([("Mode d'emploi", instructions), ("Candidats", sheet_grid(columns, rows))])
    add(
        "xlsx-carsat-bretagne-instructions-sheet",
        cert_mail(
            "xlsx-carsat-bretagne-instructions-sheet",
            addr("Morgane Le Bihan", "morgane.lebihan@carsat-bretagne.fr"),
            "Retour tableau de recueil CARSAT Bretagne - sessions novembre/décembre",
            sent,
            t("""
            Bonsoir,

            Voici, in extremis, notre tableau de recueil pour les sessions de fin d'année.
            Désolée pour l'heure tardive !

            Morgane Le Bihan
            Service formation - CARSAT Bretagne
            236 rue de Châteaugiron, 35030 Rennes
            """),
            [attach("recueil_carsat_bretagne.xlsx", XLSX_TYPE, book)],
            "------------5E6F7A8B9C0D1E2F3A4B5C6D",
            extra=(THUNDERBIRD,),
        ),
        returned(
            summarise(rows, sent),
            note="Sent on the deadline day (31/07, local time of the Date header): November/December rows are on time.",
        ),
    )

    # --- CPAM (Maladie branch) returns the spreadsheet by mistake: every row invalid.
    sent = when(2025, 4, 2, 9, 5, 40, "+0200")
    org = "CPAM du Val-de-Marne"
    rows = [
        # Branch Maladie and CQP GCAM: invalid ("branche maladie: myCertif").
        R(
            "invalid",
            org,
            "Maladie",
            "DURAND",
            "Céline",
            nir("2", "88", "04", "94", "028", "233"),
            D(1988, 4, 9),
            "celine.durand@assurance-maladie.fr",
            "GCAM",
            "1",
            D(2025, 6, 2),
        ),
        # CSAM: Maladie-branch CQP: invalid.
        R(
            "invalid",
            org,
            "Maladie",
            "LOPEZ",
            "Antoine",
            nir("1", "91", "11", "94", "080", "156"),
            D(1991, 11, 30),
            "antoine.lopez@assurance-maladie.fr",
            "CSAM",
            "2",
            D(2025, 6, 2),
        ),
        # STARTECH: Maladie-branch CQP: invalid.
        R(
            "invalid",
            org,
            "Maladie",
            "HAMIDI",
            "Sonia",
            nir("2", "93", "02", "94", "046", "071"),
            D(1993, 2, 14),
            "sonia.hamidi@assurance-maladie.fr",
            "STARTECH",
            "1, 2",
            D(2025, 7, 1),
        ),
        # CQP COS but branch Maladie (not Famille/Recouvrement/Retraite): invalid.
        R(
            "invalid",
            org,
            "Maladie",
            "VIDAL",
            "Thomas",
            nir("1", "85", "06", "94", "073", "290"),
            D(1985, 6, 17),
            "thomas.vidal@assurance-maladie.fr",
            "COS",
            "3",
            D(2025, 6, 2),
        ),
    ]
    book = xlsx([("Feuil1", sheet_grid(STD_COLUMNS, rows))])
    add(
        "xlsx-cpam-maladie",
        cert_mail(
            "xlsx-cpam-maladie",
            addr("Laurence Petit", "laurence.petit@assurance-maladie.fr"),
            "Tableau recueil CPAM 94",
            sent,
            t("""
            Bonjour,

            Ci-joint le tableau de recueil de la CPAM du Val-de-Marne.

            Cordialement,
            Laurence Petit
            Département Formation - CPAM du Val-de-Marne
            """),
            [attach("tableau recueil CPAM94.xlsx", XLSX_TYPE, book)],
            "_009_PR0P264MB2F88_",
            extra=(OUTLOOK,),
        ),
        returned(
            summarise(rows, sent),
            note="Maladie-branch CQPs (GCAM, CSAM, STARTECH) and a Maladie branch do not belong in this spreadsheet.",
        ),
    )

    # --- CAF de la Guadeloupe: Saturday 31/05 21:40 local time (-0400) is already 01/06
    # in UTC; the deadline is judged in the local time of the Date header: on time.
    sent = when(2025, 5, 31, 21, 40, 18, "-0400")
    org = "CAF de la Guadeloupe"
    rows = [
        # September (due 31/05), mail 31/05 local: on time.
        R(
            "accepted",
            org,
            "Famille",
            "JEAN-BAPTISTE",
            "Marlène",
            nir("2", "86", "03", "97", "101", "222"),
            D(1986, 3, 3),
            "marlene.jean-baptiste@caf971.fr",
            "GC",
            "1",
            D(2025, 9, 1),
        ),
        # October: on time.
        R(
            "accepted",
            org,
            "Famille",
            "CELESTINE",
            "Jordan",
            nir("1", "94", "08", "97", "113", "045"),
            D(1994, 8, 28),
            "jordan.celestine@caf971.fr",
            "GC",
            "2",
            D(2025, 10, 20),
        ),
        # September: on time.
        R(
            "accepted",
            org,
            "Famille",
            "DÉSIRÉ",
            "Nadia",
            nir("2", "90", "01", "97", "120", "137"),
            D(1990, 1, 16),
            "nadia.desire@caf971.fr",
            "COS",
            "1, 2",
            D(2025, 9, 22),
        ),
        # Organisation left empty (it is never filled down from the row above): invalid.
        R(
            "invalid",
            "",
            "Famille",
            "LOUISY",
            "Fabrice",
            nir("1", "87", "12", "97", "105", "088"),
            D(1987, 12, 12),
            "fabrice.louisy@caf971.fr",
            "GC",
            "3",
            D(2025, 10, 6),
        ),
        # November (due 31/07): on time.
        R(
            "accepted",
            org,
            "Famille",
            "RAMASSAMY",
            "Priscilla",
            nir("2", "96", "05", "97", "118", "019"),
            D(1996, 5, 25),
            "",
            "COS",
            "3",
            D(2025, 11, 3),
        ),
    ]
    book = xlsx([("Tableau", sheet_grid(STD_COLUMNS, rows))])
    add(
        "xlsx-caf-guadeloupe-deadline-local-time",
        cert_mail(
            "xlsx-caf-guadeloupe-deadline-local-time",
            addr("Marie-Josée Anatole", "mj.anatole@caf971.fr"),
            "CAF Guadeloupe : tableau de recueil (sessions septembre-octobre)",
            sent,
            t("""
            Bonsoir,

            Vous trouverez ci-joint le tableau de recueil de la CAF de la Guadeloupe.

            Bien cordialement,
            Marie-Josée Anatole
            Gestion des compétences - CAF de la Guadeloupe
            """),
            [attach("Recueil CAF971.xlsx", XLSX_TYPE, book)],
            "_010_SN7PR12MB4A0D_",
            extra=(OUTLOOK,),
        ),
        returned(
            summarise(rows, sent),
            note="Date 31/05 21:40 -0400 (01/06 in UTC): on the deadline day in its own local time, so on time.",
        ),
    )

    # --- CAF de la Corse-du-Sud, legacy .xls: Corsican NIRs (2A -> 19, 2B -> 18).
    sent = when(2025, 3, 28, 11, 20, 30)
    org = "CAF de la Corse-du-Sud"
    corsican = "18702" + "2A" + "004123"
    # The key computed as if 2A were 20: not the NIR key, so the row is invalid.
    wrong_key = 97 - int(corsican.replace("2A", "20")) % 97
    assert f"{corsican}{wrong_key:02d}" != nir("1", "87", "02", "2A", "004", "123")
    rows = [
        # 2A NIR with its right key; June (due 31/03), mail 28/03: on time.
        R(
            "accepted",
            org,
            "Famille",
            "SANTONI",
            "Marie-Ange",
            nir("2", "89", "06", "2A", "004", "078"),
            D(1989, 6, 5),
            "marie-ange.santoni@caf2a.fr",
            "GC",
            "1",
            D(2025, 6, 2),
        ),
        # 2B NIR with its right key; July: on time.
        R(
            "accepted",
            org,
            "Famille",
            "ALBERTINI",
            "Paul",
            nir("1", "92", "10", "2B", "033", "115"),
            D(1992, 10, 22),
            "paul.albertini@caf2a.fr",
            "COS",
            "2",
            D(2025, 7, 7),
        ),
        # 2A NIR whose key was computed with 2A read as 20: invalid.
        R(
            "invalid",
            org,
            "Famille",
            "CASANOVA",
            "Jean-Baptiste",
            f"{corsican}{wrong_key:02d}",
            D(1987, 2, 14),
            "jb.casanova@caf2a.fr",
            "GC",
            "3",
            D(2025, 6, 16),
        ),
        # April exam month (due 30/11/2024): late.
        R(
            "late",
            org,
            "Famille",
            "LUCIANI",
            "Stéphanie",
            nir("2", "84", "01", "2A", "004", "210"),
            D(1984, 1, 26),
            "stephanie.luciani@caf2a.fr",
            "GC",
            "2",
            D(2025, 4, 14),
        ),
        # Born on the continent; June: on time.
        R(
            "accepted",
            org,
            "Famille",
            "GIRAUD",
            "Mathieu",
            nir("1", "90", "05", "13", "055", "301"),
            D(1990, 5, 11),
            "mathieu.giraud@caf2a.fr",
            "GC",
            "1, 2",
            D(2025, 6, 2),
        ),
        # Certifiable from 02/12/2024 (before 2025): exam month January 2025, closed: late.
        R(
            "late",
            org,
            "Famille",
            "PIERI",
            "Laetitia",
            nir("2", "95", "08", "2A", "004", "056"),
            D(1995, 8, 3),
            "laetitia.pieri@caf2a.fr",
            "COS",
            "1",
            D(2024, 12, 2),
        ),
    ]
    book = xls([("Recueil 2025", sheet_grid(STD_COLUMNS, rows))])
    add(
        "xls-caf-corse-du-sud",
        cert_mail(
            "xls-caf-corse-du-sud",
            addr("Dominique Peretti", "dominique.peretti@caf2a.fr"),
            "Tableau de recueil CAF 2A",
            sent,
            t("""
            Bonjour,

            Veuillez trouver ci-joint notre tableau de recueil (format Excel 97-2003, désolé,
            notre poste n'a pas de version plus récente).

            Cordialement,

            Dominique Peretti
            CAF de la Corse-du-Sud
            Avenue de Paris, 20000 Ajaccio
            """),
            [attach("recueil_caf2a.xls", "application/vnd.ms-excel", book)],
            "----=_NextPart_000_0012_01DBA0C4.5E3F2A10",
        ),
        returned(
            summarise(rows, sent),
            note="Corsican NIRs: the key is computed with 2A read as 19 and 2B as 18.",
        ),
    )

    # --- URSSAF Rhône-Alpes re-sends a corrected .xls in the thread of our receipt, on
    # 03/06 (after the 31/05 deadline for Sep/Oct).
    sent = when(2025, 6, 3, 9, 12, 5, "+0200")
    org = "URSSAF Rhône-Alpes"
    rows = [
        # November (due 31/07): on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "BRUNET",
            "Alexandre",
            nir("1", "88", "03", "69", "123", "190"),
            D(1988, 3, 20),
            "alexandre.brunet@urssaf.fr",
            "GC",
            "1",
            D(2025, 11, 3),
        ),
        # December: on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "COLIN",
            "Sarah",
            nir("2", "93", "06", "38", "185", "077"),
            D(1993, 6, 8),
            "sarah.colin@urssaf.fr",
            "COS",
            "2",
            D(2025, 12, 8),
        ),
        # September (due 31/05), mail of 03/06: late.
        R(
            "late",
            org,
            "Recouvrement",
            "MEUNIER",
            "David",
            nir("1", "80", "11", "01", "053", "044"),
            D(1980, 11, 4),
            "david.meunier@urssaf.fr",
            "GC",
            "3",
            D(2025, 9, 1),
        ),
        # Certifiable from 18/08: no session in August, so September (due 31/05): late.
        R(
            "late",
            org,
            "Recouvrement",
            "LAMBERT",
            "Chloé",
            nir("2", "97", "02", "73", "065", "150"),
            D(1997, 2, 17),
            "chloe.lambert@urssaf.fr",
            "COS",
            "1",
            D(2025, 8, 18),
        ),
        # November, NIR with spaces: on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "FOURNIER",
            "Hugo",
            nir("1", "95", "09", "74", "010", "233", spaced=True),
            D(1995, 9, 25),
            "hugo.fournier@urssaf.fr",
            "GC",
            "2, 3",
            D(2025, 11, 17),
        ),
    ]
    book = xls([("Feuil1", sheet_grid(STD_COLUMNS, rows))])
    add(
        "xls-urssaf-rhone-alpes-resend",
        cert_mail(
            "xls-urssaf-rhone-alpes-resend",
            addr("Karine Roche", "karine.roche@urssaf.fr"),
            "RE: [CQ-2025-000031] Accusé de réception de votre tableau de recueil",
            sent,
            t("""
            Bonjour,

            Suite à votre message, voici le fichier corrigé (NIR complétés).

            Cordialement,
            Karine Roche
            URSSAF Rhône-Alpes

            De : Institut 4.10 - Certification <certification@institutquatredix.fr>
            Envoyé : vendredi 30 mai 2025 14:02
            À : Karine Roche <karine.roche@urssaf.fr>
            Objet : [CQ-2025-000031] Accusé de réception de votre tableau de recueil

            Bonjour,
            Nous avons bien reçu votre tableau : 5 lignes, 0 acceptée, 5 invalides (NIR
            manquant). Merci de nous retourner un fichier corrigé.
            L'équipe administrative examens et jurys professionnels
            """),
            [
                attach(
                    "recueil URSSAF RA corrigé.xls",
                    "application/vnd.ms-excel",
                    book,
                    style="rfc2047",
                )
            ],
            "_011_AS8PR04MB9C20_",
            extra=(
                OUTLOOK,
                ("In-Reply-To", "<cq-2025-000031.1.reply@institutquatredix.fr>"),
                ("References", "<cq-2025-000031.1.reply@institutquatredix.fr>"),
            ),
        ),
        returned(
            summarise(rows, sent),
            note="A certifiable date in August (no session) gives the September exam month.",
        ),
    )

    # --- CARSAT Normandie, .ods; mail of 15/07/2025.
    sent = when(2025, 7, 15, 14, 30, 0, "+0200")
    org = "CARSAT Normandie"
    rows = [
        # November (due 31/07): on time.
        R(
            "accepted",
            org,
            "Retraite",
            "LEBRUN",
            "Marc",
            nir("1", "83", "05", "76", "540", "101"),
            D(1983, 5, 14),
            "marc.lebrun@carsat-normandie.fr",
            "GC",
            "1",
            D(2025, 11, 3),
        ),
        # December: on time.
        R(
            "accepted",
            org,
            "Retraite",
            "HÉBERT",
            "Valérie",
            nir("2", "78", "10", "14", "118", "062"),
            D(1978, 10, 2),
            "valerie.hebert@carsat-normandie.fr",
            "COS",
            "2",
            D(2025, 12, 1),
        ),
        # 25/08 -> September exam month (due 31/05): late.
        R(
            "late",
            org,
            "Retraite",
            "LECOQ",
            "Damien",
            nir("1", "91", "01", "27", "229", "015"),
            D(1991, 1, 9),
            "damien.lecoq@carsat-normandie.fr",
            "GC",
            "3",
            D(2025, 8, 25),
        ),
        # Certifiable in January 2026: outside the calendar: invalid.
        R(
            "invalid",
            org,
            "Retraite",
            "PAYEN",
            "Aurore",
            nir("2", "99", "04", "50", "129", "088"),
            D(1999, 4, 30),
            "aurore.payen@carsat-normandie.fr",
            "COS",
            "1",
            D(2026, 1, 12),
        ),
        # Repeat candidate: redoublant.
        R(
            "redoublant",
            org,
            "Retraite",
            "GOSSELIN",
            "Franck",
            nir("1", "75", "07", "76", "351", "233"),
            D(1975, 7, 19),
            "franck.gosselin@carsat-normandie.fr",
            "GC",
            "2",
            D(2025, 11, 3),
            "Oui",
        ),
        # E-mail with a double '@': invalid.
        R(
            "invalid",
            org,
            "Retraite",
            "LEBRUN",
            "Marine",
            nir("2", "94", "12", "61", "001", "117"),
            D(1994, 12, 24),
            "m.lebrun@@carsat-normandie.fr",
            "GC",
            "1",
            D(2025, 11, 3),
        ),
        # December, date typed as text "01/12/2025": on time.
        R(
            "accepted",
            org,
            "Retraite",
            "VASSEUR",
            "Pierre",
            nir("1", "86", "08", "76", "451", "046"),
            D(1986, 8, 8),
            "pierre.vasseur@carsat-normandie.fr",
            "COS",
            "3",
            "01/12/2025",
        ),
    ]
    book = ods([("Candidats", sheet_grid(STD_COLUMNS, rows))])
    add(
        "ods-carsat-normandie",
        cert_mail(
            "ods-carsat-normandie",
            addr("Hélène Marie", "helene.marie@carsat-normandie.fr"),
            "Tableau de recueil CQP - CARSAT Normandie",
            sent,
            t("""
            Bonjour,

            Je vous transmets le tableau de recueil de la CARSAT Normandie au format
            OpenDocument (nous travaillons sous LibreOffice).

            Bonne journée,
            Hélène Marie
            CARSAT Normandie - Service formation
            """),
            [attach("recueil_carsat_normandie.ods", ODS_TYPE, book)],
            "------------0F1E2D3C4B5A69788796A5B4",
            extra=(THUNDERBIRD,),
        ),
        returned(
            summarise(rows, sent),
            note="A certifiable date in 2026 is outside the calendar: invalid.",
        ),
    )

    # --- CAF de la Réunion, .ods sent at 00:30 on 01/08 local time (+0400): still 31/07
    # in UTC, but judged in its own local time it is after the 31/07 deadline.
    sent = when(2025, 8, 1, 0, 30, 0, "+0400")
    org = "CAF de la Réunion"
    rows = [
        # November (due 31/07), mail 01/08 local: late.
        R(
            "late",
            org,
            "Famille",
            "HOAREAU",
            "Jessica",
            nir("2", "92", "03", "97", "411", "039"),
            D(1992, 3, 13),
            "jessica.hoareau@caf974.fr",
            "GC",
            "1",
            D(2025, 11, 3),
        ),
        # December: late.
        R(
            "late",
            org,
            "Famille",
            "PAYET",
            "Jean-Luc",
            nir("1", "81", "06", "97", "415", "102"),
            D(1981, 6, 21),
            "jean-luc.payet@caf974.fr",
            "COS",
            "2",
            D(2025, 12, 1),
        ),
        # November: late.
        R(
            "late",
            org,
            "Famille",
            "GRONDIN",
            "Sabrina",
            nir("2", "95", "11", "97", "416", "077"),
            D(1995, 11, 11),
            "sabrina.grondin@caf974.fr",
            "GC",
            "3",
            D(2025, 11, 17),
        ),
        # First name missing: invalid.
        R(
            "invalid",
            org,
            "Famille",
            "FONTAINE",
            "",
            nir("1", "89", "09", "97", "418", "120"),
            D(1989, 9, 9),
            "",
            "GC",
            "1",
            D(2025, 11, 3),
        ),
    ]
    book = ods([("Feuille1", sheet_grid(STD_COLUMNS, rows))])
    add(
        "ods-caf-reunion-after-midnight",
        cert_mail(
            "ods-caf-reunion-after-midnight",
            addr("Sylvie Técher", "sylvie.techer@caf974.fr"),
            "Tableau de recueil CAF Réunion",
            sent,
            t("""
            Bonjour,

            Avec un peu de retard, veuillez trouver ci-joint notre tableau de recueil pour les
            sessions de novembre et décembre.

            Cordialement,
            Sylvie Técher
            CAF de la Réunion
            """),
            [attach("Recueil CAF974.ods", ODS_TYPE, book)],
            "000000000000e1f2a3063b7c8d9e",
        ),
        returned(
            summarise(rows, sent),
            note="Date 01/08 00:30 +0400 (31/07 in UTC): judged in its own local time, after the 31/07 deadline.",
        ),
    )

    # --- URSSAF Midi-Pyrénées, .csv with ';' in Windows-1252, dd/mm/yyyy; mail of 20/02.
    sent = when(2025, 2, 20, 10, 0, 12)
    org = "URSSAF Midi-Pyrénées"
    rows = [
        # June (due 31/03): on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "CASTEL",
            "Benoît",
            nir("1", "87", "04", "31", "555", "068"),
            D(1987, 4, 4),
            "benoit.castel@urssaf.fr",
            "GC",
            "1",
            D(2025, 6, 2),
        ),
        # July: on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "ESTÈVE",
            "Maïté",
            nir("2", "90", "07", "65", "440", "132"),
            D(1990, 7, 29),
            "maite.esteve@urssaf.fr",
            "COS",
            "2",
            D(2025, 7, 1),
        ),
        # March (due 30/11/2024): late.
        R(
            "late",
            org,
            "Recouvrement",
            "DELMAS",
            "Christophe",
            nir("1", "79", "02", "81", "004", "215"),
            D(1979, 2, 1),
            "christophe.delmas@urssaf.fr",
            "GC",
            "3",
            D(2025, 3, 3),
        ),
        # January: closed ("opération déjà réalisée"): late.
        R(
            "late",
            org,
            "Recouvrement",
            "ROQUES",
            "Amandine",
            nir("2", "93", "09", "31", "069", "044"),
            D(1993, 9, 16),
            "amandine.roques@urssaf.fr",
            "GC",
            "1",
            D(2025, 1, 6),
        ),
        # Certifiable from 15/11/2024: January 2025: late.
        R(
            "late",
            org,
            "Recouvrement",
            "BOUSQUET",
            "Lionel",
            nir("1", "85", "12", "12", "145", "097"),
            D(1985, 12, 5),
            "lionel.bousquet@urssaf.fr",
            "COS",
            "2",
            D(2024, 11, 15),
        ),
        # NIR of 13 digits without its key: invalid.
        R(
            "invalid",
            org,
            "Recouvrement",
            "SERRES",
            "Julie",
            "2941031555102",
            D(1994, 10, 2),
            "julie.serres@urssaf.fr",
            "GC",
            "1",
            D(2025, 6, 2),
        ),
    ]
    data = csv_bytes(sheet_grid(STD_COLUMNS, rows), delimiter=";", encoding="cp1252")
    add(
        "csv-urssaf-midi-pyrenees-semicolon-cp1252",
        cert_mail(
            "csv-urssaf-midi-pyrenees-semicolon-cp1252",
            addr("Jean-Pierre Fabre", "jean-pierre.fabre@urssaf.fr"),
            "Recueil CQP 2025 - URSSAF Midi-Pyrénées",
            sent,
            t("""
            Bonjour,
            Ci-joint notre fichier (export CSV de notre outil RH).
            Cordialement,
            JP Fabre
            """),
            [attach("export_recueil_urssaf_mp.csv", "text/csv", data)],
            "----=_Part_88_1740042012",
        ),
        returned(summarise(rows, sent)),
    )

    # --- CAF de Loire-Atlantique, .csv with ',' in UTF-8 (BOM); the mail also asks a
    # myCertif question: a mail that returns the spreadsheet is a spreadsheet_return.
    sent = when(2025, 5, 20, 15, 45, 33, "+0200")
    org = "CAF de Loire-Atlantique"
    rows = [
        # September (due 31/05): on time.
        R(
            "accepted",
            org,
            "Famille",
            "LE ROUX",
            "Gaëlle",
            nir("2", "88", "02", "44", "109", "051"),
            D(1988, 2, 2),
            "gaelle.leroux@caf44.fr",
            "GC",
            "1",
            D(2025, 9, 1),
        ),
        # October: on time.
        R(
            "accepted",
            org,
            "Famille",
            "BRIAND",
            "Olivier",
            nir("1", "84", "05", "44", "162", "123"),
            D(1984, 5, 15),
            "olivier.briand@caf44.fr",
            "COS",
            "1, 2",
            D(2025, 10, 1),
        ),
        # CQP "MO" (Manager opérationnel) is neither GC nor COS: invalid.
        R(
            "invalid",
            org,
            "Famille",
            "GUÉRIN",
            "Sophie",
            nir("2", "80", "08", "44", "190", "204"),
            D(1980, 8, 1),
            "sophie.guerin@caf44.fr",
            "MO",
            "2",
            D(2025, 9, 1),
        ),
        # Repeat candidate written "OUI": redoublant.
        R(
            "redoublant",
            org,
            "Famille",
            "MAILLARD",
            "Kevin",
            nir("1", "92", "12", "85", "191", "066"),
            D(1992, 12, 12),
            "kevin.maillard@caf44.fr",
            "GC",
            "3",
            D(2025, 10, 1),
            "OUI",
        ),
        # November: on time.
        R(
            "accepted",
            org,
            "Famille",
            "BERTIN",
            "Laura",
            nir("2", "97", "03", "44", "109", "210"),
            D(1997, 3, 23),
            "laura.bertin@caf44.fr",
            "GC",
            "2",
            D(2025, 11, 3),
        ),
        # July (due 31/03), mail of 20/05: late.
        R(
            "late",
            org,
            "Famille",
            "JOUBERT",
            "Cédric",
            nir("1", "86", "10", "49", "007", "045"),
            D(1986, 10, 10),
            "cedric.joubert@caf44.fr",
            "COS",
            "1",
            D(2025, 7, 1),
        ),
    ]
    data = csv_bytes(sheet_grid(STD_COLUMNS, rows), delimiter=",", encoding="utf-8-sig")
    add(
        "csv-caf-loire-atlantique-comma-utf8",
        cert_mail(
            "csv-caf-loire-atlantique-comma-utf8",
            addr("Gwendoline Morvan", "gwendoline.morvan@caf44.fr"),
            "Tableau de recueil + question myCertif",
            sent,
            t("""
            Bonjour,

            Vous trouverez ci-joint notre tableau de recueil au format CSV.

            Par ailleurs, notre nouvelle collègue n'arrive pas à se connecter à myCertif UCANSS
            (mot de passe refusé) : à qui doit-elle s'adresser ?

            Merci d'avance,
            Gwendoline Morvan
            CAF de Loire-Atlantique
            """),
            [attach("recueil_caf44.csv", "text/csv", data)],
            "000000000000a7b6c5063581d0e2",
        ),
        returned(
            summarise(rows, sent),
            note="Also asks about myCertif, but a mail that returns the spreadsheet is a spreadsheet_return (SPEC §2).",
        ),
    )

    # --- CARSAT Centre-Val de Loire, .csv ';' UTF-8 with ISO dates, sent on 31/03 (the
    # deadline day for June/July) at 17:55.
    sent = when(2025, 3, 31, 17, 55, 0, "+0200")
    org = "CARSAT Centre-Val de Loire"
    rows = [
        # June (due 31/03), mail on 31/03: on time.
        R(
            "accepted",
            org,
            "Retraite",
            "RENAUD",
            "Éric",
            nir("1", "82", "07", "45", "234", "019"),
            D(1982, 7, 7),
            "eric.renaud@carsat-centre.fr",
            "GC",
            "1",
            D(2025, 6, 10),
        ),
        # July: on time.
        R(
            "accepted",
            org,
            "Retraite",
            "BARRE",
            "Lucie",
            nir("2", "91", "04", "37", "261", "155"),
            D(1991, 4, 1),
            "lucie.barre@carsat-centre.fr",
            "COS",
            "2",
            D(2025, 7, 15),
        ),
        # September (due 31/05): on time.
        R(
            "accepted",
            org,
            "Retraite",
            "MOULIN",
            "Romain",
            nir("1", "94", "11", "18", "033", "070"),
            D(1994, 11, 2),
            "romain.moulin@carsat-centre.fr",
            "GC",
            "3",
            D(2025, 9, 1),
        ),
    ]
    data = csv_bytes(
        sheet_grid(STD_COLUMNS, rows), delimiter=";", encoding="utf-8", date_style="iso"
    )
    add(
        "csv-carsat-centre-iso-dates",
        cert_mail(
            "csv-carsat-centre-iso-dates",
            addr("Nathalie Girard", "nathalie.girard@carsat-centre.fr"),
            "CARSAT Centre-Val de Loire - tableau de recueil",
            sent,
            t("""
            Bonjour,

            Juste à temps : voici notre tableau de recueil pour les sessions de juin et juillet
            (et une candidate pour septembre).

            Cordialement,
            Nathalie Girard
            """),
            [attach("tableau-recueil-carsat-cvl.csv", "text/csv; charset=utf-8", data)],
            "------------3C4D5E6F708192A3B4C5D6E7",
            extra=(THUNDERBIRD,),
        ),
        returned(
            summarise(rows, sent),
            note="Sent on the 31/03 deadline day: June/July rows are on time.",
        ),
    )

    # --- Not a spreadsheet: a PDF export of the table.
    export = pdf(
        """
        ## Tableau de recueil d'informations - CAF du Nord
        Organisme | Branche | Nom | Prénom | NIR | CQP | Blocs | Certifiable à partir du
        CAF du Nord | Famille | DEVOS | Audrey | 2 88 05 59 350 122 .. | GC | 1 | 01/09/2025
        CAF du Nord | Famille | VANDAMME | Cyril | 1 90 02 59 599 045 .. | COS | 2 | 01/10/2025
        CAF du Nord | Famille | LEFEBVRE | Manon | 2 95 07 62 041 230 .. | GC | 1, 2 | 03/11/2025
        """,
        "Tableau de recueil",
    )
    add(
        "pdf-export-caf-nord",
        cert_mail(
            "pdf-export-caf-nord",
            addr("Audrey Devos", "audrey.devos@caf59.fr"),
            "Tableau de recueil CAF du Nord",
            when(2025, 5, 15, 11, 30, 45, "+0200"),
            t("""
            Bonjour,

            Veuillez trouver ci-joint notre tableau de recueil d'informations complété.

            Cordialement,
            Audrey Devos
            CAF du Nord
            """),
            [attach("Tableau de recueil CAF59.pdf", "application/pdf", export)],
            "_012_PAXPR04MB1D2E_",
            extra=(OUTLOOK,),
        ),
        returned(None, note="A PDF export of the table is not a spreadsheet."),
    )

    add(
        "download-link-urssaf-paca",
        plain_mail(
            "download-link-urssaf-paca",
            addr("Frédéric Orsini", "frederic.orsini@urssaf.fr"),
            CERTIF,
            "URSSAF PACA - tableau de recueil (lien de téléchargement)",
            when(2025, 5, 30, 10, 2, 17, "+0200"),
            t("""
            Bonjour,

            Notre messagerie bloque les pièces jointes Excel : vous pouvez télécharger notre
            tableau de recueil à l'adresse suivante (lien valable 7 jours) :
            https://partage.urssaf-paca.fr/s/Xk8fT2mQ9pLr

            Cordialement,
            Frédéric Orsini
            URSSAF Provence-Alpes-Côte d'Azur
            """),
        ),
        returned(None, note="A download link is not an attached spreadsheet."),
    )

    add(
        "forgot-attachment-carsat-aquitaine",
        plain_mail(
            "forgot-attachment-carsat-aquitaine",
            addr("Corinne Labat", "corinne.labat@carsat-aquitaine.fr"),
            CERTIF,
            "Tableau de recueil CARSAT Aquitaine",
            when(2025, 7, 29, 16, 48, 3, "+0200"),
            t("""
            Bonjour,

            Veuillez trouver ci-joint le tableau de recueil d'informations de la CARSAT
            Aquitaine pour les sessions de novembre et décembre 2025.

            Bien à vous,
            Corinne Labat
            Service formation - CARSAT Aquitaine
            """),
            extra=(OUTLOOK,),
        ),
        returned(None, note="'Veuillez trouver ci-joint' but nothing is attached."),
    )

    # --- Sent from a noreply address: processed, never answered.
    sent = when(2025, 7, 10, 8, 15, 0, "+0200")
    org = "URSSAF Centre-Val de Loire"
    rows = [
        # November (due 31/07): on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "PICARD",
            "Hélène",
            nir("2", "85", "03", "45", "234", "101"),
            D(1985, 3, 3),
            "helene.picard@urssaf.fr",
            "GC",
            "1",
            D(2025, 11, 3),
        ),
        # December: on time.
        R(
            "accepted",
            org,
            "Recouvrement",
            "MARTINEZ",
            "Diego",
            nir("1", "93", "05", "37", "261", "042"),
            D(1993, 5, 5),
            "diego.martinez@urssaf.fr",
            "COS",
            "2",
            D(2025, 12, 1),
        ),
        # Wrong NIR key: invalid.
        R(
            "invalid",
            org,
            "Recouvrement",
            "ROLLAND",
            "Agathe",
            nir("2", "98", "01", "41", "018", "233", bad_key=True),
            D(1998, 1, 30),
            "agathe.rolland@urssaf.fr",
            "GC",
            "1",
            D(2025, 11, 3),
        ),
    ]
    book = xlsx([("Candidats", sheet_grid(STD_COLUMNS, rows))])
    add(
        "noreply-sender-xlsx",
        cert_mail(
            "noreply-sender-xlsx",
            addr("URSSAF Centre-Val de Loire - RH", "noreply-rh@urssaf-centre.fr"),
            "Envoi du tableau de recueil CQP 2025",
            sent,
            t("""
            Bonjour,

            Veuillez trouver ci-joint le tableau de recueil d'informations de l'URSSAF
            Centre-Val de Loire.

            Ce message est envoyé depuis une boîte non surveillée. Pour toute question :
            formation@urssaf-centre.fr

            Le service RH
            """),
            [attach("recueil_urssaf_cvl.xlsx", XLSX_TYPE, book)],
            "----=_Part_2201_7788.1752128100",
        ),
        returned(
            summarise(rows, sent),
            no_reply=True,
            note="Sent from a noreply address: summarised, but no reply.",
        ),
    )

    # --- HTML-only body with an inline logo, the .xlsx AND a PDF export attached; the NIR
    # is a number cell in one row; header variants N° SS, Adresse mail, Bloc(s).
    sent = when(2025, 3, 25, 11, 0, 0)
    org = "CAF de l'Isère"
    rows = [
        # June (due 31/03), NIR stored as a number: on time.
        R(
            "accepted",
            org,
            "Famille",
            "CHARRIER",
            "Benjamin",
            int(nir("1", "89", "06", "38", "185", "133")),
            D(1989, 6, 6),
            "benjamin.charrier@caf38.fr",
            "GC",
            "1",
            D(2025, 6, 2),
        ),
        # July: on time.
        R(
            "accepted",
            org,
            "Famille",
            "BONNET",
            "Élise",
            nir("2", "92", "09", "38", "421", "078"),
            D(1992, 9, 9),
            "elise.bonnet@caf38.fr",
            "COS",
            "2",
            D(2025, 7, 1),
        ),
        # Last name missing: invalid.
        R(
            "invalid",
            org,
            "Famille",
            "",
            "Rémi",
            nir("1", "95", "02", "38", "053", "011"),
            D(1995, 2, 2),
            "remi.c@caf38.fr",
            "GC",
            "3",
            D(2025, 6, 2),
        ),
        # May (due 30/11/2024): late.
        R(
            "late",
            org,
            "Famille",
            "ARNAUD",
            "Céline",
            nir("2", "86", "12", "26", "362", "190"),
            D(1986, 12, 1),
            "celine.arnaud@caf38.fr",
            "GC",
            "2",
            D(2025, 5, 12),
        ),
    ]
    columns = [
        ("Organisme", "org"),
        ("Branche", "branch"),
        ("Nom", "last"),
        ("Prénom", "first"),
        ("N° SS", "nir"),
        ("Date de naissance", "birth"),
        ("Adresse mail", "email"),
        ("CQP", "cqp"),
        ("Bloc(s)", "blocks"),
        ("Certifiable à partir du", "cert"),
        ("Redoublant", "redo"),
    ]
    book = xlsx([("Candidats", sheet_grid(columns, rows))])
    export = pdf(
        """
        ## CAF de l'Isère - tableau de recueil (export)
        CHARRIER Benjamin - GC - bloc 1 - 02/06/2025
        BONNET Élise - COS - bloc 2 - 01/07/2025
        Rémi - GC - bloc 3 - 02/06/2025
        ARNAUD Céline - GC - bloc 2 - 12/05/2025
        """,
        "Export",
    )
    html_body = t("""
    <html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
    <body><p>Bonjour,</p>
    <p>Veuillez trouver ci-joint le tableau de recueil de la CAF de l&#39;Is&egrave;re
    (fichier Excel) ainsi qu&#39;une version PDF pour information.</p>
    <p>Cordialement,</p>
    <table><tr><td><img src="cid:logo.caf38@sig" alt="CAF"></td>
    <td><b>Agn&egrave;s Pelletier</b><br>Chargée de formation<br>CAF de l&#39;Is&egrave;re</td></tr></table>
    </body></html>
    """)
    add(
        "xlsx-and-pdf-export-html-logo",
        eml(
            frm=addr("Agnès Pelletier", "agnes.pelletier@caf38.fr"),
            to=TO_CERTIF,
            subject="Tableau de recueil - CAF de l'Isère",
            date=sent,
            body=multi(
                "mixed",
                "_013_mixed_CAF38_",
                multi(
                    "related",
                    "_013_related_CAF38_",
                    text(html_body, "html"),
                    attach(
                        "image001.png",
                        "image/png",
                        logo("CAF 38"),
                        inline=True,
                        cid="logo.caf38@sig",
                    ),
                    params=' type="text/html";',
                ),
                attach("Recueil CAF38.xlsx", XLSX_TYPE, book),
                attach("Recueil CAF38.pdf", "application/pdf", export),
            ),
            key="xlsx-and-pdf-export-html-logo",
            extra=(OUTLOOK,),
        ),
        returned(
            summarise(rows, sent),
            note="The spreadsheet is attached (the PDF beside it changes nothing); one NIR is a number cell.",
        ),
    )

    # --- Empty lines between rows, optional fields empty, Redoublant left empty (= Non),
    # blocks as a number cell; mail of 02/07/2025.
    sent = when(2025, 7, 2, 9, 41, 27, "+0200")
    org = "CAF de la Gironde"
    rows = [
        # November (due 31/07), no e-mail, Redoublant empty means Non: on time.
        R(
            "accepted",
            org,
            "Famille",
            "DUBOIS",
            "Marion",
            nir("2", "90", "06", "33", "063", "125"),
            D(1990, 6, 16),
            "",
            "GC",
            "1",
            D(2025, 11, 3),
            "",
        ),
        # December, no birth date: on time.
        R(
            "accepted",
            org,
            "Famille",
            "LACOSTE",
            "Thierry",
            nir("1", "77", "03", "33", "281", "048"),
            "",
            "thierry.lacoste@caf33.fr",
            "COS",
            "2, 3",
            D(2025, 12, 1),
            "",
        ),
        # November, blocks as the number 2: on time.
        R(
            "accepted",
            org,
            "Famille",
            "ARNOULD",
            "Sabine",
            nir("2", "83", "09", "40", "088", "102"),
            D(1983, 9, 29),
            "sabine.arnould@caf33.fr",
            "GC",
            2,
            D(2025, 11, 17),
            "Non",
        ),
        # CQP left empty: invalid.
        R(
            "invalid",
            org,
            "Famille",
            "MERCIER",
            "Yohan",
            nir("1", "98", "11", "33", "318", "077"),
            D(1998, 11, 5),
            "yohan.mercier@caf33.fr",
            "",
            "1",
            D(2025, 11, 3),
            "",
        ),
    ]
    book = xlsx([("Recueil", sheet_grid(STD_COLUMNS, rows, blank_rows_after=(1, 2)))])
    add(
        "xlsx-empty-rows-optional-fields",
        cert_mail(
            "xlsx-empty-rows-optional-fields",
            addr("Véronique Lagarde", "veronique.lagarde@caf33.fr"),
            "tableau recueil caf 33",
            sent,
            t("""
            Bonjour,
            ci-joint le tableau pour nos 4 candidats de fin d'année.
            Bonne journée
            Véronique Lagarde - CAF de la Gironde
            """),
            [attach("tableau_recueil_caf33.xlsx", XLSX_TYPE, book)],
            "000000000000b5c4d3063900f1a2",
        ),
        returned(
            summarise(rows, sent),
            note="Blank lines are not candidate rows; an empty Redoublant means Non.",
        ),
    )


# ===========================================================================
# certification: myCertif UCANSS access (SPEC §2)
# ===========================================================================


def mycertif_access() -> None:
    add(
        "login-refused-caf",
        plain_mail(
            "login-refused-caf",
            addr("Céline Morel", "celine.morel@caf31.fr"),
            CERTIF,
            "Connexion impossible à myCertif",
            when(2025, 2, 4, 9, 20, 14),
            t("""
            Bonjour,

            Depuis ce matin impossible de me connecter à myCertif UCANSS : le message
            « identifiant ou mot de passe incorrect » s'affiche alors que je n'ai rien changé.
            J'ai tenté la réinitialisation du mot de passe mais je ne reçois pas le mail.
            Pouvez-vous m'aider ? Je dois inscrire 4 candidats avant vendredi.

            Céline Morel
            Service formation - CAF de la Haute-Garonne
            """),
            extra=(OUTLOOK,),
        ),
        mycertif(),
    )

    down_plain = t("""
    Bonjour,

    La plateforme myCertif est inaccessible depuis ce matin 8h : nous obtenons une page
    « 503 Service Unavailable ». Est-ce un problème connu ? Nous avons des inscriptions à
    finaliser cette semaine.

    Cordialement,
    Patrick Renaud
    URSSAF Bourgogne
    """)
    down_html = t("""
    <html><body><p>Bonjour,</p>
    <p>La plateforme <b>myCertif</b> est inaccessible depuis ce matin 8h&nbsp;: nous obtenons une
    page &laquo;&nbsp;503 Service Unavailable&nbsp;&raquo;. Est-ce un probl&egrave;me connu&nbsp;? Nous
    avons des inscriptions &agrave; finaliser cette semaine.</p>
    <p>Cordialement,<br>Patrick Renaud<br>URSSAF Bourgogne</p></body></html>
    """)
    add(
        "platform-down-urssaf",
        eml(
            frm=addr("Patrick Renaud", "patrick.renaud@urssaf.fr"),
            to=TO_CERTIF,
            subject="myCertif inaccessible (erreur 503)",
            date=when(2025, 3, 17, 8, 47, 3),
            body=alternative("_000_DB8PR04MB6F10_", down_plain, down_html),
            key="platform-down-urssaf",
            extra=(OUTLOOK,),
        ),
        mycertif(),
    )

    add(
        "no-credentials-new-referent-carsat",
        plain_mail(
            "no-credentials-new-referent-carsat",
            addr("Isabelle Kerjean", "isabelle.kerjean@carsat-bretagne.fr"),
            CERTIF,
            "Identifiants myCertif UCANSS",
            when(2025, 4, 8, 14, 5, 0, "+0200"),
            t("""
            Bonjour,

            Je remplace depuis le 1er avril Mme Le Bihan comme référente formation. Je n'ai jamais
            reçu d'identifiants de connexion pour la plateforme myCertif UCANSS et je ne peux donc
            pas accéder aux inscriptions de nos candidats. Pouvez-vous me créer un accès ?

            Merci,
            Isabelle Kerjean
            CARSAT Bretagne
            """),
            extra=(THUNDERBIRD,),
        ),
        mycertif(),
    )

    add(
        "candidate-results-space-activation",
        plain_mail(
            "candidate-results-space-activation",
            addr("Samir Bouzid", "samir.bouzid@gmail.com"),
            CERTIF,
            "accès espace myCertif",
            when(2025, 6, 1, 10, 33, 29, "+0200"),
            t("""
            Bonjour,
            Je n'arrive pas à accéder à mon espace candidat myCertif pour consulter mes résultats
            du jury du 28 mai : le lien d'activation reçu par mail a expiré et je ne trouve pas
            comment en redemander un.
            Merci de votre aide,
            Samir Bouzid (CQP GC, CAF de l'Hérault)
            """),
        ),
        mycertif(note="Access to the myCertif space, although the goal is to read results."),
    )

    add(
        "register-button-error-screenshot",
        with_files(
            "register-button-error-screenshot",
            addr("Anne-Laure Giraud", "anne-laure.giraud@caf38.fr"),
            "Erreur myCertif - inscription d'un candidat",
            when(2025, 4, 22, 11, 14, 56, "+0200"),
            t("""
            Bonjour,

            Lorsque je clique sur « Inscrire un candidat » dans myCertif UCANSS, j'obtiens le
            message « Une erreur technique est survenue » et l'inscription n'est pas
            enregistrée. Capture d'écran ci-jointe.

            Cordialement,
            Anne-Laure Giraud
            CAF de l'Isère
            """),
            [
                attach(
                    "capture_mycertif.png",
                    "image/png",
                    screenshot(
                        "myCertif UCANSS - Inscriptions",
                        "",
                        "[bar] Une erreur technique est survenue",
                        "Code : INSC-500",
                    ),
                )
            ],
            "_014_AM6PR04MB5B3C_",
            to=CERTIF,
            extra=(OUTLOOK,),
        ),
        mycertif(),
    )

    add(
        "account-locked-martinique-cp1252",
        plain_mail(
            "account-locked-martinique-cp1252",
            addr("Rose-Marie Larcher", "rm.larcher@cgss-martinique.fr", "windows-1252", "Q"),
            CERTIF,
            "Compte myCertif bloqué",
            when(2025, 5, 6, 9, 2, 40, "-0400"),
            t("""
            Bonjour,

            Mon compte myCertif UCANSS est bloqué après trois tentatives de connexion… Le
            message indique « compte verrouillé, contactez votre administrateur ». Qui est
            l’administrateur pour notre organisme ?

            Bien cordialement,
            Rose-Marie Larcher
            CGSS de la Martinique
            """),
            charset="windows-1252",
            subject_charset="windows-1252",
        ),
        mycertif(),
    )


# ===========================================================================
# Robots: automatic replies (SPEC §2) — never answered
# ===========================================================================


def auto_replies() -> None:
    add(
        "rfc3834-absent-caf",
        plain_mail(
            "rfc3834-absent-caf",
            addr("Sandrine Blanc", "sandrine.blanc@caf69.fr"),
            CERTIF,
            "Absente : [CQ-2025-000052] Accusé de réception de votre tableau de recueil",
            when(2025, 7, 15, 10, 2, 1, "+0200"),
            t("""
            Bonjour,

            Je suis absente du 14 au 25 juillet inclus. Pour toute urgence, merci de contacter
            le service formation au 04 72 00 00 01.

            Cordialement,
            Sandrine Blanc
            """),
            extra=(
                ("Auto-Submitted", "auto-replied"),
                ("In-Reply-To", "<cq-2025-000052.1.reply@institutquatredix.fr>"),
            ),
        ),
        robot(CERTIF_ROLE, note="RFC 3834 Auto-Submitted: auto-replied."),
    )

    add(
        "x-autoreply-candidate-holiday",
        plain_mail(
            "x-autoreply-candidate-holiday",
            addr("Julien Rey", "julien.rey@free.fr"),
            ACCUEIL,
            "Re: [UP-2025-000301] Votre demande de report a bien été reçue",
            when(2025, 8, 4, 9, 0, 0, "+0200"),
            t("""
            Bonjour,
            je suis en vacances jusqu'au 18 août avec un accès limité à mes mails. Je vous
            répondrai dès mon retour.
            Julien
            """),
            extra=(
                ("X-Autoreply", "yes"),
                ("In-Reply-To", "<up-2025-000301.1.reply@union-prof.asso.fr>"),
            ),
        ),
        robot(ACCUEIL_ROLE, note="X-Autoreply: yes."),
    )

    add(
        "outlook-reponse-automatique",
        plain_mail(
            "outlook-reponse-automatique",
            addr("Olivier Kahn", "olivier.kahn@urssaf.fr"),
            CERTIF,
            "Réponse automatique : [CQ-2025-000060] Accusé de réception de votre tableau de recueil",
            when(2025, 8, 11, 14, 40, 12, "+0200"),
            t("""
            Bonjour,

            Je suis actuellement en congés, de retour le lundi 1er septembre.
            En mon absence, vous pouvez écrire à formation.idf@urssaf.fr.

            Olivier Kahn
            """),
            extra=(
                ("X-Auto-Response-Suppress", "All"),
                (
                    "Thread-Topic",
                    encoded_words(
                        "[CQ-2025-000060] Accusé de réception de votre tableau de recueil"
                    ),
                ),
                ("X-MS-Exchange-Inbox-Rules-Loop", "olivier.kahn@urssaf.fr"),
                OUTLOOK,
            ),
        ),
        robot(
            CERTIF_ROLE,
            note="Outlook 'Réponse automatique :' subject with X-Auto-Response-Suppress.",
        ),
    )

    add(
        "precedence-auto-reply",
        plain_mail(
            "precedence-auto-reply",
            addr("Christine Baron", "christine.baron@wanadoo.fr"),
            ACCUEIL,
            "Re: [UP-2025-000233] Votre signalement a bien été reçu",
            when(2025, 4, 24, 17, 1, 44, "+0200"),
            t("""
            Merci pour votre message. Je suis actuellement absente et vous répondrai dès mon
            retour le 2 mai.
            """),
            extra=(("Precedence", "auto_reply"),),
        ),
        robot(ACCUEIL_ROLE, note="Precedence: auto_reply."),
    )

    add(
        "english-out-of-office",
        plain_mail(
            "english-out-of-office",
            addr("Emma Clarke", "emma.clarke@ucanss.fr"),
            CERTIF,
            "Out of Office: [CQ-2025-000071] Votre message a bien été reçu",
            when(2025, 3, 3, 8, 0, 31),
            t("""
            Hello,

            I am out of the office until 10 March with no access to email.
            For urgent matters please contact mycertifucanss@ucanss.fr.

            Best regards,
            Emma Clarke
            """),
        ),
        robot(
            CERTIF_ROLE,
            note="English out-of-office, recognised by subject and wording (no header).",
        ),
    )

    add(
        "absent-wording-only",
        plain_mail(
            "absent-wording-only",
            addr("Pascal Meunier", "pascal.meunier@laposte.net"),
            ACCUEIL,
            "Re: [UP-2025-000340] Votre signalement a bien été reçu",
            when(2025, 8, 5, 6, 30, 0, "+0200"),
            t("""
            Bonjour,

            Je suis absent(e) du 4 au 22 août inclus. Votre message ne sera pas transféré.

            Cordialement.
            """),
        ),
        robot(
            ACCUEIL_ROLE,
            note="No header: the French 'Je suis absent(e) du ... au ...' wording alone.",
        ),
    )

    add(
        "ticket-acknowledgement-numbered",
        plain_mail(
            "ticket-acknowledgement-numbered",
            addr("Support RH URSSAF", "ne-pas-repondre@support-rh.urssaf.fr"),
            CERTIF,
            "[Demande n° 458712] Votre demande a bien été enregistrée",
            when(2025, 5, 21, 9, 14, 7, "+0200"),
            t("""
            Bonjour,

            Votre demande a bien été enregistrée sous le numéro 458712.
            Elle sera traitée dans les meilleurs délais par nos services.

            Merci de ne pas répondre à ce message.

            Le support RH
            """),
            extra=(("Auto-Submitted", "auto-generated"),),
        ),
        robot(CERTIF_ROLE, note="A ticket-system acknowledgement is an auto_reply."),
    )

    add(
        "address-no-longer-used",
        plain_mail(
            "address-no-longer-used",
            addr("Morgane Le Bihan", "morgane.lebihan@carsat-bretagne.fr"),
            CERTIF,
            "Réponse automatique : [CQ-2025-000098] Accusé de réception de votre tableau de recueil",
            when(2025, 8, 1, 8, 3, 22, "+0200"),
            t("""
            Cette adresse de messagerie n'est plus utilisée depuis le 1er août 2025.
            Merci d'adresser désormais vos messages à formation@carsat-bretagne.fr.
            """),
            extra=(("Auto-Submitted", "auto-replied"), OUTLOOK),
        ),
        robot(CERTIF_ROLE, note="'This address is no longer in use' notice."),
    )

    add(
        "address-no-longer-valid-gmail",
        plain_mail(
            "address-no-longer-valid-gmail",
            addr("Lucie Martin", "luciemartin.pro@gmail.com"),
            ACCUEIL,
            "Re: [UP-2025-000355] Votre demande de report : pièce justificative manquante",
            when(2025, 6, 20, 12, 0, 5, "+0200"),
            t("""
            Attention : cette adresse mail n'est plus valide.
            Merci de m'écrire désormais à lucie.martin.2025@outlook.fr
            """),
        ),
        robot(ACCUEIL_ROLE, note="'Cette adresse n'est plus valide' notice, no header."),
    )

    # HTML only; the quoted original talks about a deferral and a NUC: still a robot.
    html_body = t("""
    <html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
    <body>
    <p>Bonjour,</p>
    <p>Je suis absente jusqu&#8217;au 3 novembre inclus et n&#8217;aurai pas acc&egrave;s &agrave; ma
    messagerie. Je traiterai votre message &agrave; mon retour.</p>
    <p>Isabelle Roux</p>
    <hr>
    <div style="color:#666"><b>De&nbsp;:</b> Accueil Union Prof<br>
    <b>Objet&nbsp;:</b> [UP-2025-000392] Votre demande de report<br><br>
    Nous avons bien re&ccedil;u votre demande de report (NUC 2024-017702) et votre
    certificat m&eacute;dical. Elle est en cours d&#8217;examen.</div>
    </body></html>
    """)
    add(
        "html-auto-reply-quotes-deferral",
        eml(
            frm=addr("Isabelle Roux", "isabelle.roux@sfr.fr"),
            to=ACCUEIL,
            subject="Automatic reply: [UP-2025-000392] Votre demande de report",
            date=when(2025, 10, 28, 15, 22, 9, "+0100"),
            body=text(html_body, "html"),
            key="html-auto-reply-quotes-deferral",
            extra=(("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")),
        ),
        robot(
            ACCUEIL_ROLE,
            note="The quoted original mentions a deferral and a NUC; the mail is an auto-reply (nuc null).",
        ),
    )


# ===========================================================================
# Robots: bounces (SPEC §2) — never answered; the failed recipient is reported
# ===========================================================================


def our_reply(
    to: str, ref: str, subject: str, body: str, date_: datetime, role_address: str
) -> bytes:
    """One of our own replies, as a bounce carries it back."""
    return eml(
        frm=addr(
            "Accueil Union Prof" if role_address == ACCUEIL else "Institut 4.10 - Certification",
            role_address,
        ),
        to=to,
        subject=f"[{ref}] {subject}",
        date=date_,
        body=text(body),
        key=f"our-reply/{ref}",
        msgid=f"<{ref.lower()}.1.reply@{role_address.split('@')[1]}>",
        extra=(("Auto-Submitted", "auto-replied"),),
    )


def bounces() -> None:
    original_headers = t("""
    Return-Path: <accueil@union-prof.asso.fr>
    From: Accueil Union Prof <accueil@union-prof.asso.fr>
    To: jdupont75@wanadoo.fr
    Subject: =?utf-8?q?=5BUP-2025-000402=5D_Votre_signalement_a_bien_=C3=A9t=C3=A9_re=C3=A7u?=
    Date: Thu, 12 Jun 2025 12:15:00 +0200
    Message-ID: <up-2025-000402.1.reply@union-prof.asso.fr>
    Auto-Submitted: auto-replied
    """)
    add(
        "postfix-dsn",
        eml(
            frm="MAILER-DAEMON@mail.union-prof.asso.fr (Mail Delivery System)",
            to=ACCUEIL,
            subject="Undelivered Mail Returned to Sender",
            date=when(2025, 6, 12, 12, 15, 2, "+0200"),
            msgid="<20250612101502.3F1A22C0123@mail.union-prof.asso.fr>",
            body=multi(
                "report",
                "3F1A22C0123.1749723302/mail.union-prof.asso.fr",
                raw_part(
                    "text/plain; charset=us-ascii",
                    t("""
                    This is the mail system at host mail.union-prof.asso.fr.

                    I'm sorry to have to inform you that your message could not
                    be delivered to one or more recipients. It's attached below.

                    For further assistance, please send mail to postmaster.

                    If you do so, please include this problem report. You can
                    delete your own text from the attached returned message.

                                       The mail system

                    <jdupont75@wanadoo.fr>: host smtp-in.orange.fr[193.252.22.65] said: 550 5.1.1
                        <jdupont75@wanadoo.fr>: Recipient address rejected: User unknown (in reply
                        to RCPT TO command)
                    """),
                    (("Content-Description", "Notification"),),
                ),
                raw_part(
                    "message/delivery-status",
                    t("""
                    Reporting-MTA: dns; mail.union-prof.asso.fr
                    X-Postfix-Queue-ID: 3F1A22C0123
                    X-Postfix-Sender: rfc822; accueil@union-prof.asso.fr
                    Arrival-Date: Thu, 12 Jun 2025 12:15:01 +0200 (CEST)

                    Final-Recipient: rfc822; jdupont75@wanadoo.fr
                    Original-Recipient: rfc822;jdupont75@wanadoo.fr
                    Action: failed
                    Status: 5.1.1
                    Remote-MTA: dns; smtp-in.orange.fr
                    Diagnostic-Code: smtp; 550 5.1.1 <jdupont75@wanadoo.fr>: Recipient address
                        rejected: User unknown
                    """),
                    (("Content-Description", "Delivery report"),),
                ),
                raw_part(
                    "text/rfc822-headers",
                    original_headers,
                    (("Content-Description", "Undelivered Message Headers"),),
                ),
                params=" report-type=delivery-status;",
                preamble="This is a MIME-encapsulated message.",
            ),
            key="postfix-dsn",
            extra=(("Return-Path", "<>"), ("Auto-Submitted", "auto-replied")),
        ),
        bounce(
            ACCUEIL_ROLE, "jdupont75@wanadoo.fr", note="RFC 3464 multipart/report from Postfix."
        ),
    )

    receipt = our_reply(
        "marc.lefort@carsat-sudest.fr",
        "CQ-2025-000045",
        "Accusé de réception de votre tableau de recueil",
        "Bonjour,\n\nNous avons bien reçu votre tableau de recueil : 6 lignes, 5 acceptées, 1 invalide.\n\nL'équipe administrative examens et jurys professionnels\n",
        when(2025, 5, 13, 9, 30, 0, "+0200"),
        CERTIF,
    )
    ndr_plain = t("""
    Échec de la remise à ces destinataires ou groupes :

    marc.lefort@carsat-sudest.fr
    L'adresse de messagerie que vous avez entrée est introuvable. Vérifiez l'adresse du
    destinataire et renvoyez le message. Si le problème persiste, contactez votre support
    technique.

    Informations de diagnostic pour les administrateurs :

    Serveur de génération : PR3P193MB0652.EURP193.PROD.OUTLOOK.COM

    marc.lefort@carsat-sudest.fr
    Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'
    """)
    ndr_html = t("""
    <html><body><p><b><font color="#000066" size="3">Échec de la remise à ces destinataires ou
    groupes :</font></b></p>
    <p><a href="mailto:marc.lefort@carsat-sudest.fr">marc.lefort@carsat-sudest.fr</a><br>
    L'adresse de messagerie que vous avez entrée est introuvable. Vérifiez l'adresse du
    destinataire et renvoyez le message.</p>
    <p><font color="#808080" size="2">Informations de diagnostic pour les administrateurs :</font></p>
    <p>Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by
    SMTP address lookup'</p></body></html>
    """)
    add(
        "exchange-ndr-french",
        eml(
            frm=addr(
                "Microsoft Outlook",
                "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@carsat-sudest.fr",
            ),
            to=CERTIF,
            subject="Non remis : [CQ-2025-000045] Accusé de réception de votre tableau de recueil",
            date=when(2025, 5, 13, 9, 30, 6, "+0200"),
            body=multi(
                "report",
                "_000_5d7c1e4a2b9f4c8e_",
                multi(
                    "alternative", "_001_5d7c1e4a2b9f4c8e_", text(ndr_plain), text(ndr_html, "html")
                ),
                raw_part(
                    "message/delivery-status",
                    t("""
                    Reporting-MTA: dns;PR3P193MB0652.EURP193.PROD.OUTLOOK.COM
                    Received-From-MTA: dns;mail.institutquatredix.fr
                    Arrival-Date: Tue, 13 May 2025 07:30:03 +0000

                    Original-Recipient: rfc822;marc.lefort@carsat-sudest.fr
                    Final-Recipient: rfc822;marc.lefort@carsat-sudest.fr
                    Action: failed
                    Status: 5.1.10
                    Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup
                    """),
                ),
                forwarded(receipt),
                params=" report-type=delivery-status;",
            ),
            key="exchange-ndr-french",
            extra=(
                ("X-MS-Exchange-Message-Is-Ndr", ""),
                ("Content-Language", "fr-FR"),
                ("In-Reply-To", "<cq-2025-000045.1.reply@institutquatredix.fr>"),
            ),
        ),
        bounce(
            CERTIF_ROLE,
            "marc.lefort@carsat-sudest.fr",
            note="Exchange non-delivery report in French ('Non remis', 'Échec de la remise').",
        ),
    )

    add(
        "qmail-failure-notice",
        plain_mail(
            "qmail-failure-notice",
            "MAILER-DAEMON@mx1.free.fr",
            ACCUEIL,
            "failure notice",
            when(2025, 3, 19, 16, 2, 48),
            t("""
            Hi. This is the qmail-send program at mx1.free.fr.
            I'm afraid I wasn't able to deliver your message to the following addresses.
            This is a permanent error; I've given up. Sorry it didn't work out.

            <laura.p@free.fr>:
            550 5.1.1 <laura.p@free.fr>: Recipient address rejected: User unknown in virtual mailbox table

            --- Below this line is a copy of the message.

            Return-Path: <accueil@union-prof.asso.fr>
            From: Accueil Union Prof <accueil@union-prof.asso.fr>
            To: laura.p@free.fr
            Subject: [UP-2025-000150] Votre signalement a bien ete recu
            Auto-Submitted: auto-replied

            Bonjour,
            Nous avons bien recu votre signalement. Vous pouvez demander votre NUC depuis la
            page d'inscription de Certif-UP.
            """),
            cte="7bit",
            charset="us-ascii",
        ),
        bounce(ACCUEIL_ROLE, "laura.p@free.fr", note="qmail plain-text bounce, no DSN part."),
    )

    original = our_reply(
        "karine.dumas1985@gmail.com",
        "UP-2025-000276",
        "Votre demande de report est en cours d'examen",
        t("""
        Bonjour,

        Nous avons bien reçu votre demande de report (NUC 2024-016688) accompagnée de votre
        certificat médical. Elle est en cours d'examen par nos services.

        L'équipe Accueil
        """),
        when(2025, 6, 3, 11, 20, 0, "+0200"),
        ACCUEIL,
    )
    add(
        "gmail-dsn-failure",
        eml(
            frm=addr("Mail Delivery Subsystem", "mailer-daemon@googlemail.com"),
            to=ACCUEIL,
            subject="Delivery Status Notification (Failure)",
            date=when(2025, 6, 3, 2, 20, 4, "-0700"),
            body=multi(
                "report",
                "000000000000f9a8b70636b6c9d1",
                text(
                    t("""

                    ** Address not found **

                    Your message wasn't delivered to karine.dumas1985@gmail.com because the address couldn't be found, or is unable to receive mail.

                    Learn more here: https://support.google.com/mail/?p=NoSuchUser

                    The response was:

                    550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser
                    """),
                    charset="UTF-8",
                ),
                raw_part(
                    "message/delivery-status",
                    t("""
                    Reporting-MTA: dns; googlemail.com
                    Arrived-Date: Tue, 03 Jun 2025 02:20:03 -0700 (PDT)
                    X-Original-Message-ID: <up-2025-000276.1.reply@union-prof.asso.fr>

                    Final-Recipient: rfc822; karine.dumas1985@gmail.com
                    Action: failed
                    Status: 5.1.1
                    Remote-MTA: dns; gmail-smtp-in.l.google.com. (142.250.102.27, the server for the domain gmail.com.)
                    Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
                    Last-Attempt-Date: Tue, 03 Jun 2025 02:20:04 -0700 (PDT)
                    """),
                ),
                forwarded(original),
                params=" report-type=delivery-status;",
            ),
            key="gmail-dsn-failure",
            msgid="<683ebd94.a70a0220.2b8e3f.1c2dGMR@mx.google.com>",
            extra=(
                ("X-Failed-Recipients", "karine.dumas1985@gmail.com"),
                ("Auto-Submitted", "auto-replied"),
            ),
        ),
        bounce(
            ACCUEIL_ROLE,
            "karine.dumas1985@gmail.com",
            note="Gmail DSN; the returned original talks about a deferral and a NUC (nuc stays null).",
        ),
    )

    add(
        "message-non-remis-plain-french",
        plain_mail(
            "message-non-remis-plain-french",
            addr("Mail Delivery System", "MAILER-DAEMON@smtp.caf.fr"),
            CERTIF,
            "Message non remis : [CQ-2025-000088] Accusé de réception",
            when(2025, 4, 15, 10, 41, 0, "+0200"),
            t("""
            Ceci est un message automatique du serveur de messagerie smtp.caf.fr.

            Votre message n'a pas pu être remis au destinataire suivant :

                helene.durand@caf72.fr
                Raison : adresse inconnue (550 5.1.1 User unknown)

            Les en-têtes du message d'origine sont reproduits ci-dessous.

            --- En-têtes du message d'origine ---
            From: certification@institutquatredix.fr
            To: helene.durand@caf72.fr
            Subject: [CQ-2025-000088] Accusé de réception
            Date: Tue, 15 Apr 2025 10:40:55 +0200
            """),
        ),
        bounce(
            CERTIF_ROLE, "helene.durand@caf72.fr", note="French plain-text 'Message non remis'."
        ),
    )

    original = our_reply(
        "m.rousseau@laposte.net",
        "UP-2025-000318",
        "Votre demande de report",
        t("""
        Bonjour,

        Nous avons bien reçu votre demande de report. Seuls deux motifs permettent un report à
        la session suivante : raison médicale justifiée par un certificat médical, ou refus du
        congé pour examen par l'employeur justifié par son courrier.

        L'équipe Accueil
        """),
        when(2025, 6, 18, 15, 0, 0, "+0200"),
        ACCUEIL,
    )
    add(
        "laposte-echec-remise-with-original",
        eml(
            frm=addr("Postmaster La Poste", "postmaster@laposte.net"),
            to=ACCUEIL,
            subject="Échec de la remise du message",
            date=when(2025, 6, 18, 15, 0, 41, "+0200"),
            body=multi(
                "mixed",
                "----=_Part_bounce_77121.1750251641",
                text(
                    t("""
                    Le message que vous avez envoyé n'a pas pu être remis à un ou plusieurs
                    destinataires.

                    <m.rousseau@laposte.net> : boîte aux lettres pleine
                    (552 5.2.2 Mailbox full, quota exceeded)

                    Le message d'origine est joint.
                    """)
                ),
                forwarded(original, "Message d'origine"),
            ),
            key="laposte-echec-remise-with-original",
        ),
        bounce(
            ACCUEIL_ROLE,
            "m.rousseau@laposte.net",
            note="French 'Échec de la remise' with the original attached as message/rfc822 (its deferral words do not count).",
        ),
    )


# ===========================================================================
# other: thanks, general questions, spam, spreadsheet how-to, juries, lists, noreply
# ===========================================================================


def others() -> None:
    # The new text is "Merci beaucoup !"; the Outlook quote talks about a deferral.
    add(
        "thanks-outlook-quote-deferral",
        plain_mail(
            "thanks-outlook-quote-deferral",
            addr("Hélène Carré", "helene.carre@orange.fr"),
            ACCUEIL,
            "RE: [UP-2025-000265] Votre demande de report est en cours d'examen",
            when(2025, 6, 10, 8, 12, 40, "+0200"),
            t("""
            Merci beaucoup !

            Hélène Carré

            De : Accueil Union Prof <accueil@union-prof.asso.fr>
            Envoyé : lundi 9 juin 2025 17:40
            À : Hélène Carré <helene.carre@orange.fr>
            Objet : [UP-2025-000265] Votre demande de report est en cours d'examen

            Bonjour,

            Nous avons bien reçu votre demande de report pour raison médicale et votre
            certificat médical. Votre demande est en cours d'examen ; vous recevrez une réponse
            sous quinze jours.

            L'équipe Accueil

            De : Hélène Carré <helene.carre@orange.fr>
            Envoyé : lundi 9 juin 2025 17:31
            À : accueil@union-prof.asso.fr
            Objet : Demande de report

            Bonjour, je suis malade et souhaite reporter mon épreuve du 12 juin, ci-joint mon
            certificat médical. NUC 2024-015530.
            """),
            extra=(OUTLOOK, ("In-Reply-To", "<up-2025-000265.1.reply@union-prof.asso.fr>")),
        ),
        other(
            ACCUEIL_ROLE,
            note="Only the quoted history speaks of a deferral (and holds the NUC): the new text is thanks.",
        ),
    )

    add(
        "thanks-gmail-quote-password",
        plain_mail(
            "thanks-gmail-quote-password",
            addr("Thomas Lebon", "thomas.lebon@gmail.com"),
            ACCUEIL,
            "Re: [UP-2025-000098] Votre signalement a bien été reçu",
            when(2025, 3, 11, 9, 47, 3),
            t("""
            Super, merci, ça marche ! Bonne journée

            Le mar. 11 mars 2025 à 09:15, Accueil Union Prof <accueil@union-prof.asso.fr> a
            écrit :

            > Bonjour,
            >
            > Pour obtenir un nouveau mot de passe, utilisez le lien « demander son mot de
            > passe » sur la page d'inscription de Certif-UP.
            >
            > L'équipe Accueil
            >
            > Le lun. 10 mars 2025 à 22:03, Thomas Lebon <thomas.lebon@gmail.com> a écrit :
            >> Bonjour, je n'arrive plus à me connecter, j'ai perdu mon mot de passe.
            >> NUC 2023-018801, épreuve UP-EC1.
            >> Thomas Lebon, 3 rue Haute, 51100 Reims, 06 20 30 40 50
            """),
            extra=(("In-Reply-To", "<up-2025-000098.1.reply@union-prof.asso.fr>"),),
        ),
        other(
            ACCUEIL_ROLE,
            note="Thanks; the quoted history (a password problem with a NUC) must not drive the decision.",
        ),
    )

    add(
        "question-exam-dates",
        plain_mail(
            "question-exam-dates",
            addr("Aïcha Traoré", "aicha.traore@yahoo.fr"),
            ACCUEIL,
            "Dates des épreuves de septembre",
            when(2025, 6, 23, 12, 31, 0, "+0200"),
            t("""
            Bonjour,
            Pourriez-vous m'indiquer les dates des épreuves de la session de septembre 2025 ?
            Je voudrais savoir si je peux m'organiser avec mon travail.
            Merci d'avance
            Aïcha Traoré
            """),
        ),
        other(ACCUEIL_ROLE),
    )

    add(
        "convocation-received-thanks-nuc",
        plain_mail(
            "convocation-received-thanks-nuc",
            addr("Julien Roussel", "julien.roussel@sfr.fr"),
            ACCUEIL,
            "Convocation reçue",
            when(2025, 5, 28, 18, 2, 19, "+0200"),
            t("""
            Bonjour,

            Je vous informe que j'ai bien reçu ma convocation pour l'épreuve du 12 juin, merci
            pour votre aide précieuse !

            NUC 2024-022190

            Cordialement,
            Julien Roussel
            """),
        ),
        other(
            ACCUEIL_ROLE, "2024-022190", note="nuc is reported for 'other' mails from candidates."
        ),
    )

    seo_plain = t("""
    Bonjour,

    Votre site union-prof.asso.fr n'apparaît pas en première page de Google sur les mots-clés
    de votre secteur. Notre agence vous propose un audit SEO GRATUIT et sans engagement.

    Plus de 300 associations nous font déjà confiance !

    Répondez simplement OUI à ce mail pour être rappelé(e) par un conseiller.

    Sarah
    Agence WebBoost - Le référencement qui rapporte
    """)
    seo_html = t("""
    <html><body style="font-family:Verdana">
    <h2 style="color:#e4572e">Votre site est INVISIBLE sur Google&nbsp;!</h2>
    <p>Bonjour,</p>
    <p>Votre site <b>union-prof.asso.fr</b> n&#39;appara&icirc;t pas en premi&egrave;re page de Google sur
    les mots-cl&eacute;s de votre secteur. Notre agence vous propose un <b>audit SEO GRATUIT</b>
    et sans engagement.</p>
    <p>Plus de 300 associations nous font d&eacute;j&agrave; confiance&nbsp;!</p>
    <p><a href="https://webboost-agence.fr/audit?c=UP2025">Je demande mon audit</a></p>
    <p>Sarah<br>Agence WebBoost</p>
    </body></html>
    """)
    add(
        "spam-french-seo",
        eml(
            frm=addr("Sarah - Agence WebBoost", "sarah@webboost-agence.fr"),
            to=ACCUEIL,
            subject="Votre site est invisible sur Google ?",
            date=when(2025, 2, 17, 10, 0, 0),
            body=alternative("b1_8f3e2c0a1d4b5e6f7a8b9c0d1e2f3a4b", seo_plain, seo_html),
            key="spam-french-seo",
            extra=(("X-Mailer", "PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)"),),
        ),
        other(ACCUEIL_ROLE, note="Spam is 'other' and gets general_ack (on by default)."),
    )

    add(
        "spam-english-inheritance",
        plain_mail(
            "spam-english-inheritance",
            addr("Barrister James Wilson", "jameswilson.chambers@outlook.com"),
            CERTIF,
            "URGENT: Unclaimed inheritance fund",
            when(2025, 4, 9, 3, 17, 45, "+0000"),
            t("""
            Dear Beneficiary,

            I am Barrister James Wilson, the personal attorney to the late Mr. Robert Certif, who
            died in a car accident in 2021 leaving the sum of USD 4,500,000 (Four Million Five
            Hundred Thousand United States Dollars) in a bank account without any next of kin.

            I wish to present you as the beneficiary. Kindly reply with your full name, phone
            number and bank details so that we can proceed.

            Yours faithfully,
            Barrister James Wilson
            """),
            charset="us-ascii",
            cte="7bit",
        ),
        other(CERTIF_ROLE),
    )

    add(
        "spreadsheet-howto-redoublants",
        plain_mail(
            "spreadsheet-howto-redoublants",
            addr("Nadine Robert", "nadine.robert@caf72.fr"),
            CERTIF,
            "Questions sur le tableau de recueil",
            when(2025, 2, 25, 14, 50, 2),
            t("""
            Bonjour,

            Nous commençons à remplir le tableau de recueil et nous avons deux questions :
            - faut-il faire figurer les candidats redoublants ?
            - dans la colonne Blocs, peut-on indiquer plusieurs blocs sur la même ligne ?

            Merci,
            Nadine Robert
            CAF de la Sarthe
            """),
            extra=(OUTLOOK,),
        ),
        other(
            CERTIF_ROLE,
            note="A question about how to fill the spreadsheet is 'other' (SPEC §2), nothing is returned.",
        ),
    )

    add(
        "spreadsheet-howto-certifiable-date",
        plain_mail(
            "spreadsheet-howto-certifiable-date",
            addr("Mathieu Lemaire", "mathieu.lemaire@urssaf.fr"),
            CERTIF,
            "Colonne « Certifiable à partir du »",
            when(2025, 3, 6, 11, 25, 10),
            t("""
            Bonjour,

            Pour la colonne « Certifiable à partir du » du tableau de recueil, quelle date
            faut-il indiquer : la date de fin de formation du bloc ou la date saisie dans
            myCertif UCANSS ?

            Merci pour votre retour.
            Mathieu Lemaire
            URSSAF Lorraine
            """),
        ),
        other(
            CERTIF_ROLE,
            note="Mentions myCertif, but it is a question about filling the spreadsheet, not an access problem.",
        ),
    )

    add(
        "jury-date-question",
        plain_mail(
            "jury-date-question",
            addr("Sophie Caillaud", "sophie.caillaud@carsat-pl.fr"),
            CERTIF,
            "Jury paritaire de juillet",
            when(2025, 6, 24, 9, 8, 37, "+0200"),
            t("""
            Bonjour,
            Nos candidats passent leur jury professionnel le 3 juillet. Seront-ils bien
            présentés au jury paritaire national du 10 juillet, ou faudra-t-il attendre celui de
            septembre ?
            Cordialement
            Sophie Caillaud
            CARSAT Pays de la Loire
            """),
        ),
        other(CERTIF_ROLE),
    )

    add(
        "results-not-received",
        plain_mail(
            "results-not-received",
            addr("Franck Millet", "franck.millet@caf83.fr"),
            CERTIF,
            "Résultats jury du 28 mai",
            when(2025, 6, 2, 16, 44, 0, "+0200"),
            t("""
            Bonjour,

            Nos trois candidats présentés au jury paritaire du 28 mai n'ont toujours pas reçu
            leurs résultats. Quand seront-ils communiqués ?

            Cordialement,
            Franck Millet
            CAF du Var
            """),
            extra=(THUNDERBIRD,),
        ),
        other(CERTIF_ROLE),
    )

    letter_plain = t("""
    La lettre de la formation - juin 2025

    Au sommaire :
    - Nouveautés de la plateforme myCertif UCANSS : export des inscriptions
    - Calendrier des jurys paritaires nationaux du second semestre
    - Témoignage : les CQP par blocs de compétences à la CARSAT Alsace-Moselle

    Bonne lecture !
    L'UCANSS
    """)
    letter_html = t("""
    <html><body style="font-family:Arial;background:#f2f2f2">
    <table width="600" align="center" style="background:#ffffff"><tr><td>
    <h1 style="color:#003c71">La lettre de la formation - juin 2025</h1>
    <ul><li>Nouveaut&eacute;s de la plateforme myCertif UCANSS&nbsp;: export des inscriptions</li>
    <li>Calendrier des jurys paritaires nationaux du second semestre</li>
    <li>T&eacute;moignage&nbsp;: les CQP par blocs de comp&eacute;tences &agrave; la CARSAT Alsace-Moselle</li></ul>
    <p>Bonne lecture&nbsp;!<br>L&#39;UCANSS</p>
    </td></tr></table></body></html>
    """)
    add(
        "noreply-ucanss-newsletter",
        eml(
            frm=addr("UCANSS", "noreply@ucanss.fr"),
            to=CERTIF,
            subject="La lettre de la formation - juin 2025",
            date=when(2025, 6, 16, 7, 30, 0, "+0200"),
            body=alternative("=_newsletter_202506_a1b2c3", letter_plain, letter_html),
            key="noreply-ucanss-newsletter",
        ),
        other(
            CERTIF_ROLE,
            no_reply=True,
            note="From noreply@: no reply. A newsletter that mentions myCertif is not an access problem.",
        ),
    )

    add(
        "mailing-list-referents",
        plain_mail(
            "mailing-list-referents",
            addr("Christelle Noël", "christelle.noel@caf13.fr"),
            "referents-formation@listes.ucanss.fr",
            "[referents-formation] Réunion du réseau le 15 octobre",
            when(2025, 9, 22, 13, 5, 50, "+0200"),
            t("""
            Bonjour à tous,

            La prochaine réunion du réseau des référents formation aura lieu le 15 octobre de
            14h à 16h en visioconférence.

            Ordre du jour :
            1. Bilan des jurys paritaires de septembre
            2. Retours d'expérience sur le tableau de recueil
            3. Questions diverses

            Belle journée,
            Christelle
            _______________________________________________
            referents-formation mailing list
            referents-formation@listes.ucanss.fr
            https://listes.ucanss.fr/mailman/listinfo/referents-formation
            """),
            extra=(
                ("Sender", '"referents-formation" <referents-formation-bounces@listes.ucanss.fr>'),
                (
                    "List-Id",
                    f"{encoded_words('Réseau des référents formation')} <referents-formation.listes.ucanss.fr>",
                ),
                (
                    "List-Unsubscribe",
                    "<https://listes.ucanss.fr/mailman/options/referents-formation>,\n <mailto:referents-formation-request@listes.ucanss.fr?subject=unsubscribe>",
                ),
                ("List-Post", "<mailto:referents-formation@listes.ucanss.fr>"),
                ("Precedence", "list"),
            ),
        ),
        other(
            CERTIF_ROLE,
            no_reply=True,
            note="Mailing-list mail (List-Id, Precedence: list): no reply.",
        ),
    )

    add(
        "mailing-list-centres-list-id-only",
        plain_mail(
            "mailing-list-centres-list-id-only",
            addr("Coordination des centres", "coordination@union-prof.asso.fr"),
            "centres-examens@listes.union-prof.asso.fr",
            "[centres-examens] Rappel : saisie des pré-validations",
            when(2025, 5, 5, 8, 15, 0, "+0200"),
            t("""
            Bonjour à toutes et à tous,

            Merci de saisir les pré-validations des candidats de la session de juin dans
            Certif-UP avant vendredi 9 mai. Les candidats disposent ensuite de 72 heures ouvrées
            pour régler leurs frais d'inscription.

            La coordination
            """),
            extra=(("List-Id", "<centres-examens.listes.union-prof.asso.fr>"),),
        ),
        other(
            ACCUEIL_ROLE,
            no_reply=True,
            note="List-Id alone marks a mailing list; its payment wording is not a candidate's problem.",
        ),
    )

    add(
        "english-general-question",
        plain_mail(
            "english-general-question",
            addr("Marco Bianchi", "marco.bianchi@libero.it"),
            ACCUEIL,
            "Question about the exams",
            when(2025, 1, 30, 15, 12, 0),
            t("""
            Hello,

            I live in Belgium, near the French border. Can I sit your exams in France as a
            foreign resident, and are the exams only in French?

            Thank you in advance.
            Marco Bianchi
            """),
        ),
        other(ACCUEIL_ROLE),
    )

    add(
        "planning-question-cos",
        plain_mail(
            "planning-question-cos",
            addr("Yasmina Cherif", "yasmina.cherif@urssaf.fr"),
            CERTIF,
            "Périodes de certification CQP COS",
            when(2025, 1, 15, 10, 20, 12),
            t("""
            Bonjour,

            Pouvez-vous nous confirmer les périodes de certification prévues pour le CQP COS au
            second semestre 2025 ? Nous devons planifier les formations de nos agents.

            Je vous remercie,
            Yasmina Cherif
            URSSAF Nord-Pas-de-Calais
            """),
            extra=(OUTLOOK,),
        ),
        other(CERTIF_ROLE, note="A planning question is 'other' (SPEC §2)."),
    )

    add(
        "noreply-certifup-daily-report",
        plain_mail(
            "noreply-certifup-daily-report",
            addr("Plateforme Certif-UP", "ne-pas-repondre@certif-up.union-prof.asso.fr"),
            ACCUEIL,
            "Récapitulatif quotidien des inscriptions - 14/04/2025",
            when(2025, 4, 14, 23, 0, 0, "+0200"),
            t("""
            Récapitulatif du 14/04/2025

            Nouvelles inscriptions : 14
            Pré-validations en attente : 3
            Inscriptions validées : 9
            Demandes de NUC : 2

            Connectez-vous à l'espace administrateur pour le détail.
            """),
        ),
        other(ACCUEIL_ROLE, no_reply=True, note="From ne-pas-repondre@: never answered."),
    )

    add(
        "thanks-nuc-in-subject",
        plain_mail(
            "thanks-nuc-in-subject",
            addr("Kévin Lopes", "kevin.lopes@gmail.com"),
            ACCUEIL,
            "RE: Demande NUC 2023-011002",
            when(2025, 2, 6, 20, 40, 0),
            t("""
            Merci beaucoup pour votre réponse rapide !

            Kévin

            -----Message d'origine-----
            De : Accueil Union Prof <accueil@union-prof.asso.fr>
            Envoyé : jeudi 6 février 2025 14:02
            Objet : RE: Demande NUC 2023-011002

            Bonjour,
            Votre NUC figure dans le mail de pré-validation. Vous pouvez aussi le demander depuis
            la page d'inscription de Certif-UP (« demander son NUC »).
            """),
        ),
        other(
            ACCUEIL_ROLE,
            "2023-011002",
            note="The NUC is read from the subject (SPEC §3), even though the new text is only thanks.",
        ),
    )

    add(
        "thanks-case-reference-subject",
        plain_mail(
            "thanks-case-reference-subject",
            addr("Estelle Blanchard", "estelle.blanchard@laposte.net"),
            ACCUEIL,
            "Re: [UP-2025-000123] Votre signalement a bien été reçu",
            when(2025, 2, 28, 9, 5, 0),
            t("""
            Merci, c'est réglé, j'ai pu me connecter.
            Bonne journée
            Estelle Blanchard

            Le 27/02/2025 à 16:30, Accueil Union Prof a écrit :
            > Bonjour,
            > Nous avons bien reçu votre signalement (UP-2025-000123). Vous pouvez demander un
            > nouveau mot de passe depuis la page d'inscription de Certif-UP.
            > L'équipe Accueil
            """),
            extra=(THUNDERBIRD, ("In-Reply-To", "<up-2025-000123.1.reply@union-prof.asso.fr>")),
        ),
        other(ACCUEIL_ROLE, note="UP-2025-000123 is a case reference, never a NUC."),
    )

    add(
        "thanks-receipt-caf",
        plain_mail(
            "thanks-receipt-caf",
            addr("Sandrine Blanc", "sandrine.blanc@caf69.fr"),
            CERTIF,
            "RE: [CQ-2025-000052] Accusé de réception de votre tableau de recueil",
            when(2025, 3, 12, 14, 2, 0),
            t("""
            Bonjour,

            Merci pour ce retour rapide.

            Bonne journée,
            Sandrine Blanc

            De : Institut 4.10 - Certification <certification@institutquatredix.fr>
            Envoyé : mercredi 12 mars 2025 10:15
            À : Sandrine Blanc <sandrine.blanc@caf69.fr>
            Objet : [CQ-2025-000052] Accusé de réception de votre tableau de recueil

            Bonjour,
            Nous avons bien reçu votre tableau de recueil : 8 lignes, 6 acceptées, 1 en retard,
            1 redoublant (hors collecte).
            L'équipe administrative examens et jurys professionnels
            """),
            extra=(OUTLOOK, ("In-Reply-To", "<cq-2025-000052.1.reply@institutquatredix.fr>")),
        ),
        other(CERTIF_ROLE, note="Thanks under our receipt: no spreadsheet is returned."),
    )

    add(
        "question-results-candidate",
        plain_mail(
            "question-results-candidate",
            addr("Damien Roux", "damien.roux@hotmail.fr"),
            ACCUEIL,
            "résultats",
            when(2025, 6, 16, 21, 10, 0, "+0200"),
            t("""
            Bonjour, j'ai passé l'épreuve pratique professionnelle le 12 juin. Quand et comment
            vais-je recevoir mes résultats ? Merci.
            Damien Roux
            NUC 2024 019388
            """),
        ),
        other(ACCUEIL_ROLE, "2024-019388"),
    )

    planning = plain_mail(
        "forwarded-planning-rfc822/inner",
        addr("IFA Formation", "formation@prestataire-ifa.fr"),
        addr("Bernard Joly", "bernard.joly@caf21.fr"),
        "Planning des formations CQP GC 2025",
        when(2025, 5, 2, 17, 0, 0, "+0200"),
        t("""
        Bonjour Monsieur Joly,

        Voici le planning des formations CQP GC de vos agents :
        - bloc 1 : du 3 mars au 25 avril 2025
        - bloc 2 : du 12 mai au 4 juillet 2025
        - bloc 3 : du 1er au 29 août 2025

        Les candidats seront certifiables à partir du 1er septembre.

        Cordialement,
        L'équipe IFA Formation
        """),
    )
    add(
        "forwarded-planning-rfc822",
        eml(
            frm=addr("Bernard Joly", "bernard.joly@caf21.fr"),
            to=CERTIF,
            subject="TR: Planning des formations CQP GC 2025",
            date=when(2025, 5, 5, 10, 0, 0, "+0200"),
            body=multi(
                "mixed",
                "_015_mixed_CAF21_",
                text(
                    t("""
                    Bonjour,

                    Je vous transfère le planning de notre prestataire. Pouvez-vous nous confirmer
                    que nos candidats certifiables en septembre passeront bien devant le jury
                    paritaire du 25 septembre ?

                    Cordialement,
                    Bernard Joly
                    CAF de la Côte-d'Or
                    """)
                ),
                forwarded(planning),
            ),
            key="forwarded-planning-rfc822",
            extra=(OUTLOOK,),
        ),
        other(
            CERTIF_ROLE,
            note="A planning question with a forwarded mail attached (message/rfc822), no spreadsheet.",
        ),
    )

    cpf_html = t("""
    <html><body>
    <div style="background:#0b3b7a;color:#fff;padding:12px"><b>Mon Compte Formation</b></div>
    <p>Madame, Monsieur,</p>
    <p>Vos droits CPF d&#39;un montant de <b>1&nbsp;560,00&nbsp;&euro;</b> expirent le <b>30/06/2025</b>.
    Pour ne pas les perdre, confirmez votre identit&eacute; d&egrave;s aujourd&#39;hui&nbsp;:</p>
    <p><a href="http://moncompte-formation-cpf.info/valider">Je confirme mes droits</a></p>
    <p>L&#39;&eacute;quipe Mon Compte Formation</p>
    </body></html>
    """)
    add(
        "spam-cpf-phishing-html",
        eml(
            frm=addr("Mon Compte Formation", "info@moncompte-formation-cpf.info"),
            to=ACCUEIL,
            subject="Vos droits CPF expirent le 30/06",
            date=when(2025, 6, 20, 6, 12, 0, "+0200"),
            body=text(cpf_html, "html", cte="base64"),
            key="spam-cpf-phishing-html",
        ),
        other(ACCUEIL_ROLE, note="Phishing spam: 'other', general_ack by default."),
    )


# ===========================================================================
# Further edge cases, one per mail
# ===========================================================================


def xlsm(sheets: list[tuple[str, Grid]]) -> bytes:
    """An .xlsm workbook: the .xlsx package with the macro-enabled main content type."""
    data = xlsx(sheets)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            target.writestr(info, content)
    return out.getvalue()


def more_cases() -> None:
    cert_giraud = pdf(
        """
        ## Cabinet médical des Tilleuls
        Dr Karine Lemoine - 4 allée des Tilleuls, 31200 Toulouse

        ## CERTIFICAT MÉDICAL
        Je soussignée, Docteur Karine Lemoine, certifie avoir examiné
        Mme Romane GIRAUD le 18/09/2025. Son état de santé contre-indique
        toute participation à un examen jusqu'au 3 octobre 2025.
        """,
        "",
    )
    add(
        "medical-certificate-unnamed-scan-pdf",
        with_files(
            "medical-certificate-unnamed-scan-pdf",
            addr("Romane Giraud", "romane.giraud@gmail.com"),
            "épreuve du 25 septembre",
            when(2025, 9, 19, 7, 40, 2, "+0200"),
            t("""
            Bonjour,
            Je suis souffrante et je ne pourrai pas passer l'épreuve du 25 septembre, je
            souhaite un report à la session suivante. Je vous joins le document.
            Romane Giraud
            NUC 2024-031877
            """),
            [attach("scan0001.pdf", "application/pdf", cert_giraud)],
            "000000000000b9a8c7063f9e1d20",
        ),
        deferral(
            "medical",
            True,
            False,
            "2024-031877",
            note="Neither the filename nor the body names the document: its PDF text shows a medical certificate.",
        ),
    )

    arret_dumas = pdf(
        """
        ## AVIS D'ARRÊT DE TRAVAIL
        cerfa n° 10170*07 - Volet 3 : employeur
        Assuré : DUMAS Enzo
        Arrêt de travail initial du 01/06/2025 au 21/06/2025 inclus
        Sorties autorisées : non
        Médecin : Dr Agnès Perrot, 9 place de la Mairie, 71100 Chalon-sur-Saône
        """,
        "Avis d'arrêt de travail",
    )
    add(
        "medical-employer-on-behalf-sick-leave",
        with_files(
            "medical-employer-on-behalf-sick-leave",
            addr("RH - Boulangeries Lefort", "rh@boulangeries-lefort.fr"),
            "Report d'inscription de notre apprenti",
            when(2025, 6, 3, 11, 5, 0, "+0200"),
            t("""
            Bonjour,

            Notre apprenti, M. Enzo Dumas (NUC 2024-033102), est en arrêt maladie du 1er au
            21 juin et ne pourra pas se présenter à l'épreuve du 12 juin. Vous trouverez ci-joint
            son avis d'arrêt de travail.
            Nous sollicitons le report de son inscription à la session suivante.

            Cordialement,
            Valérie Lefort
            Boulangeries Lefort
            """),
            [attach("Arret de travail E. Dumas.pdf", "application/pdf", arret_dumas)],
            "_016_mixed_LEFORT_",
            extra=(OUTLOOK,),
            crlf=True,
        ),
        deferral(
            "medical",
            True,
            False,
            "2024-033102",
            note="The employer writes for the candidate; the reason is the candidate's illness (CRLF line endings).",
        ),
    )

    # --- .xlsm (macro-enabled package, macros never run); mail of 20/03/2025.
    sent = when(2025, 3, 20, 15, 3, 0)
    org = "CARSAT Sud-Est"
    rows = [
        # June (due 31/03): on time.
        R(
            "accepted",
            org,
            "Retraite",
            "BLANC",
            "Aurélie",
            nir("2", "88", "07", "13", "055", "142"),
            D(1988, 7, 7),
            "aurelie.blanc@carsat-sudest.fr",
            "GC",
            "1",
            D(2025, 6, 2),
        ),
        # July, blocks written "Bloc 2" (one block number): on time.
        R(
            "accepted",
            org,
            "Retraite",
            "ROCHE",
            "Fabien",
            nir("1", "91", "02", "83", "137", "066"),
            D(1991, 2, 20),
            "fabien.roche@carsat-sudest.fr",
            "COS",
            "Bloc 2",
            D(2025, 7, 1),
        ),
        # NIR typed with a letter O instead of a zero: invalid.
        R(
            "invalid",
            org,
            "Retraite",
            "SICARD",
            "Lisa",
            "2 94 O6 13 201 088 45",
            D(1994, 6, 1),
            "lisa.sicard@carsat-sudest.fr",
            "GC",
            "3",
            D(2025, 6, 2),
        ),
        # June: on time.
        R(
            "accepted",
            org,
            "Retraite",
            "MARTINI",
            "Hugo",
            nir("1", "85", "10", "06", "088", "230"),
            D(1985, 10, 30),
            "hugo.martini@carsat-sudest.fr",
            "GC",
            "1, 3",
            D(2025, 6, 23),
        ),
    ]
    book = xlsm([("Candidats", sheet_grid(STD_COLUMNS, rows))])
    add(
        "xlsm-carsat-sud-est",
        cert_mail(
            "xlsm-carsat-sud-est",
            addr("Delphine Arnaud", "delphine.arnaud@carsat-sudest.fr"),
            "Tableau de recueil CARSAT Sud-Est",
            sent,
            t("""
            Bonjour,

            Veuillez trouver ci-joint notre tableau de recueil (fichier avec macros de contrôle
            interne, elles ne sont pas nécessaires pour sa lecture).

            Cordialement,
            Delphine Arnaud
            CARSAT Sud-Est
            """),
            [
                attach(
                    "Recueil_CARSAT_SE.xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12", book
                )
            ],
            "_017_mixed_CSE_",
            extra=(OUTLOOK,),
        ),
        returned(
            summarise(rows, sent),
            note=".xlsm is an accepted format; a NIR with a letter O is invalid.",
        ),
    )

    # --- The spreadsheet travels inside a forwarded mail (message/rfc822). The inner mail
    # is of 30/05, the forward of 02/06: the message's own Date (the forward) is judged.
    sent = when(2025, 6, 2, 8, 55, 12, "+0200")
    org = "CAF des Alpes-Maritimes"
    rows = [
        # September (due 31/05), forward of 02/06: late.
        R(
            "late",
            org,
            "Famille",
            "ORSINI",
            "Laura",
            nir("2", "93", "04", "06", "088", "117"),
            D(1993, 4, 4),
            "laura.orsini@caf06.fr",
            "GC",
            "1",
            D(2025, 9, 1),
        ),
        # October (due 31/05): late.
        R(
            "late",
            org,
            "Famille",
            "GARCIA",
            "Mickaël",
            nir("1", "87", "08", "06", "029", "054"),
            D(1987, 8, 12),
            "mickael.garcia@caf06.fr",
            "COS",
            "2",
            D(2025, 10, 6),
        ),
        # November (due 31/07): on time.
        R(
            "accepted",
            org,
            "Famille",
            "BARTOLI",
            "Élodie",
            nir("2", "90", "11", "06", "088", "203"),
            D(1990, 11, 2),
            "elodie.bartoli@caf06.fr",
            "GC",
            "3",
            D(2025, 11, 3),
        ),
        # December: on time.
        R(
            "accepted",
            org,
            "Famille",
            "ROSSI",
            "Kevin",
            nir("1", "96", "01", "83", "050", "099"),
            D(1996, 1, 19),
            "kevin.rossi@caf06.fr",
            "GC",
            "1, 2",
            D(2025, 12, 1),
        ),
        # Repeat candidate: redoublant.
        R(
            "redoublant",
            org,
            "Famille",
            "FABRE",
            "Nadia",
            nir("2", "82", "05", "06", "088", "046"),
            D(1982, 5, 5),
            "nadia.fabre@caf06.fr",
            "COS",
            "1",
            D(2025, 11, 3),
            "Oui",
        ),
    ]
    book = xlsx([("Candidats", sheet_grid(STD_COLUMNS, rows))])
    inner = with_files(
        "forwarded-mail-with-xlsx/inner",
        addr("Chantal Roy", "chantal.roy@caf06.fr"),
        "Tableau de recueil à envoyer à l'Institut 4.10",
        when(2025, 5, 30, 17, 20, 0, "+0200"),
        t("""
        Bonjour Jean,

        Voici le tableau de recueil complété. Peux-tu le transmettre à l'Institut 4.10 avant
        samedi ?

        Chantal
        """),
        [attach("Recueil CAF06.xlsx", XLSX_TYPE, book)],
        "_018_inner_CAF06_",
        to=addr("Jean Morel", "jean.morel@caf06.fr"),
    )
    add(
        "forwarded-mail-with-xlsx",
        eml(
            frm=addr("Jean Morel", "jean.morel@caf06.fr"),
            to=CERTIF,
            subject="TR: Tableau de recueil à envoyer à l'Institut 4.10",
            date=sent,
            body=multi(
                "mixed",
                "_018_outer_CAF06_",
                text(
                    t("""
                    Bonjour,

                    Je vous transmets le tableau de recueil de la CAF des Alpes-Maritimes (voir le
                    message ci-joint de ma collègue). Avec mes excuses pour ce léger retard.

                    Jean Morel
                    Directeur des ressources humaines - CAF des Alpes-Maritimes
                    """)
                ),
                forwarded(inner),
            ),
            key="forwarded-mail-with-xlsx",
            extra=(OUTLOOK,),
        ),
        returned(
            summarise(rows, sent),
            note="The spreadsheet is inside a forwarded message/rfc822 (it is attached). Lateness is judged on this message's own Date (02/06), not the inner one (30/05).",
        ),
    )

    add(
        "no-centre-no-accents-initial-surname",
        plain_mail(
            "no-centre-no-accents-initial-surname",
            "mc.d.1990@laposte.net",
            ACCUEIL,
            "aucun centre Hautes-Alpes",
            when(2025, 4, 3, 21, 45, 0, "+0200"),
            t("""
            Bonjour
            je veux m'inscrire a l'epreuve orale d'entretien mais quand je mets mon departement
            (05) il n'y a aucun centre qui s'affiche. C'est très pénible, pouvez vous m'aider
            Marie-Claire D.
            4 chemin des Alpages 05000 Gap
            +33 (0)6 45 21 87 09
            """),
            charset="iso-8859-1",
            cte="8bit",
        ),
        problem(
            "no_centre_listed",
            ("name",),
            note="'Marie-Claire D.': the last name is an initial, so the name is incomplete. The exam label is written without accents. 8-bit ISO-8859-1 body.",
        ),
    )

    add(
        "payment-form-fields-style",
        plain_mail(
            "payment-form-fields-style",
            addr("Marie Dupont", "marie.dupont.77@orange.fr"),
            ACCUEIL,
            "Paiement refusé",
            when(2025, 9, 4, 13, 0, 55, "+0200"),
            t("""
            Bonjour,

            J'ai reçu le mail de pré-validation hier. Le règlement par carte bancaire est refusé
            à chaque tentative (« transaction refusée »), alors que ma carte fonctionne
            ailleurs. Comment puis-je payer dans le délai de 72 heures ?

            Nom : DUPONT
            Prénom : Marie
            Adresse : 11 boulevard Gambetta, 77000 Melun
            Téléphone : 06 98 76 54 32
            Épreuve : Certification complète
            NUC : 2024-032210

            Cordialement
            """),
        ),
        problem(
            "payment", nuc="2024-032210", note="Coordinates given as 'Nom : / Prénom :' fields."
        ),
    )

    add(
        "question-accessibility-latin1-8bit",
        plain_mail(
            "question-accessibility-latin1-8bit",
            addr("Gilles Berthier", "gilles.berthier@orange.fr"),
            ACCUEIL,
            "Accessibilité des centres d'épreuves",
            when(2025, 2, 10, 10, 30, 0),
            t("""
            Bonjour,

            Je me déplace en fauteuil roulant. Les centres d'épreuves sont-ils accessibles aux
            personnes à mobilité réduite, et peut-on bénéficier d'un tiers-temps ?

            Merci,
            Gilles Berthier
            """),
            charset="iso-8859-1",
            cte="8bit",
            subject_charset="iso-8859-1",
            subject_mode="Q",
        ),
        other(ACCUEIL_ROLE, note="A general question (8-bit ISO-8859-1 body)."),
    )


# === main ===


def write_all() -> None:
    """Write every registered mail and its JSON; remove files no longer produced."""
    produced: set[Path] = set()
    for entry in CORPUS:
        folder = OUT / entry.kind
        folder.mkdir(parents=True, exist_ok=True)
        eml_path = folder / f"{entry.name}.eml"
        json_path = folder / f"{entry.name}.json"
        eml_path.write_bytes(entry.raw)
        json_path.write_text(
            json.dumps(entry.expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        produced |= {eml_path, json_path}
    for path in OUT.rglob("*"):
        if path.is_file() and path.suffix in (".eml", ".json") and path not in produced:
            path.unlink()


def check_corpus() -> None:
    """Corpus-wide invariants: unique Message-IDs, size budget, JSON shape."""
    ids: Counter[bytes] = Counter()
    for entry in CORPUS:
        found = re.search(rb"^Message-ID: (<[^>]+>)", entry.raw, re.M)
        assert found, entry.name
        ids[found.group(1)] += 1
        exp = entry.expected
        assert exp["inbox"] in (ACCUEIL_ROLE, CERTIF_ROLE)
        assert (exp["kind"] == "bounce") == ("failed_recipient" in exp), entry.name
    duplicates = [i for i, n in ids.items() if n > 1]
    assert not duplicates, duplicates
    total = sum(len(e.raw) for e in CORPUS)
    assert total < MAX_TOTAL_BYTES, total


def main() -> int:
    problem_reports()
    deferrals()
    spreadsheets()
    mycertif_access()
    auto_replies()
    bounces()
    others()
    more_cases()
    check_corpus()
    write_all()
    by_kind = Counter(e.kind for e in CORPUS)
    total = sum(len(e.raw) for e in CORPUS)
    print(
        f"{len(CORPUS)} mails, {total} bytes: "
        + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
