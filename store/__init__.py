"""The store: tables, sessions, migrations, locks, the outbox and the queries.

SQLite by default (one instance per file), PostgreSQL by URL (several instances).
Takes plain values only: nothing here imports ``intake`` or ``responders``. Raw
mails and attachments live in the content-addressed :class:`FileStore`; the
database keeps their SHA-256.
"""

from store.db import (
    current_revision,
    head_revision,
    is_up_to_date,
    make_engine,
    session_scope,
    upgrade,
    write_transaction,
)
from store.fast import insert_row, insert_rows, update_row
from store.files import FileStore, FileStoreError
from store.lock import InstanceLock, instance_lock
from store.models import (
    OPEN_STATUSES,
    Attachment,
    AuditEvent,
    Case,
    CaseStatus,
    Direction,
    MailboxState,
    Message,
    Receipt,
    ReceiptStatus,
    RefCounter,
    Reply,
    ReplyState,
    SpreadsheetRow,
    User,
    UserRole,
    metadata,
)
from store.outbox import (
    claim_replies,
    mark_bounced,
    mark_failed,
    mark_sent,
    owner_alive,
    owner_lock,
    recover_sending,
)
from store.receipts import mailbox_state, mark_action_done, record_receipt
from store.refs import allocate_ref
from store.types import normalize_message_id, split_message_ids, utcnow

__all__ = [
    "OPEN_STATUSES",
    "Attachment",
    "AuditEvent",
    "Case",
    "CaseStatus",
    "Direction",
    "FileStore",
    "FileStoreError",
    "InstanceLock",
    "MailboxState",
    "Message",
    "Receipt",
    "ReceiptStatus",
    "RefCounter",
    "Reply",
    "ReplyState",
    "SpreadsheetRow",
    "User",
    "UserRole",
    "allocate_ref",
    "claim_replies",
    "current_revision",
    "head_revision",
    "insert_row",
    "insert_rows",
    "instance_lock",
    "is_up_to_date",
    "mailbox_state",
    "make_engine",
    "mark_action_done",
    "mark_bounced",
    "mark_failed",
    "mark_sent",
    "metadata",
    "normalize_message_id",
    "owner_alive",
    "owner_lock",
    "record_receipt",
    "recover_sending",
    "session_scope",
    "split_message_ids",
    "update_row",
    "upgrade",
    "utcnow",
    "write_transaction",
]
