"""The staff commands run as a user would: ``intake user add``, ``export rows``, ``serve``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from io import BytesIO
from pathlib import Path

from sqlmodel import select

from store import User
from tests.servers import free_port, wait_for_port
from tests.web.conftest import Site, write_config

INTAKE = Path(sys.executable).with_name("intake")


def run(
    site: Site, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    config = write_config(site)
    return subprocess.run(
        [str(INTAKE), *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=site.root,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def test_user_add_reads_the_password_from_the_environment(empty_site: Site) -> None:
    done = run(empty_site, "user", "add", "camille", "--role", "lecture",
               env={"INTAKE_PASSWORD": "camille-mot-de-passe"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "camille (lecture) created" in done.stdout
    with empty_site.session() as session:
        user = session.exec(select(User).where(User.name == "camille")).one()
        assert user.role == "lecture"
        assert user.password_hash.startswith("$argon2id$")
        assert "camille-mot-de-passe" not in user.password_hash
    client = empty_site.client()
    from tests.web.conftest import login

    assert login(client, "camille", "camille-mot-de-passe").status_code == 303

    again = run(empty_site, "user", "add", "camille", "--role", "agent",
                env={"INTAKE_PASSWORD": "camille-mot-de-passe"})  # fmt: skip
    assert again.returncode == 1 and "existe déjà" in again.stderr
    short = run(
        empty_site, "user", "add", "dom", "--role", "agent", env={"INTAKE_PASSWORD": "court"}
    )
    assert short.returncode == 1 and "10 caractères" in short.stderr
    bad_role = run(empty_site, "user", "add", "dom", "--role", "chef",
                   env={"INTAKE_PASSWORD": "assez-long-mot"})  # fmt: skip
    assert bad_role.returncode == 1
    # No password in the environment and no terminal: refused, nothing created.
    env = {k: v for k, v in os.environ.items() if k != "INTAKE_PASSWORD"}
    config = write_config(empty_site)
    silent = subprocess.run([str(INTAKE), "user", "add", "eve", "--config", str(config)],
                            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                            timeout=120)  # fmt: skip
    assert silent.returncode == 2 and "INTAKE_PASSWORD" in silent.stderr
    listing = run(empty_site, "user", "list")
    assert "camille\tlecture\tactive" in listing.stdout and "eve" not in listing.stdout


def test_export_rows_command(site: Site) -> None:
    from openpyxl import load_workbook

    done = run(site, "export", "rows", "--month", "2025-06", "--format", "xlsx")
    assert done.returncode == 0, done.stderr
    path = site.root / "candidats-acceptes-2025-06.xlsx"
    book = load_workbook(BytesIO(path.read_bytes()))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Organisme", "Branche", "Nom", "Prénom", "NIR"]
    names = [row[2].value for row in sheet.iter_rows(min_row=2)]
    assert len(names) == 10 and "Bernard" in names
    csv_out = run(site, "export", "rows", "--month", "2025-06", "--format", "csv", "--output", "-")
    assert csv_out.returncode == 0
    assert "'=HYPERLINK" in csv_out.stdout and "\n=HYPERLINK" not in csv_out.stdout
    bad = run(site, "export", "rows", "--month", "juin", "--format", "csv")
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr


def test_serve_answers_on_the_given_port(site: Site) -> None:
    port = free_port()
    config = write_config(site)
    process = subprocess.Popen(
        [str(INTAKE), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
        cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "INTAKE_WEB_SECRET": "serve-test-secret"},
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
            body = response.read().decode()
            assert response.status == 200
            assert "Connexion" in body
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers.get("Server") is None
        # Pages need a login: the server redirects (urllib follows to the login form).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/dashboard", timeout=10) as response:
            assert response.url.endswith("/login?next=%2Fdashboard")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
