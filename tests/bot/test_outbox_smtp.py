"""The outbox against a real SMTP sink: states, retries, failures, interrupted sends, bounces."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from intake.service import Bot, poll_once
from intake.sources.maildir import deliver
from store import Case, Reply, claim_replies, make_engine, session_scope, utcnow
from tests.bot.conftest import Site, smtp_settings
from tests.bot.mails import PROBLEM, bounce, plain
from tests.servers import SmtpSink

pytestmark = pytest.mark.smtp


def _replies(site: Site) -> list[Reply]:
    return list(site.query(lambda s: s.exec(select(Reply).order_by(Reply.id)).all()))


def _make_due(site: Site) -> None:
    engine = make_engine(site.db_url)
    with session_scope(engine) as session:
        session.execute(update(Reply).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()


def _deliver(site: Site, count: int, prefix: str = "p") -> None:
    for index in range(count):
        deliver(
            site.maildir("accueil"),
            plain(f"{prefix}{index}@example.net", "NUC", PROBLEM, f"<{prefix}{index}@x>"),
        )


def test_sent_once_with_auth(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = SmtpSink(auth={"bot": "secret"})
    sink.start()
    try:
        smtp_settings(site, sink)
        site.settings["smtp"].update(username="bot", password_env="INTAKE_TEST_SMTP_PW")
        monkeypatch.setenv("INTAKE_TEST_SMTP_PW", "secret")
        _deliver(site, 3)
        summary = poll_once(site.config(), progress=False)
        assert summary.outbox.sent == 3
        assert len(sink.messages) == 3
        assert {m.mail_from for m in sink.messages} == {"accueil@union-prof.asso.fr"}
        assert all(r.state == "sent" and r.sent_at for r in _replies(site))
        assert poll_once(site.config(), progress=False).outbox.sent == 0
        assert len(sink.messages) == 3
    finally:
        sink.close()


def test_temporary_failure_is_retried_later_once(site: Site, smtp_server: SmtpSink) -> None:
    smtp_settings(site, smtp_server)
    smtp_server.fail_next = 1
    _deliver(site, 2)
    first = poll_once(site.config(), progress=False)
    assert first.outbox.failed_temporary == 1 and first.outbox.sent == 1
    waiting = [r for r in _replies(site) if r.state == "failed_temporary"]
    assert len(waiting) == 1 and waiting[0].next_attempt_at > utcnow()
    # Not due yet: nothing is sent.
    assert poll_once(site.config(), progress=False).outbox.sent == 0
    _make_due(site)
    assert poll_once(site.config(), progress=False).outbox.sent == 1
    assert len(smtp_server.messages) == 2
    assert {r.state for r in _replies(site)} == {"sent"}
    assert sorted(r.attempts for r in _replies(site)) == [1, 2]


def test_permanent_failure_marks_the_case(site: Site, smtp_server: SmtpSink) -> None:
    smtp_settings(site, smtp_server)
    smtp_server.failure = "550 5.7.1 refused by policy"
    _deliver(site, 1)
    summary = poll_once(site.config(), progress=False)
    assert summary.outbox.failed_permanent == 1
    (reply,) = _replies(site)
    assert reply.state == "failed_permanent" and "550" in (reply.last_error or "")
    case = site.query(lambda s: s.exec(select(Case)).one())
    assert case.status == "to_review" and case.fields["reply_failed"]["reply"] == reply.id
    smtp_server.failure = None
    _make_due(site)
    assert poll_once(site.config(), progress=False).outbox.sent == 0
    assert smtp_server.messages == []


@pytest.mark.parametrize("connections", [1, 3])
def test_replies_go_out_over_the_configured_connections(
    site: Site, smtp_server: SmtpSink, connections: int
) -> None:
    smtp_settings(site, smtp_server)
    site.settings["smtp"]["connections"] = connections
    _deliver(site, 30)
    config = site.config()
    with Bot(config) as bot:
        for mailbox in config.mailbox:
            bot.poll(mailbox)
        # All 30 replies are due at once: one outbox run sends them.
        summary = bot.send()
    assert summary.sent == 30
    messages = smtp_server.messages
    # Each reply once, whichever connection carried it.
    assert sorted(m.rcpt_tos for m in messages) == sorted((f"p{i}@example.net",) for i in range(30))
    assert {r.state for r in _replies(site)} == {"sent"}
    peers = {m.peer for m in messages}
    assert None not in peers
    if connections == 1:
        assert len(peers) == 1
    else:
        assert 2 <= len(peers) <= connections


def test_smtp_down_stops_the_run_and_resumes(site: Site, smtp_server: SmtpSink) -> None:
    smtp_settings(site, smtp_server)
    smtp_server.stop()
    _deliver(site, 4)
    first = poll_once(site.config(), progress=False)
    assert first.outbox.stopped and first.outbox.sent == 0
    states = sorted(r.state for r in _replies(site))
    # One reply tried (and to retry), the others never claimed.
    assert states == ["failed_temporary", "pending", "pending", "pending"]
    smtp_server.start()
    _make_due(site)
    second = poll_once(site.config(), progress=False)
    assert second.outbox.sent == 4 and not second.outbox.stopped
    assert len(smtp_server.messages) == 4
    assert len({m.rcpt_tos for m in smtp_server.messages}) == 4


def test_interrupted_send_becomes_uncertain_and_is_never_resent(
    site: Site, smtp_server: SmtpSink
) -> None:
    smtp_settings(site, smtp_server)
    site.settings["smtp"]["host"] = "127.0.0.1"
    _deliver(site, 2)
    # File the mails without sending: the outbox runs only in poll_once.
    config = site.config()
    with Bot(config) as bot:
        for mailbox in config.mailbox:
            bot.poll(mailbox)
        # A process claims one reply and dies before marking it.
        with session_scope(bot.engine) as session:
            claimed = claim_replies(session, 1, owner="dead-host:1:x")
        assert len(claimed) == 1
    summary = poll_once(config, progress=False)
    assert summary.recovered_uncertain == 1 and summary.outbox.sent == 1
    states = {r.id: r.state for r in _replies(site)}
    assert states[claimed[0].id] == "uncertain"
    assert len(smtp_server.messages) == 1
    assert poll_once(config, progress=False).outbox.sent == 0
    assert len(smtp_server.messages) == 1


def test_bounce_marks_our_reply_and_cancels_the_next(site: Site, smtp_server: SmtpSink) -> None:
    smtp_settings(site, smtp_server)
    deliver(site.maildir("accueil"), plain("gone@example.net", "NUC", PROBLEM, "<g1@x>"))
    poll_once(site.config(), progress=False)
    (reply,) = _replies(site)
    assert reply.state == "sent"
    # The reply bounces; meanwhile the same person wrote again (a new matter).
    deliver(site.maildir("accueil"), bounce(reply.message_id, "gone@example.net"))
    deliver(
        site.maildir("accueil"),
        plain("gone@example.net", "Mot de passe", PROBLEM.replace("NUC", "mot de passe"), "<g2@x>"),
    )
    summary = poll_once(site.config(), progress=False)
    assert summary.outbox.cancelled == 1 and summary.outbox.sent == 0
    replies = _replies(site)
    assert replies[0].state == "bounced"
    assert replies[1].state == "cancelled" and "bounced" in (replies[1].last_error or "")
    cases = site.cases()
    first = next(c for c in cases if c["ref"] == cases[0]["ref"])
    assert first["messages"] == 2 and first["status"] == "to_review"
    assert len(smtp_server.messages) == 1
