"""Core writes for the hot path give the same rows as ORM objects would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from sqlmodel import select

from store.db import session_scope
from store.fast import insert_row, insert_rows, update_row
from store.models import Attachment, AuditEvent, Case, Message, Reply
from store.queue import queue


def test_insert_row_applies_defaults_normalisation_and_case_hooks(engine: Engine) -> None:
    created = datetime(2025, 5, 2, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(engine) as session:
        case_id = insert_row(
            session,
            Case,
            {
                "ref": "UP-2025-000001",
                "role": "accueil",
                "mailbox": "Accueil@UP.fr",
                "kind": "deferral_request",
                "nuc": "2023-004512",
                "sender_email": "Jeanne@Example.FR",
                "sender_name": "Jeanne Dupont",
                "created_at": created,
            },
        )
        closed_id = insert_row(
            session,
            Case,
            {
                "ref": "UP-2025-000002",
                "role": "accueil",
                "mailbox": "a@up.fr",
                "kind": "other",
                "status": "resolved",
            },
        )
        message_id = insert_row(
            session,
            Message,
            {"case_id": case_id, "message_id": "m1@example.fr", "sha256": "a" * 64},
        )
        reply_id = insert_row(
            session,
            Reply,
            {
                "case_id": case_id,
                "message_id": "r1@up.fr",
                "in_reply_to_id": message_id,
                "template": "deferral_received",
                "from_addr": "accueil@up.fr",
                "to_addr": "Jeanne@Example.fr",
                "subject": "s",
                "body": "b",
            },
        )
        insert_rows(
            session,
            Attachment,
            [
                {"message_id": message_id, "filename": "certificat.pdf", "sha256": "b" * 64},
                {"message_id": message_id, "filename": "photo.jpg", "sha256": "c" * 64},
            ],
        )
        insert_rows(session, Attachment, [])
        insert_row(session, AuditEvent, {"case_id": case_id, "action": "case.created"})
    with session_scope(engine, write=False) as session:
        case = session.get(Case, case_id)
        closed = session.get(Case, closed_id)
        message = session.get(Message, message_id)
        reply = session.get(Reply, reply_id)
        files = session.exec(select(Attachment).order_by(Attachment.id)).all()  # type: ignore[arg-type]
        event = session.exec(select(AuditEvent)).one()
    assert case is not None and closed is not None and message is not None and reply is not None
    assert case.status == "new" and case.fields == {} and case.reasons == []
    assert case.created_at == created and case.waiting_since == created
    assert case.created_at.tzinfo is not None and case.created_at.hour == 8
    assert case.mailbox == "accueil@up.fr" and case.sender_email == "jeanne@example.fr"
    assert "2023004512" in case.search_text and "jeanne dupont" in case.search_text
    assert closed.waiting_since is None
    assert message.message_id == "<m1@example.fr>" and message.direction == "in"
    assert reply.state == "pending" and reply.attempts == 0 and reply.to_addr == "jeanne@example.fr"
    assert [(a.filename, a.inline) for a in files] == [
        ("certificat.pdf", False),
        ("photo.jpg", False),
    ]
    assert event.actor == "bot" and event.at.tzinfo is not None


def test_update_row_keeps_search_text_right(engine: Engine) -> None:
    with session_scope(engine) as session:
        case_id = insert_row(
            session,
            Case,
            {
                "ref": "UP-2025-000001",
                "role": "accueil",
                "mailbox": "a@up.fr",
                "kind": "other",
                "sender_name": "Zoé Petit",
            },
        )
    with session_scope(engine) as session:
        update_row(session, Case, case_id, {"nuc": "2022-123456", "status": "to_review"})
        update_row(session, Case, case_id, {})
    with session_scope(engine, write=False) as session:
        found = queue(session, search="2022123456").cases
        assert [c.id for c in found] == [case_id]
        assert [c.id for c in queue(session, search="zoe").cases] == [case_id]
        case = session.get(Case, case_id)
    assert case is not None and case.status == "to_review"
    assert case.updated_at > case.created_at - timedelta(seconds=1)
    assert case.updated_at.tzinfo == UTC
