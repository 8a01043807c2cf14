"""``intake run`` paces itself by the ``[run]`` section: poll and outbox intervals, the
failure backoff's cap; ``intake run --interval`` wins over the file."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from intake.scheduler import Runner
from intake.sources.maildir import deliver
from tests.bot.conftest import INTAKE, Site, kill_group
from tests.bot.mails import PROBLEM, plain


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _replies(site: Site) -> int:
    return len(list(site.outbox.glob("*.eml")))


def test_runner_schedules_its_jobs_at_the_configured_intervals(site: Site) -> None:
    site.settings["run"] = {"poll_interval": 0.25, "outbox_interval": 7.5, "max_backoff": 42.0}
    runner = Runner(site.config())
    assert (runner.interval, runner.outbox_interval, runner.max_backoff) == (0.25, 7.5, 42.0)
    thread = threading.Thread(target=runner.run, name="runner")
    thread.start()
    try:
        assert _wait(lambda: runner.scheduler.get_job("outbox") is not None, 30)
        outbox = runner.scheduler.get_job("outbox")
        assert outbox.trigger.interval == timedelta(seconds=7.5)
        for mailbox in site.config().mailbox:
            job = runner.scheduler.get_job(f"poll:{mailbox.key}")
            assert job.trigger.interval == timedelta(seconds=0.25)
        # Let the first polls pass, then deliver: only the 0.25 s poll job can file
        # it this fast (the default interval is a minute).
        time.sleep(1.0)
        deliver(site.maildir("accueil"), plain("late@example.net", "NUC", PROBLEM, "<late@x>"))
        assert _wait(lambda: _replies(site) == 1, 10)
    finally:
        runner.stop()
        thread.join(30)
    assert not thread.is_alive()


def test_arguments_win_over_the_file(site: Site) -> None:
    site.settings["run"] = {"poll_interval": 300.0, "outbox_interval": 30.0}
    runner = Runner(site.config(), interval=0.5, outbox_interval=2.0)
    assert (runner.interval, runner.outbox_interval) == (0.5, 2.0)
    runner.bot.close()


def test_failure_backoff_doubles_up_to_max_backoff(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    site.settings["run"] = {"poll_interval": 0.2, "max_backoff": 0.3}
    # A Maildir path that is a file: every poll of it fails at once.
    broken = site.maildir("accueil")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("not a folder")
    config = site.config()
    runner = Runner(config)
    assert [runner.backoff(n) for n in (1, 2, 3, 10)] == [0.2, 0.3, 0.3, 0.3]
    mailbox = config.mailbox_for("accueil")
    assert mailbox is not None
    runner.bot.start()
    try:
        with caplog.at_level(logging.WARNING, logger="intake.run"):
            for _ in range(3):
                runner.poll_job(mailbox)
                # Within the backoff a tick does nothing (no new warning).
                runner.poll_job(mailbox)
                time.sleep(0.35)
    finally:
        runner.bot.close()
    delays = [r.getMessage().rsplit("next try in ", 1)[1] for r in caplog.records]
    assert delays == ["0.2 s", "0.3 s", "0.3 s"]


def _run(site: Site, *args: str) -> subprocess.Popen[bytes]:
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


@pytest.mark.parametrize(
    ("in_file", "option", "shown"),
    [
        (0.5, (), "polling every 0.5 s, outbox every 3 s"),
        (300.0, ("--interval", "0.5"), "polling every 0.5 s, outbox every 3 s"),
    ],
    ids=["file", "option-wins"],
)
def test_intake_run_polls_at_the_configured_interval(
    site: Site, in_file: float, option: tuple[str, ...], shown: str
) -> None:
    site.settings["run"] = {"poll_interval": in_file, "outbox_interval": 3.0}
    process = _run(site, *option)
    log = site.root / "run.log"
    try:
        assert _wait(lambda: "polling every" in log.read_text(), 30)
        assert shown in log.read_text()
        time.sleep(1.0)
        deliver(site.maildir("accueil"), plain("late@example.net", "NUC", PROBLEM, "<late@x>"))
        # Maildir has no IDLE: only a short poll interval files it this fast.
        assert _wait(lambda: _replies(site) == 1, 15)
    finally:
        try:
            process.send_signal(signal.SIGTERM)
            code = process.wait(30)
        finally:
            kill_group(process.pid)
    assert code == 0


def test_intake_run_reports_bad_settings(site: Site) -> None:
    site.settings["run"] = {"workers": -1}
    bad_file = site.cli("run")
    assert bad_file.returncode == 2
    assert 'run.workers: must be "auto" or a whole number from 0 to 64' in bad_file.stderr
    site.settings["run"] = {}
    bad_option = site.cli("run", "--interval", "0")
    assert bad_option.returncode == 2
    assert "--interval must be a number of seconds more than 0" in bad_option.stderr
