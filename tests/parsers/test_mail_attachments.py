"""Attachments: file names, inline images, forwarded mails, size cap, PDF text."""

from __future__ import annotations

import base64
import hashlib
from email.message import EmailMessage

from parsers.mail import parse_mail

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


def test_rfc2231_and_rfc2047_filenames() -> None:
    raw = (
        "From: a@example.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment;\r\n"
        " filename*0*=utf-8''arr%C3%AAt%20de%20;\r\n filename*1*=travail.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(b"%PDF-1.4 x") + "--b\r\n"
        'Content-Type: application/octet-stream; name="=?utf-8?Q?re=C3=A7u.png?="\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(PNG) + "--b--\r\n"
    ).encode()
    mail = parse_mail(raw, extract_text=False)
    assert [a.filename for a in mail.attachments] == ["arrêt de travail.pdf", "reçu.png"]
    pdf, png = mail.attachments
    assert pdf.declared_type == "application/octet-stream"
    assert pdf.sniffed_type == "application/pdf"
    assert pdf.extension == "pdf"
    assert pdf.size == 10 and pdf.sha256 == hashlib.sha256(b"%PDF-1.4 x").hexdigest()
    assert png.sniffed_type == "image/png"
    assert mail.text.strip() == "ci-joint"


def test_inline_logo_versus_attached_pdf(make_pdf) -> None:
    message = EmailMessage()
    message["From"] = "Jean <jean@example.fr>"
    message["Subject"] = "Certificat"
    message.set_content("Voir pièce jointe.")
    message.add_alternative(
        '<p>Voir pièce jointe.</p><img src="cid:logo123@example.fr">', subtype="html"
    )
    message.get_payload()[1].add_related(PNG, "image", "png", cid="<logo123@example.fr>")
    pdf = make_pdf(["AVIS D'ARRET DE TRAVAIL", "Page deux"])
    message.add_attachment(pdf, "application", "pdf", filename="arret.pdf")
    mail = parse_mail(message.as_bytes())
    logo, attached = mail.attachments
    assert logo.inline is True and logo.content_id == "logo123@example.fr"
    assert attached.inline is False and attached.filename == "arret.pdf"
    assert mail.files == (attached,)
    assert attached.text is not None and "AVIS D'ARRET DE TRAVAIL" in attached.text
    assert "Page deux" in attached.text
    assert mail.text.strip() == "Voir pièce jointe."


def test_inline_disposition_without_filename_is_inline() -> None:
    raw = (
        "From: a@example.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
        "--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(PNG) + "--b--\r\n"
    ).encode()
    (image,) = parse_mail(raw).attachments
    assert image.inline is True
    assert parse_mail(raw).files == ()


def test_forwarded_mail_with_a_pdf_inside(make_pdf) -> None:
    inner = EmailMessage()
    inner["From"] = "Médecin <doc@example.fr>"
    inner["Subject"] = "Votre arrêt de travail"
    inner.set_content("Veuillez trouver votre arrêt.")
    inner.add_attachment(make_pdf(["CERTIFICAT MEDICAL"]), "application", "pdf", filename="c.pdf")
    outer = EmailMessage()
    outer["From"] = "Jean <jean@example.fr>"
    outer["Subject"] = "Tr: justificatif"
    outer.set_content("Je vous transfère le mail du médecin.")
    outer.add_attachment(inner)
    mail = parse_mail(outer.as_bytes())
    forwarded, pdf = mail.attachments
    assert forwarded.is_message is True
    assert forwarded.filename == "Votre arrêt de travail.eml"
    assert forwarded.sniffed_type == "message/rfc822"
    assert forwarded.text is not None
    assert forwarded.text.startswith("Votre arrêt de travail\n")
    assert "Veuillez trouver votre arrêt." in forwarded.text
    assert pdf.from_forwarded is True and pdf.filename == "c.pdf"
    assert pdf.text is not None and "CERTIFICAT MEDICAL" in pdf.text
    # The forwarded body is not the sender's own text.
    assert "Veuillez trouver" not in mail.text


def test_text_attachment_is_read_and_size_cap_applies() -> None:
    message = EmailMessage()
    message["From"] = "a@example.fr"
    message.set_content("corps")
    message.add_attachment("nom;prénom\nDupont;Jean\n", filename="liste.txt")
    message.add_attachment(b"%PDF-1.4 " + b"0" * 5000, "application", "pdf", filename="big.pdf")
    mail = parse_mail(message.as_bytes(), max_attachment_bytes=1000)
    text_file, big = mail.attachments
    assert text_file.text == "nom;prénom\nDupont;Jean\n"
    assert big.size == 5009 and big.text is None
    assert any("attachment_too_large" in p for p in big.problems)
    assert any(p.startswith("big.pdf: attachment_too_large") for p in mail.problems)


def test_extract_text_false_skips_pdf(make_pdf) -> None:
    message = EmailMessage()
    message["From"] = "a@example.fr"
    message.set_content("corps")
    message.add_attachment(make_pdf(["texte"]), "application", "pdf", filename="a.pdf")
    (pdf,) = parse_mail(message.as_bytes(), extract_text=False).attachments
    assert pdf.text is None and pdf.sniffed_type == "application/pdf"


def test_encrypted_and_corrupt_pdfs_are_problems(make_pdf) -> None:
    message = EmailMessage()
    message["From"] = "a@example.fr"
    message.set_content("corps")
    locked = make_pdf(["secret"], user_password="motdepasse")
    message.add_attachment(locked, "application", "pdf", filename="locked.pdf")
    message.add_attachment(b"%PDF-1.7\n garbage", "application", "pdf", filename="bad.pdf")
    mail = parse_mail(message.as_bytes())
    locked_file, bad = mail.attachments
    assert "pdf_encrypted" in locked_file.problems and not locked_file.text
    assert any(p.startswith("pdf_unreadable") for p in bad.problems)


def test_base64_message_rfc822_is_reparsed() -> None:
    inner = b"Subject: interne\r\nFrom: x@example.fr\r\n\r\ntexte interne\r\n"
    raw = (
        "From: a@example.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nvoir\r\n"
        "--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(inner)
        + "--b--\r\n"
    ).encode()
    (forwarded,) = parse_mail(raw).attachments
    assert forwarded.is_message and forwarded.filename == "interne.eml"
    assert forwarded.text == "interne\ntexte interne\n"
