"""The dashboard: mails per day and kind, cases waiting and their age, spreadsheet returns.

Returns are shown per deadline of the configured calendar (SPEC §2.3): for each,
the organisations whose spreadsheet rows fall in its exam months, with how many
rows were accepted, late, invalid or repeat candidates, and the cases they came in.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from intake.web import charts, labels
from intake.web.deps import page, read_session, reader, web
from store import OPEN_STATUSES, Case, User, utcnow
from store.queue import messages_per_day, queue, spreadsheet_returns

router = APIRouter()

DAYS = 30
AGE_BUCKETS = (
    ("moins d'un jour", timedelta(days=1), "#93c5fd"),
    ("1 à 3 jours", timedelta(days=3), "#60a5fa"),
    ("3 à 7 jours", timedelta(days=7), "#f59e0b"),
    ("plus de 7 jours", None, "#dc2626"),
)


def _waiting(session: Session, now: datetime) -> tuple[Counter[str], list[tuple[str, int, str]]]:
    """Open cases per status, and per age bucket."""
    by_status: Counter[str] = Counter()
    by_age = [0] * len(AGE_BUCKETS)
    for status, since in session.exec(
        select(Case.status, Case.waiting_since).where(
            col(Case.status).in_([s.value for s in OPEN_STATUSES])
        )
    ).all():
        by_status[status] += 1
        waited = now - (since or now)
        for index, (_, limit, _colour) in enumerate(AGE_BUCKETS):
            if limit is None or waited < limit:
                by_age[index] += 1
                break
    bars = [(name, by_age[i], colour) for i, (name, _, colour) in enumerate(AGE_BUCKETS)]
    return by_status, bars


def _returns(session: Session, request: Request) -> list[dict[str, Any]]:
    """Per deadline: the organisations that returned rows for its months."""
    config = web(request).config
    out = []
    refs: dict[int, str] = {}
    for deadline in config.deadline:
        found = spreadsheet_returns(session, list(deadline.months))
        organisations: dict[str, dict[str, Any]] = {}
        for entry in found:
            item = organisations.setdefault(
                entry.organisation,
                {"name": entry.organisation, "buckets": Counter(), "cases": set()},
            )
            item["buckets"].update(entry.buckets)
            item["cases"].update(entry.cases)
        wanted = {c for item in organisations.values() for c in item["cases"]} - set(refs)
        if wanted:
            for case_id, ref in session.exec(
                select(Case.id, Case.ref).where(col(Case.id).in_(list(wanted)))
            ).all():
                if case_id is not None:
                    refs[case_id] = ref
        rows = sorted(organisations.values(), key=lambda i: i["name"].lower())
        for item in rows:
            item["refs"] = sorted(refs.get(c, "?") for c in item["cases"])
            item["rows"] = sum(item["buckets"].values())
        out.append(
            {
                "months": ", ".join(labels.month_label(m) for m in deadline.months),
                "due": "clos (opération déjà réalisée)"
                if deadline.due == "closed"
                else deadline.due.strftime("%d/%m/%Y"),
                "organisations": rows,
            }
        )
    return out


@router.get("/dashboard")
def dashboard(
    request: Request,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    now = utcnow()
    local_tz = datetime.now().astimezone().tzinfo
    today = now.astimezone(local_tz).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=local_tz)
    per_day = messages_per_day(session, since, tz=local_tz)  # type: ignore[arg-type]
    totals: Counter[str] = Counter()
    for counter in per_day.values():
        totals.update(counter)
    kinds = [k for k in charts.KIND_COLOURS if totals.get(k)] + sorted(
        k for k in totals if k not in charts.KIND_COLOURS
    )
    by_status, age_bars = _waiting(session, now)
    oldest = queue(session, status=[s.value for s in OPEN_STATUSES], per_page=8, now=now)
    return page(
        request,
        "dashboard.html",
        {
            "chart": charts.stacked_days(days, per_day, kinds, labels.KIND),
            "kinds": kinds,
            "totals": totals,
            "received": sum(totals.values()),
            "by_status": by_status,
            "waiting": sum(by_status.values()),
            "age_chart": charts.hbars(age_bars),
            "late": age_bars[-1][1],
            "oldest": oldest.cases,
            "returns": _returns(session, request),
            "now": now,
        },
    )
