"""Login, lock-out, session cookies and logout of the staff interface."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from intake.web.auth import COOKIE_NAME, LOCK_DURATION, MAX_FAILED_LOGINS
from store import AuditEvent, User, utcnow
from tests.web.conftest import PASSWORDS, Site, csrf_of, login


def _user(site: Site, name: str) -> User:
    with site.session() as session:
        return session.exec(select(User).where(User.name == name)).one()


def test_login_form_fields_and_success(empty_site: Site) -> None:
    client = empty_site.client()
    form = client.get("/login")
    assert form.status_code == 200
    assert 'name="username"' in form.text and 'name="password"' in form.text
    assert "Connexion" in form.text
    response = login(client, "arthur", PASSWORDS["arthur"][1])
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    queue = client.get("/")
    assert queue.status_code == 200
    assert "File d'attente" in queue.text and "arthur" in queue.text


def test_wrong_password_is_refused_without_saying_which_field(empty_site: Site) -> None:
    client = empty_site.client()
    bad_password = login(client, "arthur", "pas-le-bon-mot")
    unknown_name = login(client, "personne", "pas-le-bon-mot")
    for response in (bad_password, unknown_name):
        assert response.status_code == 401
        assert "Identifiant ou mot de passe incorrect" in response.text
    assert client.get("/").status_code == 303
    assert _user(empty_site, "arthur").failed_logins == 1


def test_lockout_after_five_failures_refuses_even_the_right_password(empty_site: Site) -> None:
    client = empty_site.client()
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert login(client, "arthur", "mauvais").status_code == 401
    locked = login(client, "arthur", "mauvais")
    assert "verrouillé" in locked.text
    user = _user(empty_site, "arthur")
    assert user.locked_until is not None
    assert user.locked_until - utcnow() > LOCK_DURATION - timedelta(minutes=1)

    right = login(client, "arthur", PASSWORDS["arthur"][1])
    assert right.status_code == 401 and "verrouillé" in right.text
    assert client.get("/").status_code == 303

    # Once the lock has expired, the right password works again.
    with empty_site.session() as session:
        stored = session.exec(select(User).where(User.name == "arthur")).one()
        stored.locked_until = utcnow() - timedelta(seconds=1)
    assert login(client, "arthur", PASSWORDS["arthur"][1]).status_code == 303
    assert _user(empty_site, "arthur").failed_logins == 0
    with empty_site.session() as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "auth.locked" in actions and "auth.refused_locked" in actions


def test_session_cookie_flags(empty_site: Site) -> None:
    client = empty_site.client()
    response = login(client, "lea", PASSWORDS["lea"][1])
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(COOKIE_NAME + "=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered
    assert "secure" not in lowered.replace("samesite", "")


def test_session_cookie_is_secure_behind_tls(empty_site: Site) -> None:
    from fastapi.testclient import TestClient

    # A TLS proxy in front says so with X-Forwarded-Proto.
    proxied = empty_site.client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "; secure" in proxied.headers["set-cookie"].lower()
    # Reached over https directly (the client then sends the Secure cookie back).
    client = TestClient(empty_site.app, base_url="https://testserver", follow_redirects=False)
    form = client.get("/login")
    assert "; secure" in form.headers["set-cookie"].lower()
    response = client.post(
        "/login",
        data={"username": "lea", "password": PASSWORDS["lea"][1], "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 303
    assert "; secure" in response.headers["set-cookie"].lower()
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_tampered_cookie_is_no_session(empty_site: Site) -> None:
    client = empty_site.login("alice")
    token = client.cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"))
    assert client.get("/").status_code == 303


def test_logout_ends_the_session(empty_site: Site) -> None:
    client = empty_site.login("arthur")
    page = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/").status_code == 303


def test_password_change_and_deactivation_end_existing_sessions(empty_site: Site) -> None:
    from intake.web.auth import hash_password

    client = empty_site.login("arthur")
    assert client.get("/").status_code == 200
    with empty_site.session() as session:
        user = session.exec(select(User).where(User.name == "arthur")).one()
        user.password_hash = hash_password("un-tout-nouveau-mot")
    assert client.get("/").status_code == 303

    other = empty_site.login("lea")
    with empty_site.session() as session:
        session.exec(select(User).where(User.name == "lea")).one().active = False
    assert other.get("/").status_code == 303
    assert login(empty_site.client(), "lea", PASSWORDS["lea"][1]).status_code == 401


def test_login_redirect_target_stays_on_this_site(empty_site: Site) -> None:
    client = empty_site.client()
    first = client.get("/dashboard")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Fdashboard"
    for target, expected in (
        ("/dashboard", "/dashboard"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ):
        client = empty_site.client()
        form = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "arthur",
                "password": PASSWORDS["arthur"][1],
                "csrf_token": csrf_of(form.text),
                "next": target,
            },
        )
        assert response.headers["location"] == expected
