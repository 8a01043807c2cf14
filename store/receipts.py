"""Receipts and mailbox state: the writes of the exactly-once intake (DESIGN §3).

:func:`record_receipt` inserts the row keyed ``(mailbox, uidvalidity, uid)`` (or
``(mailbox, source_key)`` for sources without UIDs) with ``ON CONFLICT DO NOTHING``:
a mail already received gives ``None`` and the transaction goes on unharmed (no
IntegrityError, no aborted PostgreSQL transaction). Reads are in ``store.queries``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from store.models import MailboxState, Receipt, ReceiptStatus
from store.types import utcnow

# Built once per database and key kind: an ORM-enabled INSERT … ON CONFLICT DO
# NOTHING … RETURNING loads the new row into the session in the same round trip.
_INSERTS = {
    (name, by_key): insert(Receipt)
    .on_conflict_do_nothing(
        index_elements=["mailbox", "source_key"] if by_key else ["mailbox", "uidvalidity", "uid"]
    )
    .returning(Receipt)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
    for by_key in (False, True)
}


def record_receipt(
    session: Session,
    *,
    mailbox: str,
    sha256: str,
    uidvalidity: int | None = None,
    uid: int | None = None,
    source_key: str | None = None,
    message_id: str | None = None,
    action: str | None = None,
    status: str = ReceiptStatus.PROCESSED,
    error: str | None = None,
    received_at: datetime | None = None,
) -> Receipt | None:
    """Insert the receipt of one fetched mail; None when it was already received."""
    if source_key is None and (uidvalidity is None or uid is None):
        raise ValueError("a receipt needs uidvalidity and uid, or a source_key")
    if source_key is not None and (uidvalidity is not None or uid is not None):
        raise ValueError("a receipt has either uidvalidity and uid, or a source_key")
    stmt = _INSERTS[(session.get_bind().dialect.name, source_key is not None)]
    params = {
        "mailbox": mailbox,
        "uidvalidity": uidvalidity,
        "uid": uid,
        "source_key": source_key,
        "message_id": message_id,
        "sha256": sha256,
        "action": action,
        "status": status,
        "error": error,
        "attempts": 1,
        "received_at": received_at or utcnow(),
    }
    return session.scalars(stmt, params).one_or_none()


def mark_action_done(session: Session, receipt_id: int, *, at: datetime | None = None) -> None:
    """Record that the mailbox action (move/flag/seen) of a receipt was applied."""
    receipt = session.get(Receipt, receipt_id)
    if receipt is not None:
        receipt.action_done_at = at or utcnow()
        session.flush()


def mailbox_state(session: Session, mailbox: str) -> MailboxState:
    """The state row of ``mailbox``, created (empty) on first use."""
    state = session.get(MailboxState, mailbox)
    if state is None:
        state = MailboxState(mailbox=mailbox)
        session.add(state)
        session.flush()
    return state
