"""Staff actions on a case: the reply they send, the status they set, the audit they leave.

Each decision (grant or refuse a deferral, ask the sender for something, send the
proposed reply, resolve, reject) is an :class:`ActionSpec`. Its reply is built by
the bot's own code (:func:`intake.replying.make_reply`: same context contract,
threading under the sender's last mail, new Message-ID, stored bytes) and queued
in the outbox as a ``pending`` row, which ``intake run`` sends like any other.
Staff may edit the rendered text before it is queued; the edited text is rebuilt
into the mail with :mod:`responders.message`. Every action writes an audit event.

Reclassifying re-runs the bot's field rules on the last mail with the kind staff
chose, so the proposed reply is recomputed exactly as the bot would have chosen it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from intake import cases
from intake.classification import (
    Classification,
    DeferralReason,
    Extracted,
    Kind,
    SpreadsheetSummary,
    Topic,
)
from intake.config import Config, MailboxConfig
from intake.replying import ReplyPlan, make_reply, plan_for
from intake.rules.replies import reply_blocked, reply_template
from intake.web import labels
from responders.message import Reply as OutgoingReply
from responders.message import build_bytes, subject_with_ref
from responders.render import RenderedText, TemplateError
from store import AuditEvent, Case, CaseStatus, FileStore, Message, Reply, utcnow

# Templates staff decisions use; the others are the bot's own (SPEC §4).
STAFF_TEMPLATES = ("deferral_granted", "deferral_refused", "request_info", "case_closed")
SHEET_TEMPLATES = ("spreadsheet_receipt", "spreadsheet_unreadable")
# Where a case stands after the proposed reply is sent, by template.
AFTER_TEMPLATE = {
    "problem_report_incomplete": CaseStatus.AWAITING_SENDER,
    "deferral_missing_justification": CaseStatus.AWAITING_SENDER,
    "spreadsheet_missing_attachment": CaseStatus.AWAITING_SENDER,
    "spreadsheet_unreadable": CaseStatus.AWAITING_SENDER,
    "deferral_received": CaseStatus.TO_REVIEW,
    "spreadsheet_receipt": CaseStatus.RESOLVED,
}


class ActionError(ValueError):
    """An action that cannot be done as asked; the message is French, for the page."""


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    widget: str = "text"  # text | textarea
    required: bool = False


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: str
    audit: str
    # The reply template, "" for the proposed one (chosen by the bot's table), None: no reply.
    template: str | None
    status: str
    params: tuple[Param, ...] = ()
    kinds: tuple[str, ...] | None = None
    # Staff may choose to close without sending the reply.
    reply_optional: bool = False
    style: str = ""


_NOTE = Param("note", "Paragraphe ajouté au message (facultatif)", "textarea")
ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec(
            "grant", "Accorder le report", "staff.grant", "deferral_granted",
            CaseStatus.RESOLVED,
            (Param("next_session", "Session de report (facultatif, ex. « novembre 2025 »)"), _NOTE),
            kinds=("deferral_request",), style="ok",
        ),
        ActionSpec(
            "refuse", "Refuser le report", "staff.refuse", "deferral_refused",
            CaseStatus.REJECTED,
            (Param("refusal_reason", "Motif du refus (communiqué au candidat)"), _NOTE),
            kinds=("deferral_request",), style="danger",
        ),
        ActionSpec(
            "request_info", "Demander des informations", "staff.request_info", "request_info",
            CaseStatus.AWAITING_SENDER,
            (Param("message", "Ce que l'expéditeur doit nous envoyer", "textarea", True),),
        ),
        ActionSpec("reply", "Envoyer la réponse proposée", "staff.reply", "", CaseStatus.RESOLVED),
        ActionSpec(
            "resolve", "Résoudre", "staff.resolve", "case_closed", CaseStatus.RESOLVED,
            (_NOTE,), reply_optional=True,
        ),
        ActionSpec(
            "reject", "Rejeter", "staff.reject", None, CaseStatus.REJECTED,
            (Param("note", "Motif (interne, jamais envoyé)", "textarea"),), style="danger",
        ),
    )
}  # fmt: skip


def available_actions(case: Case) -> list[ActionSpec]:
    return [s for s in ACTIONS.values() if s.kinds is None or case.kind in s.kinds]


# -- the case as the bot's rules see it ----------------------------------------------


def _kind(case: Case) -> Kind:
    try:
        return Kind(case.kind)
    except ValueError:
        return Kind.OTHER


def case_classification(case: Case) -> Classification:
    """The case's current state (with staff corrections) as a Classification."""
    fields = case.fields or {}
    missing = fields.get("missing")
    sheet = fields.get("spreadsheet") or None
    summary = None
    if isinstance(sheet, dict):
        summary = SpreadsheetSummary(
            rows=int(sheet.get("rows", 0)),
            accepted=int(sheet.get("accepted", 0)),
            late=int(sheet.get("late", 0)),
            invalid=int(sheet.get("invalid", 0)),
            redoublant=int(sheet.get("redoublant", 0)),
            error=sheet.get("error"),
        )
    topics = {t.value: t for t in Topic}
    reasons = {r.value: r for r in DeferralReason}
    return Classification(
        kind=_kind(case),
        role=case.role,
        topic=topics.get(case.topic or ""),
        reason=reasons.get(case.reason or ""),
        justification_present=fields.get("justification_present"),
        asks_refund=fields.get("asks_refund"),
        nuc=case.nuc,
        missing=tuple(missing) if isinstance(missing, list) else None,
        spreadsheet=summary,
        # No name here: make_reply then greets the case's (staff-editable) sender name.
        extracted=Extracted(),
    )


def proposed_template(case: Case, config: Config) -> str | None:
    """The reply the bot's table gives for the case as it stands now."""
    result = case_classification(case)
    return reply_template(
        result.kind,
        missing=result.missing,
        reason=result.reason,
        justification_present=result.justification_present,
        spreadsheet_unreadable=bool(result.spreadsheet and result.spreadsheet.error),
        config=config,
    )


def latest_incoming(session: Session, case: Case) -> Message | None:
    """The sender's last stored mail (what a reply threads under)."""
    stmt = (
        select(Message)
        .where(Message.case_id == case.id, Message.direction == "in")
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
    )
    for message in session.exec(stmt).all():
        if message.sender:
            return message
    return None


def mailbox_for_case(config: Config, case: Case) -> MailboxConfig:
    for mailbox in config.mailbox:
        if mailbox.address == (case.mailbox or "").lower():
            return mailbox
    found = config.mailbox_for(case.role)
    if found is None:
        raise ActionError("Aucune boîte configurée pour ce dossier : impossible de répondre.")
    return found


# -- replies -------------------------------------------------------------------------


@dataclass
class Draft:
    """A reply ready to be shown, edited, then queued."""

    reply: Reply
    template: str
    warning: str | None
    # What threading and attachments the mail was built with (to rebuild it edited).
    their_message_id: str | None
    their_references: tuple[str, ...]
    attachments: list[tuple[str, str, bytes]]
    edited: bool = False


def draft_reply(
    session: Session,
    config: Config,
    files: FileStore,
    case: Case,
    template: str,
    params: dict[str, str],
) -> Draft:
    """The reply ``template`` would send now (not yet in the outbox)."""
    from intake.web.mailview import mail_cache

    message = latest_incoming(session, case)
    if message is None:
        raise ActionError("Ce dossier n'a aucun message d'expéditeur auquel répondre.")
    mail = mail_cache.get(files, message.sha256)
    if mail is None:
        raise ActionError("Le message d'origine est introuvable dans le stockage des fichiers.")
    result = case_classification(case)
    if template in STAFF_TEMPLATES:
        plan = ReplyPlan(template, {k: v for k, v in params.items() if v})
    else:
        sheets: list[Any] = []
        if template in SHEET_TEMPLATES:
            sheets = _sheets(config, files, message, case.role)
        plan = plan_for(
            template, result, config,
            reason=case.reason, missing=list(result.missing or ()), topic=case.topic,
            sheets=sheets,
        )  # fmt: skip
    try:
        reply = make_reply(
            plan, case=case, mail=mail, result=result, mailbox=mailbox_for_case(config, case),
            config=config, in_reply_to_pk=message.id,
        )  # fmt: skip
    except TemplateError as exc:
        raise ActionError(f"Le modèle « {labels.label(labels.TEMPLATE, template)} » ne "
                          f"s'applique pas à ce dossier ({exc.problem}).") from None  # fmt: skip
    blocked = reply_blocked(mail, config)
    warning = None
    if blocked:
        warning = (
            "Attention : l'adresse de l'expéditeur semble automatique ou interne "
            f"({blocked}) ; le robot d'envoi pourrait annuler ce message."
        )
    return Draft(
        reply, template, warning, mail.message_id, tuple(mail.references), plan.attachments
    )


def _sheets(config: Config, files: FileStore, message: Message, role: str) -> list[Any]:
    from intake.pipeline import Pipeline

    raw = files.get(message.sha256)
    # The pipeline's own preparation judges the attached spreadsheets (no database).
    return Pipeline(config, None, files).prepare(raw, role).sheets  # type: ignore[arg-type]


def apply_edits(draft: Draft, case: Case, subject: str, body: str) -> None:
    """Put staff's edited text into the draft's mail (same threading, new bytes)."""
    reply = draft.reply
    subject = " ".join(subject.split())
    body = body.replace("\r\n", "\n").replace("\r", "\n").rstrip() + "\n"
    if not subject or not body.strip():
        raise ActionError("L'objet et le texte du message ne peuvent pas être vides.")
    if len(subject) > 300 or len(body) > 50_000:
        raise ActionError("Le message est trop long.")
    if subject == reply.subject and body == reply.body:
        return
    outgoing = OutgoingReply.create(
        draft.template,
        RenderedText(subject=subject, body=body),
        to=reply.to_addr,
        from_addr=reply.from_addr,
        case_ref=case.ref,
        their_message_id=draft.their_message_id,
        their_references=draft.their_references,
        attachments=draft.attachments,
    )
    draft.edited = True
    reply.message_id = outgoing.message_id
    reply.subject = subject_with_ref(outgoing.subject, case.ref)
    reply.body = outgoing.body
    reply.raw = build_bytes(outgoing).decode("utf-8", "surrogateescape")


# -- actions ---------------------------------------------------------------------------


def already_done(session: Session, case: Case, form_id: str) -> bool:
    """True when this very form was already submitted (a double click, a reload)."""
    if not form_id:
        return False
    events = session.exec(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.actor != "bot")
    ).all()
    return any((e.detail or {}).get("form_id") == form_id for e in events)


def audit(session: Session, case: Case, actor: str, action: str, **detail: Any) -> None:
    session.add(AuditEvent(case_id=case.id, actor=actor, action=action, detail=detail))


def perform(
    session: Session,
    case: Case,
    spec: ActionSpec,
    *,
    actor: str,
    draft: Draft | None,
    status: str,
    params: dict[str, str],
    form_id: str,
    now: datetime | None = None,
) -> Reply | None:
    """Queue the reply (if any), set the status and record the action; the queued reply."""
    now = now or utcnow()
    if status not in labels.STATUS:
        raise ActionError("Statut inconnu.")
    before = case.status
    reply = None
    if draft is not None:
        reply = draft.reply
        reply.created_by = actor
        reply.created_at = now
        session.add(reply)
    cases.set_status(case, status, now)
    case.updated_at = now
    if spec.name in ("grant", "refuse"):
        cases.set_fields(case, decision={"deferral": spec.name, "by": actor, "at": now.isoformat()})
    session.flush()
    audit(
        session, case, actor, spec.audit,
        status=[before, case.status],
        reply=reply.message_id if reply else None,
        template=draft.template if draft else None,
        edited=bool(draft and draft.edited),
        params={k: v[:500] for k, v in params.items() if v},
        form_id=form_id,
    )  # fmt: skip
    return reply


def assign(session: Session, case: Case, actor: str, *, take: bool) -> None:
    before = case.assigned_to
    case.assigned_to = actor if take else None
    case.updated_at = utcnow()
    audit(session, case, actor, "staff.assign" if take else "staff.unassign", before=before)
