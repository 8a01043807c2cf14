"""PostgreSQL: the same guarantees, and two ``intake run`` processes sharing one database.

Two instances never file a mail twice nor send a reply twice: mailboxes are polled
under a per-mailbox advisory lock, outbox rows are claimed with
``SELECT … FOR UPDATE SKIP LOCKED``. Runs when ``INTAKE_TEST_DATABASE_URL`` is set
(CI) or a throwaway cluster can be made here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter

import pytest
from sqlmodel import func, select

from intake.dryrun import classify_bytes
from intake.service import Bot, poll_once
from intake.sources.maildir import deliver
from store import Receipt, Reply
from tests.bot.conftest import ADDRESSES, INTAKE, Site, imap_settings, kill_group, smtp_settings
from tests.bot.corpus import build_load
from tests.bot.mails import PROBLEM, plain
from tests.servers import Dovecot, SmtpSink

pytestmark = pytest.mark.postgres


def test_maildir_load_on_postgres(site: Site, pg_url: str) -> None:
    site.settings["store"]["url"] = pg_url
    load = build_load(60, duplicates=5, follow_ups=5)
    config = site.config()
    expected: Counter[str] = Counter()
    for mail in load.mails:
        deliver(site.maildir(mail.role), mail.raw)
        if mail.part == "new":
            template = classify_bytes(mail.raw, mail.role, config)["reply_template"]
            if template:
                expected[template] += 1
    poll_once(config, progress=False)
    cases = site.cases()
    assert len(cases) == load.conversations
    assert Counter(r["template"] for c in cases for r in c["replies"]) == expected
    assert poll_once(config, progress=False).outbox.sent == 0


def test_two_bots_in_threads_share_the_work(site: Site, pg_url: str, smtp_server: SmtpSink) -> None:
    site.settings["store"]["url"] = pg_url
    smtp_settings(site, smtp_server)
    for index in range(40):
        role = "accueil" if index % 2 else "certification"
        deliver(
            site.maildir(role),
            plain(f"t{index}@example.net", "NUC", PROBLEM, f"<t{index}@x>", role=role),
        )
    config = site.config()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with Bot(config) as bot:
                for _ in range(3):
                    bot.poll_all(progress=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(site.cases()) == 40
    assert len(smtp_server.messages) == 40
    assert len({m.rcpt_tos for m in smtp_server.messages}) == 40


@pytest.mark.imap
@pytest.mark.smtp
def test_two_run_processes_never_file_or_send_twice(
    site: Site, pg_url: str, imap_server: Dovecot, smtp_server: SmtpSink
) -> None:
    site.settings["store"]["url"] = pg_url
    imap_settings(site, imap_server)
    smtp_settings(site, smtp_server)
    for mailbox in site.settings["mailbox"]:
        mailbox["batch_size"] = 10
    config = site.config()
    load = build_load(200, duplicates=10, follow_ups=20)
    expected = sum(
        1
        for mail in load.mails
        if mail.part == "new" and classify_bytes(mail.raw, mail.role, config)["reply_template"]
    )
    path = site.write_config()
    processes = [
        subprocess.Popen(
            [str(INTAKE), "run", "--interval", "0.5", "--config", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=open(site.root / f"run{i}.log", "wb"),  # noqa: SIM115 - closed at exit
            cwd=site.root,
            env=dict(os.environ),
            start_new_session=True,
        )
        for i in range(2)
    ]
    try:
        logs = [site.root / f"run{i}.log" for i in range(2)]
        deadline = time.monotonic() + 60
        while not all("polling every" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, "the instances did not start"
            assert all(p.poll() is None for p in processes), "an instance died at start"
            time.sleep(0.2)
        # Mails arrive while both instances are running.
        for role in ADDRESSES:
            imap_server.append(role, load.by_role(role))

        def settled() -> bool:
            def count(session):  # type: ignore[no-untyped-def]
                receipts = session.exec(select(func.count()).select_from(Receipt)).one()
                open_replies = session.exec(
                    select(func.count()).where(Reply.state.in_(("pending", "sending")))  # type: ignore[attr-defined]
                ).one()
                return receipts, open_replies

            receipts, open_replies = site.query(count)
            return (
                receipts == len(load.mails)
                and open_replies == 0
                and len(smtp_server.messages) >= expected
            )

        deadline = time.monotonic() + 180
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert settled(), "the two instances did not finish in time"
        assert all(p.poll() is None for p in processes), "an instance died"
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            finally:
                kill_group(process.pid)
    assert [p.returncode for p in processes] == [0, 0]
    cases = site.cases()
    assert len(cases) == load.conversations
    answered = site.query(lambda s: s.exec(select(Reply.in_reply_to_id)).all())
    assert len(answered) == len(set(answered)) == expected
    ids = Counter(
        line.split(b":", 1)[1].strip()
        for message in smtp_server.messages
        for line in message.data.splitlines()
        if line.lower().startswith(b"message-id:")
    )
    assert len(ids) == expected and set(ids.values()) == {1}
