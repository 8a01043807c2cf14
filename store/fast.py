"""Core INSERTs and UPDATEs for the per-mail hot path, about five times cheaper than ORM objects.

Building a SQLModel object and flushing it costs about 1–2 ms here (every field goes
through pydantic and the ORM's instrumentation, then the unit of work); a prepared
Core statement with a dict of values costs a fraction of that. The pipeline files
hundreds of mails a second, so it may write its rows with these helpers and keep
ORM objects for the rest (the web, the outbox).

- Column defaults (timestamps, states, empty JSON) are applied by Core, and the
  column types normalise as usual (UTC times, lower-case addresses, ``<id>``).
- Rows of ``cases`` get what the ORM hooks of :class:`store.models.Case` give them:
  ``search_text``, and ``waiting_since`` = ``created_at`` for an open case.
- These statements bypass the session's identity map: an object of the same row
  already loaded in the session is not refreshed (``session.refresh`` it, or load
  it after writing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlmodel import Session

from store.models import OPEN_STATUSES, Base, Case, CaseStatus, case_search_text
from store.types import utcnow

_RETURNING_ID: dict[str, Any] = {}


def _table(model: type[Base]) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


def _prepare(model: type[Base], values: Mapping[str, Any]) -> dict[str, Any]:
    row = dict(values)
    if model is Case:
        row.setdefault("created_at", utcnow())
        row.setdefault("updated_at", row["created_at"])
        row.setdefault("status", CaseStatus.NEW)
        if row.get("waiting_since") is None and row["status"] in OPEN_STATUSES:
            row["waiting_since"] = row["created_at"]
        row["search_text"] = case_search_text(
            row.get("ref"), row.get("nuc"), row.get("sender_email"), row.get("sender_name")
        )
    return row


def insert_row(session: Session, model: type[Base], values: Mapping[str, Any]) -> int:
    """Insert one row of ``model``'s table; return its new ``id``."""
    table = _table(model)
    stmt = _RETURNING_ID.get(table.name)
    if stmt is None:
        stmt = _RETURNING_ID[table.name] = insert(table).returning(table.c.id)
    return int(session.execute(stmt, _prepare(model, values)).scalar_one())


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows of one table in one statement (attachments, spreadsheet rows).

    Every row must name the same columns.
    """
    if rows:
        session.execute(insert(_table(model)), [_prepare(model, row) for row in rows])


_SEARCHED = ("ref", "nuc", "sender_email", "sender_name")


def update_row(session: Session, model: type[Base], row_id: int, values: Mapping[str, Any]) -> None:
    """Set ``values`` on the row ``row_id`` of ``model``'s table.

    For ``cases``, ``updated_at`` is set too, and ``search_text`` is recomputed when
    one of the searched fields changes.
    """
    if not values:
        return
    row = dict(values)
    if model is Case:
        row.setdefault("updated_at", utcnow())
        if any(name in row for name in _SEARCHED):
            table = _table(Case)
            current = session.execute(
                select(*(table.c[name] for name in _SEARCHED)).where(table.c.id == row_id)
            ).one()
            merged = {name: row.get(name, current[i]) for i, name in enumerate(_SEARCHED)}
            row["search_text"] = case_search_text(**merged)
    session.execute(update(model), [{"id": row_id, **row}])
