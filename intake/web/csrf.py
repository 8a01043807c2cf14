"""CSRF protection: one token per session, required in every form posted to the site.

The token lives in the signed session cookie (an anonymous visitor gets one on the
login page) and every form carries it in a hidden ``csrf_token`` field. The check
is a dependency of the whole application, so no POST route can forget it; a
missing or wrong token is refused with 403. A request whose ``Origin`` names
another site is refused too (a second line of defence for browsers that send it).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The session's token, created (and the cookie scheduled) when there is none."""
    session = request.state.session
    token = session.get("c")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["c"] = token
        request.state.session_changed = True
    return token


def _same_origin(request: Request, origin: str) -> bool:
    if origin == "null":
        return False
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request without the session's token (403)."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and not _same_origin(request, origin):
        raise HTTPException(403, "Requête refusée : elle ne vient pas de ce site.")
    expected = request.state.session.get("c")
    content_type = request.headers.get("content-type", "")
    sent = None
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise HTTPException(
            403, "Formulaire expiré ou jeton de sécurité absent : rechargez la page et recommencez."
        )
