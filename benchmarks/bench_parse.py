"""Measure how many text-only mails per second ``parse_mail`` reads, against the stdlib.

The baseline is what Python's ``email`` package alone costs with the modern policy:
``message_from_bytes(raw, policy=email.policy.default)`` then ``get_content()`` on every
part. Run: ``.venv/bin/python benchmarks/bench_parse.py [--mails N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import random
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parsers.mail import parse_mail  # noqa: E402

_WORDS = [
    "bonjour",
    "je",
    "souhaite",
    "reporter",
    "mon",
    "inscription",
    "à",
    "la",
    "session",
    "suivante",
    "pour",
    "raison",
    "médicale",
    "vous",
    "trouverez",
    "ci-joint",
    "le",
    "certificat",
    "merci",
    "de",
    "votre",
    "retour",
    "numéro",
    "candidat",
    "épreuve",
    "centre",
    "examen",
    "paiement",
    "mot",
    "de",
    "passe",
    "confirmation",
    "étape",
    "reçu",
    "délai",
]


def _paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def make_mail(rng: random.Random, index: int) -> bytes:
    """One text-only mail: plain, HTML alternative, or a reply with quoted history."""
    message = EmailMessage()
    message["From"] = f"Élodie Martin {index} <elodie.martin{index}@example.fr>"
    message["To"] = "Accueil <accueil@union-prof.asso.fr>"
    message["Subject"] = f"Re: Demande de report n°{index} – épreuve"
    message["Date"] = "Mon, 03 Mar 2025 10:12:00 +0100"
    message["Message-ID"] = f"<{index}.bench@example.fr>"
    message["In-Reply-To"] = f"<{index - 1}.bench@example.fr>"
    body = "\n\n".join(_paragraph(rng, rng.randint(15, 60)) for _ in range(rng.randint(1, 4)))
    kind = index % 3
    if kind == 1:
        body += (
            "\n\nCordialement,\nÉlodie Martin\n06 12 34 56 78\n\n"
            "Le lun. 3 mars 2025 à 09:00, Accueil <accueil@union-prof.asso.fr> a écrit :\n"
            + "\n".join("> " + _paragraph(rng, 12) for _ in range(8))
        )
    message.set_content(body, cte="quoted-printable" if index % 2 else "8bit")
    if kind == 2:
        html = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        message.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
    return message.as_bytes()


def stdlib_baseline(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        if not part.is_multipart():
            part.get_content()


def rate(function: Callable[[bytes], object], mails: list[bytes], rounds: int) -> float:
    """Best mails-per-second over ``rounds`` passes (the least disturbed by other load)."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for raw in mails:
            function(raw)
        elapsed = time.perf_counter() - started
        best = max(best, len(mails) / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(42)
    mails = [make_mail(rng, index) for index in range(args.mails)]
    average = sum(len(m) for m in mails) // len(mails)
    parse_mail(mails[0])  # Warm caches and imports outside the measurement.
    ours = rate(parse_mail, mails, args.rounds)
    baseline = rate(stdlib_baseline, mails, args.rounds)
    print(f"mails: {len(mails)} text-only, average {average} bytes")
    print(f"parse_mail:             {ours:8.0f} mails/s")
    print(f"stdlib (policy.default): {baseline:8.0f} mails/s")
    print(f"ratio parse_mail/stdlib: {ours / baseline:8.2f} (must be >= 0.33)")


if __name__ == "__main__":
    main()
