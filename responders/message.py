"""Turn a rendered reply into the e-mail we send: threading and loop-safety headers.

A :class:`Reply` is what the pipeline stores in its outbox; its ``Message-ID`` is
made when the reply is created (:meth:`Reply.create`), so that the thread survives
a resend. :func:`build_bytes` writes the mail (and :func:`build_message` gives it
as an :class:`~email.message.EmailMessage`): ``From`` the inbox, the case reference
in brackets in the subject, ``In-Reply-To`` and ``References`` under the sender's
mail, ``Auto-Submitted: auto-replied`` and ``X-Auto-Response-Suppress: All``
(RFC 3834: no ``Precedence``), a UTF-8 quoted-printable body, and the attachments.
"""

from __future__ import annotations

import email.policy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Protocol

from responders import mime

# At most this many ids in References: the first (the thread's root) and the latest
# ones, as RFC 5322 §3.6.4 allows, so that long threads keep a bounded header.
MAX_REFERENCES = 20

_MSGID_RE = re.compile(r"<[^<>\s]+>")

# (filename, content type such as "application/pdf", bytes)
AttachmentSpec = tuple[str, str, bytes]


class RenderedTextLike(Protocol):
    """What :meth:`Reply.create` reads of a rendered template."""

    @property
    def subject(self) -> str: ...

    @property
    def body(self) -> str: ...


def new_message_id(domain: str) -> str:
    """A fresh ``<...@domain>`` Message-ID (never asks the system for its hostname)."""
    domain = domain.strip().strip("<>").lower()
    if not domain or any(c in domain for c in " <>@\r\n"):
        raise ValueError(f"not a domain for a Message-ID: {domain!r}")
    return make_msgid(domain=domain)


def domain_of(address: str) -> str:
    """The domain of an address that may carry a display name."""
    pairs = getaddresses([address])
    addr = pairs[0][1] if pairs else ""
    if "@" not in addr:
        raise ValueError(f"not an e-mail address: {address!r}")
    return addr.rsplit("@", 1)[1]


def parse_message_ids(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """The ``<id>`` tokens of a References / In-Reply-To value (or of several)."""
    if value is None:
        return ()
    texts = [value] if isinstance(value, str) else list(value)
    found: list[str] = []
    for text in texts:
        ids = _MSGID_RE.findall(text or "")
        # A bare id without angle brackets (some clients drop them) is kept too.
        if not ids and text and text.strip() and not any(c.isspace() for c in text.strip()):
            ids = [f"<{text.strip().strip('<>')}>"]
        found.extend(ids)
    return tuple(found)


def thread_references(
    their_references: str | Iterable[str] | None, their_message_id: str | None
) -> tuple[str, ...]:
    """Our References: theirs followed by their Message-ID, without repeats, bounded."""
    ids: list[str] = []
    for msgid in (*parse_message_ids(their_references), *parse_message_ids(their_message_id)):
        if msgid not in ids:
            ids.append(msgid)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return tuple(ids)


def subject_with_ref(subject: str, case_ref: str) -> str:
    """``[REF] subject``, unless the subject already carries ``[REF]``."""
    subject = " ".join(subject.split())
    tag = f"[{case_ref}]"
    if tag.lower() in subject.lower():
        return subject
    return f"{tag} {subject}"


@dataclass(frozen=True)
class Reply:
    """One outgoing reply, as stored in the outbox before it is sent."""

    template: str
    to: str
    from_addr: str
    subject: str
    body: str
    case_ref: str
    in_reply_to: str | None
    references: tuple[str, ...]
    message_id: str
    attachments: tuple[AttachmentSpec, ...] = ()

    @classmethod
    def create(
        cls,
        template: str,
        rendered: RenderedTextLike,
        *,
        to: str,
        from_addr: str,
        case_ref: str,
        their_message_id: str | None = None,
        their_references: str | Iterable[str] | None = None,
        attachments: Iterable[AttachmentSpec] = (),
    ) -> Reply:
        """A reply threaded under the sender's mail, with a new Message-ID."""
        their_ids = parse_message_ids(their_message_id)
        return cls(
            template=template,
            to=to,
            from_addr=from_addr,
            subject=rendered.subject,
            body=rendered.body,
            case_ref=case_ref,
            in_reply_to=their_ids[0] if their_ids else None,
            references=thread_references(their_references, their_message_id),
            message_id=new_message_id(domain_of(from_addr)),
            attachments=tuple(attachments),
        )


def reply_envelope(reply: Reply) -> tuple[str, list[str]]:
    """The SMTP envelope of a reply: (sender, recipients), both bare addresses."""
    sender = getaddresses([reply.from_addr])
    recipients = [addr for _, addr in getaddresses([reply.to]) if addr]
    return (sender[0][1] if sender else ""), recipients


def build_bytes(reply: Reply, date: datetime | None = None) -> bytes:
    """The reply as sent on the wire (CRLF, 7-bit unless an address is not ASCII).

    This is the fast path (well under a millisecond): the outbox can store these
    bytes and hand them to ``SmtpSender.send_bytes`` or ``FileOutbox.send_bytes``.
    """
    headers = [
        mime.addresses("From", reply.from_addr),
        mime.addresses("To", reply.to),
        mime.unstructured("Subject", subject_with_ref(reply.subject, reply.case_ref)),
        f"Date: {format_datetime(date or datetime.now().astimezone())}",
        f"Message-ID: {mime.clean(reply.message_id)}",
    ]
    if reply.in_reply_to:
        headers.append(f"In-Reply-To: {mime.clean(reply.in_reply_to)}")
    if reply.references:
        headers.append(mime.ids("References", reply.references))
    # RFC 3834: an automatic answer says so (and carries no Precedence header);
    # the Microsoft header asks Exchange not to answer it with an out-of-office.
    headers += ["Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"]
    return mime.assemble(headers, reply.body, reply.attachments)


def build_message(reply: Reply, date: datetime | None = None) -> EmailMessage:
    """The reply as an :class:`EmailMessage` (``build_bytes`` parsed back).

    ``date`` defaults to now (local time, with its offset).
    """
    msg = BytesParser(policy=email.policy.default).parsebytes(build_bytes(reply, date))
    assert isinstance(msg, EmailMessage)
    return msg
