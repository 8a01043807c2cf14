"""File each fetched mail exactly once: receipt, raw bytes, case, reply, audit, all or nothing.

DESIGN §3. Parsing, classification and spreadsheet judgement run first, outside the
database transaction (they can take seconds on a PDF; no lock is held meanwhile),
and the raw bytes and attachments go to the content-addressed file store before
the transaction that names them commits. Then, in one transaction (shared by a
group of up to ``GROUP`` mails, see :meth:`Pipeline._commit_group`): the receipt row
(unique per ``(mailbox, uidvalidity, uid)`` or ``(mailbox, maildir key)``: a mail
received twice is a no-op), duplicates by Message-ID / SHA-256, threading, the case
or its update, the message, its attachments and judged spreadsheet rows, the reply
in state ``pending`` with its rendered bytes (after the per-sender limit is counted
in the store), and the audit event. The mailbox action comes after the commit, in
the poller.

A mail whose processing raises is *shunted*: committed as an ``error`` case holding
its raw bytes and the traceback, retried later from the file store a bounded number
of times (:meth:`Pipeline.retry`), and the batch goes on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake import cases, preparing, rows
from intake.classification import Kind
from intake.config import Config, MailboxConfig
from intake.outcomes import Item, Outcome, Slip, Started
from intake.preparing import Prepared, PrepareFailed, Preparer
from intake.replying import NewCase, limit_block, plan_reply, queue_reply, reply_address
from intake.shunt import shunt
from intake.testhooks import crash_point
from store import (
    Attachment,
    Case,
    CaseStatus,
    FileStore,
    Message,
    Receipt,
    ReceiptStatus,
    SpreadsheetRow,
    allocate_ref,
    session_scope,
    utcnow,
)
from store.pipeline_queries import find_duplicate
from store.pipeline_writes import (
    insert_audit,
    insert_case,
    insert_many,
    insert_message,
    insert_receipt,
    link_receipt,
)

# Mails filed in one transaction (see Pipeline._commit_group): enough to spread a
# transaction's fixed cost, few enough that other writers (the outbox, staff in
# the web interface) wait at most a few tens of milliseconds for SQLite's lock.
GROUP = 16


class Pipeline:
    """Files mails for one configuration, engine and file store."""

    def __init__(
        self, config: Config, engine: Engine, files: FileStore, preparer: Preparer | None = None
    ) -> None:
        self.config = config
        self.engine = engine
        self.files = files
        # Where mails are parsed and classified: here, or in worker processes.
        self.preparer: Preparer = preparer or preparing.InlinePreparer(config, files)

    # -- preparation (no transaction) ------------------------------------------------

    def prepare(self, raw: bytes, role: str) -> Prepared:
        """Parse, classify and judge one mail in this process; its bytes are stored."""
        return preparing.prepare_mail(raw, role, self.config, self.files)

    # -- one mail --------------------------------------------------------------------

    def process(
        self,
        mailbox: MailboxConfig,
        raw: bytes,
        *,
        uidvalidity: int | None = None,
        uid: int | None = None,
        source_key: str | None = None,
    ) -> Outcome:
        """File one fetched mail; never raises for a bad mail (it is shunted)."""
        return self.process_batch(mailbox, [(raw, uidvalidity, uid, source_key)])[0]

    def process_batch(self, mailbox: MailboxConfig, items: list[Item]) -> list[Outcome]:
        """File a batch of ``(raw, uidvalidity, uid, source_key)``.

        Mails are prepared a chunk at a time: in worker processes when there are
        some (which make each chunk's files durable before returning it, while this
        process commits the chunk before), else here in one chunk whose files are
        made durable at once (one flush instead of one per mail). Either way the
        files are durable before any transaction naming them commits.

        A chunk is committed as a group (:meth:`_commit_group`); a mail that
        raises sends its group back to one transaction per mail, where it alone
        is shunted.
        """
        return self.commit_batch(mailbox, self.start_batch(mailbox, items))

    def start_batch(self, mailbox: MailboxConfig, items: list[Item]) -> Started:
        """Hand a batch to the preparer now; :meth:`commit_batch` files it later.

        The poller starts the next batch before it commits the current one, so
        that the workers parse and classify it meanwhile.
        """
        chunks = self.preparer.chunks([raw for raw, *_ in items], mailbox.role)
        return Started(items, chunks)

    def commit_batch(self, mailbox: MailboxConfig, started: Started) -> list[Outcome]:
        """File a started batch, in order; one outcome per mail."""
        items = started.items
        outcomes: list[Outcome] = []
        for chunk in started.chunks:
            self.files.sync_pending()
            start = len(outcomes)
            for offset in range(0, len(chunk), GROUP):
                group = chunk[offset : offset + GROUP]
                first = start + offset
                outcomes.extend(
                    self._commit_group(mailbox, group, items[first : first + len(group)])
                )
        return outcomes

    def _commit_group(
        self, mailbox: MailboxConfig, group: list[Prepared | PrepareFailed], items: list[Item]
    ) -> list[Outcome]:
        """File the prepared mails of a group in ONE transaction, else one each.

        Each mail keeps its all-or-nothing filing (DESIGN §3.2): its rows commit
        together, with the group's. The group saves a transaction's begin and
        commit per mail, the bot's largest cost after the statements themselves.
        A mail that raises rolls the whole group back before anything is
        committed; the group is then filed again one transaction per mail, so
        the mail that raises is shunted alone and the others are filed as usual.
        A mail that failed in preparation is shunted after the group.
        """
        outcomes: list[Outcome | None] = [None] * len(group)
        ready = [i for i, prep in enumerate(group) if isinstance(prep, Prepared)]
        if len(ready) > 1:
            try:
                with session_scope(self.engine) as session:
                    for i in ready:
                        prep = group[i]
                        assert isinstance(prep, Prepared)
                        outcomes[i] = self._file_one(session, mailbox, prep, items[i])
                        crash_point("case_stored")
                for _ in ready:
                    crash_point("committed")
            except Exception:  # noqa: BLE001 - redone below, one transaction per mail
                outcomes = [None] * len(group)
        for i, prep in enumerate(group):
            if outcomes[i] is not None:
                continue
            raw, uidvalidity, uid, source_key = items[i]
            try:
                if isinstance(prep, PrepareFailed):
                    raise prep
                outcomes[i] = self._commit(mailbox, prep, items[i])
            except Exception as exc:  # noqa: BLE001 - the per-message boundary (the shunt)
                outcomes[i] = shunt(self, mailbox, raw, exc, uidvalidity, uid, source_key)
        return [outcome for outcome in outcomes if outcome is not None]

    def _commit(self, mailbox: MailboxConfig, prepared: Prepared, item: Item) -> Outcome:
        """One mail in a transaction of its own."""
        with session_scope(self.engine) as session:
            outcome = self._file_one(session, mailbox, prepared, item)
            crash_point("case_stored")
        crash_point("committed")
        return outcome

    def _file_one(
        self, session: Session, mailbox: MailboxConfig, prepared: Prepared, item: Item
    ) -> Outcome:
        """The receipt, then the mail's filing, in the caller's transaction."""
        _, uidvalidity, uid, source_key = item
        receipt_id = insert_receipt(
            session,
            mailbox=mailbox.key,
            sha256=prepared.sha,
            uidvalidity=uidvalidity,
            uid=uid,
            source_key=source_key,
            message_id=prepared.mail.message_id or None,
            action=mailbox.after,
        )
        if receipt_id is None:
            return Outcome("known")
        slip = Slip(receipt_id)
        outcome = self._file(session, prepared, slip, mailbox)
        link_receipt(session, receipt_id, slip.message_pk, slip.case_id)
        return outcome

    def retry(self, mailbox: MailboxConfig, receipt_id: int) -> Outcome:
        """Process an error receipt again from the file store."""
        with session_scope(self.engine, write=False) as session:
            receipt = session.get(Receipt, receipt_id)
            if receipt is None or receipt.status != ReceiptStatus.ERROR:
                return Outcome("known")
            sha = receipt.sha256
        raw = self.files.get(sha)
        try:
            prepared = self.preparer.one(raw, mailbox.role)
            if isinstance(prepared, PrepareFailed):
                raise prepared
            self.files.sync_pending()
            with session_scope(self.engine) as session:
                receipt = session.get(Receipt, receipt_id, with_for_update=True)
                if receipt is None or receipt.status != ReceiptStatus.ERROR:
                    return Outcome("known")
                receipt.attempts += 1
                slip = Slip(receipt_id, receipt.message_pk, receipt.case_id)
                outcome = self._file(session, prepared, slip, mailbox)
                receipt.message_pk, receipt.case_id = slip.message_pk, slip.case_id
                receipt.status, receipt.error = ReceiptStatus.PROCESSED, None
            return outcome
        except Exception as exc:  # noqa: BLE001 - the per-message boundary
            return shunt(self, mailbox, raw, exc, None, None, None, receipt_id=receipt_id)

    def _file(
        self, session: Session, prep: Prepared, receipt: Slip, mailbox: MailboxConfig
    ) -> Outcome:
        mail, result, now = prep.mail, prep.result, utcnow()
        # A retried error mail already has its message row and error case.
        message = session.get(Message, receipt.message_pk) if receipt.message_pk else None
        error_case = session.get(Case, receipt.case_id) if receipt.case_id else None
        if message is None:
            duplicate = find_duplicate(session, mailbox.key, mail.message_id or None, prep.sha)
            if duplicate is not None:
                receipt.message_pk, receipt.case_id = duplicate
                insert_audit(
                    session,
                    {
                        "case_id": duplicate[1],
                        "action": "message.duplicate",
                        "detail": {"receipt": receipt.id, "message_id": mail.message_id},
                    },
                )
                return Outcome("duplicate", receipt.id)

        bounced_case = (
            cases.bounce(session, mail, result, self.config) if result.kind is Kind.BOUNCE else None
        )
        case, how = (bounced_case, "bounce.original") if bounced_case else (None, None)
        if case is None:
            case, how = cases.find_case(session, mail, result, self.config)
        if case is None and error_case is None:
            return self._file_new(session, prep, receipt, mailbox, now)

        decision: cases.Decision | None = None
        status_before = case.status if case else None
        if case is None:
            assert error_case is not None
            case = error_case
            cases.refill(case, mail, result)
        else:
            decision = cases.follow(case, result, prep.sheets, now)
            if error_case is not None and error_case.id != case.id:
                cases.set_status(error_case, CaseStatus.RESOLVED, now)
                cases.set_fields(error_case, merged_into=case.ref)
        case.updated_at = now

        values = rows.message_values(
            mail, result, mailbox_key=mailbox.key, size=len(prep.raw), sha=prep.sha
        )
        if message is None:
            message = Message(**values, case_id=case.id)
            session.add(message)
        else:
            for key, value in values.items():
                setattr(message, key, value)
            message.case_id = case.id
        session.flush()
        assert message.id is not None and case.id is not None
        if receipt.message_pk is None:
            insert_many(session, Attachment, rows.attachment_rows(message.id, mail, result))
        insert_many(session, SpreadsheetRow, rows.sheet_rows(case.id, message.id, prep.sheets))

        plan = plan_reply(self.config, prep.result, prep.sheets, decision)
        template = None
        if plan is not None:
            blocked = limit_block(session, reply_address(mail), self.config)
            if blocked:
                cases.set_fields(case, reply_blocked=blocked)
            else:
                template = queue_reply(
                    session, self.config, plan, case, message.id, prep.mail, prep.result, mailbox
                )
        receipt.message_pk, receipt.case_id = message.id, case.id
        self._audit(session, case.id, receipt, prep, how, [status_before, case.status], template,
                    decision)  # fmt: skip
        status = "filed" if decision is None else "followed_up"
        return Outcome(status, receipt.id, case.ref, template)

    def _file_new(
        self,
        session: Session,
        prep: Prepared,
        receipt: Slip,
        mailbox: MailboxConfig,
        now: datetime,
    ) -> Outcome:
        """A new conversation: Core inserts only (the hot path of a busy inbox)."""
        mail, result = prep.mail, prep.result
        prefix = self.config.replies.ref_prefix.get(mailbox.role, mailbox.role[:2].upper())  # type: ignore[call-overload]
        view = NewCase(
            id=None,
            ref=allocate_ref(session, prefix, now.year),
            role=mailbox.role,
            nuc=result.nuc,
            sender_name=cases.name_of(mail, result),
        )
        fields = cases.classification_fields(mail, result)
        plan = plan_reply(self.config, prep.result, prep.sheets, None)
        blocked = limit_block(session, reply_address(mail), self.config) if plan else None
        if blocked:
            fields["reply_blocked"], plan = blocked, None
        status = cases.initial_status(result)
        view.id = insert_case(
            session,
            {
                "ref": view.ref,
                "role": mailbox.role,
                "mailbox": mailbox.address,
                "kind": result.kind.value,
                "status": status,
                "topic": result.topic.value if result.topic else None,
                "reason": result.reason.value if result.reason else None,
                "nuc": result.nuc,
                "sender_email": mail.sender or None,
                "sender_name": view.sender_name,
                "subject": mail.subject[:1000],
                "fields": fields,
                "reasons": [str(r) for r in result.reasons],
                "created_at": now,
            },
        )
        values = rows.message_values(
            mail, result, mailbox_key=mailbox.key, size=len(prep.raw), sha=prep.sha
        )
        message_pk = insert_message(session, {**values, "case_id": view.id, "created_at": now})
        insert_many(session, Attachment, rows.attachment_rows(message_pk, mail, result))
        insert_many(session, SpreadsheetRow, rows.sheet_rows(view.id, message_pk, prep.sheets))
        template = (
            queue_reply(
                session, self.config, plan, view, message_pk, prep.mail, prep.result, mailbox
            )
            if plan
            else None
        )
        receipt.message_pk, receipt.case_id = message_pk, view.id
        self._audit(session, view.id, receipt, prep, None, [None, status], template, None)
        return Outcome("filed", receipt.id, view.ref, template)

    def _audit(
        self,
        session: Session,
        case_id: int,
        receipt: Slip,
        prep: Prepared,
        how: str | None,
        status: list[str | None],
        template: str | None,
        decision: cases.Decision | None,
    ) -> None:
        detail = {
            "receipt": receipt.id,
            "message_id": prep.mail.message_id,
            "kind": prep.result.kind.value,
            "thread": how,
            "status": status,
            "reply": template,
            "why": decision.why if decision else None,
        }
        action = "message.filed" if decision is None else "message.follow_up"
        insert_audit(session, {"case_id": case_id, "action": action, "detail": detail})
