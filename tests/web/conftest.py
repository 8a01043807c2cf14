"""Fixtures for the web interface: a seeded site (real pipeline, SQLite, file store), accounts.

``site`` files the mails of :mod:`tests.web.mails` through the bot's pipeline, creates
one account per role and hands out TestClients; ``login`` fills the real login form
(CSRF token included) like a browser would.
"""

from __future__ import annotations

import re
import shutil
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
from tests.web import mails  # noqa: E402

PASSWORDS = {
    "lea": ("lecture", "lecture-mot-de-passe"),
    "arthur": ("agent", "agent-mot-de-passe"),
    "alice": ("admin", "admin-mot-de-passe"),
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def site_settings(root: Path) -> dict[str, Any]:
    return {
        "store": {"url": f"sqlite:///{root / 'intake.db'}", "files": "files"},
        "outbox": {"dir": "outbox"},
        "mailbox": [
            {"role": role, "address": address, "maildir": f"maildir/{role}"}
            for role, address in mails.ADDRESSES.items()
        ],
    }


@dataclass
class Site:
    root: Path
    config: Config
    engine: Any
    files: Any
    app: Any
    refs: dict[str, str] = field(default_factory=dict)

    def client(self) -> Any:
        from fastapi.testclient import TestClient

        return TestClient(self.app, follow_redirects=False)

    def login(self, name: str) -> Any:
        client = self.client()
        response = login(client, name, PASSWORDS[name][1])
        assert response.status_code == 303, response.text
        return client

    def session(self) -> Any:
        from store import session_scope

        return session_scope(self.engine)


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: Any, name: str, password: str) -> Any:
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": name,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": "/",
        },
    )


def make_site(root: Path, *, seed: bool = True, fresh: bool = True) -> Site:
    """A site in ``root``; ``fresh=False`` opens one already made there (a copy)."""
    from intake.web import create_app
    from intake.web.auth import add_user
    from store import FileStore, make_engine, session_scope, upgrade

    config = parse_config(site_settings(root), source=root / "config.toml")
    engine = make_engine(config.store.url)
    files = FileStore(root / "files", sync="off")
    if fresh:
        upgrade(engine)
        with session_scope(engine) as session:
            for name, (role, password) in PASSWORDS.items():
                add_user(session, name, role, password)
    app = create_app(config, engine=engine, files=files, secret="test-secret-" + root.name)
    site = Site(root, config, engine, files, app)
    if seed and fresh:
        site.refs = mails.seed(config, engine, files)
    return site


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One seeded site (filing the mails takes seconds); each test works on a copy."""
    root = tmp_path_factory.mktemp("web-template")
    made = make_site(root)
    made.engine.dispose()
    return root, made.refs


@pytest.fixture
def site(tmp_path: Path, seeded_template: tuple[Path, dict[str, str]]) -> Iterator[Site]:
    template, refs = seeded_template
    root = tmp_path / "site"
    shutil.copytree(template, root)
    made = make_site(root, fresh=False)
    made.refs = dict(refs)
    yield made
    made.engine.dispose()


@pytest.fixture
def empty_site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path, seed=False)
    yield made
    made.engine.dispose()


def write_config(site: Site) -> Path:
    """The site's configuration as a TOML file (for the real ``intake`` command)."""
    settings = site_settings(site.root)
    lines = [
        "[store]",
        f'url = "{settings["store"]["url"]}"',
        'files = "files"',
        "[outbox]",
        'dir = "outbox"',
    ]
    for mailbox in settings["mailbox"]:
        lines += ["[[mailbox]]"] + [f'{k} = "{v}"' for k, v in mailbox.items()]
    path = site.root / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
