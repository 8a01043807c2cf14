"""French labels for everything staff read: statuses, kinds, topics, buckets, actions.

The store keeps stable English codes; the pages show these words instead. A code
missing here is shown as it is (never an error), so that a new kind added by the
rules is still visible before someone names it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

STATUS = {
    "new": "Nouveau",
    "awaiting_sender": "En attente de l'expéditeur",
    "to_review": "À examiner",
    "resolved": "Résolu",
    "rejected": "Rejeté",
}
# The order of the queue's tabs.
STATUS_ORDER = ("to_review", "new", "awaiting_sender", "resolved", "rejected")

KIND = {
    "problem_report": "Problème d'inscription",
    "deferral_request": "Demande de report",
    "spreadsheet_return": "Retour de tableau",
    "mycertif_access": "Accès myCertif",
    "auto_reply": "Réponse automatique",
    "bounce": "Non-remise",
    "other": "Autre",
    "error": "Erreur de traitement",
}
# Kinds staff may choose when reclassifying (robots and errors are the bot's own).
STAFF_KINDS = (
    "problem_report",
    "deferral_request",
    "spreadsheet_return",
    "mycertif_access",
    "auto_reply",
    "bounce",
    "other",
)

ROLE = {"accueil": "Accueil (candidats)", "certification": "Certification (organismes)"}
ROLE_SHORT = {"accueil": "Accueil", "certification": "Certification"}

TOPIC = {
    "nuc_request": "Demande de NUC",
    "password_reset": "Mot de passe perdu",
    "confirmation_mail_missing": "Mail de confirmation non reçu",
    "no_centre_listed": "Aucun centre proposé",
    "centre_refused": "Refus du centre",
    "payment": "Paiement",
    "first_registration": "Première inscription",
    "other": "Autre problème",
}

REASON = {
    "medical": "Raison médicale",
    "employer_refusal": "Refus de l'employeur",
    "other": "Autre motif",
    "unspecified": "Motif non précisé",
}

MISSING = {
    "name": "Nom et prénom",
    "phone": "Téléphone",
    "postal_address": "Adresse postale",
    "exam_reference": "Référence de l'épreuve",
    "justification": "Justificatif",
    "spreadsheet": "Tableau de recueil",
}
# What staff may tick as missing, per kind.
MISSING_CHOICES = {
    "problem_report": ("name", "phone", "postal_address", "exam_reference"),
    "deferral_request": ("justification",),
    "spreadsheet_return": ("spreadsheet",),
}

BUCKET = {
    "accepted": "Acceptée",
    "late": "Hors délai",
    "invalid": "Invalide",
    "redoublant": "Redoublant",
}

REPLY_STATE = {
    "pending": "En attente d'envoi",
    "sending": "Envoi en cours",
    "sent": "Envoyée",
    "failed_temporary": "Nouvel essai prévu",
    "failed_permanent": "Échec d'envoi",
    "uncertain": "Envoi incertain",
    "bounced": "Non remise",
    "cancelled": "Annulée",
}

TEMPLATE = {
    "problem_report_ack": "Accusé de réception (problème d'inscription)",
    "problem_report_incomplete": "Demande de compléments (problème d'inscription)",
    "deferral_received": "Demande de report reçue",
    "deferral_missing_justification": "Report : justificatif manquant",
    "deferral_ineligible": "Report : motif non recevable",
    "spreadsheet_receipt": "Accusé de réception du tableau",
    "spreadsheet_missing_attachment": "Tableau manquant",
    "spreadsheet_unreadable": "Tableau illisible",
    "mycertif_access": "Renvoi vers myCertif",
    "general_ack": "Accusé de réception général",
    "deferral_granted": "Report accordé",
    "deferral_refused": "Report refusé",
    "case_closed": "Clôture du dossier",
    "request_info": "Demande d'informations",
}

DOC_TYPE = {
    "medical_certificate": "Certificat médical",
    "prescription": "Ordonnance",
    "sworn_statement": "Attestation sur l'honneur",
    "employer_letter": "Courrier de l'employeur",
    "forwarded_mail": "Mail transféré",
    "convocation": "Convocation",
    "receipt": "Reçu",
    "identity_document": "Pièce d'identité",
    "screenshot": "Capture d'écran",
    "spreadsheet": "Tableau",
    "unknown": "Non reconnu",
}

USER_ROLE = {"lecture": "Lecture", "agent": "Agent", "admin": "Administrateur"}

AUDIT = {
    "message.filed": "Message reçu et classé",
    "message.follow_up": "Suite reçue",
    "message.duplicate": "Doublon ignoré",
    "message.error": "Erreur de traitement",
    "reply.bounced": "Réponse non remise",
    "reply.failed": "Échec d'envoi",
    "reply.uncertain": "Envoi incertain",
    "reply.cancelled": "Réponse annulée",
    "staff.assign": "Dossier pris en charge",
    "staff.unassign": "Dossier libéré",
    "staff.fields": "Champs corrigés",
    "staff.reclassify": "Reclassé",
    "staff.grant": "Report accordé",
    "staff.refuse": "Report refusé",
    "staff.request_info": "Informations demandées",
    "staff.resolve": "Dossier résolu",
    "staff.reject": "Dossier rejeté",
    "staff.reply": "Réponse envoyée",
    "staff.reopen": "Dossier rouvert",
    "staff.reply_resend": "Réponse remise en file d'envoi",
    "staff.reply_mark_sent": "Réponse considérée comme envoyée",
    "staff.reply_cancel": "Réponse abandonnée",
}

# What staff may decide for a reply the bot will not send by itself (store.reply_review).
REPLY_DECISION = {
    "resend": "Renvoyer",
    "mark_sent": "Considérer comme envoyé",
    "cancel": "Abandonner",
}
# The page "Envois à vérifier": its filters, in tab order (``review`` is the default).
REPLY_REVIEW_FILTER = {
    "review": "À vérifier",
    "uncertain": "Envois incertains",
    "failed_permanent": "Échecs d'envoi",
    "bounced": "Non remises",
}


MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def label(table: dict[str, str], code: Any) -> str:
    """The French word for ``code`` in ``table``; the code itself when unknown."""
    if code is None or code == "":
        return "—"
    return table.get(str(code), str(code))


def month_label(month: str | None) -> str:
    """``2025-06`` → ``juin 2025``."""
    if not month or len(month) != 7 or month[4] != "-":
        return month or "—"
    year, number = month[:4], month[5:]
    if not number.isdigit() or not 1 <= int(number) <= 12:
        return month
    return f"{MONTHS[int(number) - 1]} {year}"


def age(since: datetime | None, now: datetime) -> str:
    """How long something has been waiting, short: ``45 min``, ``5 h``, ``3 j 4 h``."""
    if since is None:
        return "—"
    delta = now - since
    if delta < timedelta(0):
        delta = timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} j {hours} h" if hours and days < 7 else f"{days} j"


def waited_long(since: datetime | None, now: datetime, days: int = 7) -> bool:
    """Waiting for more than ``days`` days (shown in red in the queue)."""
    return since is not None and now - since > timedelta(days=days)


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored UTC time shown in the server's local time zone."""
    if value is None:
        return "—"
    return value.astimezone().strftime(fmt)


def size(value: int | None) -> str:
    """A file size in French units: ``12 ko``, ``1,4 Mo``."""
    if value is None:
        return "—"
    if value < 1024:
        return f"{value} o"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} ko"
    return f"{value / (1024 * 1024):.1f} Mo".replace(".", ",")


def audit_summary(action: str, detail: dict[str, Any] | None) -> str:
    """One readable French line for an audit event's details."""
    detail = detail or {}
    parts: list[str] = []
    status = detail.get("status")
    if isinstance(status, list) and len(status) == 2 and status[0] != status[1]:
        parts.append(f"statut : {label(STATUS, status[0])} → {label(STATUS, status[1])}")
    if detail.get("template"):
        parts.append(f"réponse : {label(TEMPLATE, detail['template'])}")
    elif detail.get("reply") and isinstance(detail["reply"], str) and action.startswith("message"):
        parts.append(f"réponse : {label(TEMPLATE, detail['reply'])}")
    if detail.get("edited"):
        parts.append("texte modifié")
    states = detail.get("reply_state")
    if isinstance(states, list) and len(states) == 2:
        parts.append(f"envoi : {label(REPLY_STATE, states[0])} → {label(REPLY_STATE, states[1])}")
    if detail.get("to") and isinstance(detail["to"], str) and action.startswith("staff.reply_"):
        parts.append(f"à {detail['to']}")
    if action == "staff.reclassify":
        before, after = detail.get("before") or {}, detail.get("after") or {}
        parts.append(f"{label(KIND, before.get('kind'))} → {label(KIND, after.get('kind'))}")
        if detail.get("proposed"):
            parts.append(f"réponse proposée : {label(TEMPLATE, detail['proposed'])}")
    for name, values in (detail.get("changes") or {}).items():
        if isinstance(values, list) and len(values) == 2:
            parts.append(f"{name} : {_plain(values[0])} → {_plain(values[1])}")
    if action.startswith("message.") and detail.get("kind"):
        parts.append(f"type : {label(KIND, detail['kind'])}")
    if detail.get("why") and isinstance(detail["why"], str):
        parts.append(detail["why"])
    params = detail.get("params") or {}
    if isinstance(params, dict) and params.get("note") and action == "staff.reject":
        parts.append(f"motif : {params['note']}")
    if detail.get("note") and isinstance(detail["note"], str):
        parts.append(f"note : {detail['note'][:500]}")
    if detail.get("detail") and isinstance(detail["detail"], str):
        parts.append(detail["detail"][:200])
    if detail.get("error") and isinstance(detail["error"], str):
        parts.append(detail["error"][:200])
    return " · ".join(parts)


def _plain(value: Any) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(label(MISSING, v) for v in value)
    return str(value)
