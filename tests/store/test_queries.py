"""Pipeline lookups: threading by Message-ID, references, duplicates, the reply limit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.db import session_scope
from store.models import Attachment, AuditEvent, Case, Message, Reply, ReplyState
from store.queries import (
    case_attachments,
    case_audit,
    case_by_ref,
    case_messages,
    case_replies,
    count_recent_replies,
    find_case_by_message_ids,
    find_received,
    reply_by_message_id,
    thread_ids,
)
from store.types import utcnow


def _case(session: Session, ref: str, sender: str = "jeanne@example.fr") -> Case:
    case = Case(ref=ref, role="accueil", mailbox="accueil@up.fr", kind="other", sender_email=sender)
    session.add(case)
    session.flush()
    return case


def _reply(session: Session, case: Case, message_id: str, to: str, **extra: object) -> Reply:
    reply = Reply(
        case_id=case.id,  # type: ignore[arg-type]
        message_id=message_id,
        template="general_ack",
        from_addr="accueil@up.fr",
        to_addr=to,
        subject="s",
        body="b",
        **extra,  # type: ignore[arg-type]
    )
    session.add(reply)
    session.flush()
    return reply


def test_thread_ids_nearest_first() -> None:
    assert thread_ids("<c@x>", "<a@x> <b@x> <c@x>") == ["<c@x>", "<b@x>", "<a@x>"]
    assert thread_ids(None, ["a@x", "<b@x>"]) == ["<b@x>", "<a@x>"]
    assert thread_ids(None, None) == []


def test_find_case_by_ours_or_theirs(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = _case(session, "UP-2025-000001")
        second = _case(session, "UP-2025-000002")
        session.add(Message(case_id=first.id, message_id="<their-1@example.fr>", sha256="1" * 64))
        _reply(session, second, "<ours-2@up.fr>", "jeanne@example.fr")
    with session_scope(engine, write=False) as session:
        found = find_case_by_message_ids(session, ["ours-2@up.fr"])
        assert found is not None and found.ref == "UP-2025-000002"
        found = find_case_by_message_ids(session, ["<their-1@example.fr>"])
        assert found is not None and found.ref == "UP-2025-000001"
        # The first known identifier in preference order wins.
        ids = thread_ids("<unknown@x>", "<their-1@example.fr> <ours-2@up.fr>")
        found = find_case_by_message_ids(session, ids)
        assert found is not None and found.ref == "UP-2025-000002"
        assert find_case_by_message_ids(session, ["<nobody@x>"]) is None
        assert find_case_by_message_ids(session, []) is None


def test_case_by_ref(engine: Engine) -> None:
    with session_scope(engine) as session:
        _case(session, "CQ-2025-000045")
    with session_scope(engine, write=False) as session:
        found = case_by_ref(session, " cq-2025-000045 ")
        assert found is not None and found.ref == "CQ-2025-000045"
        assert case_by_ref(session, "CQ-2025-000046") is None
        assert case_by_ref(session, "2023-004512") is None


def test_find_received_by_message_id_then_bytes(engine: Engine) -> None:
    with session_scope(engine) as session:
        case = _case(session, "UP-2025-000001")
        session.add(
            Message(case_id=case.id, mailbox="imap:accueil", message_id="<m@x>", sha256="a" * 64)
        )
        session.add(Message(case_id=case.id, mailbox="imap:accueil", sha256="b" * 64))
        session.add(
            Message(case_id=case.id, direction="out", message_id="<ours@x>", sha256="c" * 64)
        )
    with session_scope(engine, write=False) as session:
        assert find_received(session, message_id="m@x") is not None
        assert find_received(session, sha256="b" * 64) is not None
        assert find_received(session, message_id="<other@x>", sha256="b" * 64) is not None
        assert find_received(session, message_id="<m@x>", mailbox="imap:certification") is None
        # Our own outgoing copies are not "received".
        assert find_received(session, message_id="<ours@x>") is None
        assert find_received(session) is None


def test_count_recent_replies_window_and_states(engine: Engine) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        case = _case(session, "UP-2025-000001")
        _reply(session, case, "<1@up>", "jeanne@example.fr", state=ReplyState.SENT)
        _reply(session, case, "<2@up>", "Jeanne@Example.fr", state=ReplyState.PENDING)
        _reply(session, case, "<3@up>", "jeanne@example.fr", state=ReplyState.CANCELLED)
        _reply(session, case, "<4@up>", "jeanne@example.fr", state=ReplyState.FAILED_PERMANENT)
        _reply(
            session,
            case,
            "<5@up>",
            "jeanne@example.fr",
            state=ReplyState.SENT,
            created_at=now - timedelta(hours=25),
        )
        _reply(session, case, "<6@up>", "paul@example.fr", state=ReplyState.SENT)
    with session_scope(engine, write=False) as session:
        assert count_recent_replies(session, "JEANNE@example.fr", now=now) == 2
        assert (
            count_recent_replies(session, "jeanne@example.fr", now=now, window=timedelta(days=2))
            == 3
        )
        assert count_recent_replies(session, "nobody@example.fr", now=now) == 0
        reply = reply_by_message_id(session, "4@up")
        assert reply is not None and reply.state == ReplyState.FAILED_PERMANENT
        assert reply_by_message_id(session, "  ") is None
        assert [r.message_id for r in case_replies(session, 1)][:2] == ["<5@up>", "<1@up>"]


def test_case_messages_in_order(engine: Engine) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        case = _case(session, "UP-2025-000001")
        session.add(
            Message(case_id=case.id, message_id="<late@x>", sha256="a" * 64, created_at=now)
        )
        session.add(
            Message(
                case_id=case.id,
                message_id="<early@x>",
                sha256="b" * 64,
                created_at=now - timedelta(days=1),
            )
        )
        case_id = case.id
    with session_scope(engine, write=False) as session:
        assert [m.message_id for m in case_messages(session, case_id)] == ["<early@x>", "<late@x>"]  # type: ignore[arg-type]


def test_case_attachments_and_audit(engine: Engine) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        case = _case(session, "UP-2025-000001")
        other = _case(session, "UP-2025-000002")
        first = Message(case_id=case.id, sha256="a" * 64, created_at=now - timedelta(hours=1))
        second = Message(case_id=case.id, sha256="b" * 64, created_at=now)
        elsewhere = Message(case_id=other.id, sha256="c" * 64)
        session.add_all([first, second, elsewhere])
        session.flush()
        for message, name in [
            (second, "lettre.pdf"),
            (first, "certificat.pdf"),
            (elsewhere, "x.pdf"),
        ]:
            session.add(Attachment(message_id=message.id, filename=name, sha256="d" * 64))  # type: ignore[arg-type]
        session.add(AuditEvent(case_id=case.id, action="case.created", at=now - timedelta(hours=1)))
        session.add(AuditEvent(case_id=case.id, actor="marie", action="case.assigned", at=now))
        session.add(AuditEvent(case_id=other.id, action="case.created"))
        case_id = case.id
    with session_scope(engine, write=False) as session:
        names = [a.filename for a in case_attachments(session, case_id)]  # type: ignore[arg-type]
        trail = [(e.actor, e.action) for e in case_audit(session, case_id)]  # type: ignore[arg-type]
    assert names == ["certificat.pdf", "lettre.pdf"]
    assert trail == [("bot", "case.created"), ("marie", "case.assigned")]
