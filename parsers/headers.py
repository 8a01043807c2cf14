"""Read mail headers: repair a damaged header block, decode values, addresses, dates and ids.

Values come from the stdlib's ``compat32`` parser, raw 8-bit bytes kept as surrogate
escapes; they are unfolded, repaired through :func:`~parsers.charsets.decode_bytes` and
RFC 2047 decoded here. Nothing raises on a bad value: it reads as empty or None.
"""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_tz

from parsers.charsets import decode_bytes
from parsers.types import Address

_FOLD = re.compile(r"(?:[ \t]*\r?\n)+[ \t]*")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([QqBb])\?([^?]*)\?=")
_ANGLE_ID = re.compile(r"<[^<>]{1,998}>")
_BARE_ADDRESS = re.compile(r"[^\s<>\"(),;:@]{1,64}@[^\s<>\"(),;:@]{1,253}")
_LOCAL_MAILBOX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,100}:")


def unfold(value: str) -> str:
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
    return decode_words(unfold(value), problems).strip()


def parse_addresses(values: list[str]) -> tuple[Address, ...]:
    """Addresses of one or more address headers, display names decoded."""
    found: list[Address] = []
    for value in values:
        value = unfold(value)
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


def parse_message_id(value: str | None) -> str | None:
    """The ``<id>`` of a Message-ID or In-Reply-To value, angle brackets added if missing."""
    if not value:
        return None
    match = _ANGLE_ID.search(value)
    if match:
        return match.group(0).replace(" ", "")
    value = value.strip()
    if not value or " " in value:
        return value.split()[0] if value else None
    return f"<{value}>"


def parse_references(value: str | None) -> tuple[str, ...]:
    """The ``<id>`` entries of a References value, oldest first."""
    if not value:
        return ()
    found = _ANGLE_ID.findall(value)
    if found:
        return tuple(ref.replace(" ", "") for ref in found)
    return tuple(f"<{word}>" for word in value.split())


def repair_header_block(raw: bytes) -> bytes | None:
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
