"""Walk the MIME tree of one mail: readable body text, attachments and delivery-report parts.

Transfer encodings, charsets and file names are undone with fallbacks for the lies
real mail tells; forwarded mails are flattened into the attachment list, uuencoded
blocks are moved out of text bodies. One unreadable part is listed in ``problems``
and costs nothing else.
"""

from __future__ import annotations

import binascii
import email
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32

from parsers import dsn
from parsers.charsets import decode_bytes
from parsers.headers import decode_header, unfold
from parsers.html import html_to_text
from parsers.pdfguard import extract_pdf_text_guarded
from parsers.reply import unflow
from parsers.sniff import sniff_type
from parsers.types import Attachment

# Text kept from a text/plain attachment.
MAX_ATTACHMENT_TEXT = 100_000
# Forwarded mails nested deeper than this are kept as opaque files.
MAX_MESSAGE_DEPTH = 8
# MIME leaves read per mail; the torture tests have about fifty.
MAX_PARTS = 1000

_CID_REF = re.compile(r"""cid:([^"'\s>)]{1,300})""", re.IGNORECASE)
_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} (\S[^\n]{0,250})$", re.MULTILINE)
_TEXT_BODY_TYPES = ("text/plain", "text/html")
_MESSAGE_TYPES = ("message/rfc822", "message/global", "message/news")


def _payload_bytes(part: Message, problems: list[str]) -> bytes:
    """The part's content with its transfer encoding undone."""
    # The private attribute holds the parser's surrogate-escaped text; get_payload()
    # would already have replaced undecodable bytes with U+FFFD.
    payload = getattr(part, "_payload", "")
    if isinstance(payload, list):
        return b""
    if not isinstance(payload, str):
        payload = str(payload)
    raw = payload.encode("ascii", "surrogateescape")
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding == "base64":
        try:
            return binascii.a2b_base64(raw)
        except binascii.Error:
            problems.append("base64_padding")
            decoded = part.get_payload(decode=True)
            return decoded if isinstance(decoded, bytes) else b""
    if encoding == "quoted-printable":
        return binascii.a2b_qp(raw)
    if encoding in ("x-uuencode", "uuencode", "uue", "x-uue"):
        decoded = part.get_payload(decode=True)
        return decoded if isinstance(decoded, bytes) else raw
    return raw


def _filename(part: Message, problems: list[str]) -> str | None:
    """The decoded file name (RFC 2231 parameters, RFC 2047 words, raw 8-bit), or None."""
    name: str | None = None
    try:
        for header, param in (("content-disposition", "filename"), ("content-type", "name")):
            value = part.get_param(param, header=header)
            if value is None:
                continue
            if isinstance(value, tuple):
                # RFC 2231: the stdlib gives the percent-decoded bytes as Latin-1 text;
                # decode them ourselves so a lying charset label falls back sanely.
                charset, _language, text = value
                raw = str(text).encode("latin-1", "surrogateescape")
                name = decode_bytes(raw, charset or None, problems)
            else:
                name = str(value)
            if name.strip():
                break
    except Exception:
        problems.append("filename_unreadable")
        return None
    if not name:
        return None
    name = decode_header(name, problems)
    # A path in a file name is never wanted, and some clients send one.
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


@dataclass
class Body:
    """Text collected from one message level (the mail, or a forwarded mail)."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)

    def readable(self) -> str:
        plain = "\n".join(self.plain)
        if plain.strip():
            return plain
        return html_to_text("\n".join(self.html)) if self.html else ""


@dataclass
class Options:
    """What parse_mail was asked to do with attachments (its keyword arguments)."""

    extract_text: bool
    pdf_max_pages: int
    pdf_max_seconds: float
    max_attachment_bytes: int


@dataclass
class _Pending:
    """An attachment before its ``inline`` flag is known (that needs every HTML part)."""

    fields: dict[str, object]
    disposition: str
    is_image: bool


class Walker:
    """Walks the MIME tree once, filling bodies, attachments and report containers."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.problems: list[str] = []
        self.pending: list[_Pending | None] = []
        self.reports: list[Message] = []
        self.cids: set[str] = set()
        self.leaves = 0

    def walk(self, part: Message, body: Body, depth: int, forwarded: bool) -> None:
        self.leaves += 1
        if self.leaves > MAX_PARTS:
            if self.leaves == MAX_PARTS + 1:
                self.problems.append("too_many_parts")
            return
        ctype = part.get_content_type()
        payload = part.get_payload()
        if ctype.startswith("multipart/"):
            if not isinstance(payload, list):
                self.problems.append("multipart_without_parts")
                body.plain.append(decode_bytes(_payload_bytes(part, self.problems), None))
                return
            if not forwarded and (
                ctype == "multipart/report"
                or any(
                    isinstance(s, Message) and s.get_content_type() in dsn.STATUS_TYPES
                    for s in payload
                )
            ):
                self.reports.append(part)
            for sub in payload:
                if isinstance(sub, Message):
                    self.walk(sub, body, depth, forwarded)
            return
        if ctype in dsn.STATUS_TYPES:
            # Some servers label their prose explanation as a status part.
            text = dsn.part_text(part)
            if not dsn.has_status_fields(text) and not forwarded:
                body.plain.append(text)
            return
        try:
            if ctype in _MESSAGE_TYPES and isinstance(payload, list) and depth < MAX_MESSAGE_DEPTH:
                self._forwarded(part, payload, depth, forwarded)
            else:
                self._leaf(part, ctype, body, forwarded)
        except Exception as exc:  # one unreadable part must not cost the rest of the mail
            self.problems.append(f"part_unreadable: {ctype}: {type(exc).__name__}: {exc}"[:300])

    def _leaf(self, part: Message, ctype: str, body: Body, forwarded: bool) -> None:
        problems: list[str] = []
        disposition = str(part.get("content-disposition", "")).split(";", 1)[0].strip().lower()
        filename = _filename(part, problems)
        if ctype in _TEXT_BODY_TYPES and disposition != "attachment" and not filename:
            data = _payload_bytes(part, self.problems)
            text = decode_bytes(data, part.get_content_charset(), self.problems)
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            if ctype == "text/html":
                body.html.append(text)
                self.cids.update(c.lower() for c in _CID_REF.findall(text))
                return
            if str(part.get_param("format", "")).lower() == "flowed":
                text = unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
            if "begin " in text:
                text = self._uudecode(text, forwarded)
            body.plain.append(text)
            return
        data = _payload_bytes(part, problems)
        self._add_file(part, ctype, data, filename, disposition, forwarded, problems)

    def _add_file(
        self,
        part: Message | None,
        ctype: str,
        data: bytes,
        filename: str | None,
        disposition: str,
        forwarded: bool,
        problems: list[str],
        text: str | None = None,
    ) -> None:
        options = self.options
        sniffed = sniff_type(data, ctype, filename)
        content_id = None
        if part is not None and part.get("content-id"):
            content_id = unfold(str(part.get("content-id"))).strip().strip("<>").strip() or None
        if len(data) > options.max_attachment_bytes:
            problems.append(f"attachment_too_large: {len(data)} bytes")
        elif text is None:
            if sniffed == "application/pdf" and options.extract_text:
                result = extract_pdf_text_guarded(
                    data, max_pages=options.pdf_max_pages, max_seconds=options.pdf_max_seconds
                )
                text = result.text
                problems.extend(result.problems)
            elif sniffed in ("text/plain", "text/csv") or ctype == "text/plain":
                charset = part.get_content_charset() if part is not None else None
                text = decode_bytes(data[: MAX_ATTACHMENT_TEXT * 4], charset)[:MAX_ATTACHMENT_TEXT]
            elif sniffed == "text/html" or ctype == "text/html":
                charset = part.get_content_charset() if part is not None else None
                text = html_to_text(decode_bytes(data, charset))[:MAX_ATTACHMENT_TEXT]
        if problems:
            self.problems.extend(f"{filename or ctype}: {p}" for p in problems)
        fields: dict[str, object] = {
            "filename": filename,
            "declared_type": ctype,
            "sniffed_type": sniffed,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "content_id": content_id,
            "payload": data,
            "text": text,
            "from_forwarded": forwarded,
            "problems": tuple(problems),
        }
        self.pending.append(_Pending(fields, disposition, sniffed.startswith("image/")))

    def _forwarded(self, part: Message, payload: list, depth: int, forwarded: bool) -> None:
        """A message/rfc822 part: one file for the mail, then its own files, flattened."""
        problems: list[str] = []
        inner = payload[0] if payload and isinstance(payload[0], Message) else None
        encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
        try:
            data = inner.as_bytes() if inner is not None else b""
        except Exception:
            problems.append("forwarded_message_unreadable")
            data = b""
        if encoding in ("base64", "quoted-printable") and inner is not None:
            # Some clients encode the forwarded mail; compat32 then sees no headers.
            encoded = data.strip()
            try:
                if encoding == "base64":
                    data = binascii.a2b_base64(encoded)
                else:
                    data = binascii.a2b_qp(encoded)
            except binascii.Error:
                problems.append("forwarded_message_bad_encoding")
            inner = email.message_from_bytes(data, policy=compat32)
        index = len(self.pending)
        self.pending.append(None)
        inner_body = Body()
        subject = ""
        if inner is not None:
            subject = decode_header(str(inner.get("subject", "")))
            self.walk(inner, inner_body, depth + 1, True)
        filename = _filename(part, problems) or f"{subject or 'message'}.eml"
        text = f"{subject}\n{inner_body.readable()}"
        disposition = str(part.get("content-disposition", "")).split(";", 1)[0].strip().lower()
        self._add_file(
            part, part.get_content_type(), data, filename, disposition, forwarded, problems, text
        )
        entry = self.pending.pop()
        if entry is not None:
            entry.fields["is_message"] = True
            entry.fields["sniffed_type"] = "message/rfc822"
        self.pending[index] = entry

    def _uudecode(self, text: str, forwarded: bool) -> str:
        """Move uuencoded blocks out of a text body into attachments (best effort)."""
        match = _UU_BEGIN.search(text)
        if match is None:
            return text
        end = text.find("\nend", match.end())
        if end < 0:
            return text
        decoded = bytearray()
        for line in text[match.end() : end].strip("\n").split("\n"):
            if not line or line == "`":
                continue
            try:
                decoded += binascii.a2b_uu(line)
            except (binascii.Error, ValueError):
                # Trailing garbage on a line is common: decode what the length byte says.
                try:
                    nbytes = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3
                    decoded += binascii.a2b_uu(line[:nbytes])
                except (binascii.Error, ValueError, IndexError):
                    self.problems.append("uuencode_bad_line")
        name = match.group(1).strip()
        self._add_file(None, "application/octet-stream", bytes(decoded), name, "", forwarded, [])
        return text[: match.start()] + text[end + 4 :]

    def attachments(self) -> tuple[Attachment, ...]:
        found: list[Attachment] = []
        for entry in self.pending:
            if entry is None:
                continue
            content_id = entry.fields.get("content_id")
            referenced = isinstance(content_id, str) and content_id.lower() in self.cids
            inline = (entry.is_image and referenced) or (
                entry.disposition == "inline" and not entry.fields.get("filename")
            )
            found.append(Attachment(inline=inline, **entry.fields))  # type: ignore[arg-type]
        return tuple(found)
