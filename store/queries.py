"""Lookups the pipeline needs: threading, receipts to finish, duplicates, reply limits.

Plain arguments in, table rows out; no caller's types. Message-IDs and addresses
may be given in any form: the column types normalise the values compared
(``store.types``). The staff queue, dashboard and exports are in ``store.queue``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import (
    Attachment,
    AuditEvent,
    Case,
    Message,
    Receipt,
    ReceiptStatus,
    Reply,
    ReplyState,
)
from store.types import normalize_message_id, split_message_ids, utcnow

# Replies that count against the per-sender limit: every one that was or may be
# sent (a pending reply counts, or one batch of mails would all be answered).
COUNTED_REPLY_STATES = (
    ReplyState.PENDING,
    ReplyState.SENDING,
    ReplyState.SENT,
    ReplyState.FAILED_TEMPORARY,
    ReplyState.UNCERTAIN,
    ReplyState.BOUNCED,
)

_REF = re.compile(r"^[A-Za-z]{1,16}-\d{4}-\d{4,}$")


def thread_ids(in_reply_to: str | None, references: str | Sequence[str] | None) -> list[str]:
    """The Message-IDs a mail answers, nearest first: In-Reply-To, then References backwards."""
    refs = (
        split_message_ids(references)
        if isinstance(references, str) or references is None
        else [normalize_message_id(r) for r in references if r.strip()]
    )
    ordered = split_message_ids(in_reply_to) + list(reversed(refs))
    return list(dict.fromkeys(ordered))


def find_case_by_message_ids(session: Session, message_ids: Sequence[str]) -> Case | None:
    """The case of the first of ``message_ids`` that is one of ours or one of theirs.

    ``message_ids`` are in order of preference (see :func:`thread_ids`). Both the
    replies we sent (``replies.message_id``) and the messages stored on cases
    (``messages.message_id``) are searched.
    """
    wanted = [normalize_message_id(m) for m in message_ids if m and m.strip()]
    if not wanted:
        return None
    found: dict[str, int] = {}
    for message_id, case_id in session.exec(
        select(Reply.message_id, Reply.case_id).where(col(Reply.message_id).in_(wanted))
    ).all():
        found.setdefault(message_id, case_id)
    for theirs, their_case in session.exec(
        select(Message.message_id, Message.case_id)
        .where(col(Message.message_id).in_(wanted), col(Message.case_id).is_not(None))
        .order_by(col(Message.id))
    ).all():
        if theirs is not None and their_case is not None:
            found.setdefault(theirs, their_case)
    for message_id in wanted:
        if message_id in found:
            return session.get(Case, found[message_id])
    return None


def case_by_ref(session: Session, ref: str) -> Case | None:
    """The case with reference ``ref`` (``up-2025-000123`` works too)."""
    ref = ref.strip().upper()
    if not _REF.match(ref):
        return None
    return session.exec(select(Case).where(Case.ref == ref)).first()


def find_receipt(
    session: Session,
    mailbox: str,
    *,
    uidvalidity: int | None = None,
    uid: int | None = None,
    source_key: str | None = None,
) -> Receipt | None:
    stmt = select(Receipt).where(Receipt.mailbox == mailbox)
    if source_key is not None:
        stmt = stmt.where(Receipt.source_key == source_key)
    else:
        stmt = stmt.where(Receipt.uidvalidity == uidvalidity, Receipt.uid == uid)
    return session.exec(stmt).first()


def pending_actions(session: Session, mailbox: str) -> list[Receipt]:
    """Receipts of ``mailbox`` whose mailbox action is still to be (re)done, in UID order."""
    stmt = (
        select(Receipt)
        .where(
            Receipt.mailbox == mailbox,
            col(Receipt.action).is_not(None),
            col(Receipt.action_done_at).is_(None),
        )
        .order_by(col(Receipt.uidvalidity), col(Receipt.uid), col(Receipt.id))
    )
    return list(session.exec(stmt).all())


def receipts_to_retry(session: Session, mailbox: str, max_attempts: int) -> list[Receipt]:
    """Receipts of ``mailbox`` in error that were tried fewer than ``max_attempts`` times."""
    stmt = (
        select(Receipt)
        .where(
            Receipt.mailbox == mailbox,
            Receipt.status == ReceiptStatus.ERROR,
            Receipt.attempts < max_attempts,
        )
        .order_by(col(Receipt.id))
    )
    return list(session.exec(stmt).all())


def known_uids(session: Session, mailbox: str, uidvalidity: int, uids: Iterable[int]) -> set[int]:
    """Which of ``uids`` already have a receipt (to skip them before fetching bodies)."""
    wanted = list(uids)
    known: set[int] = set()
    # Chunks keep the IN list under SQLite's variable limit.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.exec(
            select(Receipt.uid).where(
                Receipt.mailbox == mailbox,
                Receipt.uidvalidity == uidvalidity,
                col(Receipt.uid).in_(chunk),
            )
        ).all()
        known.update(int(uid) for uid in rows if uid is not None)
    return known


def find_received(
    session: Session,
    *,
    message_id: str | None = None,
    sha256: str | None = None,
    mailbox: str | None = None,
) -> Message | None:
    """An already stored incoming message with this Message-ID, else these exact bytes.

    ``mailbox`` restricts the search to one source (a mail copied to both inboxes
    is then filed once per inbox).
    """
    for column, value in ((Message.message_id, message_id), (Message.sha256, sha256)):
        if not value or (column is Message.message_id and not normalize_message_id(value)):
            continue
        stmt = select(Message).where(column == value, Message.direction == "in")
        if mailbox is not None:
            stmt = stmt.where(Message.mailbox == mailbox)
        found = session.exec(stmt.order_by(col(Message.id)).limit(1)).first()
        if found is not None:
            return found
    return None


def count_recent_replies(
    session: Session,
    address: str,
    *,
    now: datetime | None = None,
    window: timedelta = timedelta(hours=24),
) -> int:
    """Replies created for ``address`` within ``window`` that were or may be sent."""
    since = (now or utcnow()) - window
    stmt = select(func.count()).where(
        Reply.to_addr == address,
        Reply.created_at >= since,
        col(Reply.state).in_(COUNTED_REPLY_STATES),
    )
    return int(session.exec(stmt).one())


def reply_by_message_id(session: Session, message_id: str) -> Reply | None:
    """Our reply with this Message-ID (what a bounce or an answer names)."""
    if not normalize_message_id(message_id):
        return None
    return session.exec(select(Reply).where(Reply.message_id == message_id)).first()


def case_messages(session: Session, case_id: int) -> list[Message]:
    """The stored messages of a case, oldest first."""
    stmt = (
        select(Message)
        .where(Message.case_id == case_id)
        .order_by(col(Message.created_at), col(Message.id))
    )
    return list(session.exec(stmt).all())


def case_replies(session: Session, case_id: int) -> list[Reply]:
    """The replies of a case (every state), oldest first."""
    stmt = (
        select(Reply).where(Reply.case_id == case_id).order_by(col(Reply.created_at), col(Reply.id))
    )
    return list(session.exec(stmt).all())


def case_attachments(session: Session, case_id: int) -> list[Attachment]:
    """The attachments of every message of a case, in message then file order."""
    stmt = (
        select(Attachment)
        .join(Message, col(Attachment.message_id) == col(Message.id))
        .where(Message.case_id == case_id)
        .order_by(col(Message.created_at), col(Message.id), col(Attachment.id))
    )
    return list(session.exec(stmt).all())


def case_audit(session: Session, case_id: int) -> list[AuditEvent]:
    """The audit trail of a case, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.case_id == case_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return list(session.exec(stmt).all())
