"""Rule behaviour that the golden corpus does not pin down: configuration keywords,
reasons, quoted history, robots before everything."""

from __future__ import annotations

import tomllib

from intake.classification import Kind
from intake.classify import classify
from intake.config import Config, parse_config
from parsers.types import InboundMail


def mail(
    body: str, subject: str = "Demande", headers: str = "", sender: str = "a@example.fr"
) -> InboundMail:
    raw = (
        f"From: Candidat <{sender}>\r\nTo: accueil@union-prof.asso.fr\r\n"
        f"Subject: {subject}\r\nDate: Mon, 3 Mar 2025 10:00:00 +0100\r\n{headers}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode() + body.encode()
    return InboundMail.from_bytes(raw)


ZONA = mail("Bonjour, je demande le report de mon inscription à cause d'un zona.\nLéa Petit\n")


def test_a_staff_keyword_is_one_line_of_configuration() -> None:
    before = classify(ZONA, "accueil", Config())
    assert before.reason is not None and before.reason.value == "other"
    config = parse_config(tomllib.loads('[keywords]\nmedical = ["zona"]\n'))
    after = classify(ZONA, "accueil", config)
    assert after.reason is not None and after.reason.value == "medical"
    assert any(r.rule == "deferral.reason.medical" and r.evidence == "zona" for r in after.reasons)
    assert after.reply_template == "deferral_missing_justification"


def test_quoted_history_does_not_decide() -> None:
    body = (
        "Merci, c'est parfait.\n\n"
        "Le lun. 3 mars 2025 à 10:12, Accueil <accueil@union-prof.asso.fr> a écrit :\n"
        "> Votre demande de report pour raison médicale NUC 2023-004512 est reçue.\n"
    )
    result = classify(mail(body, subject="Re: votre demande"), "accueil", Config())
    assert result.kind is Kind.OTHER
    assert result.nuc is None


def test_robots_come_first_and_get_no_reply() -> None:
    body = "Je suis absente du bureau jusqu'au 17 mars. Pour un report, voir le service RH."
    result = classify(mail(body, headers="Auto-Submitted: auto-replied\r\n"), "accueil", Config())
    assert result.kind is Kind.AUTO_REPLY and result.reply_template is None
    assert result.reasons[0].rule == "robot.auto_reply.auto_submitted"


def test_noreply_sender_gets_no_reply_but_keeps_its_kind() -> None:
    body = "Bonjour, je n'ai pas reçu mon NUC, pouvez-vous me le renvoyer ?"
    result = classify(mail(body, sender="no-reply@example.fr"), "accueil", Config())
    assert result.kind is Kind.PROBLEM_REPORT
    assert result.reply_template is None and result.reply_blocked is not None


def test_per_sender_limit() -> None:
    body = "Bonjour, je n'ai pas reçu mon NUC, pouvez-vous me le renvoyer ?"
    config = Config()
    limit = config.replies.max_per_sender_per_day
    assert classify(mail(body), "accueil", config, sent_last_24h=limit - 1).reply_template
    assert classify(mail(body), "accueil", config, sent_last_24h=limit).reply_template is None


def test_general_ack_can_be_switched_off() -> None:
    config = parse_config(tomllib.loads("[replies]\ngeneral_ack = false\n"))
    result = classify(mail("Quelles sont vos heures d'ouverture ?"), "accueil", config)
    assert result.kind is Kind.OTHER and result.reply_template is None
