"""Property tests: parse_mail returns an InboundMail for any bytes, however mangled."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.dsn import guess_failed_recipients
from parsers.html import html_to_text
from parsers.mail import parse_mail
from parsers.reply import split_reply
from parsers.types import InboundMail


def _sample_mail() -> bytes:
    message = EmailMessage()
    message["From"] = "Élodie <elodie@example.fr>"
    message["To"] = "accueil@union-prof.asso.fr"
    message["Subject"] = "Report d'épreuve – justificatif"
    message["Date"] = "Mon, 03 Mar 2025 10:12:00 +0100"
    message.set_content("Bonjour,\n\nci-joint.\n\nCordialement,\nÉlodie\n\n> ancien\n")
    message.add_alternative("<p>Bonjour,</p><p>ci-joint.</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4\n%%EOF", "application", "pdf", filename="a.pdf")
    return message.as_bytes()


SAMPLE = _sample_mail()

_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    mail = parse_mail(raw)
    assert isinstance(mail, InboundMail) and mail.size == len(raw)
    # The last-resort boundary is for bugs: ordinary garbage must not reach it.
    assert not any(p.startswith("parser_error") for p in mail.problems)


@_settings
@given(
    st.lists(
        st.tuples(st.integers(0, len(SAMPLE) - 1), st.binary(min_size=0, max_size=8)),
        min_size=1,
        max_size=12,
    )
)
def test_mangled_mails_never_raise(edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(SAMPLE)
    for position, replacement in edits:
        raw[position : position + len(replacement) or position + 1] = replacement
    mail = parse_mail(bytes(raw))
    assert isinstance(mail, InboundMail)
    assert isinstance(mail.new_text, str) and isinstance(mail.signature, str)
    assert not any(p.startswith(("parser_error", "part_unreadable")) for p in mail.problems)


@_settings
@given(st.text(max_size=2000))
def test_text_helpers_never_raise(text: str) -> None:
    parts = split_reply(text)
    assert len(parts.new_text) <= len(text)
    assert isinstance(html_to_text(text), str)
    assert all("@" in address for address in guess_failed_recipients(text))
