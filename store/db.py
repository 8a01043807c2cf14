"""Engines, sessions and schema migrations for SQLite and PostgreSQL.

``make_engine`` tunes each database once per connection; ``session_scope`` is the
one way code opens a transaction; ``upgrade`` applies the Alembic migrations that
ship inside this package (no ``alembic.ini`` needed at run time).

SQLite transactions: the driver's own implicit transactions are switched off and
SQLAlchemy emits ``BEGIN`` itself. A writing scope starts with ``BEGIN IMMEDIATE``,
which takes the write lock up front (waiting up to ``busy_timeout``): a transaction
that first reads and then writes would otherwise fail at once with "database is
locked" when another process (the web interface) wrote in between.

Threads of one process that write to one SQLite file (the bot's poller and its
outbox) queue on a lock of their own before ``BEGIN IMMEDIATE``: SQLite lets a
waiting writer sleep 1, 2, 5, 10… ms between tries, and two busy threads would
spend much of their time in those sleeps; a thread lock hands the database over
as soon as it is free. Other processes still wait through ``busy_timeout``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlmodel import Session

from store.writer import FairRLock

MIGRATIONS = Path(__file__).parent / "migrations"

# Milliseconds a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option that asks for BEGIN IMMEDIATE on SQLite.
_WRITE_OPTION = "intake_write"

# Advisory lock key (two-int form, namespace + hashtext) serialising migrations when
# several instances start at once against one PostgreSQL.
LOCK_NAMESPACE = 0x1A7A4E


def normalize_url(url: str | URL) -> URL:
    """The URL with PostgreSQL pinned to psycopg 3 (``postgres://`` accepted too)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def sqlite_path(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for other databases or memory)."""
    if engine.dialect.name != "sqlite":
        return None
    return _sqlite_file(engine.url)


def make_engine(url: str | URL, *, echo: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url``: SQLite (file created with its folder) or PostgreSQL."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo, **kwargs)
        _tune_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # pre_ping: a connection kept across a network cut or a server restart is
        # replaced instead of failing the next transaction.
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, echo=echo, **kwargs)
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string()!r}: use sqlite or postgresql"
    )


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" hook below decides
        # how each transaction starts (and SAVEPOINT works as documented).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            # NORMAL is durable in WAL mode except for the last transactions on a
            # power cut; a process crash loses nothing.
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


_WRITERS: weakref.WeakKeyDictionary[Engine, FairRLock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: Engine) -> Any:
    """The lock this process's writers of a SQLite engine take; none for PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    lock = _WRITERS.get(engine)
    if lock is None:
        with _WRITERS_GUARD:
            lock = _WRITERS.setdefault(engine, FairRLock())
    return lock


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error.

    ``write=False`` is for pages that only read: on SQLite it does not wait for the
    write lock. Objects stay usable after the commit (``expire_on_commit=False``).
    """
    with _writer_lock(engine) if write else nullcontext():
        session = Session(engine, expire_on_commit=False)
        try:
            if write:
                # Procure the connection now so that BEGIN IMMEDIATE is what starts it.
                session.connection(execution_options={_WRITE_OPTION: True})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


@contextmanager
def write_transaction(connection: Connection) -> Iterator[Connection]:
    """One writing transaction on a Core connection the caller keeps open.

    For the outbox, which claims and marks each reply in a transaction of its own:
    a few fixed statements, where a session's work, or even taking a connection
    from the pool for each reply, would cost more than they do.
    """
    with _writer_lock(connection.engine):
        writing = connection.execution_options(**{_WRITE_OPTION: True})
        with writing.begin():
            yield writing


def alembic_config(url: str | URL | None = None) -> AlembicConfig:
    """An Alembic configuration pointing at the migrations inside this package."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        rendered = normalize_url(url).render_as_string(hide_password=False)
        # ConfigParser interpolation: a literal % must be doubled.
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


@contextmanager
def _engine_for(engine_or_url: Engine | str | URL) -> Iterator[Engine]:
    if isinstance(engine_or_url, Engine):
        yield engine_or_url
        return
    engine = make_engine(engine_or_url)
    try:
        yield engine
    finally:
        engine.dispose()


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> str | None:
    """Apply the migrations up to ``revision``; return the revision now current.

    Safe when several instances start together: PostgreSQL serialises them with a
    transaction-level advisory lock, SQLite with its write lock.
    """
    with _engine_for(engine_or_url) as engine:
        conn = engine.connect().execution_options(**{_WRITE_OPTION: True})
        with conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:ns, hashtext('intake:migrations'))"),
                    {"ns": LOCK_NAMESPACE},
                )
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        return current_revision(engine)


def current_revision(engine_or_url: Engine | str | URL) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with _engine_for(engine_or_url) as engine, engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_up_to_date(engine_or_url: Engine | str | URL) -> bool:
    """True when the database is at the newest shipped revision."""
    return current_revision(engine_or_url) == head_revision()
