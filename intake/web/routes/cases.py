"""The case page (read) and the quick changes made from it: take, fields, reclassify.

The page shows the classification with the reasons the bot gave, the fields staff
can correct, the whole thread in time order (the sender's mails as text, their
HTML only in a sandboxed frame, and our replies with their sending state), the
attachments, the judged spreadsheet rows and the audit trail.
"""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from intake.web import labels
from intake.web.actions import ActionError, assign, available_actions, proposed_template
from intake.web.corrections import reclassify, update_fields
from intake.web.deps import agent, page, read_session, reader, web
from intake.web.mailview import INLINE_IMAGE_TYPES, mail_cache, text_parts
from store import Attachment, Case, SpreadsheetRow, User, session_scope, utcnow
from store.queries import case_audit, case_by_ref, case_messages, case_replies
from store.reply_review import decisions_for

router = APIRouter()

MAX_ROWS_SHOWN = 1000
NOTICES = {
    "assigned": "Le dossier vous est attribué.",
    "released": "Le dossier n'est plus attribué.",
    "fields": "Les champs ont été enregistrés.",
    "nofields": "Aucun champ n'a changé.",
    "done": "Action enregistrée.",
    "queued": "Action enregistrée ; la réponse est dans la file d'envoi.",
    "duplicate": "Ce formulaire avait déjà été envoyé : rien n'a été refait.",
    "reply_resend": "La réponse est de nouveau dans la file d'envoi : le robot l'enverra à son "
    "prochain passage.",
    "reply_mark_sent": "La réponse est enregistrée comme envoyée ; elle ne sera pas renvoyée.",
    "reply_cancel": "La réponse est abandonnée : elle ne sera jamais envoyée.",
}


def load_case(session: Session, ref: str) -> Case:
    case = case_by_ref(session, ref)
    if case is None:
        raise HTTPException(404, "Ce dossier n'existe pas.")
    return case


def previewable(attachment: Attachment) -> bool:
    kind = attachment.sniffed_type or ""
    return kind == "application/pdf" or kind in INLINE_IMAGE_TYPES


def thread(session: Session, case: Case, web_files: Any) -> list[dict[str, Any]]:
    """Mails and replies of the case, oldest first."""
    messages = case_messages(session, case.id or 0)
    by_message: dict[int, list[Attachment]] = {}
    if messages:
        ids = [m.id for m in messages]
        for attachment in session.exec(
            select(Attachment)
            .where(col(Attachment.message_id).in_(ids))
            .order_by(col(Attachment.id))
        ).all():
            by_message.setdefault(attachment.message_id, []).append(attachment)
    entries: list[dict[str, Any]] = []
    for message in messages:
        mail = mail_cache.get(web_files, message.sha256) if message.sha256 else None
        entries.append(
            {
                "type": "in" if message.direction == "in" else "out",
                "at": message.date or message.created_at,
                "message": message,
                "parts": text_parts(mail) if mail is not None else None,
                "problems": list(mail.problems)[:10] if mail is not None else [],
                "attachments": [a for a in by_message.get(message.id or 0, []) if not a.inline],
                "inline_count": sum(1 for a in by_message.get(message.id or 0, []) if a.inline),
            }
        )
    for reply in case_replies(session, case.id or 0):
        entries.append({"type": "reply", "at": reply.created_at, "reply": reply})
    entries.sort(key=lambda e: e["at"])
    return entries


def _proposal(session: Session, case: Case, config: Any) -> str | None:
    """The bot's proposed reply, unless it was already sent (or is waiting to be)."""
    template = proposed_template(case, config)
    if template is None:
        return None
    for reply in case_replies(session, case.id or 0):
        if reply.template == template and reply.state not in ("cancelled", "failed_permanent"):
            return None
    return template


@router.get("/cases/{ref}")
def case_page(
    request: Request,
    ref: str,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
    notice: str | None = None,
    bucket: str | None = None,
) -> Response:
    case = load_case(session, ref)
    context = web(request)
    rows_query = select(SpreadsheetRow).where(SpreadsheetRow.case_id == case.id)
    bucket_counts: Counter[str] = Counter(
        session.exec(select(SpreadsheetRow.bucket).where(SpreadsheetRow.case_id == case.id)).all()
    )
    if bucket in labels.BUCKET:
        rows_query = rows_query.where(SpreadsheetRow.bucket == bucket)
    else:
        bucket = None
    rows = session.exec(
        rows_query.order_by(col(SpreadsheetRow.message_id), col(SpreadsheetRow.row_number)).limit(
            MAX_ROWS_SHOWN
        )
    ).all()
    return page(
        request,
        "case.html",
        {
            "case": case,
            "fields": case.fields or {},
            "thread": thread(session, case, context.files),
            "rows": rows,
            "bucket": bucket,
            "bucket_counts": bucket_counts,
            "audit": case_audit(session, case.id or 0),
            "proposed": _proposal(session, case, context.config),
            "actions": available_actions(case),
            "can_act": user.role in ("agent", "admin"),
            "notice": NOTICES.get(notice or ""),
            "now": utcnow(),
            "previewable": previewable,
            "form_id": secrets.token_urlsafe(12),
            "reply_decisions": decisions_for,
        },
    )


@router.post("/cases/{ref}/assign")
def take_case(
    request: Request,
    ref: str,
    user: Annotated[User, Depends(agent)],
    take: Annotated[str, Form()] = "1",
) -> Response:
    with session_scope(web(request).engine) as session:
        case = load_case(session, ref)
        assign(session, case, user.name, take=take == "1")
    notice = "assigned" if take == "1" else "released"
    return RedirectResponse(f"/cases/{case.ref}?notice={notice}", status_code=303)


@router.post("/cases/{ref}/fields")
async def edit_fields(
    request: Request, ref: str, user: Annotated[User, Depends(agent)]
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        key: form.get(key)
        for key in ("nuc", "sender_name", "topic", "reason", "justification_present", "asks_refund")
    }
    values["missing"] = form.getlist("missing")
    context = web(request)
    try:
        with session_scope(context.engine) as session:
            case = load_case(session, ref)
            changes = update_fields(session, context.config, case, values, user.name)
    except ActionError as exc:
        raise HTTPException(400, str(exc)) from None
    notice = "fields" if changes else "nofields"
    return RedirectResponse(f"/cases/{case.ref}?notice={notice}", status_code=303)


@router.post("/cases/{ref}/reclassify")
def reclassify_case(
    request: Request,
    ref: str,
    user: Annotated[User, Depends(agent)],
    kind: Annotated[str, Form(max_length=40)],
    topic: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    context = web(request)
    try:
        with session_scope(context.engine) as session:
            case = load_case(session, ref)
            template = reclassify(
                session, context.config, context.files, case,
                kind=kind, topic=topic or None, reason=reason or None, actor=user.name,
            )  # fmt: skip
    except ActionError as exc:
        raise HTTPException(400, str(exc)) from None
    if template is None:
        return RedirectResponse(f"/cases/{case.ref}?notice=done", status_code=303)
    # The recomputed reply, for staff to review, edit and send (or not).
    return RedirectResponse(f"/cases/{case.ref}/actions/reply?template={template}", status_code=303)
