"""The bot against a real Dovecot and a real SMTP sink: 300 mails filed and answered once.

Expected replies come from the dry run of the same bytes; follow-ups and duplicates
open no case and get no reply; the second and third polls change nothing.
"""

from __future__ import annotations

from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlmodel import select

from intake.dryrun import classify_bytes
from intake.service import poll_once
from store import MailboxState, Receipt
from tests.bot.conftest import ADDRESSES, Site, imap_settings, smtp_settings
from tests.bot.corpus import build_load
from tests.servers import Dovecot, SmtpSink

pytestmark = pytest.mark.imap


def _plain(sender: str, subject: str, message_id: str, role: str = "accueil") -> bytes:
    return (
        f"From: {sender}\r\nTo: {ADDRESSES[role]}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 02 Jun 2025 10:00:00 +0200\r\nMessage-ID: {message_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Bonjour, je n'ai jamais reçu mon NUC pour l'épreuve UP-EC1.\r\nPaul Durand\r\n"
        "12 rue des Lilas\r\n69003 Lyon\r\n06 12 34 56 78\r\n"
    ).encode()


def _folder_counts(server: Dovecot, user: str) -> dict[str, int]:
    imap = server.client(user)
    try:
        return {
            folder: imap.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]
            for *_, folder in imap.list_folders()
        }
    finally:
        imap.logout()


@pytest.mark.smtp
def test_300_mails_once_each_with_smtp(
    site: Site, imap_server: Dovecot, smtp_server: SmtpSink
) -> None:
    imap_settings(site, imap_server)
    smtp_settings(site, smtp_server)
    config = site.config()
    load = build_load(300)
    expected: Counter[str] = Counter()
    for mail in load.mails:
        if mail.part == "new":
            template = classify_bytes(mail.raw, mail.role, config)["reply_template"]
            if template:
                expected[template] += 1
    for role in ADDRESSES:
        imap_server.append(role, load.by_role(role))

    first = poll_once(config, progress=False)
    assert [box.error for box in first.mailboxes] == [None, None]
    cases = site.cases()
    assert len(cases) == load.conversations == 250
    assert Counter(r["template"] for c in cases for r in c["replies"]) == expected
    assert sum(c["messages"] for c in cases) == 300 - 20
    delivered = smtp_server.messages
    assert len(delivered) == sum(expected.values())
    # Each reply went once, to its own conversation's sender, threaded and referenced.
    ids = [message_from_bytes(m.data)["Message-ID"] for m in delivered]
    assert len(set(ids)) == len(ids)
    for message in delivered:
        parsed = message_from_bytes(message.data, policy=policy.default)
        assert parsed["Auto-Submitted"] == "auto-replied"
        assert parsed["In-Reply-To"] and parsed["Subject"].startswith(("[UP-", "[CQ-"))
        assert message.rcpt_tos == (parsed["To"],)
    for role in ADDRESSES:
        counts = _folder_counts(imap_server, role)
        assert counts["INBOX"] == 0
        assert counts["Traités"] == len(load.by_role(role))

    for _ in range(2):
        again = poll_once(config, progress=False)
        assert sum(box.new for box in again.mailboxes) == 0
        assert again.outbox.sent == 0
    assert site.cases() == cases
    assert len(smtp_server.messages) == len(delivered)


@pytest.mark.parametrize(("after", "flag"), [("seen", b"\\Seen"), ("flag", b"\\Flagged")])
def test_flag_actions_and_uid_bookkeeping(
    site: Site, imap_server: Dovecot, after: str, flag: bytes
) -> None:
    imap_settings(site, imap_server, after=after)
    imap_server.append(
        "accueil", [_plain(f"p{i}@example.net", "NUC", f"<u{i}@x>") for i in range(4)]
    )
    config = site.config()
    first = poll_once(config, progress=False)
    assert first.mailboxes[0].filed == 4
    imap = imap_server.client("accueil")
    try:
        imap.select_folder("INBOX")
        flags = imap.get_flags(imap.search("ALL"))
    finally:
        imap.logout()
    assert len(flags) == 4 and all(flag in f for f in flags.values())
    if after == "flag":
        # BODY.PEEK[]: fetching never marked the mails read.
        assert all(b"\\Seen" not in f for f in flags.values())
    imap_server.append("accueil", [_plain("late@example.net", "NUC", "<late@x>")])
    second = poll_once(config, progress=False)
    assert second.mailboxes[0].new == 1 and second.mailboxes[0].filed == 1
    state = site.query(lambda s: s.get(MailboxState, config.mailbox[0].key))
    assert state.last_uid == 5 and state.uidvalidity
    assert len(site.cases()) == 5


def test_uidvalidity_change_rescans_without_duplicates(site: Site, imap_server: Dovecot) -> None:
    imap_settings(site, imap_server, after="seen")
    site.settings["mailbox"][0]["folder"] = "Demandes"
    old = [_plain(f"o{i}@example.net", "NUC", f"<o{i}@x>") for i in range(3)]
    imap_server.append("accueil", old, folder="Demandes")
    config = site.config()
    poll_once(config, progress=False)
    before = site.query(lambda s: s.get(MailboxState, config.mailbox[0].key).uidvalidity)
    # The folder is recreated: the server renumbers it (new UIDVALIDITY).
    imap = imap_server.client("accueil")
    try:
        imap.delete_folder("Demandes")
    finally:
        imap.logout()
    imap_server.append(
        "accueil", [*old, _plain("n@example.net", "NUC", "<n@x>")], folder="Demandes"
    )
    second = poll_once(config, progress=False)
    after = site.query(lambda s: s.get(MailboxState, config.mailbox[0].key).uidvalidity)
    assert after != before
    assert second.mailboxes[0].new == 4
    assert second.mailboxes[0].duplicates == 3 and second.mailboxes[0].filed == 1
    assert len(site.cases()) == 4
    assert sum(len(c["replies"]) for c in site.cases()) == 4


def test_tls_starttls_and_ssl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imap_tls_server: Dovecot
) -> None:
    assert imap_tls_server.cert is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_tls_server.cert))
    for security, port in (("starttls", imap_tls_server.port), ("ssl", imap_tls_server.ssl_port)):
        site = Site(tmp_path / security)
        from tests.bot.conftest import maildir_settings

        site.settings = maildir_settings(site.root)
        imap_settings(site, imap_tls_server)
        site.settings["mailbox"] = site.settings["mailbox"][:1]
        site.settings["mailbox"][0].update(host="localhost", port=port, security=security)
        imap_tls_server.append("accueil", [_plain("t@example.net", "NUC", f"<{security}@x>")])
        summary = poll_once(site.config(), progress=False)
        assert summary.mailboxes[0].error is None
        assert summary.mailboxes[0].filed == 1


def test_wrong_password_is_reported_and_other_mailbox_goes_on(
    site: Site, imap_server: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    imap_settings(site, imap_server)
    monkeypatch.setenv("INTAKE_TEST_PW_ACCUEIL", "wrong")
    imap_server.append("certification", [_plain("c@example.fr", "NUC", "<c@x>", "certification")])
    summary = poll_once(site.config(), progress=False)
    assert summary.mailboxes[0].error and "accueil" in summary.mailboxes[0].error
    assert summary.mailboxes[1].error is None and summary.mailboxes[1].filed == 1
    status = site.cli("status", env={"INTAKE_TEST_PW_ACCUEIL": "wrong"})
    assert "1 failures" in status.stdout
    receipts = site.query(lambda s: s.exec(select(Receipt)).all())
    assert len(receipts) == 1
