"""The outbox runner: send pending replies once, through SMTP or into the outbox folder.

DESIGN §4. Each reply is claimed (``pending``/due ``failed_temporary`` → ``sending``)
and the claim committed BEFORE the send, one reply at a time per SMTP connection
(``[smtp] connections``, :func:`run_outbox_parallel`), so that a crash during a send
leaves exactly the replies in flight in ``sending``, one per connection at most; at
the next start each becomes ``uncertain`` and is never resent blind
(:func:`recover`). After the send the row becomes ``sent``; a temporary failure is
retried later with a doubling delay, a permanent one marks the reply and sends its
case to staff, and a connection lost after the data went out is ``uncertain``. The
loop guards run again on the claimed row just before sending: an address that
bounced since cancels the reply.

Without an ``[smtp]`` section the replies are written as ``.eml`` files to
``[outbox] dir`` (the demo's default).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection, Engine

from intake.cases import set_fields
from intake.config import Config
from intake.replying import presend_block
from intake.testhooks import crash_point
from responders.files import FileOutbox
from responders.sending import (
    ConnectionSetupFailure,
    PermanentFailure,
    TemporaryFailure,
    UncertainDelivery,
)
from responders.smtp import SmtpSender
from store import (
    AuditEvent,
    Case,
    CaseStatus,
    mark_failed,
    recover_sending,
    session_scope,
    utcnow,
    write_transaction,
)
from store.pipeline_queries import (
    bounced_since,
    cancel_claimed,
    claim_one,
    mark_sent_fast,
    mark_uncertain,
)
from store.pipeline_writes import insert_audit
from store.types import as_utc

# A bounce for an earlier reply to the same address within this window cancels a send.
BOUNCE_WINDOW = timedelta(days=7)


@dataclass
class OutboxSummary:
    sent: int = 0
    failed_temporary: int = 0
    failed_permanent: int = 0
    uncertain: int = 0
    cancelled: int = 0
    recovered_uncertain: int = 0
    # Why the run stopped early (the SMTP server cannot be reached...).
    stopped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}

    @classmethod
    def total(cls, parts: list[OutboxSummary]) -> OutboxSummary:
        """The sum of several runs (the first reason to stop is kept)."""
        whole = cls()
        for part in parts:
            for name in ("sent", "failed_temporary", "failed_permanent", "uncertain", "cancelled"):
                setattr(whole, name, getattr(whole, name) + getattr(part, name))
            whole.stopped = whole.stopped or part.stopped
        return whole


def make_sender(config: Config) -> Any:
    """An ``SmtpSender`` for ``[smtp]``, else a ``FileOutbox`` on ``[outbox] dir``."""
    smtp = config.smtp
    if smtp is None:
        return FileOutbox(config.resolve(config.outbox.dir))
    local = config.mailbox[0].address.rsplit("@", 1)[1] if config.mailbox else socket.gethostname()
    return SmtpSender(
        smtp.host,
        smtp.port,
        smtp.security,
        username=smtp.username,
        password=smtp.password(),
        timeout=smtp.timeout,
        local_hostname=local,
    )


def recover(engine: Engine, *, me: str, alive: Callable[[str], bool] | None) -> int:
    """Rows left in ``sending`` by a dead process become ``uncertain``; their count."""
    with session_scope(engine) as session:
        rows = recover_sending(session, me=me, alive=alive)
        for reply in rows:
            session.add(
                AuditEvent(
                    case_id=reply.case_id,
                    action="reply.uncertain",
                    detail={"reply": reply.id, "why": "found in sending at start-up"},
                )
            )
        return len(rows)


def run_outbox(
    config: Config,
    engine: Engine,
    *,
    owner: str,
    sender: Any = None,
    limit: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_sent: Callable[[], None] | None = None,
) -> OutboxSummary:
    """Send every due reply (at most ``limit``); one claim, send and mark per reply.

    ``on_sent`` is called after each reply the server accepted.
    """
    summary = OutboxSummary()
    own_sender = sender is None
    handled = 0
    # One connection for the whole run, one short transaction per reply on it.
    connection = engine.connect()
    # A reply sent but not yet marked: marked in the transaction that claims the next
    # one (one transaction per reply instead of two), or at the end.
    unmarked: int | None = None
    try:
        while limit is None or handled < limit:
            handled += 1
            if should_stop():
                summary.stopped = "stop requested"
                break
            claimed = _claim(config, connection, owner, summary, unmarked)
            unmarked = None
            if claimed is None:
                break
            if isinstance(claimed, bool):
                continue
            reply_id, data, from_addr, to_addr, message_id = claimed
            crash_point("claimed")
            if sender is None:
                sender = make_sender(config)
            try:
                sender.send_bytes(data, from_addr, [to_addr], message_id)
            except ConnectionSetupFailure as exc:
                _failed(engine, reply_id, exc, permanent=False, summary=summary)
                # Every reply would fail alike: stop this run, retry later.
                summary.stopped = str(exc)
                break
            except TemporaryFailure as exc:
                _failed(engine, reply_id, exc, permanent=False, summary=summary)
            except PermanentFailure as exc:
                _failed(engine, reply_id, exc, permanent=True, summary=summary)
            except UncertainDelivery as exc:
                with session_scope(engine) as session:
                    mark_uncertain(session, reply_id, str(exc))
                    _audit(session, reply_id, "reply.uncertain", str(exc))
                summary.uncertain += 1
            else:
                crash_point("sent")
                unmarked = reply_id
                summary.sent += 1
                if on_sent is not None:
                    on_sent()
    finally:
        try:
            if unmarked is not None:
                with write_transaction(connection):
                    mark_sent_fast(connection, unmarked)
        finally:
            connection.close()
            if own_sender and sender is not None:
                sender.close()
    return summary


def run_outbox_parallel(
    config: Config,
    engine: Engine,
    *,
    owner: str,
    should_stop: Callable[[], bool] = lambda: False,
) -> OutboxSummary:
    """Send every due reply over ``[smtp] connections`` connections at once.

    Each thread is a :func:`run_outbox` of its own, with its own connection, that
    claims one reply at a time exactly as a single one does: a crash leaves at most
    one reply per connection in ``sending`` (each then ``uncertain``). The outbox
    spends most of its time waiting for the server's answers, which several
    connections overlap. The others open only once the first connection has had a
    reply accepted and more are due: a server that is down costs one attempt, and a
    single due reply one connection. The file outbox (no ``[smtp]``) writes from
    one thread.
    """
    count = config.smtp.connections if config.smtp is not None else 1
    if count <= 1:
        return run_outbox(config, engine, owner=owner, should_stop=should_stop)
    results: list[OutboxSummary] = []
    errors: list[BaseException] = []
    accepted = threading.Event()

    def one() -> None:
        try:
            summary = run_outbox(
                config, engine, owner=owner, should_stop=should_stop, on_sent=accepted.set
            )
            results.append(summary)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, name="outbox-0", daemon=True)]
    threads[0].start()
    # The first accepted reply, or the first thread done (nothing due, server down).
    while not accepted.wait(0.05) and threads[0].is_alive():
        pass
    if threads[0].is_alive():
        for n in range(1, count):
            thread = threading.Thread(target=one, name=f"outbox-{n}", daemon=True)
            thread.start()
            threads.append(thread)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return OutboxSummary.total(results)


def _claim(
    config: Config, connection: Connection, owner: str, summary: OutboxSummary, sent: int | None
) -> tuple[int, bytes, str, str, str] | bool | None:
    """Mark ``sent`` as sent, then claim one due reply, in one transaction.

    None when none is due, False when a guard cancelled the claimed one. A Core
    connection, not a session: this runs once per reply sent.
    """
    with write_transaction(connection):
        if sent is not None:
            mark_sent_fast(connection, sent)
        row = claim_one(connection, owner)
        if row is None:
            return None
        reply_id, case_id, raw, from_addr, to_addr, message_id, created_at = row
        bounced = bounced_since(connection, to_addr, as_utc(created_at) - BOUNCE_WINDOW)
        blocked = presend_block(to_addr, config, bounced)
        if blocked or not raw:
            why = blocked or "the reply has no stored bytes"
            cancel_claimed(connection, reply_id, why)
            insert_audit(
                connection,
                {
                    "case_id": case_id,
                    "action": "reply.cancelled",
                    "detail": {"reply": reply_id, "detail": why[:1000]},
                },
            )
            summary.cancelled += 1
            return False
        return (reply_id, raw.encode("utf-8", "surrogateescape"), from_addr, to_addr, message_id)


def _failed(
    engine: Engine, reply_id: int, exc: Exception, *, permanent: bool, summary: OutboxSummary
) -> None:
    with session_scope(engine) as session:
        state = mark_failed(session, reply_id, str(exc)[:2000], permanent=permanent)
        if state == "failed_permanent":
            summary.failed_permanent += 1
            from store import Reply

            reply = session.get(Reply, reply_id)
            case = session.get(Case, reply.case_id) if reply else None
            if case is not None:
                # The sender never got our answer: staff must see the case.
                set_fields(case, reply_failed={"reply": reply_id, "error": str(exc)[:500]})
                if case.status != CaseStatus.TO_REVIEW:
                    case.status = CaseStatus.TO_REVIEW
                    case.waiting_since = utcnow()
            _audit(session, reply_id, "reply.failed", str(exc))
        else:
            summary.failed_temporary += 1


def _audit(session: Any, reply_id: int, action: str, detail: str) -> None:
    from store import Reply

    reply = session.get(Reply, reply_id)
    case_id = reply.case_id if reply else None
    session.add(
        AuditEvent(
            case_id=case_id, action=action, detail={"reply": reply_id, "detail": detail[:1000]}
        )
    )
