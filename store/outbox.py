"""The outbox's state changes: claim, sent, failed, bounced, and crash recovery (DESIGN §4).

``pending → sending → sent``; ``sending → failed_temporary`` (claimed again once
``next_attempt_at`` has passed) or ``→ failed_permanent``; ``sent → bounced``; and
``sending → uncertain`` for a row whose sender died: its mail may or may not have
left, so it is never sent again without a person deciding.

Claiming: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` then the move to
``sending``, in the caller's transaction: two instances claiming at once get
disjoint rows. **Commit right after claiming**, before sending, so that a crash
during the send leaves the row in ``sending`` (→ ``uncertain``), never ``pending``.
On SQLite there is one sending process (the ``intake run`` lock file).

Every claimed row records its claimer (``owner``: unique per process, e.g.
``host:pid:random``). On PostgreSQL each running instance holds
``owner_lock(engine, owner)`` for its lifetime; :func:`owner_alive` probes that
lock, so :func:`recover_sending` can run any time without touching the rows of a
live instance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.lock import InstanceLock, instance_lock, lock_is_free
from store.models import Reply, ReplyState
from store.types import normalize_message_id, utcnow

CLAIMABLE = (ReplyState.PENDING, ReplyState.FAILED_TEMPORARY)


def owner_lock_name(owner: str) -> str:
    return f"outbox-owner:{owner}"


@contextmanager
def owner_lock(engine: Engine, owner: str) -> Iterator[InstanceLock]:
    """Held by a running instance for its lifetime: it proves the owner is alive."""
    with instance_lock(engine, owner_lock_name(owner)) as lock:
        yield lock


def owner_alive(engine: Engine) -> Callable[[str], bool]:
    """A probe for :func:`recover_sending`: is the instance ``owner`` still running?"""

    def alive(owner: str) -> bool:
        return not lock_is_free(engine, owner_lock_name(owner))

    return alive


def claim_replies(
    session: Session, limit: int, *, owner: str = "local", now: datetime | None = None
) -> list[Reply]:
    """Move up to ``limit`` due replies to ``sending`` for ``owner``; oldest first."""
    now = now or utcnow()
    stmt = (
        select(Reply)
        .where(
            col(Reply.state).in_(CLAIMABLE),
            or_(col(Reply.next_attempt_at).is_(None), col(Reply.next_attempt_at) <= now),
        )
        .order_by(col(Reply.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    replies = list(session.exec(stmt).all())
    for reply in replies:
        reply.state = ReplyState.SENDING
        reply.attempts += 1
        reply.claimed_by = owner
        reply.claimed_at = now
    session.flush()
    return replies


def recover_sending(
    session: Session,
    *,
    me: str | None = None,
    alive: Callable[[str], bool] | None = None,
    now: datetime | None = None,
) -> list[Reply]:
    """Rows left in ``sending`` by a dead instance become ``uncertain``; return them.

    Rows claimed by ``me`` are left alone. ``alive`` (see :func:`owner_alive`) says
    whether another claimer still runs; without it every other claimer is taken
    for dead, which is right at start-up when this is the only sending instance
    (SQLite, or a single PostgreSQL instance).
    """
    now = now or utcnow()
    stmt = select(Reply).where(Reply.state == ReplyState.SENDING).order_by(col(Reply.id))
    if session.get_bind().dialect.name == "postgresql":
        # A row being marked sent right now is locked by its live sender: skip it.
        stmt = stmt.with_for_update(skip_locked=True)
    verdict: dict[str, bool] = {}
    recovered = []
    for reply in session.exec(stmt).all():
        owner = reply.claimed_by
        if owner is not None and owner == me:
            continue
        if owner is not None and alive is not None:
            if owner not in verdict:
                verdict[owner] = alive(owner)
            if verdict[owner]:
                continue
        reply.state = ReplyState.UNCERTAIN
        reply.last_error = (
            f"interrupted while sending (claimed by {owner or 'unknown'} at "
            f"{reply.claimed_at:%Y-%m-%d %H:%M:%S} UTC); found {now:%Y-%m-%d %H:%M:%S} UTC:"
            " it may or may not have been delivered"
            if reply.claimed_at
            else "interrupted while sending: it may or may not have been delivered"
        )
        recovered.append(reply)
    session.flush()
    return recovered


def mark_sent(session: Session, reply_id: int, *, at: datetime | None = None) -> bool:
    """Record a successful send; False when the row was not being sent."""
    reply = session.get(Reply, reply_id, with_for_update=True)
    if reply is None or reply.state not in (ReplyState.SENDING, ReplyState.UNCERTAIN):
        return False
    reply.state = ReplyState.SENT
    reply.sent_at = at or utcnow()
    reply.last_error = None
    session.flush()
    return True


def backoff_delay(
    attempts: int,
    *,
    base: timedelta = timedelta(minutes=1),
    cap: timedelta = timedelta(hours=1),
) -> timedelta:
    """Doubling delay after the ``attempts``-th failure: 1, 2, 4 … minutes, capped."""
    return min(base * (2 ** max(attempts - 1, 0)), cap)


def mark_failed(
    session: Session,
    reply_id: int,
    error: str,
    *,
    permanent: bool = False,
    now: datetime | None = None,
    max_attempts: int = 8,
    base: timedelta = timedelta(minutes=1),
    cap: timedelta = timedelta(hours=1),
) -> str | None:
    """Record a failed send; return the new state (None when not being sent).

    A temporary failure is retried after a doubling delay until ``max_attempts``
    sends were tried, then it becomes permanent.
    """
    now = now or utcnow()
    reply = session.get(Reply, reply_id, with_for_update=True)
    if reply is None or reply.state != ReplyState.SENDING:
        return None
    reply.last_error = error
    if permanent or reply.attempts >= max_attempts:
        reply.state = ReplyState.FAILED_PERMANENT
        reply.next_attempt_at = None
    else:
        reply.state = ReplyState.FAILED_TEMPORARY
        reply.next_attempt_at = now + backoff_delay(reply.attempts, base=base, cap=cap)
    session.flush()
    return reply.state


def mark_bounced(session: Session, message_id: str, *, detail: str | None = None) -> Reply | None:
    """The reply whose Message-ID a bounce names, marked ``bounced`` (None if not ours)."""
    reply = session.exec(
        select(Reply).where(Reply.message_id == normalize_message_id(message_id))
    ).first()
    if reply is None:
        return None
    reply.state = ReplyState.BOUNCED
    if detail:
        reply.last_error = detail
    session.flush()
    return reply
