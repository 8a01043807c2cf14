"""Small mails written for the bot tests: requests, follow-ups, attachments, bounces."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

ADDRESSES = {
    "accueil": "accueil@union-prof.asso.fr",
    "certification": "certification@institutquatredix.fr",
}

PROBLEM = (
    "Bonjour,\r\nJe n'ai jamais reçu mon NUC et je ne peux pas finaliser mon inscription "
    "à l'épreuve UP-EC1.\r\nCordialement,\r\nPaul Durand\r\n12 rue des Lilas\r\n"
    "69003 Lyon\r\n06 12 34 56 78\r\n"
)
MEDICAL_NO_PROOF = (
    "Bonjour,\r\nJe suis malade et hospitalisée la semaine de l'épreuve du 11 juin, je "
    "souhaite reporter mon inscription à la session suivante. Je vous enverrai le "
    "certificat médical dès que possible.\r\nNUC 2023-004512\r\nMarie Curie\r\n"
)


def plain(
    sender: str,
    subject: str,
    body: str,
    message_id: str,
    *,
    role: str = "accueil",
    in_reply_to: str | None = None,
    date: datetime | None = None,
) -> bytes:
    """A text/plain mail, CRLF, UTF-8."""
    thread = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    when = format_datetime(date or datetime(2025, 6, 2, 8, 0, tzinfo=UTC))
    return (
        f"From: {sender}\r\nTo: {ADDRESSES[role]}\r\nSubject: {subject}\r\n"
        f"Date: {when}\r\nMessage-ID: {message_id}\r\n{thread}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()


def with_attachment(
    sender: str,
    subject: str,
    body: str,
    message_id: str,
    attachment: tuple[str, str, bytes],
    *,
    role: str = "accueil",
    in_reply_to: str | None = None,
    date: datetime | None = None,
) -> bytes:
    """A mail with one attached file (filename, content type, bytes)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ADDRESSES[role]
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2025, 6, 2, 8, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body.replace("\r\n", "\n"))
    name, ctype, data = attachment
    maintype, subtype = ctype.split("/", 1)
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def certificate_pdf(text: str = "CERTIFICAT MEDICAL") -> bytes:
    """A one-page PDF whose text says it is a medical certificate (reportlab)."""
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    lines = [
        text,
        "Je soussigné, Docteur Jean Martin, certifie avoir examiné Mme Marie Curie",
        "et que son état de santé nécessite un arrêt de travail du 9 au 20 juin 2025.",
        "Certificat médical établi à la demande de l'intéressée.",
    ]
    for index, line in enumerate(lines):
        pdf.drawString(72, 760 - 18 * index, line)
    pdf.save()
    return buffer.getvalue()


def bounce(original_message_id: str, recipient: str, *, role: str = "accueil") -> bytes:
    """A Postfix-style DSN that returns our reply ``original_message_id``."""
    to = ADDRESSES[role]
    boundary = "B0UNCE.1749723302/mail.test"
    return (
        f"From: MAILER-DAEMON@mail.test (Mail Delivery System)\r\nTo: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Thu, 12 Jun 2025 12:15:02 +0200\r\n"
        f"Message-ID: <bounce.{base64.b32encode(original_message_id.encode()).decode()[:20]}@mail.test>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"<{recipient}>: host mx.test said: 550 5.1.1 User unknown\r\n"
        f"\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown\r\n"
        f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {to}\r\nTo: {recipient}\r\nSubject: reply\r\n"
        f"Message-ID: {original_message_id}\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_HEADER = (
    "Organisme", "Branche", "Nom", "Prénom", "NIR", "Date de naissance", "Email", "CQP",
    "Bloc(s)", "Certifiable à partir du", "Redoublant",
)  # fmt: skip


def nir(index: int) -> str:
    """A valid NIR (13 digits and their key), distinct per index."""
    body = f"1{85 + index % 10:02d}{1 + index % 12:02d}69{index % 1000:03d}{(index * 7) % 1000:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def collection_sheet(good: int, bad: int = 0) -> bytes:
    """A returned collection spreadsheet: ``good`` valid rows, ``bad`` rows without NIR."""
    from datetime import date
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Recueil"
    sheet.append(list(SHEET_HEADER))
    for index in range(good + bad):
        sheet.append(
            [
                "CAF du Rhône", "Famille", f"Nom{index}", f"Prénom{index}",
                nir(index) if index < good else None, date(1985, 5, 3), None, "GC", "1, 2",
                date(2025, 9, 15), "Non",
            ]
        )  # fmt: skip
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
