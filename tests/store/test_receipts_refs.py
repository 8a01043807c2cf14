"""Receipts (the exactly-once key) and case references (unique under concurrency)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import Case, Receipt, ReceiptStatus
from store.queries import find_receipt, known_uids, pending_actions, receipts_to_retry
from store.receipts import mailbox_state, mark_action_done, record_receipt
from store.refs import allocate_ref

SHA = "a" * 64


def test_second_receipt_is_a_no_op(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = record_receipt(
            session,
            mailbox="imap:accueil",
            uidvalidity=7,
            uid=1,
            sha256=SHA,
            message_id="m1@example.fr",
            action="move:Traités",
        )
        assert first is not None and first.id is not None
        assert first.message_id == "<m1@example.fr>"
        # Same transaction: no error, and the transaction stays usable.
        assert (
            record_receipt(session, mailbox="imap:accueil", uidvalidity=7, uid=1, sha256=SHA)
            is None
        )
        assert record_receipt(session, mailbox="imap:accueil", uidvalidity=7, uid=2, sha256=SHA)
    with session_scope(engine) as session:
        # Later transaction (a restart): still a no-op.
        assert (
            record_receipt(session, mailbox="imap:accueil", uidvalidity=7, uid=1, sha256=SHA)
            is None
        )
        # Same UID under a new UIDVALIDITY, or in another mailbox, is another mail.
        assert record_receipt(session, mailbox="imap:accueil", uidvalidity=8, uid=1, sha256=SHA)
        assert record_receipt(session, mailbox="imap:certif", uidvalidity=7, uid=1, sha256=SHA)
    with session_scope(engine, write=False) as session:
        assert len(session.exec(select(Receipt)).all()) == 4


def test_source_key_receipts_for_maildir(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert record_receipt(session, mailbox="maildir:a", source_key="1700.M1P2.host", sha256=SHA)
        assert (
            record_receipt(session, mailbox="maildir:a", source_key="1700.M1P2.host", sha256=SHA)
            is None
        )
        assert record_receipt(session, mailbox="maildir:a", source_key="1700.M1P3.host", sha256=SHA)
        found = find_receipt(session, "maildir:a", source_key="1700.M1P2.host")
        assert found is not None and found.uid is None
    with pytest.raises(ValueError), session_scope(engine) as session:
        record_receipt(session, mailbox="m", sha256=SHA, uid=3)
    with pytest.raises(ValueError), session_scope(engine) as session:
        record_receipt(session, mailbox="m", sha256=SHA, uid=3, uidvalidity=1, source_key="k")


def test_pending_actions_retry_and_known_uids(engine: Engine) -> None:
    with session_scope(engine) as session:
        ids = []
        for uid in (3, 1, 2):
            receipt = record_receipt(
                session, mailbox="imap:a", uidvalidity=1, uid=uid, sha256=SHA, action="seen"
            )
            assert receipt is not None
            ids.append(receipt.id)
        failed = record_receipt(
            session,
            mailbox="imap:a",
            uidvalidity=1,
            uid=4,
            sha256=SHA,
            status=ReceiptStatus.ERROR,
            error="Traceback ...",
        )
        assert failed is not None
        record_receipt(session, mailbox="imap:b", uidvalidity=1, uid=9, sha256=SHA, action="seen")
    with session_scope(engine) as session:
        assert [r.uid for r in pending_actions(session, "imap:a")] == [1, 2, 3]
        mark_action_done(session, ids[0])  # uid 3
    with session_scope(engine) as session:
        assert [r.uid for r in pending_actions(session, "imap:a")] == [1, 2]
        assert [r.uid for r in receipts_to_retry(session, "imap:a", max_attempts=3)] == [4]
        receipt = session.get(Receipt, failed.id)
        assert receipt is not None
        receipt.attempts = 3
    with session_scope(engine, write=False) as session:
        assert receipts_to_retry(session, "imap:a", max_attempts=3) == []
        assert known_uids(session, "imap:a", 1, range(0, 2000)) == {1, 2, 3, 4}
        assert known_uids(session, "imap:a", 2, [1, 2]) == set()


def test_mailbox_state_is_created_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        state = mailbox_state(session, "imap:a")
        state.uidvalidity, state.last_uid = 12, 40
    with session_scope(engine) as session:
        state = mailbox_state(session, "imap:a")
        assert (state.uidvalidity, state.last_uid) == (12, 40)


@pytest.mark.postgres
def test_receipt_race_between_two_connections(pg_engine: Engine) -> None:
    # Two instances receiving the same mail at once: exactly one gets the receipt;
    # the other waits for the first to commit, then finds it done.
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def receive() -> None:
        with session_scope(pg_engine) as session:
            barrier.wait()
            got = record_receipt(session, mailbox="imap:a", uidvalidity=1, uid=1, sha256=SHA)
            results.append(got is not None)

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]


def test_refs_count_per_prefix_and_year(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert allocate_ref(session, "UP", 2025) == "UP-2025-000001"
        assert allocate_ref(session, "UP", 2025) == "UP-2025-000002"
        assert allocate_ref(session, "CQ", 2025) == "CQ-2025-000001"
        assert allocate_ref(session, "UP", 2026) == "UP-2026-000001"
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        assert allocate_ref(session, "UP", 2025) == "UP-2025-000003"
        raise RuntimeError("the case was not stored")
    with session_scope(engine) as session:
        # The rolled-back number is handed out again: references have no gaps.
        assert allocate_ref(session, "UP", 2025) == "UP-2025-000003"


def _allocate_concurrently(engine: Engine, workers: int, each: int) -> list[str]:
    refs: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(each):
                with session_scope(engine) as session:
                    ref = allocate_ref(session, "UP", 2025)
                    session.add(
                        Case(ref=ref, role="accueil", mailbox="accueil@up.fr", kind="other")
                    )
                refs.append(ref)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return refs


@pytest.mark.postgres
def test_refs_unique_under_concurrency_postgres(pg_engine: Engine) -> None:
    refs = _allocate_concurrently(pg_engine, workers=4, each=25)
    assert len(refs) == len(set(refs)) == 100
    assert sorted(refs) == [f"UP-2025-{n:06d}" for n in range(1, 101)]


def test_refs_unique_under_concurrency_sqlite(sqlite_url: str) -> None:
    from store.db import make_engine, upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    try:
        refs = _allocate_concurrently(engine, workers=3, each=20)
    finally:
        engine.dispose()
    assert sorted(refs) == [f"UP-2025-{n:06d}" for n in range(1, 61)]
