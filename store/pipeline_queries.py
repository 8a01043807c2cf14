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

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import Case, MailboxState, Message, Receipt, ReceiptStatus, Reply, ReplyState
from store.types import utcnow


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
