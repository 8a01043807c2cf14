"""The store: tables, sessions, migrations, locks, the outbox and the queries.

SQLite by default (one instance per file), PostgreSQL by URL (several instances).
Takes plain values only: nothing here imports ``intake`` or ``responders``. Raw
mails and attachments live in the content-addressed :class:`FileStore`; the
database keeps their SHA-256.

The names below are loaded on first use (PEP 562): a worker process that only
writes files (:class:`FileStore`) then starts without SQLAlchemy, SQLModel and
Alembic, about half a second of imports saved in each fresh process.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Exported name -> the module that defines it.
_EXPORTS = {
    "current_revision": "store.db",
    "head_revision": "store.db",
    "is_up_to_date": "store.db",
    "make_engine": "store.db",
    "session_scope": "store.db",
    "upgrade": "store.db",
    "write_transaction": "store.db",
    "insert_row": "store.fast",
    "insert_rows": "store.fast",
    "update_row": "store.fast",
    "FileStore": "store.files",
    "FileStoreError": "store.files",
    "InstanceLock": "store.lock",
    "instance_lock": "store.lock",
    "Attachment": "store.models",
    "AuditEvent": "store.models",
    "Case": "store.models",
    "CaseStatus": "store.models",
    "Direction": "store.models",
    "MailboxState": "store.models",
    "Message": "store.models",
    "OPEN_STATUSES": "store.models",
    "Receipt": "store.models",
    "ReceiptStatus": "store.models",
    "RefCounter": "store.models",
    "Reply": "store.models",
    "ReplyState": "store.models",
    "SpreadsheetRow": "store.models",
    "User": "store.models",
    "UserRole": "store.models",
    "metadata": "store.models",
    "claim_replies": "store.outbox",
    "mark_bounced": "store.outbox",
    "mark_failed": "store.outbox",
    "mark_sent": "store.outbox",
    "owner_alive": "store.outbox",
    "owner_lock": "store.outbox",
    "recover_sending": "store.outbox",
    "mailbox_state": "store.receipts",
    "mark_action_done": "store.receipts",
    "record_receipt": "store.receipts",
    "allocate_ref": "store.refs",
    "normalize_message_id": "store.types",
    "split_message_ids": "store.types",
    "utcnow": "store.types",
}

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


if not TYPE_CHECKING:
    # Behind this test so that type checkers see only the imports above.

    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'store' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        # Cached: the next lookup is a plain module attribute.
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*globals(), *_EXPORTS])
