"""Staff decisions on replies the bot will not send again: listing, counts, compare-and-set."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Case, Reply, ReplyState
from store.outbox import claim_replies
from store.reply_review import (
    ReviewDecision,
    count_to_review,
    decide,
    decisions_for,
    replies_to_review,
    review_counts,
)
from store.types import utcnow

T0 = utcnow().replace(microsecond=0) - timedelta(days=1)


def _make(engine: Engine, states: list[str]) -> list[int]:
    """One case per two replies, replies created a minute apart in ``states`` order."""
    with session_scope(engine) as session:
        ids = []
        case = None
        for n, state in enumerate(states):
            if n % 2 == 0:
                case = Case(
                    ref=f"UP-2025-{n:06d}", role="accueil", mailbox="accueil@up.fr", kind="other"
                )
                session.add(case)
                session.flush()
            assert case is not None and case.id is not None
            reply = Reply(
                case_id=case.id,
                message_id=f"<rr{n}@up.fr>",
                template="general_ack",
                from_addr="accueil@up.fr",
                to_addr=f"c{n}@example.fr",
                subject="Accusé de réception",
                body="Bonjour",
                raw="Subject: x\r\n\r\nBonjour\r\n",
                state=state,
                attempts=2,
                last_error=f"error {n}",
                claimed_at=T0 + timedelta(minutes=n, seconds=30),
                next_attempt_at=T0 if state == ReplyState.FAILED_PERMANENT else None,
                created_at=T0 + timedelta(minutes=n),
            )
            session.add(reply)
            session.flush()
            ids.append(reply.id)
        return ids  # type: ignore[return-value]


def _get(engine: Engine, reply_id: int) -> Reply:
    with session_scope(engine, write=False) as session:
        reply = session.get(Reply, reply_id)
        assert reply is not None
        return reply


STATES = ["uncertain", "sent", "failed_permanent", "bounced", "pending", "uncertain", "cancelled"]


def test_listing_newest_first_with_refs_and_counts(engine: Engine) -> None:
    ids = _make(engine, STATES)
    with session_scope(engine, write=False) as session:
        result = replies_to_review(session)
        assert [r.reply.id for r in result.rows] == [ids[5], ids[2], ids[0]]
        assert [r.case_ref for r in result.rows] == ["UP-2025-000004", "UP-2025-000002",
                                                     "UP-2025-000000"]  # fmt: skip
        assert result.total == 3 and result.pages == 1
        assert result.counts == {"uncertain": 2, "failed_permanent": 1, "bounced": 1}
        assert review_counts(session) == result.counts
        assert count_to_review(session) == 3

        bounced = replies_to_review(session, states=["bounced"])
        assert [r.reply.id for r in bounced.rows] == [ids[3]] and bounced.total == 1
        # States outside the review list are never listed, even when asked for.
        assert replies_to_review(session, states=["sent", "pending"]).rows == []

        first = replies_to_review(session, per_page=2)
        second = replies_to_review(session, per_page=2, page=2)
        assert first.pages == 2 and first.total == 3
        assert [r.reply.id for r in first.rows + second.rows] == [ids[5], ids[2], ids[0]]


def test_resend_goes_back_to_pending_once(engine: Engine) -> None:
    [uncertain, failed] = _make(engine, ["uncertain", "failed_permanent"])
    now = T0 + timedelta(hours=2)
    with session_scope(engine) as session:
        reply = decide(session, failed, ReviewDecision.RESEND, expected_state="failed_permanent",
                       expected_attempts=2, actor="arthur", now=now)  # fmt: skip
        assert reply is not None and reply.state == ReplyState.PENDING
    reply = _get(engine, failed)
    assert reply.state == "pending" and reply.attempts == 2 and reply.next_attempt_at is None
    assert reply.last_error == "resend requested by arthur at " + f"{now:%Y-%m-%d %H:%M:%S}" + (
        " UTC; before: error 1"
    )
    # The same decision from the same page again: the row is no longer as shown.
    with session_scope(engine) as session:
        assert decide(session, failed, "resend", expected_state="failed_permanent",
                      expected_attempts=2, actor="lucie") is None  # fmt: skip
    assert _get(engine, failed).last_error.startswith("resend requested by arthur")  # type: ignore[union-attr]

    # A page that showed fewer attempts than the row has now is stale too.
    with session_scope(engine) as session:
        assert decide(session, uncertain, "resend", expected_state="uncertain",
                      expected_attempts=1, actor="arthur") is None  # fmt: skip
        assert decide(session, uncertain, "resend", expected_state="uncertain",
                      expected_attempts=2, actor="arthur") is not None  # fmt: skip
    # The outbox claims both again, its attempt count going on from where it was.
    with session_scope(engine) as session:
        claimed = claim_replies(session, 10, owner="test")
        assert sorted(r.id for r in claimed) == sorted([uncertain, failed])  # type: ignore[type-var]
        assert {r.attempts for r in claimed} == {3}


def test_mark_sent_and_cancel(engine: Engine) -> None:
    [uncertain, failed, other] = _make(engine, ["uncertain", "failed_permanent", "uncertain"])
    with session_scope(engine) as session:
        assert decide(session, uncertain, "mark_sent", expected_state="uncertain",
                      expected_attempts=2, actor="arthur") is not None  # fmt: skip
        assert decide(session, failed, "cancel", expected_state="failed_permanent",
                      expected_attempts=2, actor="arthur") is not None  # fmt: skip
        assert decide(session, other, "cancel", expected_state="uncertain",
                      expected_attempts=2, actor="arthur") is not None  # fmt: skip
    sent = _get(engine, uncertain)
    assert sent.state == "sent" and sent.last_error is None
    # The send was interrupted after its claim: that is when it left.
    assert sent.sent_at == T0 + timedelta(seconds=30)
    cancelled = _get(engine, failed)
    assert cancelled.state == "cancelled" and cancelled.next_attempt_at is None
    assert cancelled.last_error == "error 1"
    assert _get(engine, other).state == "cancelled"
    with session_scope(engine, write=False) as session:
        assert count_to_review(session) == 0
    # Nothing to decide any more, from any page.
    with session_scope(engine) as session:
        assert decide(session, failed, "resend", expected_state="failed_permanent",
                      expected_attempts=2, actor="arthur") is None  # fmt: skip
    assert _get(engine, failed).state == "cancelled"


def test_decisions_that_cannot_start_from_a_state(engine: Engine) -> None:
    [failed, sent] = _make(engine, ["failed_permanent", "sent"])
    assert decisions_for("uncertain") == ["resend", "mark_sent", "cancel"]
    assert decisions_for("failed_permanent") == ["resend", "cancel"]
    assert decisions_for("bounced") == [] and decisions_for("sent") == []
    with session_scope(engine) as session:
        with pytest.raises(ValueError):
            decide(session, failed, "mark_sent", expected_state="failed_permanent",
                   expected_attempts=2, actor="a")  # fmt: skip
        with pytest.raises(ValueError):
            decide(session, sent, "resend", expected_state="sent", expected_attempts=2, actor="a")
        with pytest.raises(ValueError):
            decide(session, failed, "delete", expected_state="failed_permanent",
                   expected_attempts=2, actor="a")  # fmt: skip
        # A reply that does not exist: nothing happens.
        assert decide(session, 999_999, "cancel", expected_state="uncertain",
                      expected_attempts=0, actor="a") is None  # fmt: skip
    assert _get(engine, failed).state == "failed_permanent"
    assert _get(engine, sent).state == "sent"


def test_two_people_deciding_at_once_only_one_wins(engine: Engine) -> None:
    ids = _make(engine, ["uncertain"] * 6)
    wins: list[tuple[int, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def person(name: str, decision: str) -> None:
        barrier.wait()
        for reply_id in ids:
            with session_scope(engine) as session:
                done = decide(session, reply_id, decision, expected_state="uncertain",
                              expected_attempts=2, actor=name)  # fmt: skip
            if done is not None:
                with lock:
                    wins.append((reply_id, name))

    threads = [
        threading.Thread(target=person, args=("arthur", "resend")),
        threading.Thread(target=person, args=("lucie", "cancel")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Every reply got exactly one decision, and its state is that decision's.
    assert sorted(r for r, _ in wins) == sorted(ids)
    with session_scope(engine, write=False) as session:
        states = {r.id: r.state for r in session.exec(select(Reply)).all()}
    for reply_id, name in wins:
        assert states[reply_id] == ("pending" if name == "arthur" else "cancelled")
