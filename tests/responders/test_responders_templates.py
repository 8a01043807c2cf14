"""The French reply templates: every one renders, says what SPEC §4 asks, and fails loudly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from intake.classification import SpreadsheetSummary, Topic
from responders.render import CONTRACTS, Renderer, TemplateError, available_templates, render

EXAMS = [
    {"code": "UP-EC1", "label": "Épreuve de connaissances générales"},
    {"code": "UP-EP2", "label": "Épreuve pratique professionnelle"},
    {"code": "UP-EO3", "label": "Épreuve orale d'entretien"},
    {"code": "UP-CERT", "label": "Certification complète"},
]
CANDIDATE = {
    "case_ref": "UP-2025-000123",
    "sender_name": "Élodie Martin",
    "nuc": "2023-004512",
    "role": "accueil",
}
ORGANISATION = {
    "case_ref": "CQ-2025-000045",
    "sender_name": None,
    "nuc": None,
    "role": "certification",
}
ROWS = [
    {
        "row_number": 7,
        "name": "Dupont Marie",
        "bucket": "invalid",
        "bucket_label": "Invalide",
        "reason": "NIR invalide (clé de contrôle incorrecte)",
    },
    {
        "row_number": 12,
        "name": "Leroy Jean",
        "bucket": "late",
        "bucket_label": "En retard",
        "reason": "retour attendu au plus tard le 31/03/2025",
    },
    {
        "row_number": 15,
        "name": "Nguyen Thi",
        "bucket": "redoublant",
        "bucket_label": "Redoublant",
        "reason": "candidat redoublant (hors recueil)",
    },
]
SUMMARY = {"rows": 12, "accepted": 9, "late": 1, "invalid": 1, "redoublant": 1}

# A realistic context for every template (merged over CANDIDATE or ORGANISATION).
SAMPLES: dict[str, dict[str, Any]] = {
    "problem_report_ack": {**CANDIDATE, "topic": "password_reset"},
    "problem_report_incomplete": {
        **CANDIDATE,
        "topic": "no_centre_listed",
        "missing": ["phone", "exam_reference"],
        "exams": EXAMS,
    },
    "deferral_received": {**CANDIDATE, "reason": "medical", "asks_refund": False},
    "deferral_missing_justification": {**CANDIDATE, "reason": "employer_refusal"},
    "deferral_ineligible": {**CANDIDATE, "reason": "other", "asks_refund": True},
    "spreadsheet_receipt": {
        **ORGANISATION,
        "summary": SUMMARY,
        "rejected_rows": ROWS,
        "filename": "Tableau recueil CAF 2025.xlsx",
        "annotated_filename": "Tableau recueil CAF 2025 - annoté.xlsx",
    },
    "spreadsheet_missing_attachment": dict(ORGANISATION),
    "spreadsheet_unreadable": {**ORGANISATION, "filename": "recueil.xlsx", "error": None},
    "mycertif_access": {**ORGANISATION, "mycertif_address": "mycertifucanss@ucanss.fr"},
    "general_ack": dict(CANDIDATE),
    "deferral_granted": {**CANDIDATE, "next_session": "session de juin 2025"},
    "deferral_refused": {
        **CANDIDATE,
        "refusal_reason": "le certificat transmis ne couvre pas la date des épreuves",
    },
    "case_closed": dict(ORGANISATION),
    "request_info": {
        **CANDIDATE,
        "message": "Merci de nous transmettre une copie lisible de votre certificat médical.",
    },
}

SIGNATURES = {
    "accueil": "Le service Accueil — Union Prof",
    "certification": "L'équipe administrative des examens et jurys professionnels — Institut 4.10",
}

GUIDANCE = {
    "nuc_request": "« demander son NUC »",
    "password_reset": "« demander son mot de passe »",
    "confirmation_mail_missing": "courriers indésirables (spam)",
    "no_centre_listed": "saisir un autre code département",
    "centre_refused": "sélectionnez un autre centre",
    "payment": "sous 72 heures ouvrées",
    "first_registration": "mode opératoire A, disponible sur www.union-prof.asso.fr/inscriptions",
}

RULES = (
    "une inscription validée ne peut pas être annulée",
    "ne\n  peuvent pas être remboursés",
    "uniquement vers la session suivante",
    "justifiée par un certificat médical",
    "courrier de\n    refus de l'employeur ou par le courrier de demande de report",
    "aucun autre motif d'absence ne permet un report",
)


def test_every_spec_template_exists_and_no_other() -> None:
    expected = {
        "problem_report_ack",
        "problem_report_incomplete",
        "deferral_received",
        "deferral_missing_justification",
        "deferral_ineligible",
        "spreadsheet_receipt",
        "spreadsheet_missing_attachment",
        "spreadsheet_unreadable",
        "mycertif_access",
        "general_ack",
        "deferral_granted",
        "deferral_refused",
        "case_closed",
        "request_info",
    }
    assert set(available_templates()) == expected
    assert set(CONTRACTS) == expected
    assert set(SAMPLES) == expected


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_template_renders_french_with_its_pieces(name: str) -> None:
    context = SAMPLES[name]
    out = render(name, context)
    text = out.subject + "\n" + out.body
    for leftover in ("{{", "}}", "{%", "%}", "{#", "Undefined", "None"):
        assert leftover not in text, f"{name}: leftover {leftover!r}"
    assert out.subject and "\n" not in out.subject
    assert context["case_ref"] in out.body
    assert out.body.rstrip().endswith(SIGNATURES[context["role"]])
    greeting = "Bonjour Élodie Martin," if context["sender_name"] else "Madame, Monsieur,"
    assert out.body.startswith(greeting + "\n\n")
    # French, with its accents, and no stray blank-line runs.
    assert re.search(r"\b(nous|vous|votre)\b", out.body)
    assert any(ch in out.body for ch in "éèàç")
    assert "\n\n\n" not in out.body
    assert out.body.endswith("\n") and not out.body.endswith("\n\n")


@pytest.mark.parametrize("topic", sorted(GUIDANCE))
@pytest.mark.parametrize("template", ["problem_report_ack", "problem_report_incomplete"])
def test_problem_reports_give_the_topic_guidance(template: str, topic: str) -> None:
    body = render(template, {**SAMPLES[template], "topic": topic}).body
    flat = " ".join(body.split())
    assert " ".join(GUIDANCE[topic].split()) in flat
    for other, phrase in GUIDANCE.items():
        if other != topic:
            assert " ".join(phrase.split()) not in flat, f"{topic} shows {other}'s guidance"


def test_topic_other_gives_no_procedure_guidance_and_enums_work() -> None:
    body = render("problem_report_ack", {**CANDIDATE, "topic": Topic.OTHER}).body
    assert "Nos services étudient votre demande" in body
    assert not any(" ".join(p.split()) in " ".join(body.split()) for p in GUIDANCE.values())
    enum_body = render("problem_report_ack", {**CANDIDATE, "topic": Topic.PAYMENT}).body
    assert "72 heures ouvrées" in enum_body


def test_incomplete_lists_exactly_what_is_missing() -> None:
    everything = ["name", "phone", "postal_address", "exam_reference"]
    body = render(
        "problem_report_incomplete", {**SAMPLES["problem_report_incomplete"], "missing": everything}
    ).body
    assert "- vos nom et prénom" in body
    assert "- votre numéro de téléphone ;" in body
    assert "- votre adresse postale complète" in body
    assert (
        "- la référence des épreuves auxquelles vous souhaitez vous inscrire "
        "(ex. UP-EC1 — Épreuve de connaissances générales)." in body
    )
    for exam in EXAMS:
        assert f"{exam['code']} — {exam['label']}" in body
    assert "capture d'écran" in body

    only_phone = render(
        "problem_report_incomplete", {**SAMPLES["problem_report_incomplete"], "missing": ["phone"]}
    ).body
    assert "- votre numéro de téléphone." in only_phone
    assert "nom et prénom" not in only_phone
    assert "adresse postale" not in only_phone
    assert "UP-EO3" not in only_phone


def test_incomplete_reminds_the_nuc_or_thanks_for_it() -> None:
    context = SAMPLES["problem_report_incomplete"]
    with_nuc = render("problem_report_incomplete", context).body
    assert "2023-004512" in with_nuc
    without = render("problem_report_incomplete", {**context, "nuc": None}).body
    assert "Merci d'indiquer également votre NUC" in without
    asking_for_it = render(
        "problem_report_incomplete", {**context, "nuc": None, "topic": "nuc_request"}
    ).body
    assert "Merci d'indiquer également votre NUC" not in asking_for_it


@pytest.mark.parametrize("bad", [[], ["justification"], ["phone", "email"]])
def test_incomplete_refuses_impossible_missing_lists(bad: list[str]) -> None:
    with pytest.raises(TemplateError, match="problem_report_incomplete"):
        render(
            "problem_report_incomplete", {**SAMPLES["problem_report_incomplete"], "missing": bad}
        )


@pytest.mark.parametrize(
    "template", ["deferral_received", "deferral_missing_justification", "deferral_ineligible"]
)
def test_deferral_replies_state_the_rules(template: str) -> None:
    body = render(template, SAMPLES[template]).body
    for rule in RULES:
        assert rule in body, f"{template} lacks {rule!r}"


@pytest.mark.parametrize(
    ("reason", "document", "not_document"),
    [
        ("medical", "un certificat médical", "courrier de refus de votre employeur"),
        ("employer_refusal", "le courrier de refus de votre employeur", "un certificat médical"),
    ],
)
def test_missing_justification_names_the_document(
    reason: str, document: str, not_document: str
) -> None:
    body = render("deferral_missing_justification", {**CANDIDATE, "reason": reason}).body
    request = body.split("en pièce jointe et en réponse à ce message :\n", 1)[1].split("\n\n")[0]
    assert document in request
    assert not_document not in request


def test_refund_requests_are_told_only_a_deferral_is_possible() -> None:
    for template in ("deferral_received", "deferral_missing_justification"):
        asked = render(template, {**CANDIDATE, "reason": "medical", "asks_refund": True}).body
        assert "ni annulée ni remboursée" in asked
        plain = render(template, {**CANDIDATE, "reason": "medical"}).body
        assert "ni annulée ni remboursée" not in plain


def test_ineligible_explains_unspecified_and_other_reasons_differently() -> None:
    unspecified = render("deferral_ineligible", {**CANDIDATE, "reason": "unspecified"}).body
    other = render("deferral_ineligible", {**CANDIDATE, "reason": "other"}).body
    assert "ne précise pas le motif" in unspecified
    assert "ne fait malheureusement pas partie" in other
    assert "ne précise pas le motif" not in other


def test_deferral_received_refuses_an_ineligible_reason() -> None:
    with pytest.raises(TemplateError, match="reason"):
        render("deferral_received", {**CANDIDATE, "reason": "other"})


def test_spreadsheet_receipt_counts_and_lists_every_row_not_accepted() -> None:
    body = render("spreadsheet_receipt", SAMPLES["spreadsheet_receipt"]).body
    assert "- lignes de candidats lues : 12" in body
    assert "- lignes acceptées : 9" in body
    assert "- lignes en retard : 1" in body
    assert "- lignes invalides : 1" in body
    assert "- lignes de candidats redoublants : 1" in body
    assert "Ligne 7 — Dupont Marie — Invalide : NIR invalide (clé de contrôle incorrecte)\n" in body
    assert "Ligne 12 — Leroy Jean — En retard : retour attendu au plus tard le 31/03/2025\n" in body
    assert "Ligne 15 — Nguyen Thi — Redoublant : candidat redoublant (hors recueil)\n" in body
    assert "ci-joint une copie annotée" in body
    assert "Tableau recueil CAF 2025 - annoté.xlsx" in body


def test_spreadsheet_receipt_accepts_objects_and_fills_empty_labels() -> None:
    @dataclass(frozen=True)
    class Row:
        row_number: int
        name: str
        bucket: str
        bucket_label: str
        reason: str

    rows = [Row(3, "", "invalid", "", "prénom manquant"), Row(5, "Roy Léa", "late", "", "")]
    body = render(
        "spreadsheet_receipt",
        {
            **ORGANISATION,
            "summary": SpreadsheetSummary(rows=4, accepted=3, late=0, invalid=1, redoublant=0),
            "rejected_rows": rows,
            "annotated_filename": None,
        },
    ).body
    assert "Ligne 3 — (nom non renseigné) — Invalide : prénom manquant\n" in body
    assert "Ligne 5 — Roy Léa — En retard\n" in body
    assert "copie annotée" not in body
    assert "en retard concernent" not in body


def test_spreadsheet_receipt_all_accepted_and_empty_file() -> None:
    base: dict[str, Any] = {**ORGANISATION, "rejected_rows": [], "annotated_filename": None}
    full = render("spreadsheet_receipt", {**base, "summary": {**SUMMARY, "accepted": 12}}).body
    assert "Toutes les lignes du tableau ont été acceptées." in full
    empty = render(
        "spreadsheet_receipt",
        {**base, "summary": {"rows": 0, "accepted": 0, "late": 0, "invalid": 0, "redoublant": 0}},
    ).body
    assert "aucune ligne de candidat" in empty
    assert "Toutes les lignes" not in empty


def test_spreadsheet_row_without_a_reason_key_is_an_error() -> None:
    row = {k: v for k, v in ROWS[0].items() if k != "reason"}
    with pytest.raises(TemplateError, match="spreadsheet_receipt.*reason"):
        render("spreadsheet_receipt", {**SAMPLES["spreadsheet_receipt"], "rejected_rows": [row]})


def test_missing_and_unreadable_spreadsheet_replies() -> None:
    missing = render("spreadsheet_missing_attachment", ORGANISATION).body
    assert "aucun\ntableau n'y est joint" in missing
    assert ".xlsx, .xlsm, .xls, .ods ou .csv" in missing
    assert "export PDF" in missing
    unreadable = render("spreadsheet_unreadable", SAMPLES["spreadsheet_unreadable"]).body
    assert "« recueil.xlsx »" in unreadable
    assert "protégé par un mot de passe, ou endommagé" in unreadable
    assert ".xlsx, .xls, .ods ou .csv" in unreadable
    explained = render(
        "spreadsheet_unreadable",
        {**ORGANISATION, "error": "le fichier est chiffré par un mot de passe."},
    ).body
    assert "pu être lu : le fichier est chiffré par un mot de passe.\n" in explained


def test_mycertif_points_to_the_configured_address() -> None:
    body = render("mycertif_access", SAMPLES["mycertif_access"]).body
    assert "mycertifucanss@ucanss.fr" in body
    other = render("mycertif_access", {**ORGANISATION, "mycertif_address": "aide@example.org"})
    assert "aide@example.org" in other.body


def test_staff_decisions() -> None:
    granted = render("deferral_granted", SAMPLES["deferral_granted"]).body
    assert "est acceptée" in granted
    assert "reportée à la session suivante : session de juin 2025." in granted
    refused = render("deferral_refused", SAMPLES["deferral_refused"]).body
    assert "suite favorable" in refused
    assert "Motif : le certificat transmis ne couvre pas la date des épreuves" in refused
    assert RULES[0] in refused
    closed = render("case_closed", {**CANDIDATE, "note": "Votre inscription est confirmée."}).body
    assert "Votre inscription est confirmée." in closed
    info = render("request_info", SAMPLES["request_info"]).body
    assert SAMPLES["request_info"]["message"] in info
    # Staff replies are not announced as automatic.
    assert "automatiquement" not in granted + refused + closed + info
    assert "automatiquement" in render("general_ack", CANDIDATE).body


def test_signature_follows_the_role() -> None:
    accueil = render("general_ack", CANDIDATE).body
    certification = render("general_ack", {**CANDIDATE, "role": "certification"}).body
    assert SIGNATURES["accueil"] in accueil and SIGNATURES["certification"] not in accueil
    assert SIGNATURES["certification"] in certification


def test_missing_common_variable_names_the_template_and_variable() -> None:
    context = {k: v for k, v in CANDIDATE.items() if k != "sender_name"}
    with pytest.raises(TemplateError) as info:
        render("general_ack", context)
    assert info.value.template == "general_ack"
    assert "sender_name" in str(info.value)


def test_unknown_template_and_role() -> None:
    with pytest.raises(TemplateError, match="no such template"):
        render("deferal_received", CANDIDATE)
    with pytest.raises(TemplateError, match="role"):
        render("general_ack", {**CANDIDATE, "role": "direction"})


def _write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.txt.j2").write_text(text, encoding="utf-8")


def test_override_folder_replaces_one_template_only(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "general_ack",
        "Subject: Message bien reçu\n{{ case_ref }} — merci, l'équipe locale.\n",
    )
    out = render("general_ack", CANDIDATE, override_dir=tmp_path)
    assert out.subject == "Message bien reçu"
    assert out.body == "UP-2025-000123 — merci, l'équipe locale.\n"
    # The other templates still come from the package.
    builtin = render("deferral_received", SAMPLES["deferral_received"], override_dir=tmp_path)
    assert builtin.body == render("deferral_received", SAMPLES["deferral_received"]).body


def test_override_folder_may_add_templates_and_replace_macros(tmp_path: Path) -> None:
    _write(tmp_path, "rappel_jury", "Subject: Rappel\nBonjour, {{ case_ref }}.\n")
    assert "rappel_jury" in available_templates(tmp_path)
    assert "rappel_jury" not in available_templates()
    macros = (Path(__file__).parents[2] / "responders/templates/_macros.txt.j2").read_text()
    _write(tmp_path, "_macros", macros.replace("Le service Accueil — Union Prof", "Accueil UP"))
    body = render("general_ack", CANDIDATE, override_dir=tmp_path).body
    assert body.rstrip().endswith("Accueil UP")


def test_strict_undefined_catches_a_variable_the_template_invents(tmp_path: Path) -> None:
    _write(tmp_path, "general_ack", "Subject: Reçu\nBonjour {{ prenom }}, dossier {{ case_ref }}\n")
    with pytest.raises(TemplateError, match="general_ack.*prenom"):
        Renderer(tmp_path).render("general_ack", CANDIDATE)


def test_template_without_subject_line_or_with_syntax_error(tmp_path: Path) -> None:
    _write(tmp_path, "general_ack", "Bonjour,\n\nMerci.\n")
    _write(tmp_path, "case_closed", "Subject: Clos\n{% if note %}oubli de endif\n")
    renderer = Renderer(tmp_path)
    with pytest.raises(TemplateError, match="Subject"):
        renderer.render("general_ack", CANDIDATE)
    with pytest.raises(TemplateError, match="case_closed.*syntax error"):
        renderer.render("case_closed", CANDIDATE)


def test_override_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="not a folder"):
        Renderer(tmp_path / "absent")
