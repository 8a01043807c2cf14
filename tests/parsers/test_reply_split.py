"""split_reply and html_to_text: new text, quoted history and signature."""

from __future__ import annotations

import time

import pytest

from parsers.html import html_to_text
from parsers.mail import parse_mail
from parsers.reply import split_reply

GMAIL_FR = """Bonjour,

Je n'ai toujours pas reçu mon NUC.

Cordialement,
Élodie Martin
12 rue des Lilas
75011 Paris
06 12 34 56 78

Le lun. 3 mars 2025 à 10:12, Accueil Union Prof <accueil@union-prof.asso.fr> a
écrit :
> Bonjour,
> Votre demande a bien été reçue.
"""

OUTLOOK_FR = """Bonjour,
ci-joint mon certificat médical.

Bien cordialement
Jean Dupont
Tél. : 01 23 45 67 89

De : Accueil <accueil@union-prof.asso.fr>
Envoyé : lundi 3 mars 2025 10:12
À : Jean Dupont <jean.dupont@example.fr>
Objet : RE: Report

Bonjour Monsieur,
merci de nous envoyer un justificatif.
"""


def test_gmail_french_reply_wrapped_over_two_lines() -> None:
    parts = split_reply(GMAIL_FR)
    assert parts.new_text == "Bonjour,\n\nJe n'ai toujours pas reçu mon NUC."
    assert parts.quoted_text.startswith("Le lun. 3 mars 2025")
    assert "> Votre demande a bien été reçue." in parts.quoted_text
    # The signature keeps the coordinates the classifier needs.
    assert parts.signature.split("\n") == [
        "Élodie Martin",
        "12 rue des Lilas",
        "75011 Paris",
        "06 12 34 56 78",
    ]


def test_outlook_french_header_block() -> None:
    parts = split_reply(OUTLOOK_FR)
    assert parts.new_text == "Bonjour,\nci-joint mon certificat médical."
    assert parts.signature == "Jean Dupont\nTél. : 01 23 45 67 89"
    assert parts.quoted_text.startswith("De : Accueil")
    assert "merci de nous envoyer un justificatif." in parts.quoted_text


@pytest.mark.parametrize(
    "header",
    [
        "Le 03/03/2025 10:12, Accueil a écrit :",
        "On Mon, Mar 3, 2025 at 10:12 AM Accueil <accueil@union-prof.asso.fr> wrote:",
        "-----Message d'origine-----",
        "-----Original Message-----",
        "---- Original email message ----",
        "-------- Message transféré --------",
        "---------- Forwarded message ---------",
        "From: Accueil\nSent: Monday, March 3, 2025 10:12 AM\nTo: Jean\nSubject: RE: Report",
        "*De :* Accueil\n*Envoyé :* lundi 3 mars 2025\n*À :* Jean\n*Objet :* Report",
    ],
)
def test_history_headers(header: str) -> None:
    text = f"Mon nouveau texte.\n\n{header}\nL'ancien message.\n"
    parts = split_reply(text)
    assert parts.new_text == "Mon nouveau texte."
    assert parts.quoted_text.startswith(header.split("\n")[0])
    assert "L'ancien message." in parts.quoted_text


def test_forward_body_goes_to_history() -> None:
    text = "Voir ci-dessous.\n\n-------- Message transféré --------\nSujet : Report\nTexte"
    parts = split_reply(text)
    assert parts.new_text == "Voir ci-dessous."
    assert "Texte" in parts.quoted_text and "Texte" not in parts.new_text


def test_dash_dash_signature_and_iphone() -> None:
    parts = split_reply("Merci.\n-- \nJean Dupont\n06 00 00 00 00")
    assert (parts.new_text, parts.signature) == ("Merci.", "Jean Dupont\n06 00 00 00 00")
    parts = split_reply("Voici mon arrêt de travail.\n\nEnvoyé de mon iPhone")
    assert parts.new_text == "Voici mon arrêt de travail."
    assert parts.signature == ""


def test_closing_with_name_on_the_same_line() -> None:
    parts = split_reply("Merci de votre aide.\nCordialement, Jean Dupont")
    assert parts.new_text == "Merci de votre aide."
    assert parts.signature == "Jean Dupont"


def test_closing_word_inside_a_long_text_is_not_a_signature() -> None:
    body = "Cordialement vôtre, je reprends.\n" + "\n".join(f"Ligne {i}" for i in range(30))
    parts = split_reply(body)
    assert parts.signature == ""
    assert parts.new_text.endswith("Ligne 29")


def test_interleaved_answers_stay_new_text() -> None:
    text = "> Avez-vous votre NUC ?\nOui, 2023-004512.\n> Et votre adresse ?\nParis."
    parts = split_reply(text)
    assert parts.new_text == "Oui, 2023-004512.\nParis."
    assert parts.quoted_text == "> Avez-vous votre NUC ?\n> Et votre adresse ?"


def test_html_blockquote_becomes_quoted_history() -> None:
    html = (
        "<div>Ma réponse</div><div class=gmail_quote>Le lun. 3 mars 2025, X a écrit :"
        "<blockquote><p>Question</p></blockquote></div>"
    )
    text = html_to_text(html)
    assert "> Question" in text
    assert split_reply(text).new_text == "Ma réponse"


def test_pathological_quotes_are_linear() -> None:
    # A regex with nested quantifiers would take minutes on this; 5 s is a loose
    # bound that only a catastrophic backtracking regression would exceed.
    body = ("> " * 40 + "\n") * 2500 + "> " * 10000
    raw = b"From: a@example.fr\r\nContent-Type: text/plain\r\n\r\n" + body.encode()
    started = time.monotonic()
    mail = parse_mail(raw)
    assert time.monotonic() - started < 5
    assert mail.new_text == ""


def test_hostile_html_is_linear() -> None:
    html = "<a " * 20000 + "<!--" + "x<" * 20000
    started = time.monotonic()
    text = html_to_text(html)
    assert time.monotonic() - started < 5
    assert isinstance(text, str)


def test_mail_exposes_the_split() -> None:
    raw = (
        b"From: a@example.fr\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + OUTLOOK_FR.replace("\n", "\r\n").encode()
    )
    mail = parse_mail(raw)
    assert mail.new_text == "Bonjour,\nci-joint mon certificat médical."
    assert mail.signature.startswith("Jean Dupont")
    assert mail.quoted_text.startswith("De : Accueil")


def test_postscript_after_the_closing_is_new_text() -> None:
    parts = split_reply("Merci.\n\nCordialement,\nJean Dupont\n\nPS : mon NUC est 2023-004512")
    assert parts.signature == "Jean Dupont"
    assert parts.new_text == "Merci.\n\nPS : mon NUC est 2023-004512"


def test_early_dash_dash_line_is_not_a_signature() -> None:
    body = "Intro\n--\n" + "\n".join(f"Point {i}" for i in range(40))
    parts = split_reply(body)
    assert parts.signature == "" and parts.new_text.endswith("Point 39")


def test_polite_lines_alone_close_the_mail() -> None:
    parts = split_reply("Voici mon certificat.\n\nMerci d'avance,\nCordialement,\nJean Dupont")
    assert (parts.new_text, parts.signature) == ("Voici mon certificat.", "Jean Dupont")
    # Not alone on its line, or the whole mail: it is the message itself.
    parts = split_reply("Merci d'avance de me renvoyer mon NUC.\nJean")
    assert parts.new_text == "Merci d'avance de me renvoyer mon NUC.\nJean"
    assert split_reply("Merci.").new_text == "Merci."
