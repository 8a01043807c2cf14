"""The tables: mailbox state, receipts, messages, cases, replies (the outbox) and the rest.

Portable between SQLite and PostgreSQL: no database enums, no server-side defaults,
types from :mod:`store.types`. Status values are plain strings, listed once in the
``StrEnum`` classes below. JSON columns track in-place changes (``MutableDict`` /
``MutableList``), so ``case.fields["nuc"] = ...`` is saved on commit.

Naming: ``message_id`` is the ``Message-ID`` header (a string, ``<id>`` form) on
:class:`Message`, :class:`Receipt` and :class:`Reply`; on :class:`Attachment` and
:class:`SpreadsheetRow` it is the foreign key to ``messages.id``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from store.types import LowerString, MessageIdType, UtcDateTime, fold_text, utcnow

# Deterministic constraint names: later migrations (SQLite batch mode included) can
# name what they drop, and both databases get the same names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(SQLModel, registry=registry(metadata=metadata)):
    """Our own metadata, so that no other SQLModel table leaks into the migrations."""


# Default factories are plain functions: pydantic inspects a factory's signature on
# every construction, and for the builtins dict and list that costs an exception
# (about 0.1 ms per field, several per row).
def _new_dict() -> dict[str, Any]:
    return {}


def _new_list() -> list[Any]:
    return []


def _dict() -> Any:
    return MutableDict.as_mutable(JSON())


def _list() -> Any:
    return MutableList.as_mutable(JSON())


class CaseStatus(StrEnum):
    NEW = "new"
    AWAITING_SENDER = "awaiting_sender"
    TO_REVIEW = "to_review"
    RESOLVED = "resolved"
    REJECTED = "rejected"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.AWAITING_SENDER, CaseStatus.TO_REVIEW)


class ReplyState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED_TEMPORARY = "failed_temporary"
    FAILED_PERMANENT = "failed_permanent"
    UNCERTAIN = "uncertain"
    BOUNCED = "bounced"
    CANCELLED = "cancelled"


class ReceiptStatus(StrEnum):
    PROCESSED = "processed"
    ERROR = "error"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class UserRole(StrEnum):
    LECTURE = "lecture"
    AGENT = "agent"
    ADMIN = "admin"


class MailboxState(Base, table=True):
    """Where the poller of one mailbox stands (keyed by ``MailboxConfig.key``)."""

    __tablename__ = "mailbox_states"

    mailbox: str = Field(primary_key=True, sa_type=String)
    uidvalidity: int | None = Field(default=None, sa_type=BigInteger)
    # Highest UID already received under ``uidvalidity``; the next poll asks for more.
    last_uid: int = Field(default=0, sa_type=BigInteger)
    last_poll_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = 0


class Receipt(Base, table=True):
    """One row per mail fetched from a source: the exactly-once key (DESIGN §3).

    IMAP mails are keyed by ``(mailbox, uidvalidity, uid)``; sources without UIDs
    (a Maildir) leave those NULL and use ``(mailbox, source_key)`` instead. NULLs
    never collide in a unique constraint, so each kind of source has its own key.
    """

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        UniqueConstraint("mailbox", "source_key"),
        Index("ix_receipts_action_pending", "mailbox", "action_done_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(sa_type=String)
    uidvalidity: int | None = Field(default=None, sa_type=BigInteger)
    uid: int | None = Field(default=None, sa_type=BigInteger)
    source_key: str | None = Field(default=None, sa_type=String)
    message_id: str | None = Field(default=None, sa_type=MessageIdType, index=True)
    sha256: str = Field(sa_type=String(64), index=True)
    # The stored message and its case, once processing got that far.
    message_pk: int | None = Field(default=None, foreign_key="messages.id")
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    # The after-processing action ("move:Traités", "flag", "seen"), and when it was
    # applied: NULL means it must be (re)done on the next poll.
    action: str | None = Field(default=None, sa_type=String)
    action_done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    attempts: int = 1
    status: str = Field(default=ReceiptStatus.PROCESSED, sa_type=String(16), index=True)
    error: str | None = Field(default=None, sa_type=Text)


class Case(Base, table=True):
    """A conversation with one sender about one matter, and where staff stand on it."""

    __tablename__ = "cases"
    __table_args__ = (
        # The queue: waiting longest first within a status, or within inbox/kind.
        Index("ix_cases_status_waiting", "status", "waiting_since", "id"),
        Index("ix_cases_role_kind_status", "role", "kind", "status", "waiting_since"),
        Index("ix_cases_assigned_status", "assigned_to", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(sa_type=String(32), unique=True)
    role: str = Field(sa_type=String(32))
    # The inbox's address (From of our replies).
    mailbox: str = Field(sa_type=LowerString)
    kind: str = Field(sa_type=String(32))
    status: str = Field(default=CaseStatus.NEW, sa_type=String(16))
    topic: str | None = Field(default=None, sa_type=String(32))
    reason: str | None = Field(default=None, sa_type=String(32))
    nuc: str | None = Field(default=None, sa_type=String(32), index=True)
    sender_email: str | None = Field(default=None, sa_type=LowerString, index=True)
    sender_name: str | None = Field(default=None, sa_type=String)
    subject: str | None = Field(default=None, sa_type=Text)
    # Extracted fields, the missing list, justification, spreadsheet summary...
    fields: dict[str, Any] = Field(default_factory=_new_dict, sa_type=_dict())
    # The classification's reasons as strings ("rule: evidence").
    reasons: list[Any] = Field(default_factory=_new_list, sa_type=_list())
    error: str | None = Field(default=None, sa_type=Text)
    assigned_to: str | None = Field(default=None, sa_type=String)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # Since when the case waits for someone (staff or sender); NULL once closed. An
    # open case stored without it waits since its creation (the insert hook below).
    waiting_since: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Folded ref, NUC, e-mail and name for the queue's search box; kept up to date by
    # the ORM hooks below (plain Core UPDATEs bypass them).
    search_text: str = Field(default="", sa_type=Text)

    def refresh_search_text(self) -> None:
        self.search_text = case_search_text(self.ref, self.nuc, self.sender_email, self.sender_name)


def case_search_text(
    ref: str | None, nuc: str | None, sender_email: str | None, sender_name: str | None
) -> str:
    """What the queue's search box compares with: folded ref, NUC (and its digits), e-mail, name."""
    parts = [ref, nuc, sender_email, sender_name]
    if nuc:
        parts.append(re.sub(r"\D", "", nuc))
    return " | ".join(fold_text(p) for p in parts if p)


@event.listens_for(Case, "before_insert")
def _case_insert(_mapper: Any, _conn: Any, case: Case) -> None:
    if case.waiting_since is None and case.status in OPEN_STATUSES:
        case.waiting_since = case.created_at
    case.refresh_search_text()


@event.listens_for(Case, "before_update")
def _case_update(_mapper: Any, _conn: Any, case: Case) -> None:
    case.refresh_search_text()


class Message(Base, table=True):
    """One mail of a case, received (``in``) or sent (``out``); raw bytes in the file store."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_created_kind", "created_at", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    direction: str = Field(default=Direction.IN, sa_type=String(8))
    # The source's mailbox key for received mails.
    mailbox: str | None = Field(default=None, sa_type=String)
    message_id: str | None = Field(default=None, sa_type=MessageIdType, index=True)
    in_reply_to: str | None = Field(default=None, sa_type=MessageIdType)
    # The References header's identifiers, space-separated, in header order.
    references: str | None = Field(default=None, sa_type=Text)
    subject: str | None = Field(default=None, sa_type=Text)
    sender: str | None = Field(default=None, sa_type=LowerString, index=True)
    sender_name: str | None = Field(default=None, sa_type=String)
    recipients: list[Any] = Field(default_factory=_new_list, sa_type=_list())
    date: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sha256: str = Field(sa_type=String(64), index=True)
    size: int = 0
    kind: str | None = Field(default=None, sa_type=String(32))
    classification: dict[str, Any] | None = Field(default=None, sa_type=_dict())
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Attachment(Base, table=True):
    """A file carried by a stored message; its bytes are in the file store."""

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", index=True)
    filename: str | None = Field(default=None, sa_type=Text)
    declared_type: str | None = Field(default=None, sa_type=String)
    sniffed_type: str | None = Field(default=None, sa_type=String)
    size: int = 0
    sha256: str = Field(sa_type=String(64))
    inline: bool = False
    doc_type: str | None = Field(default=None, sa_type=String(32))
    # True when staff must look at it (an image presented as the certificate).
    needs_check: bool = False


class Reply(Base, table=True):
    """The outbox: a reply is committed here before it is sent (DESIGN §4)."""

    __tablename__ = "replies"
    __table_args__ = (
        Index("ix_replies_state_next", "state", "next_attempt_at"),
        Index("ix_replies_to_created", "to_addr", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    # Our own Message-ID, chosen when the row is created.
    message_id: str = Field(sa_type=MessageIdType, unique=True)
    # The received message this reply answers, when there is one.
    in_reply_to_id: int | None = Field(default=None, foreign_key="messages.id")
    template: str = Field(sa_type=String(64))
    from_addr: str = Field(sa_type=LowerString)
    to_addr: str = Field(sa_type=LowerString)
    subject: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    # The complete RFC 5322 text as it is to be sent, so a retry sends the same bytes.
    raw: str | None = Field(default=None, sa_type=Text)
    state: str = Field(default=ReplyState.PENDING, sa_type=String(20))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    # The instance that moved the row to "sending", and when: a row left in
    # "sending" by an instance that is gone is one whose send may or may not have
    # happened (see store.outbox.recover_sending).
    claimed_by: str | None = Field(default=None, sa_type=String)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # "bot" or the staff user's name.
    created_by: str = Field(default="bot", sa_type=String)


class SpreadsheetRow(Base, table=True):
    """One judged candidate row of a returned collection spreadsheet (SPEC §2.3)."""

    __tablename__ = "spreadsheet_rows"
    __table_args__ = (Index("ix_spreadsheet_rows_month_bucket", "exam_month", "bucket"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    message_id: int = Field(foreign_key="messages.id")
    sheet: str | None = Field(default=None, sa_type=String)
    row_number: int = 0
    bucket: str = Field(sa_type=String(16))
    reason: str | None = Field(default=None, sa_type=Text)
    organisation: str | None = Field(default=None, sa_type=String)
    branch: str | None = Field(default=None, sa_type=String)
    last_name: str | None = Field(default=None, sa_type=String)
    first_name: str | None = Field(default=None, sa_type=String)
    nir: str | None = Field(default=None, sa_type=String(32))
    birth_date: date | None = None
    email: str | None = Field(default=None, sa_type=String)
    cqp: str | None = Field(default=None, sa_type=String(32))
    blocks: str | None = Field(default=None, sa_type=String)
    certifiable_from: date | None = None
    # "YYYY-MM"; NULL when the row has no exam month (invalid rows).
    exam_month: str | None = Field(default=None, sa_type=String(7))
    repeat_candidate: bool = False


class AuditEvent(Base, table=True):
    """Who did what, when: the bot and every staff action."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    actor: str = Field(default="bot", sa_type=String)
    action: str = Field(sa_type=String(64))
    detail: dict[str, Any] = Field(default_factory=_new_dict, sa_type=_dict())


class User(Base, table=True):
    """A staff account of the web interface."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(64), unique=True)
    role: str = Field(default=UserRole.LECTURE, sa_type=String(16))
    password_hash: str = Field(sa_type=String)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class RefCounter(Base, table=True):
    """The last number handed out per case-reference prefix and year."""

    __tablename__ = "ref_counters"

    prefix: str = Field(primary_key=True, sa_type=String(16))
    year: int = Field(primary_key=True)
    last_number: int = Field(default=0, sa_type=BigInteger)
