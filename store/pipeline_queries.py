"""Queries and state changes the live bot needs beyond ``store.queries`` and ``store.outbox``.

Kept apart so that the store's own modules stay as their author wrote them: Maildir
keys already received, outbox rows moved to ``uncertain`` or ``cancelled`` by the
sender itself, the bounce check made just before sending, and the figures of
``intake status`` and ``intake cases``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from store.models import Case, MailboxState, Message, Receipt, ReceiptStatus, Reply, ReplyState
from store.outbox import CLAIMABLE
from store.queries import COUNTED_REPLY_STATES
from store.types import normalize_message_id, utcnow


def known_source_keys(session: Session, mailbox: str, keys: Iterable[str]) -> set[str]:
    """Which Maildir keys of ``mailbox`` already have a receipt."""
    wanted = list(keys)
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.exec(
            select(Receipt.source_key).where(
                Receipt.mailbox == mailbox, col(Receipt.source_key).in_(chunk)
            )
        ).all()
        known.update(key for key in rows if key is not None)
    return known


def mark_uncertain(session: Session, reply_id: int, error: str) -> bool:
    """The connection broke after the data was sent: it may have been delivered."""
    reply = session.get(Reply, reply_id, with_for_update=True)
    if reply is None or reply.state != ReplyState.SENDING:
        return False
    reply.state = ReplyState.UNCERTAIN
    reply.last_error = error
    session.flush()
    return True


def cancel_claimed(session: Session, reply_id: int, why: str) -> bool:
    """A claimed reply that a guard now forbids: never sent, kept for the record."""
    reply = session.get(Reply, reply_id, with_for_update=True)
    if reply is None or reply.state != ReplyState.SENDING:
        return False
    reply.state = ReplyState.CANCELLED
    reply.last_error = why
    reply.next_attempt_at = None
    session.flush()
    return True


def bounced_since(session: Session, address: str, since: datetime) -> bool:
    """True when a reply of ours to ``address`` created after ``since`` bounced."""
    stmt = (
        select(Reply.id)
        .where(
            Reply.to_addr == address,
            Reply.state == ReplyState.BOUNCED,
            col(Reply.created_at) >= since,
        )
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def case_listing(session: Session) -> list[dict[str, Any]]:
    """Every case with its incoming-message count and its replies, oldest first."""
    counts = dict(
        session.exec(
            select(Message.case_id, func.count())
            .where(Message.direction == "in", col(Message.case_id).is_not(None))
            .group_by(Message.case_id)
        ).all()
    )
    replies: dict[int, list[dict[str, str]]] = {}
    for case_id, template, state in session.exec(
        select(Reply.case_id, Reply.template, Reply.state).order_by(col(Reply.id))
    ).all():
        replies.setdefault(case_id, []).append({"template": template, "status": state})
    listing = []
    for case in session.exec(select(Case).order_by(col(Case.id))).all():
        assert case.id is not None
        listing.append(
            {
                "ref": case.ref,
                "kind": case.kind,
                "status": case.status,
                "messages": int(counts.get(case.id, 0)),
                "replies": replies.get(case.id, []),
            }
        )
    return listing


def status_figures(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """What ``intake status`` prints: mailboxes, queue sizes and failures."""
    now = now or utcnow()
    mailboxes = [
        {
            "mailbox": state.mailbox,
            "last_poll_at": state.last_poll_at,
            "last_success_at": state.last_success_at,
            "last_error": state.last_error,
            "consecutive_failures": state.consecutive_failures,
            "uidvalidity": state.uidvalidity,
            "last_uid": state.last_uid,
        }
        for state in session.exec(select(MailboxState).order_by(col(MailboxState.mailbox))).all()
    ]
    cases = dict(session.exec(select(Case.status, func.count()).group_by(Case.status)).all())
    replies = dict(session.exec(select(Reply.state, func.count()).group_by(Reply.state)).all())
    errors = session.exec(select(func.count()).where(Receipt.status == ReceiptStatus.ERROR)).one()
    actions = session.exec(
        select(func.count()).where(
            col(Receipt.action).is_not(None), col(Receipt.action_done_at).is_(None)
        )
    ).one()
    received_day = session.exec(
        select(func.count()).where(col(Receipt.received_at) >= now - timedelta(days=1))
    ).one()
    return {
        "mailboxes": mailboxes,
        "cases": {str(k): int(v) for k, v in cases.items()},
        "replies": {str(k): int(v) for k, v in replies.items()},
        "receipts_in_error": int(errors),
        "actions_pending": int(actions),
        "received_last_24h": int(received_day),
    }


# -- Fast paths: Core statements on the session's connection (no ORM flush or load) --------


def find_duplicate(
    session: Session, mailbox: str, message_id: str | None, sha256: str
) -> tuple[int, int | None] | None:
    """(message pk, case id) of a mail of ``mailbox`` already stored with this Message-ID
    or these exact bytes, in one query (``store.queries.find_received`` makes two)."""
    table = Message.__table__  # type: ignore[attr-defined]
    same = [table.c.sha256 == sha256]
    if message_id and normalize_message_id(message_id):
        same.append(table.c.message_id == message_id)
    stmt = (
        sa_select(table.c.id, table.c.case_id)
        .where(table.c.direction == "in", table.c.mailbox == mailbox, or_(*same))
        .order_by(table.c.id)
        .limit(1)
    )
    row = session.connection().execute(stmt).first()
    return (int(row[0]), row[1]) if row else None


def recent_reply_count(session: Session, address: str, *, window: timedelta) -> int:
    """``store.queries.count_recent_replies`` as one Core statement."""
    table = Reply.__table__  # type: ignore[attr-defined]
    stmt = sa_select(func.count()).where(
        table.c.to_addr == address,
        table.c.created_at >= utcnow() - window,
        table.c.state.in_([str(s) for s in COUNTED_REPLY_STATES]),
    )
    return int(session.connection().execute(stmt).scalar_one())


def claim_one(session: Session, owner: str) -> Any | None:
    """Move the oldest due reply to ``sending`` for ``owner``; its row, or None.

    The same transition as ``store.outbox.claim_replies(session, 1)`` in one
    ``UPDATE … RETURNING``; on PostgreSQL the row is picked with ``FOR UPDATE SKIP
    LOCKED``, so that two instances never claim the same reply.
    """
    table = Reply.__table__  # type: ignore[attr-defined]
    now = utcnow()
    pick = (
        sa_select(table.c.id)
        .where(
            table.c.state.in_([str(s) for s in CLAIMABLE]),
            or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
        )
        .order_by(table.c.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(table)
        .where(table.c.id == pick.scalar_subquery())
        .values(
            state=ReplyState.SENDING.value,
            attempts=table.c.attempts + 1,
            claimed_by=owner,
            claimed_at=now,
        )
        .returning(
            table.c.id,
            table.c.case_id,
            table.c.raw,
            table.c.from_addr,
            table.c.to_addr,
            table.c.message_id,
            table.c.created_at,
        )
    )
    return session.connection().execute(stmt).first()


def mark_sent_fast(session: Session, reply_id: int) -> bool:
    """``store.outbox.mark_sent`` as one ``UPDATE``."""
    table = Reply.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(
            table.c.id == reply_id,
            table.c.state.in_([ReplyState.SENDING.value, ReplyState.UNCERTAIN.value]),
        )
        .values(state=ReplyState.SENT.value, sent_at=utcnow(), last_error=None)
    )
    return bool(session.connection().execute(stmt).rowcount)
