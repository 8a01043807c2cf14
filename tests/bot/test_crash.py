"""Crash tests: the real CLI killed at named and at random moments, then restarted.

Every mail must end up filed exactly once and no reply may ever be sent twice. A
reply whose send was interrupted is ``uncertain`` (never resent blind); any other
reply due is sent by the restart. The named points are the test hook of
``intake.testhooks`` (``INTAKE_TEST_CRASH_AT``); the random kills are SIGKILLs.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter

import pytest
from sqlmodel import func, select

from intake.dryrun import classify_bytes
from store import Receipt, Reply
from tests.bot.conftest import (
    ADDRESSES,
    INTAKE,
    Site,
    imap_settings,
    kill_group,
    smtp_settings,
)
from tests.bot.corpus import Load, build_load
from tests.servers import Dovecot, SmtpSink

pytestmark = [pytest.mark.imap, pytest.mark.smtp]


def _prepare(site: Site, server: Dovecot, sink: SmtpSink, load: Load) -> Counter[str]:
    imap_settings(site, server)
    smtp_settings(site, sink)
    # Small batches: a crash lands between batches as well as inside one.
    for mailbox in site.settings["mailbox"]:
        mailbox["batch_size"] = 7
    config = site.config()
    expected: Counter[str] = Counter()
    for mail in load.mails:
        if mail.part == "new":
            template = classify_bytes(mail.raw, mail.role, config)["reply_template"]
            if template:
                expected[template] += 1
    for role in ADDRESSES:
        server.append(role, load.by_role(role))
    return expected


def _check(site: Site, sink: SmtpSink, load: Load, expected: Counter[str]) -> Counter[str]:
    """Every mail filed once, every reply sent at most once; the reply states."""
    cases = site.cases()
    assert len(cases) == load.conversations
    assert sum(c["messages"] for c in cases) == sum(1 for m in load.mails if m.part != "duplicate")
    receipts = site.query(lambda s: s.exec(select(func.count()).select_from(Receipt)).one())
    assert receipts == len(load.mails)
    undone = site.query(
        lambda s: s.exec(
            select(func.count()).where(Receipt.action_done_at.is_(None))  # type: ignore[union-attr]
        ).one()
    )
    assert undone == 0
    templates = Counter(r["template"] for c in cases for r in c["replies"])
    assert templates == expected
    # One reply row per answered incoming message, and each sent at most once.
    answered = site.query(lambda s: s.exec(select(Reply.in_reply_to_id)).all())
    assert len(answered) == len(set(answered))
    sent_ids = Counter(
        line.split(b":", 1)[1].strip()
        for message in sink.messages
        for line in message.data.splitlines()
        if line.lower().startswith(b"message-id:")
    )
    assert all(count == 1 for count in sent_ids.values()), sent_ids.most_common(3)
    states = Counter(r["status"] for c in cases for r in c["replies"])
    assert states["sent"] == len(sink.messages) - _unmarked(site, sink)
    return states


def _unmarked(site: Site, sink: SmtpSink) -> int:
    """Replies delivered but left unmarked by a kill (now ``uncertain``)."""
    delivered = {
        line.split(b":", 1)[1].strip().decode()
        for message in sink.messages
        for line in message.data.splitlines()
        if line.lower().startswith(b"message-id:")
    }
    uncertain = site.query(
        lambda s: s.exec(select(Reply.message_id).where(Reply.state == "uncertain")).all()
    )
    return sum(1 for message_id in uncertain if message_id in delivered)


@pytest.mark.parametrize(
    ("point", "uncertain"),
    [
        ("fetched:2", 0),
        ("case_stored:5", 0),
        ("committed:5", 0),
        ("action_done:2", 0),
        ("claimed:3", 1),
        ("sent:3", 1),
    ],
)
def test_kill_at_each_point_then_restart(
    site: Site, imap_server: Dovecot, smtp_server: SmtpSink, point: str, uncertain: int
) -> None:
    load = build_load(40, duplicates=3, follow_ups=4)
    expected = _prepare(site, imap_server, smtp_server, load)
    crashed = site.cli("poll", "--once", env={"INTAKE_TEST_CRASH_AT": point})
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    assert f"test crash at {point.split(':')[0]}" in crashed.stderr
    restarted = site.cli("poll", "--once")
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    states = _check(site, smtp_server, load, expected)
    # The outbox sends in its own threads (one per SMTP connection) while mailboxes
    # are polled: a crash at any point may also interrupt the sends in flight, at
    # most one per connection, each then uncertain (never resent), exactly like a
    # crash at a send point.
    connections = site.config().smtp.connections  # type: ignore[union-attr]
    assert uncertain <= states["uncertain"] <= max(uncertain, connections)
    assert states["sent"] == sum(expected.values()) - states["uncertain"]
    # The interrupted send stays interrupted: later polls never resend it.
    again = site.cli("poll", "--once")
    assert again.returncode == 0
    assert len(smtp_server.messages) == states["sent"] + _unmarked(site, smtp_server)


@pytest.mark.slow
def test_twenty_random_kills(site: Site, imap_server: Dovecot, smtp_server: SmtpSink) -> None:
    load = build_load(300, duplicates=20, follow_ups=30)
    expected = _prepare(site, imap_server, smtp_server, load)
    config = site.write_config()
    rng = random.Random(20250602)
    kills = 0
    for _ in range(20):
        process = subprocess.Popen(
            [str(INTAKE), "poll", "--once", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=site.root,
            env=dict(os.environ),
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.5, 3.0))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait(30)
        # Forked helpers of the killed process go with it, as under a service manager.
        kill_group(process.pid)
    assert kills >= 10, "the load finished too fast for the kills to land mid-run"
    final = site.cli("poll", "--once")
    assert final.returncode == 0, final.stderr[-2000:]
    states = _check(site, smtp_server, load, expected)
    # At most one send in flight per SMTP connection when a kill lands.
    assert states["uncertain"] <= kills * site.config().smtp.connections  # type: ignore[union-attr]
    assert states["sent"] + states["uncertain"] == sum(expected.values())
