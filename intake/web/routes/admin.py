"""Administration (role ``admin``): staff accounts, and the reply templates with a preview.

Accounts can be created, given another role, unlocked, deactivated and given a new
password; an administrator cannot demote or deactivate their own account (the
site must keep one). Templates are shown with their source and rendered on an
example case; they are edited as files in ``[replies] templates_dir`` (the page
says where), not through the browser: a template is code run by the bot.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from intake.web import labels
from intake.web.auth import ROLES, AccountError, add_user, check_password_rules, hash_password
from intake.web.deps import admin, page, read_session, web
from responders.render import SUFFIX, Renderer, TemplateError
from store import AuditEvent, User, session_scope, utcnow

router = APIRouter()

NOTICES = {
    "created": "Compte créé.",
    "updated": "Compte modifié.",
}


@router.get("/admin/users")
def users_page(
    request: Request,
    user: Annotated[User, Depends(admin)],
    session: Annotated[Session, Depends(read_session)],
    notice: str | None = None,
) -> Response:
    users = session.exec(select(User).order_by(col(User.name))).all()
    return page(
        request,
        "users.html",
        {
            "users": users,
            "roles": ROLES,
            "notice": NOTICES.get(notice or ""),
            "error": None,
            "now_utc": utcnow(),
        },
    )


def _audit(session: Session, actor: str, action: str, **detail: Any) -> None:
    session.add(AuditEvent(case_id=None, actor=actor, action=action, detail=detail))


@router.post("/admin/users")
def create_user(
    request: Request,
    user: Annotated[User, Depends(admin)],
    name: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=16)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    try:
        with session_scope(web(request).engine) as session:
            created = add_user(session, name, role, password)
            _audit(session, user.name, "admin.user_created", name=created.name, role=role)
    except AccountError as exc:
        with session_scope(web(request).engine, write=False) as session:
            users = session.exec(select(User).order_by(col(User.name))).all()
        context = {
            "users": users,
            "roles": ROLES,
            "notice": None,
            "error": str(exc),
            "now_utc": utcnow(),
        }
        return page(request, "users.html", context, status_code=400)
    return RedirectResponse("/admin/users?notice=created", status_code=303)


@router.post("/admin/users/{user_id}")
def update_user(
    request: Request,
    user_id: int,
    user: Annotated[User, Depends(admin)],
    action: Annotated[str, Form(max_length=16)],
    role: Annotated[str, Form(max_length=16)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    with session_scope(web(request).engine) as session:
        target = session.get(User, user_id)
        if target is None:
            raise HTTPException(404, "Ce compte n'existe pas.")
        if target.id == user.id and action in ("role", "deactivate"):
            raise HTTPException(400, "Vous ne pouvez pas retirer vos propres droits.")
        if action == "role":
            if role not in ROLES:
                raise HTTPException(400, "Rôle inconnu.")
            target.role = role
        elif action == "deactivate":
            target.active = False
        elif action == "activate":
            target.active = True
        elif action == "unlock":
            target.failed_logins, target.locked_until = 0, None
        elif action == "password":
            try:
                check_password_rules(password)
            except AccountError as exc:
                raise HTTPException(400, str(exc)) from None
            target.password_hash = hash_password(password)
            target.failed_logins, target.locked_until = 0, None
        else:
            raise HTTPException(400, "Action inconnue.")
        _audit(session, user.name, f"admin.user_{action}", name=target.name, role=target.role)
    return RedirectResponse("/admin/users?notice=updated", status_code=303)


def example_context(template: str, request: Request) -> dict[str, Any]:
    """A plausible case to render any template on."""
    config = web(request).config
    role = "certification" if template.startswith(("spreadsheet", "mycertif")) else "accueil"
    return {
        "case_ref": "UP-2025-000123" if role == "accueil" else "CQ-2025-000042",
        "role": role,
        "sender_name": "Claire Martin" if role == "accueil" else None,
        "nuc": "2024-012345" if role == "accueil" else None,
        "topic": "nuc_request",
        "missing": ["name", "phone", "exam_reference"],
        "exams": [{"code": e.code, "label": e.label} for e in config.exam],
        "reason": "medical",
        "asks_refund": False,
        "summary": {"rows": 12, "accepted": 9, "late": 1, "invalid": 1, "redoublant": 1},
        "rejected_rows": [
            {
                "sheet": "Recueil",
                "row_number": 8,
                "name": "DUPONT Léa",
                "bucket": "invalid",
                "bucket_label": "Invalide",
                "reason": "NIR manquant",
            },
        ],  # fmt: skip
        "annotated_filename": "recueil-annote.xlsx",
        "filename": "recueil.xlsx",
        "error": "le fichier est protégé par un mot de passe",
        "mycertif_address": config.replies.mycertif_address,
        "next_session": "novembre 2025",
        "refusal_reason": "le justificatif ne couvre pas la date de l'épreuve",
        "note": None,
        "message": "- une copie de votre convocation ;\n- votre numéro de téléphone.",
    }


@router.get("/admin/templates")
def templates_page(
    request: Request, user: Annotated[User, Depends(admin)], name: str | None = None
) -> Response:
    config = web(request).config
    folder = config.replies.templates_dir
    override = config.resolve(folder) if folder else None
    renderer = Renderer(override if override and override.is_dir() else None)
    names = renderer.available_templates()
    chosen = name if name in names else (names[0] if names else None)
    source = preview = problem = None
    if chosen is not None:
        loader = renderer.env.loader
        assert loader is not None
        source = loader.get_source(renderer.env, chosen + SUFFIX)[0]
        try:
            preview = renderer.render(chosen, example_context(chosen, request))
        except TemplateError as exc:
            problem = str(exc)
    return page(
        request,
        "templates.html",
        {
            "names": names,
            "chosen": chosen,
            "source": source,
            "preview": preview,
            "problem": problem,
            "folder": str(override) if override else None,
            "labels": labels,
        },
    )
