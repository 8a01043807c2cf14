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

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from store.driver import DriverStatement, dialect_of, states_in
from store.models import Case, MailboxState, Message, Receipt, ReceiptStatus, Reply, ReplyState
from store.outbox import CLAIMABLE
from store.queries import COUNTED_REPLY_STATES
from store.types import LowerString, MessageIdType, UtcDateTime, normalize_message_id, utcnow

_REPLIES = Reply.__table__  # type: ignore[attr-defined]


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


_CANCEL = DriverStatement(
    update(_REPLIES)
    .where(
        _REPLIES.c.id == bindparam("reply_id"),
        _REPLIES.c.state == ReplyState.SENDING.value,
    )
    .values(state=ReplyState.CANCELLED.value, last_error=bindparam("why"), next_attempt_at=None)
)


def cancel_claimed(connection: Session | Connection, reply_id: int, why: str) -> bool:
    """A claimed reply that a guard now forbids: never sent, kept for the record."""
    return bool(_CANCEL.execute(connection, {"reply_id": reply_id, "why": why}))


_BOUNCED = DriverStatement(
    sa_select(Reply.__table__.c.id)  # type: ignore[attr-defined]
    .where(
        Reply.__table__.c.to_addr == bindparam("address", type_=LowerString()),  # type: ignore[attr-defined]
        Reply.__table__.c.state == ReplyState.BOUNCED.value,  # type: ignore[attr-defined]
        Reply.__table__.c.created_at >= bindparam("since", type_=UtcDateTime()),  # type: ignore[attr-defined]
    )
    .limit(1)
)


def bounced_since(session: Session | Connection, address: str, since: datetime) -> bool:
    """True when a reply of ours to ``address`` created after ``since`` bounced."""
    return _BOUNCED.first(session, {"address": address, "since": since}) is not None


def case_listing(session: Session) -> list[dict[str, Any]]:
    """Every case with its incoming-message count and its replies, oldest first."""
    counts = dict(
        session.exec(
            select(Message.case_id, func.count())
            .where(Message.direction == "in", col(Message.case_id).is_not(None))
            .group_by(col(Message.case_id))
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


# -- Fast paths: Core statements built once, run on the session's connection -------------
# (building a statement costs several times what SQLite takes to run it).

_MESSAGES = Message.__table__  # type: ignore[attr-defined]

_DUP_BY_SHA = DriverStatement(
    sa_select(_MESSAGES.c.id, _MESSAGES.c.case_id)
    .where(
        _MESSAGES.c.direction == "in",
        _MESSAGES.c.mailbox == bindparam("mailbox"),
        _MESSAGES.c.sha256 == bindparam("sha"),
    )
    .order_by(_MESSAGES.c.id)
    .limit(1)
)
_DUP_BY_ID_OR_SHA = DriverStatement(
    sa_select(_MESSAGES.c.id, _MESSAGES.c.case_id)
    .where(
        _MESSAGES.c.direction == "in",
        _MESSAGES.c.mailbox == bindparam("mailbox"),
        or_(
            _MESSAGES.c.sha256 == bindparam("sha"),
            _MESSAGES.c.message_id == bindparam("message_id", type_=MessageIdType()),
        ),
    )
    .order_by(_MESSAGES.c.id)
    .limit(1)
)


def find_duplicate(
    session: Session, mailbox: str, message_id: str | None, sha256: str
) -> tuple[int, int | None] | None:
    """(message pk, case id) of a mail of ``mailbox`` already stored with this Message-ID
    or these exact bytes, in one query (``store.queries.find_received`` makes two)."""
    params: dict[str, Any] = {"mailbox": mailbox, "sha": sha256}
    if message_id and normalize_message_id(message_id):
        stmt, params["message_id"] = _DUP_BY_ID_OR_SHA, message_id
    else:
        stmt = _DUP_BY_SHA
    row = stmt.first(session, params)
    return (int(row[0]), row[1]) if row else None


_RECENT = DriverStatement(
    sa_select(func.count()).where(
        _REPLIES.c.to_addr == bindparam("address", type_=LowerString()),
        _REPLIES.c.created_at >= bindparam("since", type_=UtcDateTime()),
        states_in(_REPLIES.c.state, COUNTED_REPLY_STATES),
    )
)


def recent_reply_count(session: Session, address: str, *, window: timedelta) -> int:
    """``store.queries.count_recent_replies`` as one prepared statement."""
    params = {"address": address, "since": utcnow() - window}
    row = _RECENT.first(session, params)
    assert row is not None
    return int(row[0])


def _claim_statement(skip_locked: bool) -> Any:
    pick = (
        sa_select(_REPLIES.c.id)
        .where(
            states_in(_REPLIES.c.state, CLAIMABLE),
            or_(
                _REPLIES.c.next_attempt_at.is_(None),
                _REPLIES.c.next_attempt_at <= bindparam("now", type_=UtcDateTime()),
            ),
        )
        .order_by(_REPLIES.c.id)
        .limit(1)
    )
    if skip_locked:
        pick = pick.with_for_update(skip_locked=True)
    return (
        update(_REPLIES)
        .where(_REPLIES.c.id == pick.scalar_subquery())
        .values(
            state=ReplyState.SENDING.value,
            attempts=_REPLIES.c.attempts + 1,
            claimed_by=bindparam("owner"),
            claimed_at=bindparam("claimed_at", type_=UtcDateTime()),
        )
        .returning(
            _REPLIES.c.id,
            _REPLIES.c.case_id,
            _REPLIES.c.raw,
            _REPLIES.c.from_addr,
            _REPLIES.c.to_addr,
            _REPLIES.c.message_id,
            _REPLIES.c.created_at,
        )
    )


_CLAIM = {
    False: DriverStatement(_claim_statement(False)),
    True: DriverStatement(_claim_statement(True)),
}


def claim_one(session: Session | Connection, owner: str) -> Any | None:
    """Move the oldest due reply to ``sending`` for ``owner``; its row, or None.

    The same transition as ``store.outbox.claim_replies(session, 1)`` in one
    ``UPDATE … RETURNING``; on PostgreSQL the row is picked with ``FOR UPDATE SKIP
    LOCKED``, so that two instances never claim the same reply.
    """
    now = utcnow()
    stmt = _CLAIM[dialect_of(session).name == "postgresql"]
    return stmt.first(session, {"now": now, "owner": owner, "claimed_at": now})


_SENT = DriverStatement(
    update(_REPLIES)
    .where(
        _REPLIES.c.id == bindparam("reply_id"),
        states_in(_REPLIES.c.state, (ReplyState.SENDING, ReplyState.UNCERTAIN)),
    )
    .values(
        state=ReplyState.SENT.value,
        sent_at=bindparam("sent_at", type_=UtcDateTime()),
        last_error=None,
    )
)


def mark_sent_fast(session: Session | Connection, reply_id: int) -> bool:
    """``store.outbox.mark_sent`` as one ``UPDATE``."""
    return bool(_SENT.execute(session, {"reply_id": reply_id, "sent_at": utcnow()}))
