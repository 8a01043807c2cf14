"""FileOutbox: each reply becomes one parseable .eml file, written atomically."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from responders.files import FileOutbox
from responders.message import Reply, build_bytes, build_message, reply_envelope
from responders.render import RenderedText, render
from responders.sending import TemporaryFailure


def _message(n: int = 0) -> EmailMessage:
    rendered = render(
        "spreadsheet_missing_attachment",
        {"case_ref": "CQ-2025-000045", "sender_name": None, "nuc": None, "role": "certification"},
    )
    reply = Reply.create(
        "spreadsheet_missing_attachment",
        rendered,
        to=f"gestion.{n}@caf.fr",
        from_addr="certification@institutquatredix.fr",
        case_ref="CQ-2025-000045",
        their_message_id="<abc@caf.fr>",
        attachments=(("note é.txt", "text/plain", "Réponse\n".encode()),),
    )
    return build_message(reply)


def test_writes_one_parseable_eml_per_message(tmp_path: Path) -> None:
    outbox = FileOutbox(tmp_path / "outbox")
    msg = _message()
    result = outbox.send(msg)
    assert result.path is not None and result.path.parent == tmp_path / "outbox"
    assert re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{16}\.eml", result.path.name)
    assert result.message_id == msg["Message-ID"]
    assert result.accepted == ("gestion.0@caf.fr",)
    parsed = email.message_from_bytes(result.path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Message-ID"] == msg["Message-ID"]
    assert parsed["Subject"] == "[CQ-2025-000045] Tableau de recueil d'informations non joint"
    assert parsed["In-Reply-To"] == "<abc@caf.fr>"
    assert parsed["Auto-Submitted"] == "auto-replied"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and "aucun\ntableau n'y est joint" in body.get_content()
    [attachment] = parsed.iter_attachments()
    assert attachment.get_filename() == "note é.txt"
    # No temporary file is left behind.
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [result.path.name]


def test_each_message_gets_its_own_file(tmp_path: Path) -> None:
    with FileOutbox(tmp_path) as outbox:
        paths = [outbox.send(_message(n)).path for n in range(5)]
    assert len(set(paths)) == 5
    assert sorted(p.name for p in tmp_path.glob("*.eml")) == sorted(p.name for p in paths if p)
    assert not list(tmp_path.glob(".*.tmp"))


def test_unwritable_folder_is_a_temporary_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(TemporaryFailure, match="cannot write"):
        FileOutbox(blocker / "outbox").send(_message())


def test_send_bytes_writes_the_bytes_unchanged(tmp_path: Path) -> None:
    reply = Reply.create(
        "general_ack",
        RenderedText("Accusé de réception", "Bonjour,\nMerci.\n"),
        to="c@example.fr",
        from_addr="accueil@union-prof.asso.fr",
        case_ref="UP-2025-000007",
    )
    data = build_bytes(reply)
    result = FileOutbox(tmp_path).send_bytes(data, *reply_envelope(reply), reply.message_id)
    assert result.path is not None and result.path.read_bytes() == data
    assert result.accepted == ("c@example.fr",)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Message-ID"] == reply.message_id
