"""The staff web interface: the FastAPI application and its site-wide protections.

``create_app(config)`` builds the site over the same store ``intake run`` fills.
Every response gets the security headers (a Content-Security-Policy with no inline
script and no framing, nosniff, no referrer, no caching of pages); every unsafe
request needs the session's CSRF token (:mod:`intake.web.csrf`); every route but
the login page and the stylesheet needs a logged-in user of the right role
(:mod:`intake.web.deps`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from intake.config import Config
from intake.web import labels
from intake.web.auth import COOKIE_NAME, SESSION_MAX_AGE, SessionCodec, site_secret
from intake.web.csrf import csrf_protect
from intake.web.deps import TEMPLATES, LoginRequired, WebContext, page
from store import FileStore, make_engine, upgrade

STATIC = Path(__file__).parent / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-src 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin: nothing leaves for other sites, while our own forms keep a real
    # Origin header (no-referrer would make browsers send "Origin: null").
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
ERROR_TITLES = {
    400: "Requête incorrecte",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    422: "Données invalides",
}


def _behind_tls(request: Request, forced: bool) -> bool:
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return forced or request.url.scheme == "https" or proto == "https"


def create_app(
    config: Config,
    *,
    engine: Engine | None = None,
    files: FileStore | None = None,
    secret: str | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    """The site for ``config``'s store (migrations applied when the engine is ours)."""
    if engine is None:
        from intake.service import store_url

        engine = make_engine(store_url(config))
        upgrade(engine)
    files = files or FileStore(config.resolve(config.store.files))
    if secret is None:
        secret = site_secret(config.resolve(config.store.files).parent)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals.update(L=labels, quote=quote)
    context = WebContext(
        config=config,
        engine=engine,
        files=files,
        codec=SessionCodec(secret),
        templates=templates,
        secure_cookies=secure_cookies,
    )
    app = FastAPI(
        title="intake",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.web = context
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _install_middleware(app, context)
    _install_handlers(app)

    from intake.web.routes import actions, admin, auth, cases, dashboard, exports, queue, replies
    from intake.web.routes import files as file_routes

    routers = (auth, queue, cases, file_routes, actions, replies, dashboard, exports, admin)
    for module in routers:
        app.include_router(module.router)
    return app


def _install_middleware(app: FastAPI, context: WebContext) -> None:
    @app.middleware("http")
    async def session_and_headers(request: Request, call_next: Any) -> Response:
        request.state.session = context.codec.loads(request.cookies.get(COOKIE_NAME))
        request.state.session_changed = False
        response: Response = await call_next(request)
        if request.state.session_changed:
            secure = _behind_tls(request, context.secure_cookies)
            response.set_cookie(
                COOKIE_NAME,
                context.codec.dumps(request.state.session),
                max_age=int(SESSION_MAX_AGE.total_seconds()),
                httponly=True,
                samesite="lax",
                secure=secure,
                path="/",
            )
        for name, value in SECURITY_HEADERS.items():
            # A route may set a stricter policy of its own (the mail frames do).
            if name not in response.headers:
                response.headers[name] = value
        if _behind_tls(request, context.secure_cookies):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.method != "GET":
            target = "/"
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        title = ERROR_TITLES.get(status, "Erreur")
        detail = exc.detail if isinstance(exc.detail, str) and status < 500 else None
        if detail in ("Not Found", "Method Not Allowed", "Forbidden"):
            detail = None
        response = page(
            request, "error.html", {"title": title, "detail": detail, "status": status}, status
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(HTTPException)
    async def fastapi_http_error(request: Request, exc: HTTPException) -> Response:
        return await http_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, _exc: RequestValidationError) -> Response:
        detail = "Un paramètre de la page ou du formulaire est invalide."
        return await http_error(request, StarletteHTTPException(400, detail))
