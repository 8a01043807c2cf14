"""Network cuts: Dovecot or the SMTP sink stops in the middle of a run and comes back.

Nothing is lost and nothing is done twice: the mails filed before the cut keep their
receipts (their mailbox action is redone later if it was cut), the rest are filed
by the next poll, and every reply is sent exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

import intake.outbox as outbox
from intake.pipeline import Pipeline
from intake.service import poll_once
from store import Reply, make_engine, session_scope, utcnow
from tests.bot.conftest import ADDRESSES, Site, imap_settings, smtp_settings
from tests.bot.mails import PROBLEM, plain
from tests.servers import Dovecot, SmtpSink

pytestmark = [pytest.mark.imap, pytest.mark.smtp]


def _load(server: Dovecot, count: int) -> None:
    for role in ADDRESSES:
        server.append(
            role,
            [
                plain(f"{role[0]}{i}@example.net", "NUC", PROBLEM, f"<{role}{i}@x>", role=role)
                for i in range(count)
            ],
        )


def _after_mails(monkeypatch: pytest.MonkeyPatch, count: int, action: Any) -> None:
    """Run ``action`` once, after the ``count``-th mail is processed."""
    real = Pipeline._file_one
    seen = {"n": 0}

    def commit(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        outcome = real(self, *args, **kwargs)
        seen["n"] += 1
        if seen["n"] == count:
            action()
        return outcome

    monkeypatch.setattr(Pipeline, "_file_one", commit)


def _inbox_count(server: Dovecot, user: str) -> int:
    imap = server.client(user)
    try:
        return int(imap.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"])
    finally:
        imap.logout()


def _settings(site: Site, server: Dovecot, sink: SmtpSink) -> None:
    imap_settings(site, server)
    smtp_settings(site, sink)
    for mailbox in site.settings["mailbox"]:
        mailbox["batch_size"] = 5


def test_dovecot_down_mid_poll_then_back(
    site: Site, imap_server: Dovecot, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(site, imap_server, smtp_server)
    _load(imap_server, 12)
    _after_mails(monkeypatch, 7, imap_server.stop)
    first = poll_once(site.config(), progress=False)
    assert first.mailboxes[0].error is not None
    assert first.mailboxes[1].error is not None
    filed_before = len(site.cases())
    assert 7 <= filed_before < 24
    status = site.cli("status")
    assert "failures" in status.stdout

    imap_server.start()
    monkeypatch.undo()
    imap_settings(site, imap_server)
    second = poll_once(site.config(), progress=False)
    assert [box.error for box in second.mailboxes] == [None, None]
    cases = site.cases()
    assert len(cases) == 24
    assert all(len(c["replies"]) == 1 for c in cases)
    assert len(smtp_server.messages) == 24
    assert len({m.rcpt_tos for m in smtp_server.messages}) == 24
    for role in ADDRESSES:
        assert _inbox_count(imap_server, role) == 0


def test_dovecot_restart_between_batches_reconnects(
    site: Site, imap_server: Dovecot, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(site, imap_server, smtp_server)
    _load(imap_server, 12)

    def bounce_server() -> None:
        imap_server.stop()
        imap_server.start()

    _after_mails(monkeypatch, 5, bounce_server)
    summary = poll_once(site.config(), progress=False)
    assert [box.error for box in summary.mailboxes] == [None, None]
    assert sum(box.filed for box in summary.mailboxes) == 24
    assert len(smtp_server.messages) == 24


def test_smtp_down_mid_send_then_back(
    site: Site, imap_server: Dovecot, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(site, imap_server, smtp_server)
    _load(imap_server, 5)
    real = outbox.mark_sent_fast
    sent = {"n": 0}

    def mark_sent(session: Any, reply_id: int) -> bool:
        done = real(session, reply_id)
        sent["n"] += 1
        if sent["n"] == 3:
            smtp_server.stop()
        return done

    monkeypatch.setattr(outbox, "mark_sent_fast", mark_sent)
    first = poll_once(site.config(), progress=False)
    assert first.outbox.stopped
    states = Counter(site.query(lambda s: s.exec(select(Reply.state)).all()))
    assert sum(states.values()) == 10
    assert set(states) <= {"sent", "failed_temporary", "uncertain", "pending"}
    assert states["sent"] == first.outbox.sent >= 3
    # One send per connection may have been in flight when the server went away:
    # refused at connection (to retry), or cut after the data (uncertain, never resent).
    connections = site.config().smtp.connections  # type: ignore[union-attr]
    assert 1 <= states["failed_temporary"] + states["uncertain"] <= connections
    assert states["sent"] <= len(smtp_server.messages) <= states["sent"] + states["uncertain"]

    smtp_server.start()
    engine = make_engine(site.db_url)
    with session_scope(engine) as session:
        session.execute(update(Reply).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()
    second = poll_once(site.config(), progress=False)
    assert second.outbox.sent == 10 - states["sent"] - states["uncertain"]
    assert not second.outbox.stopped
    # Nobody got two answers, and every reply the bot counts as sent arrived.
    recipients = [m.rcpt_tos for m in smtp_server.messages]
    assert len(set(recipients)) == len(recipients)
    final = Counter(site.query(lambda s: s.exec(select(Reply.state)).all()))
    assert final == Counter({"sent": 10 - states["uncertain"], "uncertain": states["uncertain"]})
    assert final["sent"] <= len(recipients) <= 10
