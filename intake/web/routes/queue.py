"""The triage queue: open cases waiting longest first, filters, search, counts, pages.

Filters are plain query parameters, so a filtered view can be bookmarked or shared:
``inbox`` (accueil / certification), ``kind``, ``status`` (``open`` by default,
``all``, or one status), ``assigned`` (``me`` / ``none``), ``age`` (waiting at
least 1, 3 or 7 days, or less than a day), ``q`` (NUC, name, e-mail or reference)
and ``page``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from intake.web import labels
from intake.web.deps import page, read_session, reader
from store import OPEN_STATUSES, User, utcnow
from store.queries import case_by_ref
from store.queue import UNASSIGNED, queue

router = APIRouter()

PER_PAGE = 50
AGES: dict[str, tuple[str, timedelta | None, timedelta | None]] = {
    "lt1d": ("moins d'un jour", None, timedelta(days=1)),
    "1d": ("plus d'un jour", timedelta(days=1), None),
    "3d": ("plus de 3 jours", timedelta(days=3), None),
    "7d": ("plus de 7 jours", timedelta(days=7), None),
}


def _choice(value: str | None, allowed: Any) -> str | None:
    return value if value and value in allowed else None


@router.get("/")
def queue_page(
    request: Request,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
    inbox: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    assigned: str | None = None,
    age: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    inbox = _choice(inbox, labels.ROLE)
    kind = _choice(kind, labels.KIND)
    status = status if status in ("all", *labels.STATUS) else "open"
    assigned = _choice(assigned, ("me", "none"))
    age = _choice(age, AGES)
    search = (q or "").strip()

    # A full case reference typed in the search box opens that case directly.
    if search and page_number == 1:
        found = case_by_ref(session, search)
        if found is not None:
            return RedirectResponse(f"/cases/{found.ref}", status_code=303)

    statuses: Any = None
    if status == "open":
        statuses = [s.value for s in OPEN_STATUSES]
    elif status != "all":
        statuses = status
    now = utcnow()
    min_age, max_age = (AGES[age][1], AGES[age][2]) if age else (None, None)
    result = queue(
        session,
        role=inbox,
        kind=kind,
        status=statuses,
        assigned_to=user.name if assigned == "me" else UNASSIGNED if assigned == "none" else None,
        min_age=min_age,
        max_age=max_age,
        search=search or None,
        page=page_number,
        per_page=PER_PAGE,
        now=now,
    )
    filters = {
        "inbox": inbox,
        "kind": kind,
        "status": status,
        "assigned": assigned,
        "age": age,
        "q": search or None,
    }

    def link(**changes: Any) -> str:
        values = {**filters, **changes}
        return "/?" + urlencode({k: v for k, v in values.items() if v not in (None, "", 1)})

    open_count = sum(result.counts.get(s.value, 0) for s in OPEN_STATUSES)
    tabs = [("open", "À traiter", open_count)]
    tabs += [(s, labels.STATUS[s], result.counts.get(s, 0)) for s in labels.STATUS_ORDER]
    tabs.append(("all", "Tous", sum(result.counts.values())))
    return page(
        request,
        "queue.html",
        {
            "result": result,
            "filters": filters,
            "tabs": tabs,
            "ages": AGES,
            "link": link,
            "now": now,
        },
    )
