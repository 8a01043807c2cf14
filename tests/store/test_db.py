"""Engines, sessions and the portable column types."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from store.db import make_engine, normalize_url, session_scope, sqlite_path, upgrade
from store.models import Case, MailboxState, Message, Reply
from store.types import normalize_message_id, split_message_ids


def test_sqlite_engine_creates_folder_and_tunes_connections(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "intake.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert path.exists()
        assert sqlite_path(engine) == path
    finally:
        engine.dispose()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u@h/db")


def _case(ref: str = "UP-2025-000001", **fields: object) -> Case:
    values: dict[str, object] = {
        "ref": ref,
        "role": "accueil",
        "mailbox": "accueil@union-prof.asso.fr",
        "kind": "other",
    }
    values.update(fields)
    return Case(**values)  # type: ignore[arg-type]


def test_session_scope_commits_and_rolls_back(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_case())
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(_case("UP-2025-000002"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(engine, write=False) as session:
        refs = session.exec(select(Case.ref)).all()
    assert refs == ["UP-2025-000001"]


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Message(case_id=424242, sha256="0" * 64))


def test_timestamps_come_back_aware_utc(engine: Engine) -> None:
    paris = timezone(timedelta(hours=2))
    local = datetime(2025, 3, 31, 23, 30, tzinfo=paris)
    naive = datetime(2025, 1, 2, 3, 4, 5)
    with session_scope(engine) as session:
        session.add(_case(waiting_since=local, created_at=naive))
    with session_scope(engine, write=False) as session:
        case = session.exec(select(Case)).one()
    assert case.waiting_since == local
    assert case.waiting_since is not None and case.waiting_since.tzinfo is not None
    assert case.waiting_since.utcoffset() == timedelta(0)
    assert case.waiting_since.hour == 21
    # A naive value is taken as UTC.
    assert case.created_at == naive.replace(tzinfo=UTC)
    # Comparisons in queries use the same conversion.
    with session_scope(engine, write=False) as session:
        later = datetime(2025, 3, 31, 21, 31, tzinfo=UTC)
        found = session.exec(select(Case).where(Case.waiting_since < later)).all()  # type: ignore[operator]
        assert len(found) == 1
        found = session.exec(
            select(Case).where(Case.waiting_since < later - timedelta(minutes=2))  # type: ignore[operator]
        ).all()
        assert found == []


def test_addresses_and_message_ids_are_normalised(engine: Engine) -> None:
    with session_scope(engine) as session:
        case = _case(sender_email="  Jeanne.Dupont@Example.FR ")
        session.add(case)
        session.flush()
        session.add(
            Reply(
                case_id=case.id,  # type: ignore[arg-type]
                message_id=" abc.123@union-prof.asso.fr ",
                template="general_ack",
                from_addr="Accueil@Union-Prof.asso.fr",
                to_addr="Jeanne.Dupont@example.fr",
                subject="s",
                body="b",
            )
        )
    with session_scope(engine, write=False) as session:
        assert session.exec(select(Case.sender_email)).one() == "jeanne.dupont@example.fr"
        reply = session.exec(select(Reply)).one()
        assert reply.message_id == "<abc.123@union-prof.asso.fr>"
        assert reply.to_addr == "jeanne.dupont@example.fr"
        # The value compared is normalised the same way.
        assert session.exec(
            select(Case).where(Case.sender_email == "JEANNE.DUPONT@EXAMPLE.FR")
        ).first()
        assert session.exec(
            select(Reply).where(Reply.message_id == "abc.123@union-prof.asso.fr")
        ).first()


def test_message_id_helpers() -> None:
    assert normalize_message_id("x@y") == "<x@y>"
    assert normalize_message_id(" <x@y> ") == "<x@y>"
    assert normalize_message_id("   ") == ""
    assert split_message_ids("<a@b>\r\n <c@d> <a@b>") == ["<a@b>", "<c@d>"]
    assert split_message_ids("a@b c@d") == ["<a@b>", "<c@d>"]
    assert split_message_ids(None) == []


def test_json_fields_track_changes(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_case(fields={"missing": ["phone"]}, reasons=["kind.other"]))
    with session_scope(engine) as session:
        case = session.exec(select(Case)).one()
        case.fields["nuc_confirmed"] = True
        case.reasons.append("staff.edit")
    with session_scope(engine, write=False) as session:
        case = session.exec(select(Case)).one()
    assert case.fields == {"missing": ["phone"], "nuc_confirmed": True}
    assert case.reasons == ["kind.other", "staff.edit"]


def test_big_uids_fit(engine: Engine) -> None:
    # UIDVALIDITY and UID are unsigned 32-bit numbers: beyond a signed int4.
    with session_scope(engine) as session:
        session.add(
            MailboxState(mailbox="imap:x", uidvalidity=4_294_967_295, last_uid=4_000_000_000)
        )
    with session_scope(engine, write=False) as session:
        state = session.get(MailboxState, "imap:x")
    assert state is not None and state.uidvalidity == 4_294_967_295


def test_sqlite_writers_in_threads_never_fail_or_lose_updates(sqlite_url: str) -> None:
    # Read-then-write transactions from several connections: with a plain BEGIN,
    # SQLite refuses the late write lock at once ("database is locked"); BEGIN
    # IMMEDIATE makes each writer wait its turn instead.
    engine = make_engine(sqlite_url)
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(MailboxState(mailbox="m", last_uid=0))
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                with session_scope(engine) as session:
                    state = session.get(MailboxState, "m")
                    assert state is not None
                    current = state.last_uid
                    session.execute(text("SELECT count(*) FROM cases")).scalar()
                    state.last_uid = current + 1
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=(40,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with session_scope(engine, write=False) as session:
            state = session.get(MailboxState, "m")
        assert state is not None and state.last_uid == 160
    finally:
        engine.dispose()


def test_reserved_word_columns_round_trip(engine: Engine) -> None:
    # "references" is an SQL keyword: the column must still be written and read.
    with session_scope(engine) as session:
        session.add(
            Message(
                sha256="f" * 64,
                message_id="<m@x>",
                in_reply_to="p@x",
                references="<a@x> <p@x>",
                recipients=["accueil@up.fr"],
                classification={"kind": "other"},
            )
        )
    with session_scope(engine, write=False) as session:
        message = session.exec(select(Message).where(Message.references == "<a@x> <p@x>")).one()
    assert (message.in_reply_to, message.recipients) == ("<p@x>", ["accueil@up.fr"])
    assert message.classification == {"kind": "other"}
