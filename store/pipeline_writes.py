"""Fast inserts for the bot's hot path: one Core ``INSERT`` per row, no ORM object.

Filing a new mail writes a case, a message, its attachments, perhaps judged
spreadsheet rows, a reply and an audit event. Building SQLModel objects and
flushing them costs several times the SQL itself, so the pipeline writes these
rows as plain dictionaries through the session's connection (same transaction,
same column types: addresses lower-cased, Message-IDs bracketed, times in UTC).
What the ORM hooks of :class:`~store.models.Case` do on insert (search text,
``waiting_since``) is done here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from store.driver import DriverInsert, DriverStatement
from store.models import (
    OPEN_STATUSES,
    Attachment,
    AuditEvent,
    Case,
    Message,
    Receipt,
    ReceiptStatus,
    Reply,
    SpreadsheetRow,
)
from store.types import utcnow


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


# Statements are compiled once and run on the DBAPI cursor (store.driver): through
# SQLAlchemy's execution machinery each would cost several times the SQL itself.
_RETURNING_ID: dict[type, DriverInsert] = {
    model: DriverInsert(_table(model), returning_id=True) for model in (Case, Message, Reply)
}
_PLAIN: dict[type, DriverInsert] = {
    model: DriverInsert(_table(model)) for model in (AuditEvent, Attachment, SpreadsheetRow)
}


def _insert_one(session: Session, model: type, values: dict[str, Any]) -> int:
    new_id = _RETURNING_ID[model].one(session, values)
    assert new_id is not None
    return new_id


def insert_case(session: Session, values: dict[str, Any]) -> int:
    """A new case row (``ref``, ``role``, ``mailbox``, ``kind``, ``status`` …); its id."""
    row = dict(values)
    now = row.setdefault("created_at", utcnow())
    row.setdefault("updated_at", now)
    row.setdefault("fields", {})
    row.setdefault("reasons", [])
    if row.get("waiting_since") is None and row["status"] in OPEN_STATUSES:
        row["waiting_since"] = now
    # The same folded text the ORM hook computes (Case.refresh_search_text).
    probe = SimpleNamespace(
        **{k: row.get(k) for k in ("ref", "nuc", "sender_email", "sender_name")}
    )
    if probe.sender_email:
        probe.sender_email = probe.sender_email.strip().lower()
    Case.refresh_search_text(probe)  # type: ignore[arg-type]
    row["search_text"] = probe.search_text
    return _insert_one(session, Case, row)


def insert_message(session: Session, values: dict[str, Any]) -> int:
    row = dict(values)
    row.setdefault("created_at", utcnow())
    row.setdefault("recipients", [])
    return _insert_one(session, Message, row)


def insert_reply(session: Session, values: dict[str, Any]) -> int:
    row = dict(values)
    row.setdefault("created_at", utcnow())
    row.setdefault("attempts", 0)
    row.setdefault("created_by", "bot")
    return _insert_one(session, Reply, row)


def insert_audit(session: Session | Connection, values: dict[str, Any]) -> None:
    row = dict(values)
    row.setdefault("at", utcnow())
    row.setdefault("actor", "bot")
    row.setdefault("detail", {})
    _PLAIN[AuditEvent].one(session, row)


def insert_many(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """Attachments or spreadsheet rows, in one ``executemany``."""
    if not rows:
        return
    if model not in (Attachment, SpreadsheetRow):
        raise ValueError(f"insert_many is for attachments and spreadsheet rows, not {model}")
    _PLAIN[model].many(session, rows)


_RECEIPTS = {
    by_key: DriverInsert(
        _table(Receipt),
        returning_id=True,
        conflict=["mailbox", "source_key"] if by_key else ["mailbox", "uidvalidity", "uid"],
    )
    for by_key in (False, True)
}
_LINK = DriverStatement(
    update(_table(Receipt))
    .where(_table(Receipt).c.id == bindparam("receipt_id"))
    .values(message_pk=bindparam("message_pk"), case_id=bindparam("case_pk"))
)


def insert_receipt(
    session: Session,
    *,
    mailbox: str,
    sha256: str,
    uidvalidity: int | None,
    uid: int | None,
    source_key: str | None,
    message_id: str | None,
    action: str | None,
) -> int | None:
    """``store.receipts.record_receipt`` for a processed mail, returning only the id.

    None when the mail was already received (the unique key made it a no-op).
    """
    if (source_key is None) == (uidvalidity is None or uid is None):
        raise ValueError("a receipt has either uidvalidity and uid, or a source_key")
    stmt = _RECEIPTS[source_key is not None]
    row = {
        "mailbox": mailbox,
        "uidvalidity": uidvalidity,
        "uid": uid,
        "source_key": source_key,
        "message_id": message_id,
        "sha256": sha256,
        "action": action,
        "status": ReceiptStatus.PROCESSED.value,
        "error": None,
        "attempts": 1,
        "received_at": utcnow(),
    }
    return stmt.one(session, row)


def link_receipt(
    session: Session, receipt_id: int, message_pk: int | None, case_id: int | None
) -> None:
    """Name the message and case a receipt led to."""
    _LINK.execute(session, {"receipt_id": receipt_id, "message_pk": message_pk, "case_pk": case_id})
