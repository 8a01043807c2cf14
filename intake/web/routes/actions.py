"""Action pages: preview the reply, let staff edit it, then queue it and record the decision.

``GET /cases/{ref}/actions/{name}`` shows the action's form with the reply it would
send, rendered from the template; ``POST`` with ``step=preview`` renders it again
from the form's values, ``step=send`` queues the (possibly edited) reply in the
outbox, sets the case's status and writes the audit event. A form is accepted once
(its ``form_id``), and refused when the case changed since it was shown.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from intake.web import labels
from intake.web.actions import (
    ACTIONS,
    AFTER_TEMPLATE,
    STAFF_TEMPLATES,
    ActionError,
    ActionSpec,
    Draft,
    already_done,
    apply_edits,
    draft_reply,
    latest_incoming,
    perform,
    proposed_template,
)
from intake.web.deps import agent, page, web
from intake.web.mailview import mail_cache
from intake.web.routes.cases import load_case
from store import Case, User, session_scope

router = APIRouter()


def _spec(name: str, case: Case) -> ActionSpec:
    spec = ACTIONS.get(name)
    if spec is None:
        raise HTTPException(404, "Action inconnue.")
    if spec.kinds is not None and case.kind not in spec.kinds:
        raise HTTPException(400, "Cette action ne s'applique pas à ce type de dossier.")
    return spec


def _template(spec: ActionSpec, case: Case, request: Request, asked: str | None) -> str | None:
    if spec.template != "":
        return spec.template
    if asked and asked in labels.TEMPLATE:
        return asked
    return proposed_template(case, web(request).config)


def _version(case: Case) -> str:
    return case.updated_at.isoformat()


def _draft(
    session: Session, request: Request, case: Case, template: str | None, params: dict[str, str]
) -> tuple[Draft | None, str | None]:
    """The reply to show, or why there is none yet."""
    if template is None:
        return None, None
    spec_params = [p for s in ACTIONS.values() if s.template == template for p in s.params]
    if any(p.required and not params.get(p.name, "").strip() for p in spec_params):
        return None, "Complétez le formulaire puis mettez l'aperçu à jour."
    context = web(request)
    try:
        return draft_reply(session, context.config, context.files, case, template, params), None
    except ActionError as exc:
        return None, str(exc)


def _render(
    request: Request,
    session: Session,
    case: Case,
    spec: ActionSpec,
    *,
    template: str | None,
    params: dict[str, str],
    draft: Draft | None,
    problem: str | None,
    status: str,
    send_reply: bool = True,
    subject: str | None = None,
    body: str | None = None,
    error: str | None = None,
    form_id: str | None = None,
    code: int = 200,
) -> Response:
    message = latest_incoming(session, case)
    mail = mail_cache.get(web(request).files, message.sha256) if message else None
    return page(
        request,
        "action.html",
        {
            "case": case,
            "spec": spec,
            "template": template,
            "params": params,
            "draft": draft,
            "problem": problem,
            "status": status,
            "send_reply": send_reply,
            "subject": subject if subject is not None else (draft.reply.subject if draft else ""),
            "body": body if body is not None else (draft.reply.body if draft else ""),
            "error": error,
            "form_id": form_id or secrets.token_urlsafe(12),
            "version": _version(case),
            "last_message": message,
            "last_text": mail.new_text.strip() or mail.text.strip() if mail else "",
            "templates": [t for t in labels.TEMPLATE if t not in STAFF_TEMPLATES],
        },
        status_code=code,
    )


@router.get("/cases/{ref}/actions/{name}")
def action_page(
    request: Request,
    ref: str,
    name: str,
    user: Annotated[User, Depends(agent)],
    template: str | None = None,
) -> Response:
    context = web(request)
    with session_scope(context.engine, write=False) as session:
        case = load_case(session, ref)
        spec = _spec(name, case)
        chosen = _template(spec, case, request, template)
        draft, problem = _draft(session, request, case, chosen, {})
        status = (
            AFTER_TEMPLATE.get(chosen or "", spec.status) if spec.name == "reply" else spec.status
        )
        return _render(
            request, session, case, spec, template=chosen, params={}, draft=draft,
            problem=problem, status=status,
        )  # fmt: skip


@router.post("/cases/{ref}/actions/{name}")
async def action_submit(
    request: Request, ref: str, name: str, user: Annotated[User, Depends(agent)]
) -> Response:
    form = await request.form()

    def text(key: str, limit: int = 20_000) -> str:
        value = form.get(key)
        return value[:limit] if isinstance(value, str) else ""

    context = web(request)
    with session_scope(context.engine, write=False) as session:
        case = load_case(session, ref)
        spec = _spec(name, case)
        chosen = _template(spec, case, request, text("template", 64) or None)
        params = {p.name: text(p.name, 5000).strip() for p in spec.params}
        status = text("status", 32) or spec.status
        send_reply = chosen is not None and (
            not spec.reply_optional or form.get("send_reply") == "1"
        )
        draft, problem = _draft(session, request, case, chosen, params)
        subject, body = text("subject", 1000), text("body", 60_000)
        form_id = text("form_id", 64)
        again: dict[str, Any] = dict(
            template=chosen, params=params, draft=draft, problem=problem, status=status,
            send_reply=send_reply, form_id=form_id,
        )  # fmt: skip
        if text("step", 16) != "send":
            return _render(request, session, case, spec, **again)
        if status not in labels.STATUS:
            return _render(request, session, case, spec, error="Statut inconnu.", code=400, **again)
        if send_reply and draft is None:
            return _render(
                request, session, case, spec, subject=subject, body=body, code=400,
                error=problem or "Aucune réponse à envoyer.", **again,
            )  # fmt: skip
        if send_reply and draft is not None:
            try:
                apply_edits(draft, case, subject, body)
            except ActionError as exc:
                return _render(request, session, case, spec, subject=subject, body=body,
                               error=str(exc), code=400, **again)  # fmt: skip

    with session_scope(context.engine) as session:
        case = load_case(session, ref)
        if already_done(session, case, form_id):
            return RedirectResponse(f"/cases/{case.ref}?notice=duplicate", status_code=303)
        if text("version", 64) != _version(case):
            error = (
                "Le dossier a été modifié pendant que vous le lisiez (par un collègue ou par "
                "un nouveau message). Relisez-le : votre texte est conservé ci-dessous."
            )
            again["form_id"] = None
            return _render(request, session, case, spec, subject=subject, body=body,
                           error=error, code=409, **again)  # fmt: skip
        reply = perform(
            session, case, spec, actor=user.name, draft=draft if send_reply else None,
            status=status, params=params, form_id=form_id,
        )  # fmt: skip
    notice = "queued" if reply is not None else "done"
    return RedirectResponse(f"/cases/{case.ref}?notice={notice}", status_code=303)
