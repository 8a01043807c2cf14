"""What the staff interface reads: the triage queue, dashboard figures, row exports.

The queue is ordered waiting-longest first (``waiting_since`` ascending, closed cases
last) and paged; its counts per status ignore the status filter, so that the tabs
of the page can show every figure at once. Indexes for it are declared on
``cases`` (status, waiting_since) and (role, kind, status, waiting_since).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from store.models import Case, Message, SpreadsheetRow
from store.types import fold_text, utcnow

# ``assigned_to=UNASSIGNED`` selects the cases nobody took.
UNASSIGNED = ""


@dataclass(frozen=True)
class QueuePage:
    cases: list[Case]
    total: int
    counts: dict[str, int]
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _like_term(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_condition(search: str) -> Any:
    term = fold_text(search)
    # A NUC typed with spaces or without its dash: compare its digits.
    if re.fullmatch(r"[\d\s\-./]+", term) and sum(ch.isdigit() for ch in term) >= 4:
        term = re.sub(r"\D", "", term)
    return col(Case.search_text).like(_like_term(term), escape="\\")


def queue(
    session: Session,
    *,
    role: str | None = None,
    mailbox: str | None = None,
    kind: str | None = None,
    status: str | Sequence[str] | None = None,
    assigned_to: str | None = None,
    min_age: timedelta | None = None,
    max_age: timedelta | None = None,
    search: str | None = None,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> QueuePage:
    """One page of cases matching every filter given (None means no filter).

    ``min_age``/``max_age`` bound how long a case has been waiting; ``search``
    matches a part of the reference, NUC, e-mail or name (case and accents
    ignored); ``assigned_to=UNASSIGNED`` means nobody.
    """
    now = now or utcnow()
    page = max(1, page)
    per_page = max(1, min(per_page, 500))
    conditions: list[Any] = []
    if role is not None:
        conditions.append(Case.role == role)
    if mailbox is not None:
        conditions.append(Case.mailbox == mailbox)
    if kind is not None:
        conditions.append(Case.kind == kind)
    if assigned_to is not None:
        conditions.append(
            col(Case.assigned_to).is_(None)
            if assigned_to == UNASSIGNED
            else Case.assigned_to == assigned_to
        )
    if min_age is not None:
        conditions.append(col(Case.waiting_since) <= now - min_age)
    if max_age is not None:
        conditions.append(col(Case.waiting_since) >= now - max_age)
    if search and search.strip():
        conditions.append(_search_condition(search))

    counts = {
        str(name): int(number)
        for name, number in session.exec(
            select(Case.status, func.count()).where(*conditions).group_by(Case.status)
        ).all()
    }
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        conditions.append(col(Case.status).in_(statuses))
        total = sum(counts.get(s, 0) for s in set(statuses))
    else:
        total = sum(counts.values())
    stmt = (
        select(Case)
        .where(*conditions)
        .order_by(col(Case.waiting_since).asc().nulls_last(), col(Case.id))
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return QueuePage(list(session.exec(stmt).all()), total, counts, page, per_page)


def messages_per_day(
    session: Session,
    since: datetime,
    *,
    until: datetime | None = None,
    tz: tzinfo = UTC,
) -> dict[date, Counter[str]]:
    """Incoming messages per local day and per kind (``"?"`` when not classified)."""
    stmt = select(Message.created_at, Message.kind).where(
        Message.direction == "in", Message.created_at >= since
    )
    if until is not None:
        stmt = stmt.where(Message.created_at < until)
    days: dict[date, Counter[str]] = {}
    # Grouped here rather than in SQL: day boundaries in a time zone are not
    # portable between SQLite and PostgreSQL, and 30 days of mail is small.
    for created_at, kind in session.exec(stmt).all():
        day = created_at.astimezone(tz).date()
        days.setdefault(day, Counter())[kind or "?"] += 1
    return days


@dataclass
class OrganisationReturn:
    """What one organisation sent for one exam month: rows per bucket."""

    organisation: str
    exam_month: str | None
    buckets: Counter[str] = field(default_factory=Counter)
    cases: set[int] = field(default_factory=set)

    @property
    def rows(self) -> int:
        return sum(self.buckets.values())


def spreadsheet_returns(
    session: Session, months: Sequence[str] | None = None
) -> list[OrganisationReturn]:
    """Per organisation and exam month: rows per bucket and the cases they came in."""
    # SQLAlchemy's select: SQLModel's typed select takes at most four columns.
    keys = (
        col(SpreadsheetRow.organisation),
        col(SpreadsheetRow.exam_month),
        col(SpreadsheetRow.bucket),
        col(SpreadsheetRow.case_id),
    )
    stmt = sa_select(*keys, func.count()).group_by(*keys)
    if months is not None:
        stmt = stmt.where(col(SpreadsheetRow.exam_month).in_(list(months)))
    found: dict[tuple[str, str | None], OrganisationReturn] = {}
    for organisation, month, bucket, case_id, number in session.execute(stmt).all():
        name = organisation or "?"
        entry = found.setdefault((name, month), OrganisationReturn(name, month))
        entry.buckets[bucket] += int(number)
        entry.cases.add(case_id)
    return sorted(found.values(), key=lambda e: (e.exam_month or "", fold_text(e.organisation)))


def rows_for_exam_month(
    session: Session, month: str, *, buckets: Sequence[str] = ("accepted",)
) -> list[SpreadsheetRow]:
    """The judged rows of exam month ``YYYY-MM`` in ``buckets``, by organisation and name."""
    stmt = (
        select(SpreadsheetRow)
        .where(
            SpreadsheetRow.exam_month == month,
            col(SpreadsheetRow.bucket).in_(list(buckets)),
        )
        .order_by(
            col(SpreadsheetRow.organisation),
            col(SpreadsheetRow.last_name),
            col(SpreadsheetRow.first_name),
            col(SpreadsheetRow.id),
        )
    )
    return list(session.exec(stmt).all())
