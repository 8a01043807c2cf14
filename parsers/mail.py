"""Parse raw RFC 5322 bytes into an :class:`~parsers.types.InboundMail`, whatever they hold.

The stdlib parser runs with the fast ``compat32`` policy; headers, charsets and transfer
encodings are decoded here with fallbacks for the lies real mail tells. Nothing raises
out of :func:`parse_mail`: what could not be read is listed in ``problems``.
"""

from __future__ import annotations

import binascii
import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_tz

from parsers import dsn
from parsers.pdf import extract_pdf_text
from parsers.sniff import sniff_type
from parsers.text import decode_bytes, html_to_text, split_reply, unflow
from parsers.types import Address, Attachment, DeliveryReport, InboundMail

MiB = 1024 * 1024
# Text kept from a text/plain attachment.
MAX_ATTACHMENT_TEXT = 100_000
# Forwarded mails nested deeper than this are kept as opaque files.
MAX_MESSAGE_DEPTH = 8
# MIME leaves read per mail; the torture tests have about fifty.
MAX_PARTS = 1000

_FOLD = re.compile(r"(?:[ \t]*\r?\n)+[ \t]*")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([QqBb])\?([^?]*)\?=")
_ANGLE_ID = re.compile(r"<[^<>]{1,998}>")
_CID_REF = re.compile(r"""cid:([^"'\s>)]{1,300})""", re.IGNORECASE)
_BARE_ADDRESS = re.compile(r"[^\s<>\"(),;:@]{1,64}@[^\s<>\"(),;:@]{1,253}")
_LOCAL_MAILBOX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,100}:")
_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} (\S[^\n]{0,250})$", re.MULTILINE)
_TEXT_BODY_TYPES = ("text/plain", "text/html")
_MESSAGE_TYPES = ("message/rfc822", "message/global", "message/news")


def _unfold(value: str) -> str:
    """Unfold a header value and turn the parser's surrogate escapes back into text."""
    if "\n" in value:
        value = _FOLD.sub(" ", value)
    if "\r" in value:
        value = value.replace("\r", "")
    if not value.isascii():
        # compat32 keeps raw 8-bit header bytes as surrogate escapes.
        raw = value.encode("utf-8", "surrogateescape")
        value = decode_bytes(raw, None)
    return value


def decode_words(value: str, problems: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words; adjacent words of one charset are joined first."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    position = 0
    after_word = False
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        charset = match.group(1).split("*", 1)[0].lower()
        encoded = match.group(3).encode("ascii", "replace")
        try:
            if match.group(2) in "Bb":
                data: bytes | None = binascii.a2b_base64(encoded + b"=" * (-len(encoded) % 4))
            else:
                data = binascii.a2b_qp(encoded, header=True)
        except (binascii.Error, ValueError):
            if problems is not None:
                problems.append("header_bad_encoded_word")
            data = None
        # Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
        keep_gap = bool(gap) and not (after_word and data is not None and gap.isspace())
        if pending and (keep_gap or data is None or charset != pending_charset):
            out.append(decode_bytes(bytes(pending), pending_charset, problems))
            pending = bytearray()
        if keep_gap:
            out.append(gap)
        if data is None:
            out.append(match.group(0))
            after_word = False
        else:
            # Words of one charset are joined as bytes: a multi-byte character may be
            # split across two words.
            pending += data
            pending_charset = charset
            after_word = True
        position = match.end()
    if pending:
        out.append(decode_bytes(bytes(pending), pending_charset, problems))
    out.append(value[position:])
    return "".join(out)


def decode_header(value: str, problems: list[str] | None = None) -> str:
    """A header value as readable text: unfolded, 8-bit repaired, RFC 2047 decoded."""
    if not isinstance(value, str):
        value = str(value)
    return decode_words(_unfold(value), problems).strip()


def parse_addresses(values: list[str]) -> tuple[Address, ...]:
    """Addresses of one or more address headers, display names decoded."""
    found: list[Address] = []
    for value in values:
        value = _unfold(value)
        try:
            pairs = getaddresses([value])
        except Exception:
            pairs = []
        good = [(n, a.strip().strip("<>").strip()) for n, a in pairs if "@" in a]
        if not good:
            # getaddresses gave up (stray ">", spaces in the local part): take what
            # looks like an address, and the text before it as the name.
            match = _BARE_ADDRESS.search(value.replace(" @", "@").replace("@ ", "@"))
            if match is not None:
                name = value[: match.start()].strip().strip("<\"' ")
                good = [(name, match.group(0).strip("<>\"'"))]
            else:
                # A local mailbox with no domain: MAILER-DAEMON, postmaster.
                good = [(n, a) for n, a in pairs if _LOCAL_MAILBOX.fullmatch(a.strip())]
        for name, address in good:
            found.append(Address(address=address, name=decode_words(name).strip().strip('"')))
    return tuple(found)


def parse_date(value: str | None) -> datetime | None:
    """An aware datetime keeping the header's own UTC offset, or None."""
    if not value:
        return None
    try:
        parts = parsedate_tz(value)
        if parts is None:
            return None
        offset = parts[9] or 0
        zone = UTC if abs(offset) >= 86400 else timezone(timedelta(seconds=offset))
        return datetime(*parts[:6], tzinfo=zone)  # type: ignore[misc]
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _ANGLE_ID.search(value)
    if match:
        return match.group(0).replace(" ", "")
    value = value.strip()
    if not value or " " in value:
        return value.split()[0] if value else None
    return f"<{value}>"


def _references(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    found = _ANGLE_ID.findall(value)
    if found:
        return tuple(ref.replace(" ", "") for ref in found)
    return tuple(f"<{word}>" for word in value.split())


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
class _Body:
    """Text collected from one message level (the mail, or a forwarded mail)."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)

    def readable(self) -> str:
        plain = "\n".join(self.plain)
        if plain.strip():
            return plain
        return html_to_text("\n".join(self.html)) if self.html else ""


@dataclass
class _Options:
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


class _Walker:
    """Walks the MIME tree once, filling bodies, attachments and report containers."""

    def __init__(self, options: _Options) -> None:
        self.options = options
        self.problems: list[str] = []
        self.pending: list[_Pending | None] = []
        self.reports: list[Message] = []
        self.cids: set[str] = set()
        self.leaves = 0

    def walk(self, part: Message, body: _Body, depth: int, forwarded: bool) -> None:
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

    def _leaf(self, part: Message, ctype: str, body: _Body, forwarded: bool) -> None:
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
            content_id = _unfold(str(part.get("content-id"))).strip().strip("<>").strip() or None
        if len(data) > options.max_attachment_bytes:
            problems.append(f"attachment_too_large: {len(data)} bytes")
        elif text is None:
            if sniffed == "application/pdf" and options.extract_text:
                result = extract_pdf_text(
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
        inner_body = _Body()
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


def _repair_headers(raw: bytes) -> bytes | None:
    """Rebuild a header block that the stdlib cut short, or None when nothing to repair.

    Handles a junk line before the headers (``---- Original email message ----``) and
    folded lines that lost their leading whitespace.
    """
    head, separator, rest = raw.partition(b"\n\n")
    crlf = False
    if b"\r\n\r\n" in raw[: len(head) + 4] or not separator:
        head, separator, rest = raw.partition(b"\r\n\r\n")
        crlf = bool(separator)
    if not separator:
        return None
    lines = head.split(b"\r\n" if crlf else b"\n")
    fixed: list[bytes] = []
    changed = False
    for index, line in enumerate(lines):
        if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t") or line.startswith(b"From "):
            fixed.append(line)
            continue
        if not any(_HEADER_LINE.match(later) for later in lines[index + 1 : index + 40]):
            return None
        changed = True
        if fixed:
            fixed.append(b" " + line)
    if not changed:
        return None
    newline = b"\r\n" if crlf else b"\n"
    return newline.join(fixed) + separator + rest


def parse_mail(
    raw: bytes,
    *,
    extract_text: bool = True,
    pdf_max_pages: int = 20,
    pdf_max_seconds: float = 5.0,
    max_attachment_bytes: int = 25 * MiB,
) -> InboundMail:
    """Parse raw mail bytes; never raises.

    ``extract_text=False`` skips PDF text extraction. Attachments over
    ``max_attachment_bytes`` are listed (size, hash) with a problem and no text.
    """
    if not isinstance(raw, bytes):
        try:
            raw = bytes(raw)
        except Exception:
            raw = b""
    options = _Options(extract_text, pdf_max_pages, pdf_max_seconds, max_attachment_bytes)
    try:
        return _parse(raw, options)
    except Exception as exc:  # the per-message boundary: a parser bug must not lose mail
        return _degraded(raw, f"parser_error: {type(exc).__name__}: {exc}")


def _degraded(raw: bytes, problem: str) -> InboundMail:
    text = decode_bytes(raw[:1_000_000], None)
    return InboundMail(
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        message_id=None,
        in_reply_to=None,
        references=(),
        subject="",
        from_=None,
        reply_to=(),
        to=(),
        cc=(),
        date=None,
        headers=(),
        top_content_type="text/plain",
        text=text,
        html=None,
        new_text=text,
        quoted_text="",
        signature="",
        problems=(problem,),
    )


def _parse(raw: bytes, options: _Options) -> InboundMail:
    problems: list[str] = []
    message = email.message_from_bytes(raw, policy=compat32)
    if (
        message.defects
        and any(
            type(d).__name__ in ("MissingHeaderBodySeparatorDefect", "InvalidHeaderDefect")
            for d in message.defects
        )
        or (raw and not message.keys())
    ):
        repaired = _repair_headers(raw)
        if repaired is not None:
            problems.append("headers_repaired")
            message = email.message_from_bytes(repaired, policy=compat32)
    for defect in message.defects:
        name = f"mime_defect: {type(defect).__name__}"
        if name not in problems:
            problems.append(name)
    raw_headers = list(message.raw_items())
    if raw.strip() and not raw_headers:
        problems.append("no_headers")
    header_problems: list[str] = []
    headers = tuple(
        (str(name).strip().lower(), decode_header(value, header_problems))
        for name, value in raw_headers
    )
    by_name: dict[str, list[str]] = {}
    for name, value in raw_headers:
        by_name.setdefault(str(name).strip().lower(), []).append(str(value))

    def first(name: str) -> str | None:
        values = by_name.get(name)
        return values[0] if values else None

    sender: Address | None = None
    for name in ("from", "reply-to", "sender"):
        found = parse_addresses(by_name.get(name, []))
        if found:
            # A garbage first From header must not hide a real one after it.
            sender = next((a for a in found if "@" in a.address), found[0])
            break
    if not by_name.get("from"):
        problems.append("no_from")
    date_value = first("date")
    date = parse_date(_unfold(date_value)) if date_value else None
    if date_value and date is None:
        problems.append("bad_date")
    walker = _Walker(options)
    body = _Body()
    walker.walk(message, body, 0, False)
    text = body.readable()
    html = "\n".join(body.html) if body.html else None
    report: DeliveryReport | None = None
    if walker.reports:
        try:
            report = dsn.parse_report(walker.reports[0])
        except Exception as exc:  # a report is a part of the mail: keep the rest
            problems.append(f"report_unreadable: {type(exc).__name__}: {exc}"[:300])
    parts = split_reply(text)
    problems.extend(p for p in dict.fromkeys(header_problems))
    problems.extend(walker.problems)
    return InboundMail(
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        message_id=_message_id(_unfold(first("message-id") or "")),
        in_reply_to=_message_id(_unfold(first("in-reply-to") or "")),
        references=_references(_unfold(" ".join(by_name.get("references", [])))),
        subject=decode_header(first("subject") or ""),
        from_=sender,
        reply_to=parse_addresses(by_name.get("reply-to", [])),
        to=parse_addresses(by_name.get("to", [])),
        cc=parse_addresses(by_name.get("cc", [])),
        date=date,
        headers=headers,
        top_content_type=message.get_content_type(),
        text=text,
        html=html,
        new_text=parts.new_text,
        quoted_text=parts.quoted_text,
        signature=parts.signature,
        attachments=walker.attachments(),
        delivery_report=report,
        problems=tuple(dict.fromkeys(problems)),
    )
