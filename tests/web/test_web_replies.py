"""The page "Envois à vérifier": replies the bot will not send by itself, and staff decisions.

The replies get their states the way the bot gives them (:mod:`tests.web.outbox_states`:
the outbox runner and a real aiosmtpd sink, a dead process's claim recovered as
uncertain). A resent reply is then really sent by the same runner, once.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from store import AuditEvent, Case, Reply
from tests.servers import SmtpSink, smtp_sink
from tests.web.conftest import Site, csrf_of
from tests.web.outbox_states import States, make_states, outbox


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = smtp_sink()
    yield server
    server.close()


@pytest.fixture
def states(site: Site, sink: SmtpSink) -> States:
    return make_states(site, sink)


def _outbox(site: Site, sink: SmtpSink) -> Any:
    return outbox(site, sink)


def _reply(site: Site, reply_id: int) -> Reply:
    with site.session() as session:
        reply = session.get(Reply, reply_id)
        assert reply is not None
        return reply


def _ref(site: Site, reply_id: int) -> str:
    case_id = _reply(site, reply_id).case_id
    with site.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.ref


def _events(site: Site, reply_id: int, action: str | None = None) -> list[AuditEvent]:
    case_id = _reply(site, reply_id).case_id
    with site.session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.case_id == case_id)).all()
    return [e for e in events if (action is None or e.action == action)
            and (e.detail or {}).get("reply") == reply_id]  # fmt: skip


def _form(page: str) -> dict[str, str]:
    """The confirmation form's fields, as a browser would send them."""
    data = {
        n: html.unescape(v)
        for n, v in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }
    data["note"] = ""
    return data


def _decide(client: Any, reply_id: int, decision: str, back: str = "", **changes: str) -> Any:
    url = f"/envois/{reply_id}/{decision}"
    page = client.get(url + (f"?back={back}" if back else ""))
    assert page.status_code == 200, page.text
    return client.post(url, data={**_form(page.text), **changes})


def test_the_list_shows_what_waits_for_a_decision(site: Site, states: States) -> None:
    client = site.login("lea")
    text = client.get("/envois").text
    waiting = states.uncertain + states.failed
    for reply_id in waiting:
        assert f'id="r{reply_id}"' in text
        assert _ref(site, reply_id) in text
    assert f'id="r{states.sent}"' not in text and f'id="r{states.bounced}"' not in text
    assert "Envoi incertain" in text and "Échec d&#39;envoi" in text
    assert "Recipient address rejected" in text and "interrupted while sending" in text
    # Newest first.
    rows = [int(n) for n in re.findall(r'<tr id="r(\d+)">', text)]
    created = [_reply(site, r).created_at for r in rows]
    assert created == sorted(created, reverse=True) and len(rows) == len(waiting)
    # A reader sees them but is offered no decision.
    assert "/envois/" not in text.replace('href="/envois"', "")
    # The count in the navigation, on every page.
    for url in ["/", "/dashboard", "/envois"]:
        nav = client.get(url).text.split("</nav>")[0]
        assert re.search(rf'Envois à vérifier <span class="count"[^>]*>{len(waiting)}</span>', nav)
    # The tabs: only uncertain, only failed, the bounced ones.
    only = client.get("/envois?state=uncertain").text
    assert {int(n) for n in re.findall(r'<tr id="r(\d+)">', only)} == set(states.uncertain)
    bounced = client.get("/envois?state=bounced").text
    assert re.findall(r'<tr id="r(\d+)">', bounced) == [str(states.bounced)]
    # An unknown filter is the default one.
    assert client.get("/envois?state=sent").text.count("<tr id=") == len(waiting)


def test_paging(site: Site, states: States, monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.web.routes import replies

    monkeypatch.setattr(replies, "PER_PAGE", 2)
    client = site.login("arthur")
    seen: list[str] = []
    pages = (len(states.uncertain) + len(states.failed) + 1) // 2
    for number in range(1, pages + 1):
        text = client.get(f"/envois?page={number}").text
        assert f"Page {number} sur {pages}" in text
        seen += re.findall(r'<tr id="r(\d+)">', text)
    assert sorted(int(n) for n in seen) == sorted(states.uncertain + states.failed)
    assert 'href="/envois?page=2"' in client.get("/envois").text


def test_no_count_when_nothing_waits(site: Site) -> None:
    text = site.login("arthur").get("/envois").text
    assert 'class="count" title=' not in text and "Aucune réponse dans cet état." in text


def test_case_page_links_to_the_decisions(site: Site, states: States) -> None:
    uncertain, failed = states.uncertain[0], states.failed[0]
    agent = site.login("arthur")
    page = agent.get(f"/cases/{_ref(site, uncertain)}").text
    for name in ("resend", "mark_sent", "cancel"):
        assert f'href="/envois/{uncertain}/{name}?back=case"' in page
    page = agent.get(f"/cases/{_ref(site, failed)}").text
    assert f'href="/envois/{failed}/resend?back=case"' in page
    assert f'href="/envois/{failed}/cancel?back=case"' in page
    # Only an uncertain reply may have arrived.
    assert f'href="/envois/{failed}/mark_sent' not in page
    reader = site.login("lea").get(f"/cases/{_ref(site, uncertain)}").text
    assert f"/envois/{uncertain}/" not in reader and 'href="/envois"' in reader


def test_resend_is_sent_once_by_the_outbox(site: Site, states: States, sink: SmtpSink) -> None:
    reply_id = states.uncertain[0]
    before = _reply(site, reply_id)
    client = site.login("arthur")
    page = client.get(f"/envois/{reply_id}/resend")
    assert "peut-être déjà arrivé" in page.text and "Confirmer le renvoi" in page.text
    form = _form(page.text)
    response = client.post(f"/envois/{reply_id}/resend", data={**form, "note": "jamais reçu"})
    assert response.status_code == 303 and response.headers["location"] == "/envois?notice=resend"
    assert "de nouveau dans la file d&#39;envoi" in client.get(response.headers["location"]).text
    after = _reply(site, reply_id)
    assert after.state == "pending" and after.attempts == before.attempts
    assert after.next_attempt_at is None
    assert after.last_error is not None and after.last_error.startswith(
        "resend requested by arthur"
    )
    [event] = _events(site, reply_id, "staff.reply_resend")
    assert event.actor == "arthur" and event.detail["reply_state"] == ["uncertain", "pending"]
    assert event.detail["note"] == "jamais reçu"

    # The same form posted again (a second tab, a colleague): refused, nothing queued twice.
    again = client.post(f"/envois/{reply_id}/resend", data=form)
    assert again.status_code == 409 and "rien n&#39;a été fait" in again.text
    assert len(_events(site, reply_id, "staff.reply_resend")) == 1

    summary = _outbox(site, sink)
    assert summary.sent == 1 and not summary.stopped, summary
    [received] = sink.messages
    mail = email.message_from_bytes(received.data, policy=email.policy.default)
    assert mail["Message-ID"] == before.message_id and received.rcpt_tos == (before.to_addr,)
    sent = _reply(site, reply_id)
    assert sent.state == "sent" and sent.attempts == before.attempts + 1
    # Nothing more to send, and the reply no longer waits for anyone.
    assert _outbox(site, sink).sent == 0 and len(sink.messages) == 1
    assert f'id="r{reply_id}"' not in client.get("/envois").text
    case_page = client.get(f"/cases/{_ref(site, reply_id)}").text
    assert "Réponse remise en file d&#39;envoi" in case_page and "jamais reçu" in case_page


def test_resend_from_the_case_page_settles_its_failure_alert(site: Site, states: States) -> None:
    reply_id = states.failed[-1]
    ref = _ref(site, reply_id)
    client = site.login("arthur")
    case_id = _reply(site, reply_id).case_id
    with site.session() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.fields["reply_failed"]["reply"] == reply_id
    assert "Échec d'envoi d'une réponse" in client.get(f"/cases/{ref}").text
    response = _decide(client, reply_id, "resend", back="case")
    assert response.headers["location"] == f"/cases/{ref}?notice=reply_resend"
    page = client.get(response.headers["location"]).text
    assert "de nouveau dans la file d&#39;envoi" in page
    assert "Échec d'envoi d'une réponse" not in page
    assert _reply(site, reply_id).state == "pending"
    [event] = _events(site, reply_id, "staff.reply_resend")
    assert event.detail["reply_state"] == ["failed_permanent", "pending"]
    assert "Recipient address rejected" in event.detail["previous_error"]


def test_mark_sent(site: Site, states: States) -> None:
    reply_id = states.uncertain[1]
    client = site.login("alice")
    response = _decide(client, reply_id, "mark_sent", note="le candidat confirme la réception")
    assert response.status_code == 303
    reply = _reply(site, reply_id)
    assert reply.state == "sent" and reply.sent_at is not None and reply.last_error is None
    [event] = _events(site, reply_id, "staff.reply_mark_sent")
    assert event.actor == "alice" and event.detail["reply_state"] == ["uncertain", "sent"]
    page = client.get(f"/cases/{_ref(site, reply_id)}").text
    assert "Réponse considérée comme envoyée" in page
    assert "le candidat confirme la réception" in page


def test_mark_sent_is_not_offered_for_a_refused_reply(site: Site, states: States) -> None:
    reply_id = states.failed[0]
    client = site.login("arthur")
    page = client.get(f"/envois/{reply_id}/mark_sent")
    assert "n&#39;est pas possible" in page.text and 'name="attempts"' not in page.text
    token = csrf_of(page.text)
    data = {
        "csrf_token": token,
        "state": "failed_permanent",
        "attempts": str(_reply(site, reply_id).attempts),
    }
    response = client.post(f"/envois/{reply_id}/mark_sent", data=data)
    assert response.status_code == 409
    assert _reply(site, reply_id).state == "failed_permanent"
    assert _events(site, reply_id, "staff.reply_mark_sent") == []


def test_cancel(site: Site, states: States, sink: SmtpSink) -> None:
    reply_id = states.failed[0]
    client = site.login("arthur")
    page = client.get(f"/envois/{reply_id}/cancel")
    assert "jamais envoyé" in page.text and "Confirmer l&#39;abandon" in page.text
    assert client.post(f"/envois/{reply_id}/cancel", data=_form(page.text)).status_code == 303
    reply = _reply(site, reply_id)
    assert reply.state == "cancelled" and "Recipient address rejected" in (reply.last_error or "")
    [event] = _events(site, reply_id, "staff.reply_cancel")
    assert event.actor == "arthur" and event.detail["reply_state"] == [
        "failed_permanent",
        "cancelled",
    ]
    # Cancelled is final: the outbox never sends it, and it cannot be resent from a stale page.
    assert _outbox(site, sink).sent == 0 and sink.messages == []
    assert client.post(f"/envois/{reply_id}/resend", data=_form(page.text)).status_code == 409
    assert _reply(site, reply_id).state == "cancelled"


def test_a_page_older_than_a_send_attempt_is_refused(site: Site, states: States) -> None:
    reply_id = states.uncertain[0]
    client = site.login("arthur")
    form = _form(client.get(f"/envois/{reply_id}/resend").text)
    form["attempts"] = str(int(form["attempts"]) - 1)
    response = client.post(f"/envois/{reply_id}/resend", data=form)
    assert response.status_code == 409
    # The page shown again carries the current figures, so confirming it now works.
    assert _decide(client, reply_id, "resend").status_code == 303
    assert _reply(site, reply_id).state == "pending"


def test_a_reader_may_not_decide(site: Site, states: States) -> None:
    reply_id = states.uncertain[0]
    client = site.login("lea")
    assert client.get(f"/envois/{reply_id}/resend").status_code == 403
    token = csrf_of(client.get("/envois").text)
    data = {
        "csrf_token": token,
        "state": "uncertain",
        "attempts": str(_reply(site, reply_id).attempts),
    }
    for decision in ("resend", "mark_sent", "cancel"):
        response = client.post(f"/envois/{reply_id}/{decision}", data=data)
        assert response.status_code == 403 and "Votre rôle ne permet pas" in response.text
    assert _reply(site, reply_id).state == "uncertain"
    assert not any(e.action.startswith("staff.") for e in _events(site, reply_id))


def test_a_decision_needs_its_csrf_token(site: Site, states: States) -> None:
    reply_id = states.uncertain[0]
    client = site.login("arthur")
    form = _form(client.get(f"/envois/{reply_id}/cancel").text)
    for token in (None, "", form["csrf_token"][:-2] + "xx"):
        data = {k: v for k, v in form.items() if k != "csrf_token"}
        if token is not None:
            data["csrf_token"] = token
        assert client.post(f"/envois/{reply_id}/cancel", data=data).status_code == 403
    assert _reply(site, reply_id).state == "uncertain"


def test_bad_requests(site: Site, states: States) -> None:
    reply_id = states.uncertain[0]
    client = site.login("arthur")
    token = csrf_of(client.get("/envois").text)
    assert client.get(f"/envois/{reply_id}/delete").status_code == 404
    assert client.get("/envois/999999/resend").status_code == 404
    assert client.post("/envois/999999/resend", data={"csrf_token": token, "state": "uncertain",
                                                      "attempts": "1"}).status_code == 404  # fmt: skip
    # A form without the state it was shown in is not a decision.
    assert client.post(f"/envois/{reply_id}/resend", data={"csrf_token": token}).status_code == 400
    assert client.post(f"/envois/{reply_id}/resend", data={"csrf_token": token, "state": "uncertain",
                                                           "attempts": "x"}).status_code == 400  # fmt: skip
    # A bounced reply is listed for information only.
    page = client.get(f"/envois/{states.bounced}/resend")
    assert "n&#39;est pas possible" in page.text
    assert _reply(site, reply_id).state == "uncertain"
