"""The frozen data types that the mail parser produces.

They are declared apart from the parsing code so that the rules, the store and the
tests can depend on the shape of a parsed mail without importing the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Attachment:
    """One file carried by a mail (attached, inline, or inside a forwarded mail)."""

    filename: str | None
    # The Content-Type the sender's client declared, lower-cased, without parameters.
    declared_type: str
    # The type recognised from the bytes themselves (magic numbers), or the declared
    # type when the bytes say nothing more precise.
    sniffed_type: str
    size: int
    sha256: str
    # True for images shown inside an HTML body (Content-ID referenced, or
    # Content-Disposition: inline without a filename): logos and signatures, not files
    # the sender meant to send.
    inline: bool
    content_id: str | None
    payload: bytes = field(repr=False, compare=False)
    # Readable text of the attachment when it has any: PDF text (page and time
    # capped), a forwarded mail's subject and body, a text/plain file. None when not
    # extracted or not textual.
    text: str | None = field(default=None, repr=False, compare=False)
    # True for a forwarded message (message/rfc822), or any file found inside one.
    from_forwarded: bool = False
    is_message: bool = False
    problems: tuple[str, ...] = ()

    @property
    def extension(self) -> str:
        """The lower-cased filename extension without the dot, or ''."""
        if not self.filename or "." not in self.filename:
            return ""
        return self.filename.rsplit(".", 1)[1].lower().strip()


@dataclass(frozen=True)
class DeliveryRecipient:
    """One per-recipient block of a delivery status notification (RFC 3464)."""

    recipient: str | None
    action: str | None
    status: str | None
    diagnostic: str | None


@dataclass(frozen=True)
class DeliveryReport:
    """The machine-readable part of a multipart/report (RFC 3462/3464/6522)."""

    # report-type parameter: delivery-status, disposition-notification,
    # feedback-report, ... (lower-cased).
    report_type: str
    recipients: tuple[DeliveryRecipient, ...] = ()
    original_message_id: str | None = None


@dataclass(frozen=True)
class Address:
    """A mailbox address with its decoded display name."""

    address: str
    name: str = ""


@dataclass(frozen=True)
class InboundMail:
    """A parsed incoming mail. Built by :func:`parsers.mail.parse_mail`."""

    size: int
    sha256: str
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    # Every header, decoded (RFC 2047) to str, names lower-cased, in file order.
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    top_content_type: str
    # The readable body: text/plain when present and non-empty, else HTML turned into
    # text. Never None, possibly ''.
    text: str = field(repr=False)
    # The HTML body as sent (not sanitised: render it only through nh3).
    html: str | None = field(repr=False)
    # The sender's own new text: ``text`` without the quoted history and without the
    # signature.
    new_text: str = field(repr=False)
    quoted_text: str = field(repr=False)
    signature: str = field(repr=False)
    attachments: tuple[Attachment, ...] = ()
    delivery_report: DeliveryReport | None = None
    problems: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in file order."""
        name = name.lower()
        return [value for key, value in self.headers if key == name]

    @property
    def sender(self) -> str:
        """The sender's address, lower-cased ('' when the mail has none)."""
        if self.from_ is not None:
            return self.from_.address.lower()
        if self.reply_to:
            return self.reply_to[0].address.lower()
        return ""

    @property
    def files(self) -> tuple[Attachment, ...]:
        """Attachments the sender meant to send (inline images excluded)."""
        return tuple(a for a in self.attachments if not a.inline)

    @classmethod
    def from_bytes(cls, raw: bytes, **options: Any) -> InboundMail:
        """Parse raw RFC 5322 bytes; never raises (see :func:`parsers.mail.parse_mail`
        for the options: ``extract_text``, ``pdf_max_pages``, ``pdf_max_seconds``,
        ``max_attachment_bytes``)."""
        from parsers.mail import parse_mail

        return parse_mail(raw, **options)
