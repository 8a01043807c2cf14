"""What every route needs: the site's context, the logged-in user by role, page rendering.

Routes declare ``user: User = Depends(reader)`` (or ``agent``, ``admin``): a visitor
without a valid session is sent to the login page, a user whose role is too low
gets a 403 page. ``page()`` renders a template with the user, the CSRF token and
the French labels always available.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from intake.config import Config
from intake.web import labels
from intake.web.auth import SessionCodec, has_role, session_user
from intake.web.csrf import csrf_token
from store import FileStore, User, session_scope
from store.reply_review import count_to_review

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class WebContext:
    """The site: configuration, database, file store and session signing."""

    config: Config
    engine: Engine
    files: FileStore
    codec: SessionCodec
    templates: Jinja2Templates
    # Force the Secure flag on cookies (a TLS proxy that sends no X-Forwarded-Proto).
    secure_cookies: bool = False


class LoginRequired(Exception):
    """No valid session: the visitor is sent to the login page."""


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def read_session(request: Request) -> Iterator[Session]:
    """A read-only database session for the request (no write lock on SQLite)."""
    with session_scope(web(request).engine, write=False) as session:
        yield session


def _require(role: str) -> Callable[[Request], User]:
    def dependency(request: Request) -> User:
        cached = getattr(request.state, "user", None)
        if cached is None:
            with session_scope(web(request).engine, write=False) as session:
                cached = session_user(session, request.state.session)
            if cached is None:
                raise LoginRequired()
            request.state.user = cached
        if not has_role(cached, role):
            raise HTTPException(403, "Votre rôle ne permet pas cette action.")
        return cached

    dependency.__name__ = f"require_{role}"
    return dependency


reader = _require("lecture")
agent = _require("agent")
admin = _require("admin")


def review_count(request: Request) -> int | None:
    """Replies waiting for a staff decision, for the navigation (None: nobody logged in)."""
    if getattr(request.state, "user", None) is None:
        return None
    try:
        with session_scope(web(request).engine, write=False) as session:
            return count_to_review(session)
    except SQLAlchemyError:
        # A figure in the navigation must never be why a page (an error page) fails.
        return None


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render template ``name`` with the common values (user, CSRF token, labels, counts)."""
    values = {
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "L": labels,
        "path": request.url.path,
        "review_count": review_count(request),
        **(context or {}),
    }
    return web(request).templates.TemplateResponse(request, name, values, status_code=status_code)
