"""The shunt: a mail whose processing raised is kept as an ``error`` case (DESIGN §3.4).

Its raw bytes go to the file store and its receipt is committed with the traceback,
so the mailbox action can move it out of the way: it never blocks the mails behind
it. :meth:`intake.pipeline.Pipeline.retry` tries it again from the file store, a
bounded number of times; staff see it in the queue meanwhile.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from intake import cases, rows
from intake.config import MailboxConfig
from intake.outcomes import Outcome
from store import Case, Message, Receipt, ReceiptStatus, record_receipt, session_scope, utcnow
from store.pipeline_writes import insert_audit

if TYPE_CHECKING:
    from intake.pipeline import Pipeline


def shunt(
    pipeline: Pipeline,
    mailbox: MailboxConfig,
    raw: bytes,
    exc: Exception,
    uidvalidity: int | None,
    uid: int | None,
    source_key: str | None,
    *,
    receipt_id: int | None = None,
) -> Outcome:
    """Commit the mail as an error case with its bytes and traceback."""
    # A mail that failed in a worker process brings the worker's traceback.
    remote = getattr(exc, "trace", None)
    trace = remote if isinstance(remote, str) else "".join(traceback.format_exception(exc))
    trace = trace[-20_000:]
    sha = pipeline.files.put(raw)
    pipeline.files.sync_pending()
    now = utcnow()
    with session_scope(pipeline.engine) as session:
        if receipt_id is not None:
            receipt = session.get(Receipt, receipt_id)
        else:
            receipt = record_receipt(
                session, mailbox=mailbox.key, sha256=sha, uidvalidity=uidvalidity,
                uid=uid, source_key=source_key, action=mailbox.after,
                status=ReceiptStatus.ERROR, error=trace,
            )  # fmt: skip
        if receipt is None:
            return Outcome("known")
        if receipt_id is not None:
            receipt.attempts += 1
        receipt.status, receipt.error = ReceiptStatus.ERROR, trace
        case = session.get(Case, receipt.case_id) if receipt.case_id else None
        if case is None:
            case = cases.new_case(
                session, None, None, role=mailbox.role, address=mailbox.address,
                config=pipeline.config, now=now,
            )  # fmt: skip
            case.subject = rows.header_guess(raw, b"subject")
            case.sender_email = rows.sender_guess(raw)
            message = Message(
                case_id=case.id, mailbox=mailbox.key, sha256=sha, size=len(raw),
                subject=case.subject, kind=cases.ERROR_KIND,
            )  # fmt: skip
            session.add(message)
            session.flush()
            receipt.case_id, receipt.message_pk = case.id, message.id
        case.error = trace
        cases.set_fields(case, attempts=receipt.attempts)
        error = f"{type(exc).__name__}: {exc}"
        insert_audit(
            session,
            {
                "case_id": case.id,
                "action": "message.error",
                "detail": {"receipt": receipt.id, "error": error[:500]},
            },
        )
        return Outcome("error", receipt.id, case.ref, error=error)
