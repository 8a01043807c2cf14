"""``intake run``: the scheduler keeps polling, answers, refuses a second instance on
SQLite, wakes up on IDLE, shows a progress bar on a big first poll, and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import intake.service as service
from intake.service import poll_once
from intake.sources.maildir import deliver
from tests.bot.conftest import INTAKE, Site, imap_settings, kill_group
from tests.bot.mails import PROBLEM, plain
from tests.servers import Dovecot


def _start(site: Site, *args: str) -> subprocess.Popen[bytes]:
    config = site.write_config()
    log = open(site.root / "run.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [str(INTAKE), "run", "--config", str(config), *args],
        stdout=log,
        stderr=log,
        cwd=site.root,
        env=dict(os.environ),
        start_new_session=True,
    )


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _stop(process: subprocess.Popen[bytes]) -> int:
    try:
        process.send_signal(signal.SIGTERM)
        return process.wait(30)
    finally:
        kill_group(process.pid)


def test_run_polls_answers_refuses_a_second_instance_and_stops(site: Site) -> None:
    for index in range(3):
        deliver(
            site.maildir("accueil"), plain(f"a{index}@example.net", "NUC", PROBLEM, f"<a{index}@x>")
        )
    process = _start(site, "--interval", "0.5")
    try:
        assert _wait(lambda: len(list(site.outbox.glob("*.eml"))) == 3, 60)
        for index in range(2):
            deliver(site.maildir("certification"), plain(
                f"c{index}@example.fr", "NUC", PROBLEM, f"<c{index}@x>", role="certification"))  # fmt: skip
        assert _wait(lambda: len(list(site.outbox.glob("*.eml"))) == 5, 30)
        second = site.cli("run")
        assert second.returncode == 3
        assert "another intake process" in second.stderr
        assert f"pid {process.pid}" in second.stderr
    finally:
        code = _stop(process)
    assert code == 0
    log = (site.root / "run.log").read_text()
    assert "SIGTERM" in log and "stopped" in log
    assert len(site.cases()) == 5
    # Stopped cleanly: the next start finds nothing half done.
    again = poll_once(site.config(), progress=False)
    assert again.recovered_uncertain == 0 and again.outbox.sent == 0


@pytest.mark.imap
def test_idle_wakes_the_poller(site: Site, imap_server: Dovecot) -> None:
    imap_settings(site, imap_server)
    process = _start(site, "--interval", "300")
    try:
        assert _wait(lambda: "polling every" in (site.root / "run.log").read_text(), 30)
        time.sleep(2)
        imap_server.append("accueil", [plain("idle@example.net", "NUC", PROBLEM, "<idle@x>")])
        # The poll interval is 5 minutes: only IDLE can file it this fast.
        assert _wait(lambda: len(list(site.outbox.glob("*.eml"))) == 1, 20)
    finally:
        assert _stop(process) == 0


def test_big_first_poll_shows_a_progress_bar(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(service, "PROGRESS_THRESHOLD", 5)
    for index in range(6):
        deliver(
            site.maildir("accueil"), plain(f"b{index}@example.net", "NUC", PROBLEM, f"<b{index}@x>")
        )
    deliver(
        site.maildir("certification"),
        plain("x@example.fr", "NUC", PROBLEM, "<x@x>", role="certification"),
    )
    poll_once(site.config())
    err = capsys.readouterr().err
    assert "first poll" in err and "6/6" in err
    assert "certification" not in err


def test_sigint_also_stops(tmp_path: Path, site: Site) -> None:
    process = _start(site, "--interval", "0.5")
    try:
        assert _wait(lambda: "polling every" in (site.root / "run.log").read_text(), 30)
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        kill_group(process.pid)
    assert "SIGINT" in (site.root / "run.log").read_text()
