"""Poll one mailbox: redo unfinished actions, retry error mails, file the new ones.

The order matters (DESIGN §3): first the mailbox actions that a crash left undone
(receipts committed, action not recorded) and only those; then error mails due
for another try (from the file store, a bounded number of times); then the new
mails, fetched in batches with ``BODY.PEEK[]`` (the next batch fetched and handed
to the workers before the current one is committed) and filed. The after action
of a batch is applied once the batch's mails are committed, and recorded right
after. A UIDVALIDITY change resets the UID bookkeeping: the folder
is scanned again and the Message-ID / SHA-256 keys keep duplicates out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from intake.config import MailboxConfig
from intake.outcomes import Item, Started
from intake.pipeline import Pipeline
from intake.sources import Fetched, Ref, Source, SourceError, open_source
from intake.testhooks import crash_point
from store import mailbox_state, session_scope, utcnow
from store.models import Receipt
from store.pipeline_queries import known_source_keys
from store.queries import known_uids, pending_actions, receipts_to_retry

# (mailbox key, number of new mails) when the listing is done; then (1) per mail.
Progress = Callable[[str, int], None]


@dataclass
class MailboxSummary:
    mailbox: str
    role: str
    new: int = 0
    filed: int = 0
    followed_up: int = 0
    duplicates: int = 0
    errors: int = 0
    retried: int = 0
    actions: int = 0
    # Set when the mailbox could not be polled (server down...), or was skipped.
    error: str | None = None
    skipped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v or k in ("mailbox", "role")}


def poll_mailbox(
    pipeline: Pipeline,
    mailbox: MailboxConfig,
    *,
    source: Source | None = None,
    on_listed: Progress | None = None,
    on_mail: Callable[[], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> MailboxSummary:
    """One poll of ``mailbox``; source failures are recorded, never raised."""
    summary = MailboxSummary(mailbox.key, mailbox.role)
    source = source or open_source(mailbox, pipeline.config)
    try:
        source.open()
        _poll(pipeline, mailbox, source, summary, on_listed, on_mail, should_stop)
    except (SourceError, OSError) as exc:
        summary.error = str(exc) or type(exc).__name__
    except Exception as exc:
        # imapclient raises its own error types (and socket errors as OSError).
        if type(exc).__module__.startswith(("imapclient", "imaplib")):
            summary.error = f"{type(exc).__name__}: {exc}"
        else:
            _record(pipeline, mailbox, f"{type(exc).__name__}: {exc}")
            raise
    finally:
        # Closing a broken connection may fail too; the poll's outcome is known.
        with contextlib.suppress(Exception):
            source.close()
    _record(pipeline, mailbox, summary.error)
    return summary


def _record(pipeline: Pipeline, mailbox: MailboxConfig, error: str | None) -> None:
    now = utcnow()
    with session_scope(pipeline.engine) as session:
        state = mailbox_state(session, mailbox.key)
        state.last_poll_at = now
        if error is None:
            state.last_success_at = now
            state.last_error = None
            state.consecutive_failures = 0
        else:
            state.last_error = error[:2000]
            state.consecutive_failures += 1


def _poll(
    pipeline: Pipeline,
    mailbox: MailboxConfig,
    source: Source,
    summary: MailboxSummary,
    on_listed: Progress | None,
    on_mail: Callable[[], None] | None,
    should_stop: Callable[[], bool],
) -> None:
    engine, key = pipeline.engine, mailbox.key
    uidvalidity = source.uidvalidity()
    with session_scope(engine) as session:
        state = mailbox_state(session, key)
        if uidvalidity is not None and state.uidvalidity != uidvalidity:
            # The server renumbered the folder (or first poll): start over.
            state.uidvalidity, state.last_uid = uidvalidity, 0
        last_uid = state.last_uid

    summary.actions += _redo_actions(pipeline, mailbox, source, uidvalidity)

    with session_scope(engine, write=False) as session:
        retry_ids = [
            r.id for r in receipts_to_retry(session, key, pipeline.config.run.max_attempts)
        ]
    for receipt_id in retry_ids:
        assert receipt_id is not None
        outcome = pipeline.retry(mailbox, receipt_id)
        summary.retried += 1
        if outcome.status == "error":
            summary.errors += 1

    def known(refs: Sequence[Ref]) -> set[Ref]:
        with session_scope(engine, write=False) as session:
            if uidvalidity is None:
                return set(known_source_keys(session, key, [str(r) for r in refs]))
            return set(known_uids(session, key, uidvalidity, [int(r) for r in refs]))

    if hasattr(source, "since_uid"):
        source.since_uid = last_uid  # type: ignore[attr-defined]
    refs = source.pending(known)
    summary.new = len(refs)
    pipeline.preparer.expect(min(len(refs), mailbox.batch_size))
    if on_listed is not None:
        on_listed(key, len(refs))

    def finish(batch: list[Fetched], started: Started) -> None:
        done = _file_batch(pipeline, mailbox, batch, started, summary, on_mail)
        summary.actions += _act(pipeline, mailbox, source, done)
        uids = [f.uid for f in batch if f.uid is not None]
        if uids:
            with session_scope(engine) as session:
                state = mailbox_state(session, key)
                if state.uidvalidity == uidvalidity:
                    state.last_uid = max(state.last_uid, *uids)

    # One batch ahead: batch k+1 is fetched and handed to the workers before
    # batch k is committed, so that the workers prepare it while this thread
    # writes the database. A batch fetched but not committed when the poll stops
    # (or fails) is fetched again next time: the UIDs move only after commit.
    previous: tuple[list[Fetched], Started] | None = None
    for start in range(0, len(refs), mailbox.batch_size):
        if should_stop():
            break
        batch = list(source.fetch(refs[start : start + mailbox.batch_size]))
        crash_point("fetched")
        started = pipeline.start_batch(mailbox, _items(batch, uidvalidity))
        if previous is not None:
            finish(*previous)
        previous = (batch, started)
    if previous is not None:
        finish(*previous)


def _items(batch: list[Fetched], uidvalidity: int | None) -> list[Item]:
    return [
        (
            fetched.raw,
            uidvalidity if fetched.uid is not None else None,
            fetched.uid,
            fetched.source_key,
        )
        for fetched in batch
    ]


def _file_batch(
    pipeline: Pipeline,
    mailbox: MailboxConfig,
    batch: list[Fetched],
    started: Started,
    summary: MailboxSummary,
    on_mail: Callable[[], None] | None,
) -> list[tuple[Ref, int]]:
    """File each mail of a started batch; the (ref, receipt id) whose action is due."""
    due: list[tuple[Ref, int]] = []
    for fetched, outcome in zip(batch, pipeline.commit_batch(mailbox, started), strict=True):
        if outcome.status in ("filed", "followed_up"):
            setattr(summary, outcome.status, getattr(summary, outcome.status) + 1)
        elif outcome.status == "duplicate":
            summary.duplicates += 1
        elif outcome.status == "error":
            summary.errors += 1
        if outcome.receipt_id is not None:
            due.append((fetched.ref, outcome.receipt_id))
        if on_mail is not None:
            on_mail()
    return due


def _act(
    pipeline: Pipeline, mailbox: MailboxConfig, source: Source, due: list[tuple[Ref, int]]
) -> int:
    """Apply the after action to committed mails, then record it."""
    if not due:
        return 0
    done = set(source.apply(mailbox.after, [ref for ref, _ in due]))
    crash_point("action_done")
    ids = [receipt_id for ref, receipt_id in due if ref in done]
    _mark_done(pipeline, ids)
    return len(ids)


def _mark_done(pipeline: Pipeline, receipt_ids: list[int]) -> None:
    if not receipt_ids:
        return
    from sqlalchemy import update

    now = utcnow()
    with session_scope(pipeline.engine) as session:
        for start in range(0, len(receipt_ids), 500):
            chunk = receipt_ids[start : start + 500]
            session.execute(
                update(Receipt)
                .where(Receipt.id.in_(chunk))  # type: ignore[union-attr]
                .values(action_done_at=now)
            )


def _redo_actions(
    pipeline: Pipeline, mailbox: MailboxConfig, source: Source, uidvalidity: int | None
) -> int:
    """Actions a crash left undone; those of an old UIDVALIDITY cannot be done any more."""
    with session_scope(pipeline.engine, write=False) as session:
        receipts = pending_actions(session, mailbox.key)
        todo = [
            (r.id, r.uid if r.uid is not None else r.source_key, r.uidvalidity) for r in receipts
        ]
    if not todo:
        return 0
    stale = [rid for rid, _, v in todo if v is not None and v != uidvalidity]
    due = [(ref, rid) for rid, ref, v in todo if rid not in stale and ref is not None]
    _mark_done(pipeline, [rid for rid in stale if rid is not None])
    return _act(pipeline, mailbox, source, due)  # type: ignore[arg-type]
