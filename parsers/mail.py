"""Parse raw RFC 5322 bytes into an :class:`~parsers.types.InboundMail`, whatever they hold.

The stdlib parser runs with the fast ``compat32`` policy; :mod:`parsers.headers` decodes
the headers, :mod:`parsers.mime` walks the parts and :mod:`parsers.reply` splits the
body. Nothing raises out of :func:`parse_mail`: what could not be read is listed in
``problems``.
"""

from __future__ import annotations

import email
import hashlib
from email.policy import compat32

from parsers import dsn
from parsers.charsets import decode_bytes
from parsers.headers import (
    decode_header,
    parse_addresses,
    parse_date,
    parse_message_id,
    parse_references,
    repair_header_block,
    unfold,
)
from parsers.mime import Body, Options, Walker
from parsers.reply import split_reply
from parsers.types import Address, DeliveryReport, InboundMail

MiB = 1024 * 1024


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
    options = Options(extract_text, pdf_max_pages, pdf_max_seconds, max_attachment_bytes)
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


def _parse(raw: bytes, options: Options) -> InboundMail:
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
        repaired = repair_header_block(raw)
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
    date = parse_date(unfold(date_value)) if date_value else None
    if date_value and date is None:
        problems.append("bad_date")
    walker = Walker(options)
    body = Body()
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
        message_id=parse_message_id(unfold(first("message-id") or "")),
        in_reply_to=parse_message_id(unfold(first("in-reply-to") or "")),
        references=parse_references(unfold(" ".join(by_name.get("references", [])))),
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
