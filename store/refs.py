"""Readable case references (``UP-2025-000123``), numbered inside the caller's transaction.

One counter row per prefix and year, bumped by a single
``UPDATE … SET last_number = last_number + 1 … RETURNING last_number``:

- PostgreSQL: the UPDATE takes the row's lock until the transaction ends; a
  second instance allocating at the same time waits for that commit, then its
  UPDATE re-reads the committed row and gets the next number. No two transactions
  can return the same number, and a rolled-back transaction gives its number back
  (references stay gap-free, unlike a sequence).
- SQLite: the write transaction (``BEGIN IMMEDIATE`` in ``session_scope``) already
  excludes every other writer.

The counter row is created on first use with ``INSERT … ON CONFLICT DO NOTHING``,
which both databases support and which is safe when two instances race for it;
afterwards one statement per reference.
Because the lock is held until commit, allocate the reference late in a
transaction that creates a case.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from store.models import RefCounter


def format_ref(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year:04d}-{number:06d}"


def allocate_ref(session: Session, prefix: str, year: int) -> str:
    """The next reference for ``prefix`` and ``year``, e.g. ``CQ-2025-000045``."""
    table = RefCounter.__table__  # type: ignore[attr-defined]
    bump = (
        update(table)
        .where(table.c.prefix == prefix, table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    )
    number = session.execute(bump).scalar_one_or_none()
    if number is None:
        # First reference of this prefix and year: create the counter (or find that
        # a concurrent transaction just did) and bump again.
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(table)
            .values(prefix=prefix, year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["prefix", "year"])
        )
        number = session.execute(bump).scalar_one()
    return format_ref(prefix, year, int(number))
