"""The page "Envois à vérifier": replies the bot will not send by itself, and staff decisions.

DESIGN §4: a reply whose send was interrupted (``uncertain``: it may have arrived)
or refused by the SMTP server (``failed_permanent``) is never sent again without a
person deciding. ``GET /envois`` lists them newest first (``state=bounced`` shows
the bounced replies, for information). Each decision has a confirmation page,
``GET /envois/{reply_id}/{decision}``, whose form posts the state and attempt
count it showed; the change is a compare-and-set (:func:`store.reply_review.decide`),
so two people confirming at once, or a page older than a send attempt, change
nothing the second time. Every decision is written to the case's audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from intake.web import labels
from intake.web.deps import agent, page, read_session, reader, web
from store import AuditEvent, Case, Reply, User, session_scope, utcnow
from store.reply_review import (
    LISTED_STATES,
    REVIEW_STATES,
    ReviewDecision,
    decide,
    decisions_for,
    replies_to_review,
)

router = APIRouter()

PER_PAGE = 50


@dataclass(frozen=True)
class DecisionSpec:
    """How a decision is offered: its link, its confirmation page, its audit action."""

    label: str
    title: str
    confirm: str
    explain: str
    audit: str
    notice: str
    style: str = ""


DECISIONS: dict[str, DecisionSpec] = {
    ReviewDecision.RESEND.value: DecisionSpec(
        label=labels.REPLY_DECISION["resend"],
        title="Renvoyer la réponse",
        confirm="Confirmer le renvoi",
        explain=(
            "La réponse retourne dans la file d'envoi : le robot l'enverra à son prochain "
            "passage, telle quelle (même texte, même identifiant de message)."
        ),
        audit="staff.reply_resend",
        notice="La réponse est de nouveau dans la file d'envoi : le robot l'enverra à son "
        "prochain passage.",
        style="primary",
    ),
    ReviewDecision.MARK_SENT.value: DecisionSpec(
        label=labels.REPLY_DECISION["mark_sent"],
        title="Considérer la réponse comme envoyée",
        confirm="Confirmer : le message est bien arrivé",
        explain=(
            "À choisir seulement si vous avez vérifié que le destinataire a reçu ce message "
            "(auprès de lui, ou dans les journaux du serveur d'envoi). Il ne sera pas renvoyé."
        ),
        audit="staff.reply_mark_sent",
        notice="La réponse est enregistrée comme envoyée ; elle ne sera pas renvoyée.",
        style="ok",
    ),
    ReviewDecision.CANCEL.value: DecisionSpec(
        label=labels.REPLY_DECISION["cancel"],
        title="Abandonner la réponse",
        confirm="Confirmer l'abandon",
        explain=(
            "Le message ne sera jamais envoyé. Le dossier reste tel quel : si l'expéditeur "
            "doit tout de même recevoir une réponse, envoyez-la depuis le dossier."
        ),
        audit="staff.reply_cancel",
        notice="La réponse est abandonnée : elle ne sera jamais envoyée.",
        style="danger",
    ),
}
# What each state means for the person deciding (shown on the confirmation page).
STATE_WARNINGS = {
    "uncertain": (
        "L'envoi a été interrompu (arrêt du robot ou connexion coupée) : le message est "
        "peut-être déjà arrivé. Le renvoyer sans vérifier peut faire recevoir deux fois "
        "la même réponse."
    ),
    "failed_permanent": (
        "Le serveur d'envoi a refusé ce message. Vérifiez l'adresse et l'erreur ci-dessous "
        "avant de le renvoyer : sans changement, il sera probablement refusé de nouveau."
    ),
}
LIST_NOTICES = {name: spec.notice for name, spec in DECISIONS.items()}


def _filter_states(state: str) -> list[str]:
    if state == "review":
        return [s.value for s in REVIEW_STATES]
    return [state]


@router.get("/envois")
def review_page(
    request: Request,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
    state: str | None = None,
    notice: str | None = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    state = state if state in labels.REPLY_REVIEW_FILTER else "review"
    result = replies_to_review(
        session, states=_filter_states(state), page=page_number, per_page=PER_PAGE
    )

    def link(**changes: Any) -> str:
        values = {"state": state, "page": page_number, **changes}
        query = {k: v for k, v in values.items() if v not in (None, "", 1, "review")}
        return "/envois" + ("?" + urlencode(query) if query else "")

    tabs = []
    for code, name in labels.REPLY_REVIEW_FILTER.items():
        tabs.append((code, name, sum(result.counts.get(s, 0) for s in _filter_states(code))))
    return page(
        request,
        "replies.html",
        {
            "result": result,
            "state": state,
            "tabs": tabs,
            "link": link,
            "decisions": DECISIONS,
            "decisions_for": decisions_for,
            "can_act": user.role in ("agent", "admin"),
            "notice": LIST_NOTICES.get(notice or ""),
        },
    )


def _decision(name: str) -> DecisionSpec:
    spec = DECISIONS.get(name)
    if spec is None:
        raise HTTPException(404, "Décision inconnue.")
    return spec


def _load(session: Session, reply_id: int) -> tuple[Reply, Case]:
    reply = session.get(Reply, reply_id)
    case = session.get(Case, reply.case_id) if reply is not None else None
    if reply is None or case is None:
        raise HTTPException(404, "Cette réponse n'existe pas.")
    return reply, case


def _back(value: Any) -> str:
    return "case" if value == "case" else "list"


def _confirm_page(
    request: Request,
    reply: Reply,
    case: Case,
    name: str,
    *,
    back: str,
    note: str = "",
    error: str | None = None,
    code: int = 200,
) -> Response:
    allowed = name in decisions_for(reply.state)
    problem = error
    if not allowed and problem is None:
        problem = (
            "Cette décision n'est pas possible pour une réponse dans l'état "
            f"« {labels.label(labels.REPLY_STATE, reply.state)} »."
        )
    return page(
        request,
        "reply_decision.html",
        {
            "reply": reply,
            "case": case,
            "name": name,
            "spec": DECISIONS[name],
            "allowed": allowed,
            "warning": STATE_WARNINGS.get(reply.state),
            "error": problem,
            "back": back,
            "back_url": f"/cases/{case.ref}" if back == "case" else "/envois",
            "note": note,
        },
        status_code=code,
    )


@router.get("/envois/{reply_id}/{decision}")
def decision_page(
    request: Request,
    reply_id: int,
    decision: str,
    user: Annotated[User, Depends(agent)],
    session: Annotated[Session, Depends(read_session)],
    back: str | None = None,
) -> Response:
    _decision(decision)
    reply, case = _load(session, reply_id)
    return _confirm_page(request, reply, case, decision, back=_back(back))


def record(
    session: Session,
    reply: Reply,
    case: Case,
    name: str,
    *,
    actor: str,
    before: str,
    **detail: Any,
) -> None:
    """The audit event of a decision, and the case's failure alert it settles."""
    session.add(
        AuditEvent(
            case_id=case.id,
            actor=actor,
            action=DECISIONS[name].audit,
            detail={
                "reply": reply.id,
                "message_id": reply.message_id,
                "template": reply.template,
                "to": reply.to_addr,
                "reply_state": [before, reply.state],
                "attempts": reply.attempts,
                **detail,
            },
        )
    )
    failed = (case.fields or {}).get("reply_failed")
    if isinstance(failed, dict) and failed.get("reply") == reply.id:
        # The case page's "échec d'envoi" alert was about this reply: staff have decided.
        case.fields = {k: v for k, v in (case.fields or {}).items() if k != "reply_failed"}
        case.updated_at = utcnow()


@router.post("/envois/{reply_id}/{decision}")
async def decision_submit(
    request: Request, reply_id: int, decision: str, user: Annotated[User, Depends(agent)]
) -> Response:
    _decision(decision)
    form = await request.form()

    def text(key: str, limit: int) -> str:
        value = form.get(key)
        return value[:limit].strip() if isinstance(value, str) else ""

    back, note = _back(text("back", 8)), text("note", 2000)
    shown_state, shown_attempts = text("state", 32), text("attempts", 12)
    if not shown_attempts.isdigit() or shown_state not in [s.value for s in LISTED_STATES]:
        raise HTTPException(400, "Formulaire incomplet : rouvrez la page et recommencez.")
    if decision not in decisions_for(shown_state):
        # A form no page of ours offers (the decision does not apply to that state).
        with session_scope(web(request).engine, write=False) as session:
            reply, case = _load(session, reply_id)
            return _confirm_page(request, reply, case, decision, back=back, code=409)
    with session_scope(web(request).engine) as session:
        reply, case = _load(session, reply_id)
        before_error = reply.last_error
        done = decide(session, reply_id, decision, expected_state=shown_state,
                      expected_attempts=int(shown_attempts), actor=user.name)  # fmt: skip
        if done is not None:
            record(session, done, case, decision, actor=user.name, before=shown_state,
                   note=note or None, previous_error=(before_error or "")[:1000] or None)  # fmt: skip
    if done is None:
        with session_scope(web(request).engine, write=False) as session:
            reply, case = _load(session, reply_id)
            error = (
                "Cette réponse a changé depuis l'affichage de la page (un collègue a décidé, ou "
                "le robot a tenté un envoi) : rien n'a été fait. État actuel : "
                f"« {labels.label(labels.REPLY_STATE, reply.state)} », "
                f"{reply.attempts} essai{'s' if reply.attempts != 1 else ''}."
            )
            return _confirm_page(request, reply, case, decision, back=back, note=note,
                                 error=error, code=409)  # fmt: skip
    if back == "case":
        return RedirectResponse(f"/cases/{case.ref}?notice=reply_{decision}", status_code=303)
    return RedirectResponse(f"/envois?notice={decision}", status_code=303)
