"""Fixtures for the live-bot tests: a site folder with its configuration, real servers.

``site`` gives a throwaway deployment (SQLite store, file store, Maildirs, file
outbox) and helpers to read what the bot did. The IMAP, SMTP and PostgreSQL fixtures
wrap the launchers of ``tests/servers.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.config import Config, parse_config  # noqa: E402
from tests.servers import (  # noqa: E402  # noqa: E402
    Dovecot,
    PostgresServer,
    SmtpSink,
    dovecot,
    pg_available,
    postgres_cluster,
    smtp_sink,
)

ADDRESSES = {
    "accueil": "accueil@union-prof.asso.fr",
    "certification": "certification@institutquatredix.fr",
}
INTAKE = Path(sys.executable).with_name("intake")


@dataclass
class Site:
    """One deployment in a temp folder; ``settings`` is the TOML document as a dict."""

    root: Path
    settings: dict[str, Any] = field(default_factory=dict)

    def maildir(self, role: str) -> Path:
        return self.root / "maildir" / role

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def db_url(self) -> str:
        return str(self.settings["store"]["url"])

    def config(self) -> Config:
        return parse_config(self.settings, source=self.root / "config.toml")

    def write_config(self) -> Path:
        path = self.root / "config.toml"
        path.write_text(_toml(self.settings), encoding="utf-8")
        return path

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run the real ``intake`` command with this site's configuration.

        The command runs in its own process group, killed as a whole once it is
        done: a process killed by the crash hook may leave forked helpers behind
        (a service manager kills the whole group too).
        """
        config = self.write_config()
        out, err = self.root / "cli.out", self.root / "cli.err"
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            process = subprocess.Popen(
                [str(INTAKE), *args, "--config", str(config)],
                stdout=stdout,
                stderr=stderr,
                cwd=self.root,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
            try:
                code = process.wait(timeout)
            finally:
                kill_group(process.pid)
        return subprocess.CompletedProcess(
            process.args,
            code,
            out.read_text(encoding="utf-8", errors="replace"),
            err.read_text(encoding="utf-8", errors="replace"),
        )

    def cases(self) -> list[dict[str, Any]]:
        """``intake cases --json`` read in-process (the same query)."""
        from store import make_engine, session_scope
        from store.pipeline_queries import case_listing

        engine = make_engine(self.db_url)
        try:
            with session_scope(engine, write=False) as session:
                return case_listing(session)
        finally:
            engine.dispose()

    def query(self, fn: Any) -> Any:
        """Run ``fn(session)`` against the site's database."""
        from store import make_engine, session_scope

        engine = make_engine(self.db_url)
        try:
            with session_scope(engine, write=False) as session:
                return fn(session)
        finally:
            engine.dispose()


def kill_group(pgid: int) -> None:
    """SIGKILL every process left in the group ``pgid`` (one we started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for the shapes a configuration has."""
    lines: list[str] = []
    tables: list[tuple[str, Any]] = []
    for key, value in data.items():
        if (
            isinstance(value, dict)
            or isinstance(value, list)
            and value
            and all(isinstance(v, dict) for v in value)
        ):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, value in tables:
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += f"\n[{name}]\n" + _toml(value, f"{name}.")
        else:
            for item in value:
                out += f"\n[[{name}]]\n" + _toml(item, f"{name}.")
    return out


def maildir_settings(root: Path, *, after: str = "move:Traités") -> dict[str, Any]:
    return {
        "store": {"url": f"sqlite:///{root / 'var' / 'intake.db'}", "files": str(root / "files")},
        "outbox": {"dir": str(root / "outbox")},
        "mailbox": [
            {
                "role": role,
                "address": address,
                "maildir": str(root / "maildir" / role),
                "after": after,
            }
            for role, address in ADDRESSES.items()
        ],
    }


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """A Maildir + SQLite + file-outbox deployment."""
    return Site(tmp_path, maildir_settings(tmp_path))


def imap_settings(site: Site, server: Dovecot, *, after: str = "move:Traités") -> None:
    """Point ``site``'s mailboxes at ``server`` (users accueil and certification)."""
    os.environ["INTAKE_TEST_PW_ACCUEIL"] = server.users["accueil"]
    os.environ["INTAKE_TEST_PW_CERTIFICATION"] = server.users["certification"]
    site.settings["mailbox"] = [
        {
            "role": role,
            "address": address,
            "host": "127.0.0.1",
            "port": server.port,
            "security": "none",
            "username": role,
            "password_env": f"INTAKE_TEST_PW_{role.upper()}",
            "after": after,
        }
        for role, address in ADDRESSES.items()
    ]


def smtp_settings(site: Site, sink: SmtpSink) -> None:
    site.settings["smtp"] = {"host": "127.0.0.1", "port": sink.port, "security": "none"}


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
    """A Dovecot with STARTTLS and implicit TLS (self-signed certificate in ``cert``)."""
    _need_dovecot()
    server = dovecot(
        tmp_path, users={"accueil": "pw-accueil", "certification": "pw-cert"}, ssl=True
    )
    yield server
    server.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = smtp_sink()
    yield sink
    sink.close()


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
