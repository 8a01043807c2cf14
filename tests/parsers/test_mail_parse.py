"""parse_mail: headers, charsets, bodies and robustness on hand-made mails."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from parsers.headers import decode_header, parse_addresses, parse_date
from parsers.mail import parse_mail
from parsers.types import InboundMail

SIMPLE = """
From: =?utf-8?Q?=C3=89lodie_Martin?= <elodie.martin@example.fr>
To: Accueil <accueil@union-prof.asso.fr>, "Dupont, Jean" <jean@example.fr>
Cc: <copie@example.fr>
Reply-To: Elodie <elodie.perso@example.fr>
Subject: =?iso-8859-1?Q?Demande_de_report_=E0_la?=
 =?iso-8859-1?Q?_session_suivante?=
Date: Mon, 31 Mar 2025 23:30:00 +0200
Message-ID:   <abc.123@example.fr>
In-Reply-To: <prev@union-prof.asso.fr> (Accueil's message)
References: <first@union-prof.asso.fr>
 <prev@union-prof.asso.fr>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Bonjour,

Je souhaite reporter mon épreuve.
"""


def test_headers_are_decoded_and_normalised(crlf) -> None:
    mail = parse_mail(crlf(SIMPLE))
    assert mail.subject == "Demande de report à la session suivante"
    assert mail.from_ is not None
    assert mail.from_.address == "elodie.martin@example.fr"
    assert mail.from_.name == "Élodie Martin"
    assert [a.address for a in mail.to] == ["accueil@union-prof.asso.fr", "jean@example.fr"]
    assert mail.to[1].name == "Dupont, Jean"
    assert [a.address for a in mail.cc] == ["copie@example.fr"]
    assert mail.reply_to[0].address == "elodie.perso@example.fr"
    assert mail.message_id == "<abc.123@example.fr>"
    assert mail.in_reply_to == "<prev@union-prof.asso.fr>"
    assert mail.references == ("<first@union-prof.asso.fr>", "<prev@union-prof.asso.fr>")
    assert mail.header("SUBJECT") == mail.subject
    assert ("content-type", "text/plain; charset=utf-8") in mail.headers
    assert "Je souhaite reporter mon épreuve." in mail.text
    assert mail.top_content_type == "text/plain"
    assert mail.problems == ()


def test_date_keeps_the_senders_offset(crlf) -> None:
    mail = parse_mail(crlf(SIMPLE))
    assert mail.date is not None
    # 23:30 in Paris on 31 March is already 1 April in UTC: the local date must stay.
    assert mail.date.date().isoformat() == "2025-03-31"
    assert mail.date.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    "value", ["not a date", "Mon, 99 Foo 2025 10:00:00 +0100", "", "Thu, 31 Feb 2025 10:00 +0000"]
)
def test_bad_dates_give_none(value: str) -> None:
    assert parse_date(value) is None


def test_bad_date_is_a_problem_not_an_error() -> None:
    mail = parse_mail(b"Date: someday soon\r\nSubject: x\r\n\r\nbody\r\n")
    assert mail.date is None
    assert "bad_date" in mail.problems


def test_missing_from_falls_back_to_reply_to() -> None:
    mail = parse_mail(b"Reply-To: <only@example.fr>\r\nSubject: x\r\n\r\nbody\r\n")
    assert mail.from_ is not None and mail.from_.address == "only@example.fr"
    assert mail.sender == "only@example.fr"
    assert "no_from" in mail.problems


def test_garbage_first_from_header_is_skipped() -> None:
    raw = b"From: [??????]\r\nFrom: Real <real@example.fr>\r\n\r\nx\r\n"
    assert parse_mail(raw).sender == "real@example.fr"


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ('"a secret" <power quadrant@example.com>', "powerquadrant@example.com"),
        ('"Lottery"@example.com>', '"Lottery"@example.com'),
        ("MAILER-DAEMON (Mail Delivery System)", "MAILER-DAEMON"),
    ],
)
def test_broken_addresses_are_tolerated(value: str, address: str) -> None:
    found = parse_addresses([value])
    assert found and found[0].address.replace(" ", "") == address


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?unicode-1-1-utf-7?Q?+ANw-bermittlung?=", "Übermittlung"),
        ("=?gb2312?B?" + base64.b64encode("测试镕".encode("gb18030")).decode() + "?=", "测试镕"),
        ("=?x-unknown?Q?caf=C3=A9?=", "café"),
        ("=?utf-8?B?not base64!!?=", "=?utf-8?B?not base64!!?="),
        ("=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"),
        ("Re: =?utf-8?Q?caf=C3=A9?= ok", "Re: café ok"),
        ("=?utf-8?B?w6k=?=\r\n =?utf-8?B?w6k=?=", "éé"),
    ],
)
def test_encoded_words(raw: str, expected: str) -> None:
    assert decode_header(raw) == expected


def test_raw_8bit_headers_are_read_as_utf8_then_cp1252() -> None:
    utf8 = "Subject: Réponse\r\n\r\nx".encode()
    latin = "Subject: Réponse\r\n\r\nx".encode("cp1252")
    assert parse_mail(utf8).subject == "Réponse"
    assert parse_mail(latin).subject == "Réponse"


def _plain(body: bytes, charset: str, cte: str = "8bit") -> bytes:
    head = f"From: a@example.fr\r\nContent-Type: text/plain; charset={charset}\r\n"
    return head.encode() + f"Content-Transfer-Encoding: {cte}\r\n\r\n".encode() + body


def test_latin1_declared_but_utf8_sent() -> None:
    mail = parse_mail(_plain("Ça a été envoyé à l'école".encode(), "iso-8859-1"))
    assert mail.text == "Ça a été envoyé à l'école"


def test_utf8_declared_but_latin1_sent() -> None:
    mail = parse_mail(_plain("Ça a été envoyé à l'école".encode("latin-1"), "utf-8"))
    assert mail.text == "Ça a été envoyé à l'école"
    assert any(p.startswith("charset_mismatch") for p in mail.problems)


def test_windows_1252_curly_quotes_declared_as_latin1() -> None:
    body = "L\u2019inscription \u201cvalidée\u201d \u2013 merci \u2026".encode("cp1252")
    mail = parse_mail(_plain(body, "iso-8859-1", "quoted-printable"))
    assert mail.text == "L\u2019inscription \u201cvalidée\u201d \u2013 merci \u2026"


def test_unknown_charset_falls_back() -> None:
    mail = parse_mail(_plain("déjà".encode(), "x-does-not-exist"))
    assert mail.text == "déjà"
    assert any(p.startswith("charset_unknown") for p in mail.problems)


def test_html_only_mail_becomes_text() -> None:
    html = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<p>Bonjour&nbsp;Madame,</p><p>Je n&#39;ai pas re&ccedil;u mon NUC &amp; mon mot "
        "de passe.<br>Merci</p><ul><li>un</li><li>deux</li></ul>"
        "<script>alert(1)</script><div>Fin</div></body></html>"
    )
    raw = b"From: a@example.fr\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    mail = parse_mail(raw)
    assert mail.html == html
    lines = [line for line in mail.text.split("\n") if line]
    assert lines == [
        "Bonjour Madame,",
        "Je n'ai pas reçu mon NUC & mon mot de passe.",
        "Merci",
        "- un",
        "- deux",
        "Fin",
    ]


def test_alternative_prefers_plain_and_keeps_html(crlf) -> None:
    raw = crlf(
        """
From: a@example.fr
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Texte brut
--b1
Content-Type: text/html; charset=utf-8

<p>Texte <b>HTML</b></p>
--b1--
"""
    )
    mail = parse_mail(raw)
    assert mail.text.strip() == "Texte brut"
    assert mail.html is not None and "<b>HTML</b>" in mail.html


def test_empty_plain_part_falls_back_to_html(crlf) -> None:
    raw = crlf(
        """
From: a@example.fr
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8


--b1
Content-Type: text/html; charset=utf-8

<div>Seulement en HTML</div>
--b1--
"""
    )
    assert parse_mail(raw).text == "Seulement en HTML"


def test_format_flowed_is_joined() -> None:
    body = b"Ceci est une ligne \r\ncoup\xc3\xa9e en deux.\r\n> cit\xc3\xa9 \r\n> suite\r\n"
    raw = (
        b"From: a@example.fr\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
        + body
    )
    text = parse_mail(raw).text
    assert "Ceci est une ligne coupée en deux." in text
    assert "> cité suite" in text


def test_uuencoded_block_becomes_an_attachment() -> None:
    import binascii

    payload = b"%PDF-1.4 fake pdf content for the test\n"
    encoded = binascii.b2a_uu(payload).decode()
    raw = (
        "From: a@example.fr\r\n\r\nVoici le fichier.\r\n\r\nbegin 644 scan.pdf\r\n"
        + encoded.replace("\n", "\r\n")
        + "`\r\nend\r\n\r\nMerci\r\n"
    ).encode()
    mail = parse_mail(raw, extract_text=False)
    assert [a.filename for a in mail.attachments] == ["scan.pdf"]
    assert mail.attachments[0].payload == payload
    assert mail.attachments[0].sniffed_type == "application/pdf"
    assert "begin 644" not in mail.text and "Merci" in mail.text


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff garbage \x89PNG not a mail",
        b"this is not an email at all",
        b"\r\n\r\n\r\n",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary given\r\n",
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n"
        b"\r\nnever closed",
        b'Subject: =?utf-8?B?////?=\r\nContent-Type: text/plain; charset=""\r\n\r\n\xff\xfe',
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!",
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nQQ",
        b"From: <>\r\nTo: ,,,;;<<>>\r\nDate: 99/99/99\r\nMessage-ID: \r\n\r\n",
    ],
)
def test_never_raises(raw: bytes) -> None:
    mail = parse_mail(raw)
    assert isinstance(mail, InboundMail)
    assert mail.size == len(raw)
    assert isinstance(mail.text, str)


def test_empty_input() -> None:
    mail = parse_mail(b"")
    assert mail.text == "" and mail.subject == "" and mail.from_ is None
    assert mail.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_garbage_is_kept_as_text_with_a_problem() -> None:
    mail = parse_mail(b"not a mail, 25 bytes long")
    assert "no_headers" in mail.problems
    assert mail.text == "not a mail, 25 bytes long"


def test_missing_boundary_keeps_the_text() -> None:
    raw = b"Content-Type: multipart/mixed\r\n\r\nle texte est ici\r\n"
    mail = parse_mail(raw)
    assert "multipart_without_parts" in mail.problems
    assert "le texte est ici" in mail.text


def test_junk_line_before_headers_is_repaired() -> None:
    raw = b"---- Original email message ----\r\nFrom: a@example.fr\r\nSubject: Hello\r\n\r\nbody"
    mail = parse_mail(raw)
    assert mail.subject == "Hello" and mail.sender == "a@example.fr"
    assert "headers_repaired" in mail.problems


def test_from_bytes_delegates() -> None:
    mail = InboundMail.from_bytes(b"Subject: s\r\n\r\nb", extract_text=False)
    assert mail.subject == "s" and mail.text == "b"
