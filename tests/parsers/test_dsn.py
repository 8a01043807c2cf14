"""Delivery reports (multipart/report) and failed recipients in free-text bounces."""

from __future__ import annotations

import base64

import pytest

from parsers.dsn import guess_failed_recipients, parse_fields
from parsers.mail import parse_mail

STATUS = """Reporting-MTA: dns; mx.example.fr
Arrival-Date: Mon, 3 Mar 2025 10:12:00 +0100

Final-Recipient: rfc822; inconnu@example.org
Original-Recipient: rfc822;Inconnu@Example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <inconnu@example.org>: Recipient address
 rejected: User unknown

Final-Recipient: rfc822; plein@example.org
Action: delayed
Status: 4.2.2 (mailbox full)
"""


def _report(status: str, status_headers: str = "Content-Type: message/delivery-status") -> bytes:
    return (
        "From: MAILER-DAEMON@example.fr (Mail Delivery System)\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--r\r\n{status_headers}\r\n\r\n" + status.replace("\n", "\r\n") + "\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: accueil@union-prof.asso.fr\r\nMessage-ID: <reply-42@union-prof.asso.fr>\r\n"
        "Subject: Votre demande\r\n\r\n--r--\r\n"
    ).encode()


def test_delivery_status_is_read() -> None:
    mail = parse_mail(_report(STATUS))
    report = mail.delivery_report
    assert report is not None
    assert report.report_type == "delivery-status"
    assert report.original_message_id == "<reply-42@union-prof.asso.fr>"
    first, second = report.recipients
    assert first.recipient == "inconnu@example.org"
    assert (first.action, first.status) == ("failed", "5.1.1")
    assert first.diagnostic is not None
    assert first.diagnostic.startswith("550 5.1.1") and "User unknown" in first.diagnostic
    assert (second.recipient, second.action, second.status) == (
        "plein@example.org",
        "delayed",
        "4.2.2",
    )
    assert "could not be delivered" in mail.text


def test_base64_status_part_is_decoded() -> None:
    encoded = base64.encodebytes(STATUS.encode()).decode()
    headers = "Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64"
    report = parse_mail(_report(encoded, headers)).delivery_report
    assert report is not None
    assert [r.recipient for r in report.recipients] == ["inconnu@example.org", "plein@example.org"]


def test_status_with_a_wrong_content_type() -> None:
    report = parse_mail(_report(STATUS, "Content-Type: text/plain")).delivery_report
    assert report is not None
    assert report.recipients[0].recipient == "inconnu@example.org"


def test_returned_full_message_gives_the_original_id() -> None:
    raw = (
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nechec\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\n"
        b"Status: 5.0.0\r\n\r\n"
        b"--r\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <orig@example.fr>\r\n"
        b"Subject: hello\r\n\r\nbody\r\n--r--\r\n"
    )
    mail = parse_mail(raw)
    assert mail.delivery_report is not None
    assert mail.delivery_report.original_message_id == "<orig@example.fr>"
    assert mail.attachments[0].is_message


def test_read_receipt_report() -> None:
    raw = (
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"\r\n'
        b"\r\n--r\r\nContent-Type: text/plain\r\n\r\nLu.\r\n"
        b"--r\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Final-Recipient: rfc822; lecteur@example.org\r\n"
        b"Original-Message-ID: <sent-1@union-prof.asso.fr>\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n--r--\r\n"
    )
    report = parse_mail(raw).delivery_report
    assert report is not None and report.report_type == "disposition-notification"
    assert report.original_message_id == "<sent-1@union-prof.asso.fr>"
    assert report.recipients[0].action is not None
    assert report.recipients[0].action.startswith("manual-action")


def test_plain_mail_has_no_report() -> None:
    assert parse_mail(b"Subject: x\r\n\r\nFinal-Recipient: rfc822; a@b.fr").delivery_report is None


def test_parse_fields_unfolds() -> None:
    blocks = parse_fields("A: 1\n  suite\nB: 2\n\nC: 3")
    assert blocks == [{"a": "1 suite", "b": "2"}, {"c": "3"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi. This is the qmail-send program at mx.example.com.\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
            "<nobody@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
            "<other@example.net>:\n552 mailbox full\n\n--- Below this line is a copy.\n"
            "From: accueil@union-prof.asso.fr\n",
            ("nobody@example.org", "other@example.net"),
        ),
        (
            "This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            "  lost@example.org\n    SMTP error from remote mail server after RCPT TO:"
            "<lost@example.org>:\n    550 No such user\n",
            ("lost@example.org",),
        ),
        (
            "<gone@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 "
            "<gone@example.org>: Recipient address rejected: User unknown\n",
            ("gone@example.org",),
        ),
        (
            "Your message to missing@example.org couldn't be delivered.\n"
            "missing wasn't found at example.org.\n",
            ("missing@example.org",),
        ),
        (
            "Delivery has failed to these recipients or groups:\n\n"
            "Jean Dupont (jean.dupont@example.org)\nThe e-mail address you entered couldn't be found.\n",
            ("jean.dupont@example.org",),
        ),
        (
            "Votre message n'a pas pu être remis à absent@example.fr car la boîte est pleine.\n",
            ("absent@example.fr",),
        ),
        (
            "Échec de la remise aux destinataires ou groupes suivants :\n\n"
            "inconnu@example.fr\nL'adresse de messagerie est introuvable.\n",
            ("inconnu@example.fr",),
        ),
        (
            "   ----- Transcript of session follows -----\n>>> MAIL From:<me@example.jp>\n"
            "554 <gone@example.edu>... Remote protocol error\n",
            ("gone@example.edu",),
        ),
        (
            "There was an error delivering your mail to <full@example.net>.\n",
            ("full@example.net",),
        ),
        ("Bonjour, voici mon adresse: moi@example.fr\nMerci\n", ()),
    ],
)
def test_guess_failed_recipients(text: str, expected: tuple[str, ...]) -> None:
    assert guess_failed_recipients(text) == expected


def test_guess_failed_recipients_is_linear() -> None:
    import time

    text = ("a." * 50000) + "@" + ("b." * 50000) + "\n" + "<" * 100000
    started = time.monotonic()
    assert guess_failed_recipients(text) == ()
    assert time.monotonic() - started < 5
