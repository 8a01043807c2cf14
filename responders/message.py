"""Turn a rendered reply into the e-mail we send: threading and loop-safety headers.

A :class:`Reply` is what the pipeline stores in its outbox; its ``Message-ID`` is
made when the reply is created (:meth:`Reply.create`), so that the thread survives
a resend. :func:`build_message` makes the :class:`~email.message.EmailMessage`:
``From`` the inbox, the case reference in brackets in the subject, ``In-Reply-To``
and ``References`` under the sender's mail, ``Auto-Submitted: auto-replied`` and
``X-Auto-Response-Suppress: All`` (RFC 3834: no ``Precedence``), a UTF-8
quoted-printable body, and the attachments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Protocol

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


def build_message(reply: Reply, date: datetime | None = None) -> EmailMessage:
    """The e-mail for ``reply``; ``date`` defaults to now (local time, with offset)."""
    msg = EmailMessage()
    msg["From"] = reply.from_addr
    msg["To"] = reply.to
    msg["Subject"] = subject_with_ref(reply.subject, reply.case_ref)
    msg["Date"] = format_datetime(date or datetime.now().astimezone())
    msg["Message-ID"] = reply.message_id
    if reply.in_reply_to:
        msg["In-Reply-To"] = reply.in_reply_to
    if reply.references:
        msg["References"] = " ".join(reply.references)
    # RFC 3834: an automatic answer says so, and asks other robots not to answer it.
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(reply.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    for filename, content_type, data in reply.attachments:
        maintype, _, subtype = content_type.partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(
            data, maintype=maintype.lower(), subtype=subtype.lower(), filename=filename
        )
    return msg
