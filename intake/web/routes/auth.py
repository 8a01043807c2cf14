"""Logging in and out.

The login form's fields are ``username`` and ``password`` (plus the CSRF token of
the anonymous session). A successful login starts a new session with a new token;
the page never says whether the name or the password was wrong.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from intake.web.auth import LOCK_DURATION, MAX_FAILED_LOGINS, authenticate, new_session
from intake.web.deps import page, web
from store import session_scope

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path of this site: never ``//host`` or ``https://...`` (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return page(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    with session_scope(web(request).engine) as session:
        result = authenticate(session, username, password)
        user = result.user
        if user is not None:
            request.state.session = new_session(user)
            request.state.session_changed = True
            return RedirectResponse(safe_next(next), status_code=303)
    if result.outcome == "locked":
        minutes = int(LOCK_DURATION.total_seconds() // 60)
        error = (
            f"Après {MAX_FAILED_LOGINS} essais infructueux, ce compte est verrouillé pendant "
            f"{minutes} minutes. Réessayez plus tard ou demandez à un administrateur."
        )
    else:
        error = "Identifiant ou mot de passe incorrect."
    context = {"next": safe_next(next), "error": error, "username": username}
    return page(request, "login.html", context, status_code=401)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.state.session = new_session(None)
    request.state.session_changed = True
    return RedirectResponse("/login", status_code=303)
