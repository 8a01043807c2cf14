"""Benchmark: classification throughput (issue "The brain").

Prints, for the same generated mails in the same run:
- the stdlib baseline: ``email.message_from_bytes(policy=default)`` walking every part
  with ``get_content()``;
- intake: ``InboundMail.from_bytes`` + ``classify`` (the whole dry run but file I/O);
for text-only mails and for mails carrying a 3-page PDF, with mails/second, the ratio
to the baseline, and peak memory. Run: ``python benchmarks/bench_classify.py``.
"""

from __future__ import annotations

import email
import email.policy
import gc
import io
import resource
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

from intake.classify import classify
from intake.config import Config
from parsers.types import InboundMail

BODIES = [
    "Bonjour,\n\nJ'ai perdu mon NUC et je ne peux pas m'inscrire à l'épreuve UP-EC1.\n"
    "Pouvez-vous me le renvoyer ?\n\nCordialement,\nMarie Dupont\n12 rue des Lilas\n"
    "69003 Lyon\n06 12 34 56 78\n",
    "Bonjour, quand je tape mon code département aucun centre ne s'affiche. Merci\n",
    "Madame, Monsieur,\n\nSuite à une hospitalisation je ne pourrai pas me présenter à "
    "l'épreuve du 18 mars. Je demande le report de mon inscription à la session "
    "suivante. NUC 2023-004512.\n\nBien à vous,\nPaul Martin\n",
    "Bonjour, je n'ai jamais reçu le mail de confirmation étape 1 sur 3, même dans mes "
    "spams. Merci de votre aide.\nJulie\n\nLe lun. 3 mars 2025 à 10:12, Accueil "
    "<accueil@union-prof.asso.fr> a écrit :\n> Bonjour,\n> merci de préciser votre NUC.\n",
    "Bonjour, nous n'arrivons plus à nous connecter à myCertif UCANSS.\nCordialement\n",
    "Merci beaucoup pour votre réponse rapide !\n",
]


def make_text_mails(count: int) -> list[bytes]:
    mails = []
    start = datetime(2025, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    for i in range(count):
        msg = EmailMessage()
        msg["From"] = f"Candidat {i} <candidat{i}@example.fr>"
        msg["To"] = "accueil@union-prof.asso.fr"
        msg["Subject"] = f"Demande n°{i} — inscription"
        msg["Date"] = format_datetime(start + timedelta(minutes=i))
        msg["Message-ID"] = f"<bench-{i}@example.fr>"
        body = BODIES[i % len(BODIES)]
        if i % 3 == 0:
            msg.set_content(body)
            msg.add_alternative(
                f"<html><body><p>{body.replace(chr(10), '<br>')}</p></body></html>", subtype="html"
            )
        else:
            msg.set_content(body)
        mails.append(bytes(msg))
    return mails


def three_page_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for page in range(3):
        y = 800
        for line in (
            "CERTIFICAT MEDICAL",
            "Je soussigne, Docteur Anne Martin, certifie avoir",
            "examine M. Paul Martin et que son etat de sante necessite un arret",
            f"de travail. Page {page + 1}.",
            *("Texte de remplissage." for _ in range(30)),
        ):
            pdf.drawString(72, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def make_pdf_mails(count: int) -> list[bytes]:
    pdf = three_page_pdf()
    mails = []
    for i, raw in enumerate(make_text_mails(count)):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        if msg.is_multipart():
            msg.make_mixed()
        msg.add_attachment(
            pdf, maintype="application", subtype="pdf", filename=f"certificat-{i}.pdf"
        )
        mails.append(bytes(msg))
    return mails


def stdlib(raw: bytes) -> None:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in msg.walk():
        if not part.is_multipart():
            part.get_content()


def measure(
    label: str, mails: list[bytes], fn: Callable[[bytes], object], rounds: int = 3
) -> float:
    best = 0.0
    for _ in range(rounds):
        gc.collect()
        started = time.perf_counter()
        for raw in mails:
            fn(raw)
        best = max(best, len(mails) / (time.perf_counter() - started))
    tracemalloc.start()
    for raw in mails[:200]:
        fn(raw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label:<42} {best:>9.0f} mails/s   peak traced {peak / 1e6:6.1f} MB")
    return best


def main() -> None:
    config = Config()

    def ours(raw: bytes) -> object:
        return classify(InboundMail.from_bytes(raw), "accueil", config)

    text = make_text_mails(2000)
    ours(text[0])  # Compiles the phrase lists once, as the running bot does at start.
    print(f"text-only mails ({len(text)}, one core):")
    base = measure("stdlib email (policy=default, walk all parts)", text, stdlib)
    rate = measure("intake parse + classify", text, ours)
    print(f"  ratio intake/stdlib: {rate / base:.2f} (target >= 0.33); target >= 500 mails/s")
    pdfs = make_pdf_mails(300)
    print(f"mails with a 3-page PDF ({len(pdfs)}):")
    base = measure("stdlib email (policy=default, walk all parts)", pdfs, stdlib)
    rate = measure("intake parse + PDF text + classify", pdfs, ours)
    print(f"  ratio intake/stdlib: {rate / base:.2f}; target >= 100 mails/s")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
