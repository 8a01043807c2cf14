"""Fixtures for the store tests: databases on SQLite and PostgreSQL, real servers.

The server launchers live in ``tests/servers.py`` (no pytest there); these fixtures
only wrap them. PostgreSQL is ``INTAKE_TEST_DATABASE_URL``'s server when set (CI),
else a throwaway cluster made from the local server binaries; each test gets a
fresh database.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
# pytest's rootdir is not on sys.path when run through the pytest script.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store.db import make_engine, upgrade  # noqa: E402
from tests.servers import (  # noqa: E402
    Dovecot,
    PostgresServer,
    SmtpSink,
    dovecot,
    pg_available,
    postgres_cluster,
    smtp_sink,
)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    why = pg_available()
    if why:
        pytest.skip(f"no PostgreSQL for this test: {why}")
    server = postgres_cluster(tmp_path_factory.mktemp("pg"))
    yield server
    server.close()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database."""
    return pg_server.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file in a folder that does not exist yet."""
    return f"sqlite:///{tmp_path / 'var' / 'intake.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind (the test runs once per database)."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database of each kind."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database (for tests that only make sense there)."""
    eng = make_engine(pg_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def _need_dovecot() -> None:
    if shutil.which("dovecot") is None:
        pytest.skip("Dovecot is not installed (Debian package dovecot-imapd)")


@pytest.fixture
def imap_server(tmp_path: Path) -> Iterator[Dovecot]:
    """A Dovecot of this test's own (it may stop and start it)."""
    _need_dovecot()
    server = dovecot(tmp_path, users={"accueil": "pw-accueil", "certification": "pw-cert"})
    yield server
    server.close()


@pytest.fixture
def imap_tls_server(tmp_path: Path) -> Iterator[Dovecot]:
    _need_dovecot()
    server = dovecot(tmp_path, users={"accueil": "pw-accueil"}, ssl=True)
    yield server
    server.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = smtp_sink()
    yield sink
    sink.close()
