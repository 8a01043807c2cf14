"""Locks that keep two processes from doing the same work at once (DESIGN §5).

``instance_lock(engine, name)`` is a context manager giving an :class:`InstanceLock`
that is truthy when acquired. It never waits: the caller skips the work (another
instance polls that mailbox) or refuses to start (a second ``intake run`` on one
SQLite file).

- PostgreSQL: a session-level advisory lock,
  ``pg_try_advisory_lock(namespace, hashtext(name))``, taken on a connection of its
  own that stays open while the lock is held. The server releases it if the process
  dies or the connection drops, so a crashed instance never blocks the others.
- SQLite: ``fcntl.flock`` on a file next to the database,
  ``<db>.<name>.lock``. The kernel drops the lock when the process dies. The file
  holds the holder's PID, for the refusal message; it is never deleted (deleting a
  lock file races with a process opening it).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from store.db import LOCK_NAMESPACE, sqlite_path


@dataclass
class InstanceLock:
    """The outcome of :func:`instance_lock`; truthy when this process holds the lock."""

    name: str
    acquired: bool
    # Who holds it when it was refused, as far as we can tell ("pid 1234").
    holder: str | None = None
    path: Path | None = None
    _conn: Connection | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.acquired

    def still_held(self) -> bool:
        """False when the lock was lost (the PostgreSQL connection dropped)."""
        if not self.acquired:
            return False
        if self._conn is None:
            return True
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
        except Exception:
            return False
        return True

    def refusal(self) -> str:
        """A sentence for the operator when the lock was not acquired."""
        where = f" ({self.path})" if self.path else ""
        who = f" by {self.holder}" if self.holder else " by another process"
        return f"lock {self.name!r} is already held{who}{where}"


def lock_file_path(database: Path, name: str) -> Path:
    """The lock file for ``name`` next to the SQLite file ``database``."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:40] or "lock"
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return database.with_name(f"{database.name}.{slug}-{digest}.lock")


@contextmanager
def instance_lock(engine: Engine, name: str) -> Iterator[InstanceLock]:
    """Try to take the lock ``name``; yield the outcome; release it on exit."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        with _pg_lock(engine, name) as lock:
            yield lock
    elif dialect == "sqlite":
        database = sqlite_path(engine)
        if database is None:
            # An in-memory database cannot be shared between processes.
            yield InstanceLock(name, True)
            return
        with _file_lock(lock_file_path(database.resolve(), name), name) as lock:
            yield lock
    else:
        raise ValueError(f"no instance lock for database {dialect!r}")


def _pg_key(name: str) -> dict[str, Any]:
    return {"ns": LOCK_NAMESPACE, "name": name}


@contextmanager
def _pg_lock(engine: Engine, name: str) -> Iterator[InstanceLock]:
    conn = engine.connect()
    acquired = False
    try:
        acquired = bool(
            conn.execute(
                text("SELECT pg_try_advisory_lock(:ns, hashtext(:name))"), _pg_key(name)
            ).scalar()
        )
        # A session lock survives the commit; the connection must not idle in a
        # transaction while the lock is held.
        conn.commit()
        holder = None if acquired else _pg_holder(conn, name)
        yield InstanceLock(name, acquired, holder=holder, _conn=conn if acquired else None)
    finally:
        try:
            if acquired:
                conn.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(:name))"), _pg_key(name))
                conn.commit()
            conn.close()
        except Exception:
            # The connection is broken (the server released the lock with it), or the
            # unlock failed: never hand a connection that may hold it back to the pool.
            conn.invalidate()


def _pg_holder(conn: Connection, name: str) -> str | None:
    try:
        row = conn.execute(
            text(
                "SELECT l.pid, a.application_name, a.client_addr FROM pg_locks l"
                " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND l.classid = CAST(:ns AS oid) AND l.objid = CAST(hashtext(:name) AS oid)"
                " AND l.objsubid = 2"
            ),
            _pg_key(name),
        ).first()
        conn.commit()
    except Exception:
        conn.rollback()
        return None
    if row is None:
        return None
    return f"PostgreSQL backend {row[0]}" + (f" ({row[1]})" if row[1] else "")


@contextmanager
def _file_lock(path: Path, name: str) -> Iterator[InstanceLock]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            yield InstanceLock(name, False, holder=f"pid {holder}" if holder else None, path=path)
            return
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield InstanceLock(name, True, path=path)
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_is_free(engine: Engine, name: str) -> bool:
    """True when nobody holds ``name`` right now (takes and drops it at once)."""
    with instance_lock(engine, name) as lock:
        return lock.acquired
