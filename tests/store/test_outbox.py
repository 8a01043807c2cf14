"""The outbox: claiming (SKIP LOCKED on PostgreSQL), recovery to uncertain, send results."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.db import session_scope
from store.models import Case, Reply, ReplyState
from store.outbox import (
    backoff_delay,
    claim_replies,
    mark_bounced,
    mark_failed,
    mark_sent,
    owner_alive,
    owner_lock,
    recover_sending,
)
from store.types import utcnow


def _make_replies(engine: Engine, count: int) -> list[int]:
    with session_scope(engine) as session:
        case = Case(ref="UP-2025-000001", role="accueil", mailbox="accueil@up.fr", kind="other")
        session.add(case)
        session.flush()
        replies = [
            Reply(
                case_id=case.id,  # type: ignore[arg-type]
                message_id=f"<r{n}@up.fr>",
                template="general_ack",
                from_addr="accueil@up.fr",
                to_addr=f"c{n}@example.fr",
                subject="[UP-2025-000001] Accusé de réception",
                body="Bonjour",
            )
            for n in range(count)
        ]
        session.add_all(replies)
        session.flush()
        return [r.id for r in replies]  # type: ignore[misc]


def _states(engine: Engine) -> dict[int, str]:
    with session_scope(engine, write=False) as session:
        return {r.id: r.state for r in session.exec(select(Reply)).all()}  # type: ignore[misc]


def test_claim_moves_due_rows_to_sending(engine: Engine) -> None:
    ids = _make_replies(engine, 5)
    with session_scope(engine) as session:
        later = session.get(Reply, ids[0])
        assert later is not None
        later.next_attempt_at = utcnow() + timedelta(hours=1)
    with session_scope(engine) as session:
        claimed = claim_replies(session, 3, owner="a")
        assert [r.id for r in claimed] == ids[1:4]
        assert all(r.state == ReplyState.SENDING and r.attempts == 1 for r in claimed)
        assert all(r.claimed_by == "a" and r.claimed_at is not None for r in claimed)
    with session_scope(engine) as session:
        assert [r.id for r in claim_replies(session, 10, owner="a")] == [ids[4]]
        assert claim_replies(session, 10, owner="a") == []
        # Due once its time has come.
        later_rows = claim_replies(session, 10, owner="a", now=utcnow() + timedelta(hours=2))
        assert [r.id for r in later_rows] == [ids[0]]


def test_send_results(engine: Engine) -> None:
    ids = _make_replies(engine, 3)
    with session_scope(engine) as session:
        claim_replies(session, 3, owner="a")
    now = utcnow()
    with session_scope(engine) as session:
        assert mark_sent(session, ids[0])
        assert not mark_sent(session, ids[0])  # already sent: nothing to do
        assert mark_failed(session, ids[1], "451 try later", now=now) == ReplyState.FAILED_TEMPORARY
        assert (
            mark_failed(session, ids[2], "550 no such user", permanent=True)
            == ReplyState.FAILED_PERMANENT
        )
    with session_scope(engine) as session:
        sent = session.get(Reply, ids[0])
        retry = session.get(Reply, ids[1])
        assert sent is not None and sent.sent_at is not None
        assert retry is not None and retry.next_attempt_at == now + timedelta(minutes=1)
        assert retry.last_error == "451 try later"
        # A temporary failure is claimed again when due, and gives up after max_attempts.
        assert claim_replies(session, 5, owner="a") == []
        again = claim_replies(session, 5, owner="a", now=now + timedelta(minutes=2))
        assert [r.id for r in again] == [ids[1]] and again[0].attempts == 2
        assert mark_failed(session, ids[1], "451", max_attempts=2) == ReplyState.FAILED_PERMANENT
    assert _states(engine) == {
        ids[0]: ReplyState.SENT,
        ids[1]: ReplyState.FAILED_PERMANENT,
        ids[2]: ReplyState.FAILED_PERMANENT,
    }
    with session_scope(engine) as session:
        bounced = mark_bounced(session, "r0@up.fr", detail="550 5.1.1 user unknown")
        assert bounced is not None and bounced.id == ids[0]
        assert mark_bounced(session, "<someone-else@x>") is None
    assert _states(engine)[ids[0]] == ReplyState.BOUNCED


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff_delay(30) == timedelta(hours=1)


def test_recover_sending_marks_uncertain_and_never_resends(engine: Engine) -> None:
    ids = _make_replies(engine, 4)
    with session_scope(engine) as session:
        claim_replies(session, 2, owner="dead-instance")
        claim_replies(session, 1, owner="me")
    # The process died between the claim and the send: at start-up, recover.
    with session_scope(engine) as session:
        recovered = recover_sending(session, me="me")
        assert sorted(r.id for r in recovered) == ids[:2]
        assert all("may or may not" in (r.last_error or "") for r in recovered)
    states = _states(engine)
    assert [states[i] for i in ids] == [
        ReplyState.UNCERTAIN,
        ReplyState.UNCERTAIN,
        ReplyState.SENDING,
        ReplyState.PENDING,
    ]
    with session_scope(engine) as session:
        # Uncertain rows are not claimed again: staff decide.
        assert [r.id for r in claim_replies(session, 10, owner="me")] == [ids[3]]
        # A live owner's rows are left alone.
        assert recover_sending(session, alive=lambda owner: owner == "me") == []
        # Its send then completes normally.
        assert mark_sent(session, ids[2])


@pytest.mark.postgres
def test_skip_locked_two_sessions_claim_disjoint_rows(pg_engine: Engine) -> None:
    ids = _make_replies(pg_engine, 10)
    first = Session(pg_engine)
    second = Session(pg_engine)
    try:
        got_first = {r.id for r in claim_replies(first, 4, owner="a")}
        # The first transaction is still open: its rows are locked, not yet "sending"
        # for the others. The second neither waits nor takes them.
        started = time.monotonic()
        got_second = {r.id for r in claim_replies(second, 4, owner="b")}
        assert time.monotonic() - started < 2
        assert got_first.isdisjoint(got_second)
        assert len(got_first) == len(got_second) == 4
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    states = _states(pg_engine)
    assert sum(1 for i in ids if states[i] == ReplyState.SENDING) == 8


@pytest.mark.postgres
def test_many_claimers_send_each_reply_once(pg_engine: Engine) -> None:
    ids = _make_replies(pg_engine, 120)
    claimed: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        try:
            barrier.wait()
            while True:
                with session_scope(pg_engine) as session:
                    batch = [r.id for r in claim_replies(session, 7, owner=name)]
                if not batch:
                    return
                with lock:
                    claimed.extend(batch)  # type: ignore[arg-type]
                with session_scope(pg_engine) as session:
                    for reply_id in batch:
                        assert mark_sent(session, reply_id)  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(claimed) == sorted(ids)
    assert set(_states(pg_engine).values()) == {ReplyState.SENT}


@pytest.mark.postgres
def test_recovery_spares_live_instances(pg_engine: Engine) -> None:
    ids = _make_replies(pg_engine, 3)
    with owner_lock(pg_engine, "live") as held:
        assert held
        with session_scope(pg_engine) as session:
            claim_replies(session, 1, owner="live")
            claim_replies(session, 1, owner="crashed")
        with session_scope(pg_engine) as session:
            recovered = recover_sending(session, me="restarted", alive=owner_alive(pg_engine))
            assert [r.id for r in recovered] == [ids[1]]
    assert _states(pg_engine) == {
        ids[0]: ReplyState.SENDING,
        ids[1]: ReplyState.UNCERTAIN,
        ids[2]: ReplyState.PENDING,
    }
    # Once the live instance is gone, its row is recovered too.
    with session_scope(pg_engine) as session:
        assert [r.id for r in recover_sending(session, alive=owner_alive(pg_engine))] == [ids[0]]
