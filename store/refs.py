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

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from store.driver import DriverStatement
from store.models import RefCounter


def format_ref(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year:04d}-{number:06d}"


_TABLE = RefCounter.__table__  # type: ignore[attr-defined]
# Built once: composing a statement costs more than running it.
_BUMP = DriverStatement(
    update(_TABLE)
    .where(_TABLE.c.prefix == bindparam("p"), _TABLE.c.year == bindparam("y"))
    .values(last_number=_TABLE.c.last_number + 1)
    .returning(_TABLE.c.last_number)
)
_CREATE = {
    name: insert(_TABLE)
    .values(prefix=bindparam("p"), year=bindparam("y"), last_number=0)
    .on_conflict_do_nothing(index_elements=["prefix", "year"])
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def allocate_ref(session: Session, prefix: str, year: int) -> str:
    """The next reference for ``prefix`` and ``year``, e.g. ``CQ-2025-000045``."""
    key = {"p": prefix, "y": year}
    bumped = _BUMP.first(session, key)
    if bumped is None:
        # First reference of this prefix and year: create the counter (or find that
        # a concurrent transaction just did) and bump again.
        session.execute(_CREATE[session.get_bind().dialect.name], key)
        bumped = _BUMP.first(session, key)
        assert bumped is not None
    number = bumped[0]
    return format_ref(prefix, year, int(number))
