"""The bot on a Maildir with SQLite and the file outbox: filed once, answered once.

Expected replies come from the dry run of the same bytes (``classify_bytes``): the
pipeline must send exactly what the classifier decides, once, and nothing on later
polls. Follow-ups and duplicates open no case and get no reply.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from intake.config import RunConfig
from intake.dryrun import classify_bytes
from intake.service import poll_once
from intake.sources.maildir import deliver
from store import Case, Receipt
from tests.bot.conftest import ADDRESSES, Site, maildir_settings
from tests.bot.corpus import build_load

# The default bound on attempts for a mail whose processing fails.
MAX_ATTEMPTS = RunConfig().max_attempts


def _mail(sender: str, subject: str, body: str, message_id: str, role: str = "accueil") -> bytes:
    return (
        f"From: {sender}\r\nTo: {ADDRESSES[role]}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 02 Jun 2025 10:00:00 +0200\r\nMessage-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()


PROBLEM = (
    "Bonjour,\r\nJe n'ai jamais reçu mon NUC et je ne peux pas finaliser mon inscription "
    "à l'épreuve UP-EC1.\r\nCordialement,\r\nPaul Durand\r\n12 rue des Lilas\r\n"
    "69003 Lyon\r\n06 12 34 56 78\r\n"
)


def _files(folder: Path) -> list[Path]:
    return [p for sub in ("new", "cur") for p in (folder / sub).glob("*") if p.is_file()]


def test_load_is_filed_once_and_answered_once(site: Site) -> None:
    load = build_load(150, duplicates=10, follow_ups=15)
    config = site.config()
    expected: Counter[str] = Counter()
    for mail in load.mails:
        deliver(site.maildir(mail.role), mail.raw)
        if mail.part == "new":
            template = classify_bytes(mail.raw, mail.role, config)["reply_template"]
            if template:
                expected[template] += 1

    first = poll_once(config, progress=False)
    assert all(box.error is None for box in first.mailboxes)
    cases = site.cases()
    assert len(cases) == load.conversations
    sent = Counter(r["template"] for case in cases for r in case["replies"])
    assert sent == expected
    assert all(r["status"] == "sent" for case in cases for r in case["replies"])
    assert sum(case["messages"] for case in cases) == len(load.mails) - 10
    assert len(list(site.outbox.glob("*.eml"))) == sum(expected.values())
    # Every mail left the inbox for the processed folder.
    for role in ADDRESSES:
        assert _files(site.maildir(role)) == []
        assert len(_files(site.maildir(role) / ".Traités")) == len(load.by_role(role))

    for _ in range(2):
        again = poll_once(config, progress=False)
        assert sum(box.new for box in again.mailboxes) == 0
        assert again.outbox.sent == 0
    assert site.cases() == cases
    assert len(list(site.outbox.glob("*.eml"))) == sum(expected.values())


@pytest.mark.parametrize(("after", "flag"), [("seen", "S"), ("flag", "F")])
def test_flag_actions_leave_the_mail_and_never_refile_it(
    tmp_path: Path, after: str, flag: str
) -> None:
    site = Site(tmp_path, maildir_settings(tmp_path, after=after))
    for index in range(3):
        deliver(
            site.maildir("accueil"), _mail(f"p{index}@example.net", "NUC", PROBLEM, f"<f{index}@x>")
        )
    config = site.config()
    poll_once(config, progress=False)
    files = _files(site.maildir("accueil"))
    assert len(files) == 3
    assert all(p.parent.name == "cur" and p.name.endswith(f":2,{flag}") for p in files)
    again = poll_once(config, progress=False)
    assert again.mailboxes[0].new == 0
    assert len(site.cases()) == 3


def test_same_mail_twice_is_one_case(site: Site) -> None:
    raw = _mail("julie@example.net", "NUC perdu", PROBLEM, "<twice@example.net>")
    deliver(site.maildir("accueil"), raw)
    deliver(site.maildir("accueil"), raw)
    summary = poll_once(site.config(), progress=False)
    assert summary.mailboxes[0].filed == 1
    assert summary.mailboxes[0].duplicates == 1
    cases = site.cases()
    assert len(cases) == 1 and len(cases[0]["replies"]) == 1
    assert _files(site.maildir("accueil")) == []


def test_per_sender_limit_counts_the_store(site: Site) -> None:
    config = site.config()
    limit = config.replies.max_per_sender_per_day
    for index in range(limit + 2):
        body = PROBLEM.replace("UP-EC1", "UP-EP2") + f"\r\n(message {index})\r\n"
        deliver(
            site.maildir("accueil"),
            _mail("same@example.net", f"NUC {index}", body, f"<l{index}@x>"),
        )
    poll_once(config, progress=False)
    cases = site.cases()
    assert len(cases) == limit + 2
    assert sum(len(c["replies"]) for c in cases) == limit
    blocked = site.query(
        lambda s: [c.fields.get("reply_blocked") for c in s.exec(select(Case)).all()]
    )
    assert sum(1 for b in blocked if b and "over_limit" in b) == 2


def test_a_mail_that_breaks_processing_is_shunted_then_retried(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    import intake.preparing as pipeline

    real = pipeline.classify
    failures = {"left": MAX_ATTEMPTS - 1}

    def flaky(mail, role, config, **kw):  # type: ignore[no-untyped-def]
        if "POISON" in mail.subject and failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("rule exploded")
        return real(mail, role, config, **kw)

    monkeypatch.setattr(pipeline, "classify", flaky)
    # The patch lives in this process: mails (and retries) must be prepared here.
    site.settings["run"] = {"workers": 0}
    deliver(site.maildir("accueil"), _mail("a@example.net", "POISON NUC", PROBLEM, "<p1@x>"))
    deliver(site.maildir("accueil"), _mail("b@example.net", "NUC perdu", PROBLEM, "<p2@x>"))
    config = site.config()

    first = poll_once(config, progress=False)
    assert first.mailboxes[0].errors == 1 and first.mailboxes[0].filed == 1
    cases = {c["ref"]: c for c in site.cases()}
    error = [c for c in cases.values() if c["kind"] == "error"]
    assert len(error) == 1 and error[0]["status"] == "to_review" and error[0]["messages"] == 1
    detail = site.query(lambda s: s.exec(select(Case).where(Case.kind == "error")).one())
    assert "rule exploded" in (detail.error or "")
    # The poison mail left the inbox: it never blocks the mails behind it.
    assert _files(site.maildir("accueil")) == []

    second = poll_once(config, progress=False)
    assert second.mailboxes[0].retried == 1 and second.mailboxes[0].errors == 1
    third = poll_once(config, progress=False)
    assert third.mailboxes[0].retried == 1 and third.mailboxes[0].errors == 0
    healed = {c["ref"]: c for c in site.cases()}[error[0]["ref"]]
    assert healed["kind"] == "problem_report"
    assert [r["template"] for r in healed["replies"]] == ["problem_report_ack"]
    receipts = site.query(lambda s: s.exec(select(Receipt)).all())
    assert {r.status for r in receipts} == {"processed"}
    assert max(r.attempts for r in receipts) == MAX_ATTEMPTS


def test_retries_are_bounded(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import intake.preparing as pipeline

    def broken(mail, role, config, **kw):  # type: ignore[no-untyped-def]
        raise ValueError("always")

    monkeypatch.setattr(pipeline, "classify", broken)
    # The patch lives in this process: mails (and retries) must be prepared here.
    # Attempts come from [run] max_attempts: a site's own bound is honoured.
    attempts = MAX_ATTEMPTS + 1
    site.settings["run"] = {"workers": 0, "max_attempts": attempts}
    deliver(site.maildir("accueil"), _mail("a@example.net", "x", PROBLEM, "<b1@x>"))
    config = site.config()
    retried = [poll_once(config, progress=False).mailboxes[0].retried for _ in range(attempts + 2)]
    assert retried == [0] + [1] * (attempts - 1) + [0] * 2
    receipt = site.query(lambda s: s.exec(select(Receipt)).one())
    assert receipt.status == "error" and receipt.attempts == attempts
    assert len(site.cases()) == 1


def test_cli_poll_cases_status_and_single_instance(site: Site) -> None:
    deliver(site.maildir("accueil"), _mail("a@example.net", "NUC perdu", PROBLEM, "<c1@x>"))
    deliver(site.maildir("certification"), _mail(
        "caf@example.fr", "Tableau", "Bonjour, je n'arrive pas à me connecter à myCertif, "
        "mon mot de passe est refusé.\r\n", "<c2@x>", role="certification"))  # fmt: skip
    done = site.cli("poll", "--once")
    assert done.returncode == 0, done.stderr
    assert "2 filed" not in done.stdout and "1 filed" in done.stdout
    listing = site.cli("cases", "--json")
    lines = [json.loads(line) for line in listing.stdout.splitlines()]
    assert [sorted(item) for item in lines] == [
        ["kind", "messages", "ref", "replies", "status"]
    ] * 2
    assert {item["ref"][:3] for item in lines} == {"UP-", "CQ-"}
    assert all(item["replies"] and item["replies"][0]["status"] == "sent" for item in lines)
    status = site.cli("status")
    assert status.returncode == 0 and "last poll" in status.stdout and "sent 2" in status.stdout
    upgrade = site.cli("db", "upgrade")
    assert upgrade.returncode == 0 and "revision" in upgrade.stdout

    from intake.service import Bot

    with Bot(site.config()):
        refused = site.cli("poll", "--once")
    assert refused.returncode == 3
    assert "another intake process" in refused.stderr and "pid" in refused.stderr


def test_demo_installs_and_runs_once(tmp_path: Path) -> None:
    import subprocess

    from tests.bot.conftest import INTAKE

    first = subprocess.run([str(INTAKE), "demo"], cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    replies = sorted((tmp_path / "var" / "outbox").glob("*.eml"))
    assert (
        "sample mails copied" in first.stdout and str(tmp_path / "var" / "outbox") in first.stdout
    )
    assert len(replies) >= 5
    second = subprocess.run([str(INTAKE), "demo"], cwd=tmp_path, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "sample mails copied" not in second.stdout
    assert sorted((tmp_path / "var" / "outbox").glob("*.eml")) == replies
