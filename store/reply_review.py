"""Replies the bot will not send by itself any more, and what staff decide for them (DESIGN §4).

A reply left ``uncertain`` (its send was interrupted: it may have been delivered) or
``failed_permanent`` (the SMTP server refused it) waits for a person. Staff may
queue it again (``→ pending``, sent by the outbox on its next pass), record that it
did arrive (``uncertain → sent``) or give it up (``→ cancelled``). ``bounced``
replies are listed for information only.

Every decision is a compare-and-set: one ``UPDATE … WHERE id = :id AND state =
:state AND attempts = :attempts``, the state and attempt count the deciding person
was shown. Two people deciding at once, or a decision made on a page older than a
send attempt, change nothing the second time (on PostgreSQL the second UPDATE waits
for the first transaction and then finds the row changed; SQLite serialises
writers). The caller records the audit event in the same transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, literal, update
from sqlmodel import Session, col, select

from store.models import Case, Reply, ReplyState
from store.types import UtcDateTime, utcnow

# What the review page lists by default, and what it may show on request.
REVIEW_STATES = (ReplyState.UNCERTAIN, ReplyState.FAILED_PERMANENT)
LISTED_STATES = (*REVIEW_STATES, ReplyState.BOUNCED)


class ReviewDecision(StrEnum):
    RESEND = "resend"
    MARK_SENT = "mark_sent"
    CANCEL = "cancel"


# The states each decision may start from, and the state it leads to.
ALLOWED_FROM: dict[ReviewDecision, tuple[ReplyState, ...]] = {
    ReviewDecision.RESEND: REVIEW_STATES,
    ReviewDecision.MARK_SENT: (ReplyState.UNCERTAIN,),
    ReviewDecision.CANCEL: REVIEW_STATES,
}
TARGET: dict[ReviewDecision, ReplyState] = {
    ReviewDecision.RESEND: ReplyState.PENDING,
    ReviewDecision.MARK_SENT: ReplyState.SENT,
    ReviewDecision.CANCEL: ReplyState.CANCELLED,
}


def decisions_for(state: str) -> list[ReviewDecision]:
    """The decisions staff may take on a reply in ``state`` (none for most states)."""
    return [d for d, states in ALLOWED_FROM.items() if state in states]


@dataclass(frozen=True)
class ReviewRow:
    reply: Reply
    case_ref: str


@dataclass(frozen=True)
class ReviewPage:
    rows: list[ReviewRow]
    total: int
    # Replies per listed state, whatever the filter (for the page's tabs).
    counts: dict[str, int]
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def review_counts(session: Session) -> dict[str, int]:
    """How many replies are in each listed state (states with none are absent)."""
    stmt = (
        select(Reply.state, func.count())
        .where(col(Reply.state).in_([s.value for s in LISTED_STATES]))
        .group_by(Reply.state)
    )
    return {str(state): int(number) for state, number in session.exec(stmt).all()}


def count_to_review(session: Session) -> int:
    """Replies waiting for a staff decision (``uncertain`` and ``failed_permanent``)."""
    stmt = select(func.count()).where(col(Reply.state).in_([s.value for s in REVIEW_STATES]))
    return int(session.exec(stmt).one())


def replies_to_review(
    session: Session,
    *,
    states: tuple[str, ...] | list[str] = REVIEW_STATES,
    page: int = 1,
    per_page: int = 50,
) -> ReviewPage:
    """One page of replies in ``states`` with their case reference, newest first."""
    page = max(1, page)
    per_page = max(1, min(per_page, 500))
    wanted = [str(s) for s in states if s in LISTED_STATES]
    counts = review_counts(session)
    total = sum(counts.get(s, 0) for s in set(wanted))
    stmt = (
        select(Reply, Case.ref)
        .join(Case, col(Case.id) == col(Reply.case_id))
        .where(col(Reply.state).in_(wanted))
        .order_by(col(Reply.created_at).desc(), col(Reply.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [ReviewRow(reply, ref) for reply, ref in session.exec(stmt).all()]
    return ReviewPage(rows, total, counts, page, per_page)


def decide(
    session: Session,
    reply_id: int,
    decision: ReviewDecision | str,
    *,
    expected_state: str,
    expected_attempts: int,
    actor: str,
    now: datetime | None = None,
) -> Reply | None:
    """Apply ``decision`` if the reply is still as shown; the updated row, else None.

    ``ValueError`` when the decision cannot start from ``expected_state`` at all.
    ``resend`` keeps the attempt count, clears the retry time and notes who asked
    in ``last_error`` (the previous error stays after it); ``mark_sent`` sets
    ``sent_at`` to when the interrupted send was claimed; ``cancel`` keeps the error.
    """
    decision = ReviewDecision(decision)
    if expected_state not in ALLOWED_FROM[decision]:
        raise ValueError(f"{decision.value} is not allowed from state {expected_state!r}")
    now = now or utcnow()
    values: dict[str, Any] = {"state": TARGET[decision].value}
    reply_table = Reply.__table__  # type: ignore[attr-defined]
    if decision is ReviewDecision.RESEND:
        values["next_attempt_at"] = None
        note = f"resend requested by {actor} at {now:%Y-%m-%d %H:%M:%S} UTC"
        values["last_error"] = func.coalesce(note + "; before: " + reply_table.c.last_error, note)
    elif decision is ReviewDecision.MARK_SENT:
        values["sent_at"] = func.coalesce(reply_table.c.claimed_at, literal(now, UtcDateTime()))
        values["last_error"] = None
    else:
        values["next_attempt_at"] = None
    stmt = (
        update(reply_table)
        .where(
            reply_table.c.id == reply_id,
            reply_table.c.state == expected_state,
            reply_table.c.attempts == expected_attempts,
        )
        .values(**values)
    )
    result = session.connection().execute(stmt)
    if result.rowcount != 1:
        return None
    # The ORM may hold the row as it was before the UPDATE: read it again.
    return session.get(Reply, reply_id, populate_existing=True)
