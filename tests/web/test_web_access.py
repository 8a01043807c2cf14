"""Every route: login required, role enforced, CSRF token required, security headers set.

The routes are enumerated from the application itself, so a route added later is
covered without editing this file (its path parameters just need a sample below).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import select

from store import Attachment, Message, Reply, User
from tests.web.conftest import Site, csrf_of

# Routes anyone may reach: the login form, its post, and logging out (which only
# drops the session); the stylesheet is a mount.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}
# The minimum role of each route; every route not listed needs "lecture".
AGENT_ROUTES = {
    ("POST", "/cases/{ref}/assign"),
    ("POST", "/cases/{ref}/fields"),
    ("POST", "/cases/{ref}/reclassify"),
    ("GET", "/cases/{ref}/actions/{name}"),
    ("POST", "/cases/{ref}/actions/{name}"),
    ("GET", "/envois/{reply_id}/{decision}"),
    ("POST", "/envois/{reply_id}/{decision}"),
}
ADMIN_PREFIX = "/admin/"


def _walk(items: list[Any]) -> list[Any]:
    out = []
    for route in items:
        inner = getattr(route, "original_router", None)  # an included router (FastAPI)
        if inner is not None:
            out.extend(_walk(list(inner.routes)))
        elif hasattr(route, "endpoint") and getattr(route, "methods", None):
            out.append(route)
    return out


def routes(site: Site) -> list[tuple[str, str]]:
    found = []
    for route in _walk(list(site.app.routes)):
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, route.path))
    return found


def required_role(method: str, path: str) -> str | None:
    if (method, path) in PUBLIC:
        return None
    if path.startswith(ADMIN_PREFIX):
        return "admin"
    if (method, path) in AGENT_ROUTES:
        return "agent"
    return "lecture"


def samples(site: Site) -> dict[str, Any]:
    with site.session() as session:
        attachment = session.exec(select(Attachment)).first()
        message = session.exec(select(Message)).first()
        reply = session.exec(select(Reply)).first()
        user = session.exec(select(User).where(User.name == "lea")).one()
        assert attachment is not None and message is not None and reply is not None
        return {
            "ref": site.refs["deferral-medical-pdf"],
            "name": "grant",
            "attachment_id": attachment.id,
            "message_id": message.id,
            "cid": "logo@hostile.example",
            "number": 0,
            "user_id": user.id,
            "reply_id": reply.id,
            "decision": "resend",
        }


def fill(path: str, values: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, f"no sample value for path parameter {name!r} of {path}"
        return str(values[name])

    return re.sub(r"\{([^}]+)\}", replace, path)


def test_the_route_list_is_complete(site: Site) -> None:
    found = set(routes(site))
    # A few routes this test file must know about, to notice if enumeration breaks.
    for expected in [("GET", "/"), ("GET", "/cases/{ref}"), ("POST", "/cases/{ref}/actions/{name}"),
                     ("GET", "/files/{attachment_id}/download"), ("GET", "/exports/rows"),
                     ("POST", "/admin/users"), ("GET", "/dashboard"), ("GET", "/envois"),
                     ("POST", "/envois/{reply_id}/{decision}")]:  # fmt: skip
        assert expected in found
    assert len(found) >= 25


def test_nothing_without_login(site: Site) -> None:
    values = samples(site)
    client = site.client()
    csrf = csrf_of(client.get("/login").text)
    for method, path in routes(site):
        if required_role(method, path) is None:
            continue
        url = fill(path, values)
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 303, (method, url)
            assert response.headers["location"].startswith("/login?next="), url
        else:
            # Even with a valid anonymous CSRF token, nothing is done without login.
            response = client.post(url, data={"csrf_token": csrf, "kind": "other", "name": "x",
                                              "role": "agent", "password": "x" * 12,
                                              "action": "unlock"})  # fmt: skip
            assert response.status_code == 303, (method, url)
            assert response.headers["location"].startswith("/login"), url
    # The stylesheet is public (the login page needs it); nothing else of the site is.
    assert client.get("/static/style.css").status_code == 200


@pytest.mark.parametrize("name,role", [("lea", "lecture"), ("arthur", "agent")])
def test_roles_on_every_route(site: Site, name: str, role: str) -> None:
    rank = {"lecture": 1, "agent": 2, "admin": 3}
    values = samples(site)
    client = site.login(name)
    csrf = csrf_of(client.get("/").text)
    for method, path in routes(site):
        needed = required_role(method, path)
        if needed is None or rank[needed] <= rank[role]:
            continue
        url = fill(path, values)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf, "kind": "other", "take": "1",
                                              "action": "unlock", "name": "x", "role": "admin",
                                              "password": "x" * 12, "step": "send"})  # fmt: skip
        assert response.status_code == 403, (name, method, url, response.status_code)
        assert "Votre rôle ne permet pas" in response.text


def test_lecture_reads_every_page(site: Site) -> None:
    client = site.login("lea")
    values = samples(site)
    for url in ["/", "/dashboard", "/exports", "/envois", f"/cases/{values['ref']}",
                f"/cases/{values['ref']}/files/{values['attachment_id']}",
                f"/files/{values['attachment_id']}/download", f"/messages/{values['message_id']}/raw"]:  # fmt: skip
        assert client.get(url).status_code == 200, url
    case_page = client.get(f"/cases/{values['ref']}").text
    # No action form or button is offered to a reader.
    assert "/actions/" not in case_page and "/reclassify" not in case_page
    assert 'action="/cases/' not in case_page


def test_every_form_refuses_a_missing_or_wrong_csrf_token(site: Site) -> None:
    values = samples(site)
    client = site.login("alice")
    good = csrf_of(client.get("/").text)
    posts = [(m, p) for m, p in routes(site) if m == "POST"]
    assert len(posts) >= 8
    for _, path in posts:
        url = fill(path, values)
        for data in ({}, {"csrf_token": ""}, {"csrf_token": good[:-2] + "xx"}):
            response = client.post(url, data={**data, "kind": "other", "take": "1"})
            assert response.status_code == 403, (url, data)
    # A JSON body (no form at all) is refused too.
    response = client.post(f"/cases/{values['ref']}/assign", json={"csrf_token": good})
    assert response.status_code == 403
    # A form posted from another site is refused even with the right token.
    response = client.post(
        f"/cases/{values['ref']}/assign",
        data={"csrf_token": good, "take": "1"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    with site.session() as session:
        from store.queries import case_by_ref

        case = case_by_ref(session, values["ref"])
        assert case is not None and case.assigned_to is None


def test_the_login_form_needs_its_token_too(empty_site: Site) -> None:
    client = empty_site.client()
    response = client.post("/login", data={"username": "alice", "password": "admin-mot-de-passe"})
    assert response.status_code == 403
    assert client.get("/").status_code == 303


def test_security_headers_on_pages_and_errors(site: Site) -> None:
    client = site.login("arthur")
    for url in ["/", "/login", f"/cases/{site.refs['problem-nuc']}", "/dashboard", "/nope"]:
        response = client.get(url)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
    assert client.get("/nope").status_code == 404


def test_no_inline_script_or_style_in_any_page(site: Site) -> None:
    client = site.login("alice")
    ref = site.refs["spreadsheet-caf"]
    pages = ["/", "/dashboard", "/exports", f"/cases/{ref}", "/admin/users", "/admin/templates",
             f"/cases/{ref}/actions/reply", "/login", "/envois", "/envois?state=bounced",
             f"/envois/{samples(site)['reply_id']}/cancel"]  # fmt: skip
    for url in pages:
        text = client.get(url).text
        assert "<script" not in text.lower(), url
        assert " style=" not in text.lower(), url
        assert not re.search(r"\son[a-z]+=", text), url
