"""The reply e-mail: threading, loop-safety headers, UTF-8, attachments (parsed back)."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responders.message import (
    MAX_REFERENCES,
    Reply,
    build_bytes,
    build_message,
    new_message_id,
    parse_message_ids,
    subject_with_ref,
    thread_references,
)
from responders.render import RenderedText, render

INBOX = "accueil@union-prof.asso.fr"
THEIR_ID = "<CAF1x2y3@mail.gmail.com>"
THEIR_REFS = "<root.1@example.org>\r\n <middle.2@example.org>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reply(**changes: object) -> Reply:
    rendered = render(
        "deferral_received",
        {
            "case_ref": "UP-2025-000123",
            "sender_name": "Élodie Martin",
            "nuc": "2023-004512",
            "role": "accueil",
            "reason": "medical",
        },
    )
    reply = Reply.create(
        "deferral_received",
        rendered,
        to="Élodie Martin <elodie.martin@example.fr>",
        from_addr=INBOX,
        case_ref="UP-2025-000123",
        their_message_id=THEIR_ID,
        their_references=THEIR_REFS,
    )
    if changes:
        reply = Reply(**{**reply.__dict__, **changes})  # type: ignore[arg-type]
    return reply


def _parse(msg: EmailMessage) -> EmailMessage:
    raw = msg.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_headers_survive_a_round_trip_through_bytes() -> None:
    reply = _reply()
    parsed = _parse(build_message(reply))
    assert parsed["From"] == INBOX
    assert parsed["To"].addresses[0].display_name == "Élodie Martin"
    assert parsed["To"].addresses[0].addr_spec == "elodie.martin@example.fr"
    assert parsed["Subject"] == "[UP-2025-000123] Votre demande de report d'inscription"
    assert parsed["In-Reply-To"] == THEIR_ID
    assert parsed["References"].split() == [
        "<root.1@example.org>",
        "<middle.2@example.org>",
        THEIR_ID,
    ]
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    # RFC 3834 §3.1.8: no Precedence header on automatic replies.
    assert parsed["Precedence"] is None
    assert parsed["Message-ID"] == reply.message_id
    assert reply.message_id.endswith("@union-prof.asso.fr>")
    assert parsedate_to_datetime(parsed["Date"]).tzinfo is not None


def test_body_is_utf8_quoted_printable_and_accents_survive() -> None:
    msg = build_message(_reply())
    raw = msg.as_bytes()
    # Quoted-printable keeps the wire 7-bit: no raw accent bytes anywhere.
    assert raw.isascii()
    parsed = _parse(msg)
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    body = parsed.get_content()
    assert "Bonjour Élodie Martin," in body
    assert "certificat médical" in body
    assert "Le service Accueil — Union Prof" in body


def test_each_reply_gets_its_own_message_id_at_creation() -> None:
    first, second = _reply(), _reply()
    assert first.message_id != second.message_id
    # Building the mail twice (a resend) keeps the id made at creation.
    assert build_message(first)["Message-ID"] == build_message(first)["Message-ID"]


def test_attachments_are_added_and_read_back() -> None:
    data = b"PK\x03\x04" + bytes(range(256)) * 4
    reply = _reply(
        attachments=(
            ("Tableau recueil - annoté.xlsx", XLSX, data),
            ("erreurs.csv", "text/csv", "Ligne;Raison\n7;clé invalide\n".encode()),
        )
    )
    parsed = _parse(build_message(reply))
    assert parsed.get_content_type() == "multipart/mixed"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and "certificat médical" in body.get_content()
    files = {part.get_filename(): part for part in parsed.iter_attachments()}
    assert set(files) == {"Tableau recueil - annoté.xlsx", "erreurs.csv"}
    assert files["Tableau recueil - annoté.xlsx"].get_content_type() == XLSX
    assert files["Tableau recueil - annoté.xlsx"].get_payload(decode=True) == data
    assert (
        files["erreurs.csv"].get_payload(decode=True) == "Ligne;Raison\n7;clé invalide\n".encode()
    )


def test_no_threading_headers_for_a_mail_without_message_id() -> None:
    reply = Reply.create(
        "general_ack",
        RenderedText("Accusé de réception de votre message", "Bonjour,\n"),
        to="x@example.org",
        from_addr="Institut 4.10 <certification@institutquatredix.fr>",
        case_ref="CQ-2025-000045",
    )
    parsed = _parse(build_message(reply, date=datetime(2025, 3, 14, 9, 30, tzinfo=UTC)))
    assert parsed["In-Reply-To"] is None
    assert parsed["References"] is None
    assert reply.message_id.endswith("@institutquatredix.fr>")
    assert parsed["Date"] == "Fri, 14 Mar 2025 09:30:00 +0000"


def test_subject_reference_is_not_repeated_and_newlines_cannot_add_headers() -> None:
    assert subject_with_ref("Re: [UP-2025-000123] Report", "UP-2025-000123") == (
        "Re: [UP-2025-000123] Report"
    )
    reply = _reply(subject="Votre demande\r\nBcc: victime@example.org")
    parsed = _parse(build_message(reply))
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "[UP-2025-000123] Votre demande Bcc: victime@example.org"


def test_thread_references_dedupe_and_bound_the_header() -> None:
    assert thread_references("<a@x> <b@x>", "<b@x>") == ("<a@x>", "<b@x>")
    assert thread_references(None, "c@x") == ("<c@x>",)
    many = " ".join(f"<m{i}@x>" for i in range(30))
    refs = thread_references(many, "<last@x>")
    assert len(refs) == MAX_REFERENCES
    assert refs[0] == "<m0@x>" and refs[-1] == "<last@x>" and refs[-2] == "<m29@x>"


def test_long_references_header_keeps_every_id_intact() -> None:
    ids = tuple(f"<{'x' * 60}.{i}@very-long-domain.example.org>" for i in range(MAX_REFERENCES))
    parsed = _parse(build_message(_reply(references=ids)))
    assert tuple(parsed["References"].split()) == ids


def test_parse_message_ids_and_new_message_id_validation() -> None:
    assert parse_message_ids(["<a@b> (comment)", "<c@d>"]) == ("<a@b>", "<c@d>")
    assert parse_message_ids("") == ()
    assert new_message_id("Union-Prof.asso.fr").endswith("@union-prof.asso.fr>")
    with pytest.raises(ValueError):
        new_message_id("bad domain")
    with pytest.raises(ValueError):
        Reply.create(
            "general_ack",
            RenderedText("s", "b\n"),
            to="x@example.org",
            from_addr="not-an-address",
            case_ref="UP-2025-000001",
        )


# --- the MIME writer (build_bytes) -------------------------------------------------


def _lines(raw: bytes) -> list[bytes]:
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF in the message"
    return raw.split(b"\r\n")


def test_build_bytes_is_7bit_crlf_with_short_lines() -> None:
    reply = _reply(
        subject="Clôture de votre demande — réponse très détaillée à propos de votre "
        "inscription aux épreuves de la session d'automne",
        attachments=(("Tableau recueil - annoté.xlsx", XLSX, bytes(range(256)) * 20),),
    )
    raw = build_bytes(reply)
    assert raw.isascii()
    # Every line is folded under 78 characters, except the xlsx content type: one
    # token that cannot be folded.
    long_lines = [line for line in _lines(raw) if len(line) > 78]
    assert long_lines == [b"Content-Type: " + XLSX.encode()]
    parsed = _parse(build_message(reply))
    assert parsed["Subject"] == "[UP-2025-000123] " + reply.subject
    assert build_message(reply).as_bytes().count(b"Subject:") == 1


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("elodie@example.fr", [("", "elodie@example.fr")]),
        ("Élodie Martin <elodie@example.fr>", [("Élodie Martin", "elodie@example.fr")]),
        ('"Dupont, Marie" <m.dupont@caf.fr>', [("Dupont, Marie", "m.dupont@caf.fr")]),
        ("M. Jean Dupont <jd@example.fr>", [("M. Jean Dupont", "jd@example.fr")]),
        ('"Le \\"chef\\"" <c@example.fr>', [('Le "chef"', "c@example.fr")]),
        (
            "a@example.fr, Bé <b@example.fr>",
            [("", "a@example.fr"), ("Bé", "b@example.fr")],
        ),
    ],
)
def test_address_headers_round_trip(to: str, expected: list[tuple[str, str]]) -> None:
    parsed = _parse(build_message(_reply(to=to)))
    got = [(a.display_name, a.addr_spec) for a in parsed["To"].addresses]
    assert got == expected


def test_non_ascii_address_is_written_raw_utf8() -> None:
    raw = build_bytes(_reply(to="élodie@exemple.fr"))
    assert "To: élodie@exemple.fr\r\n".encode() in raw
    # RFC 6532: the header is UTF-8 text (the stdlib reads it from str, not bytes).
    parsed = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "élodie@exemple.fr"


def test_body_round_trips_exactly() -> None:
    body = (
        "Ligne avec espaces finaux   \n"
        "=3D n'est pas un code, a=b et 100 % ; tab\tici\n"
        ".\n"
        "From the start\n" + "é" * 120 + "\n" + "x" * 200 + "\n"
    )
    parsed = _parse(build_message(_reply(body=body)))
    assert parsed.get_content().replace("\r\n", "\n") == body


def test_references_header_is_folded_between_ids() -> None:
    ids = tuple(f"<{i}.{'y' * 30}@example.org>" for i in range(10))
    raw = build_bytes(_reply(references=ids))
    header = raw.split(b"\r\nReferences: ", 1)[1].split(b"\r\nAuto-Submitted", 1)[0]
    assert b"\r\n " in header
    assert tuple(_parse(build_message(_reply(references=ids)))["References"].split()) == ids


@settings(max_examples=60, deadline=None)
@given(
    subject=st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=200),
    name=st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=60),
    body=st.text(st.characters(blacklist_categories=["Cs"]), max_size=500),
)
def test_any_text_survives_the_writer(subject: str, name: str, body: str) -> None:
    subject = " ".join(subject.split()) or "x"
    name = " ".join(name.split())
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    to = f'"{quoted}" <elodie@example.fr>' if name else "elodie@example.fr"
    reply = _reply(subject=subject, body=body, to=to)
    raw = build_bytes(reply)
    assert raw.isascii()
    parsed = _parse(build_message(reply))
    assert parsed["Subject"] == "[UP-2025-000123] " + subject
    expected_body = body.replace("\r\n", "\n").replace("\r", "\n")
    assert parsed.get_content().replace("\r\n", "\n") == expected_body
    assert parsed["To"].addresses[0].addr_spec == "elodie@example.fr"
    if name:
        got = parsed["To"].addresses[0].display_name
        if len(name.encode()) <= 39:
            assert got == name
        else:
            # A long name spans several encoded words; the stdlib's phrase parser
            # keeps the space between them, which RFC 2047 §6.2 says to drop.
            assert got.replace(" ", "") == name.replace(" ", "")


@pytest.mark.parametrize(
    "filename",
    [
        "a.csv",
        "Tableau de recueil d'informations — CAF de la Haute-Garonne — session de juin 2025.xlsx",
        "Recueil " + "x" * 90 + ".ods",
        'nom "cité" et \\ barre.pdf',
    ],
)
def test_attachment_file_names_round_trip(filename: str) -> None:
    raw = build_bytes(_reply(attachments=((filename, "text/csv", b"a;b\r\n"),)))
    assert all(len(line) <= 78 for line in _lines(raw))
    parsed = _parse(build_message(_reply(attachments=((filename, "text/csv", b"a;b\r\n"),))))
    [part] = parsed.iter_attachments()
    assert part.get_filename() == filename
    assert part.get_payload(decode=True) == b"a;b\r\n"
