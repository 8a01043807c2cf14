"""``intake run``: APScheduler jobs around the same :class:`~intake.service.Bot` as ``poll --once``.

One poll job per mailbox (every ``[run] poll_interval`` seconds, never two at once
for one mailbox) and one outbox job (every ``[run] outbox_interval`` seconds); a
mailbox that fails is retried with a doubling backoff (capped at ``[run]
max_backoff``) instead of at every tick. For IMAP mailboxes whose
server has IDLE, a watcher thread holds a second connection in IDLE and runs the
mailbox's poll job as soon as mail arrives. SIGTERM and SIGINT (Ctrl-C) stop the
scheduler cleanly: running jobs stop between two mails or two replies, nothing is
left half done.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from intake.config import Config, ConfigError, MailboxConfig
from intake.service import Bot, ProgressBar

log = logging.getLogger("intake.run")

IDLE_SECONDS = 300.0


class Runner:
    """The scheduled bot; :meth:`run` blocks until :meth:`stop`."""

    def __init__(
        self,
        config: Config,
        *,
        interval: float | None = None,
        outbox_interval: float | None = None,
    ) -> None:
        """``interval`` and ``outbox_interval``, when given, win over the ``[run]`` section."""
        from apscheduler.schedulers.background import BackgroundScheduler

        self.config = config
        self.interval = config.run.poll_interval if interval is None else interval
        self.outbox_interval = (
            config.run.outbox_interval if outbox_interval is None else outbox_interval
        )
        self.max_backoff = config.run.max_backoff
        if self.interval <= 0 or self.outbox_interval <= 0:
            raise ConfigError("the poll and outbox intervals must be more than 0 seconds")
        self.stopping = threading.Event()
        self.bot = Bot(config)
        self.scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, float] = {}
        self._first_poll: set[str] = set()
        self._watchers: list[threading.Thread] = []

    def backoff(self, failures: int) -> float:
        """Seconds before the next poll of a mailbox that failed ``failures`` times in a row."""
        return min(self.interval * 2 ** (failures - 1), self.max_backoff)

    def should_stop(self) -> bool:
        return self.stopping.is_set()

    def stop(self, *_: Any) -> None:
        self.stopping.set()

    # -- jobs ------------------------------------------------------------------------

    def poll_job(self, mailbox: MailboxConfig) -> None:
        key = mailbox.key
        if self.should_stop() or time.monotonic() < self._not_before.get(key, 0.0):
            return
        first = key not in self._first_poll
        with ProgressBar(enabled=first) as bar:
            summary = self.bot.poll(
                mailbox, on_listed=bar.listed, on_mail=bar.advance, should_stop=self.should_stop
            )
        self._first_poll.add(key)
        if summary.error:
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            delay = self.backoff(failures)
            self._not_before[key] = time.monotonic() + delay
            log.warning("%s: poll failed (%s); next try in %g s", key, summary.error, delay)
            return
        self._failures.pop(key, None)
        self._not_before.pop(key, None)
        if summary.new or summary.retried:
            log.info(
                "%s: %d new, %d filed, %d follow-ups, %d duplicates, %d errors",
                key, summary.new, summary.filed, summary.followed_up,
                summary.duplicates, summary.errors,
            )  # fmt: skip
            # Answer now rather than at the next outbox tick.
            self._run_now("outbox")

    def outbox_job(self) -> None:
        if self.should_stop():
            return
        summary = self.bot.send(should_stop=self.should_stop)
        if summary.as_dict():
            log.info("outbox: %s", summary.as_dict())

    def _run_now(self, job_id: str) -> None:
        try:
            self.scheduler.modify_job(job_id, next_run_time=datetime.now().astimezone())
        except Exception:  # noqa: BLE001 - the job may be gone while stopping
            log.debug("cannot reschedule %s", job_id)

    # -- IDLE ------------------------------------------------------------------------

    def _watch(self, mailbox: MailboxConfig) -> None:
        """Hold an IDLE connection; run the mailbox's poll job when mail arrives."""
        from intake.sources import SourceError
        from intake.sources.imap import ImapSource

        delay = 1.0
        while not self.should_stop():
            source = ImapSource(mailbox)
            try:
                source.open()
                if not source.has_idle():
                    log.info("%s: no IDLE on this server, polling only", mailbox.key)
                    return
                delay = 1.0
                while not self.should_stop():
                    if source.wait_for_new(IDLE_SECONDS, self.should_stop):
                        self._run_now(f"poll:{mailbox.key}")
            except (SourceError, OSError) as exc:
                log.debug("%s: IDLE connection lost (%s)", mailbox.key, exc)
            except Exception as exc:  # noqa: BLE001 - the watcher only speeds polls up
                log.warning("%s: IDLE watcher error: %s", mailbox.key, exc)
            finally:
                source.close()
            self.stopping.wait(delay)
            delay = min(delay * 2, 60.0)

    # -- running ---------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.bot.start()
            now = datetime.now().astimezone()
            for index, mailbox in enumerate(self.config.mailbox):
                self.scheduler.add_job(
                    self.poll_job,
                    "interval",
                    seconds=self.interval,
                    args=[mailbox],
                    id=f"poll:{mailbox.key}",
                    next_run_time=now + timedelta(milliseconds=10 * index),
                )
                if mailbox.host is not None and mailbox.idle:
                    watcher = threading.Thread(
                        target=self._watch, args=(mailbox,), name=f"idle:{mailbox.key}", daemon=True
                    )
                    self._watchers.append(watcher)
            self.scheduler.add_job(
                self.outbox_job,
                "interval",
                seconds=self.outbox_interval,
                id="outbox",
                next_run_time=now + timedelta(seconds=1),
            )
            self.scheduler.start()
            for watcher in self._watchers:
                watcher.start()
            log.info(
                "intake run: %d mailboxes, polling every %g s, outbox every %g s; "
                "stop with Ctrl-C or SIGTERM",
                len(self.config.mailbox), self.interval, self.outbox_interval,
            )  # fmt: skip
            self.stopping.wait()
            log.info("stopping: finishing the current mail or reply")
            self.scheduler.shutdown(wait=True)
            for watcher in self._watchers:
                watcher.join(5)
        finally:
            self.bot.close()
        log.info("stopped")


def run_forever(
    config: Config, *, interval: float | None = None, outbox_interval: float | None = None
) -> None:
    """Run until SIGTERM or SIGINT (the ``intake run`` command).

    The intervals come from the ``[run]`` section; ``interval`` or ``outbox_interval``
    given here (``intake run --interval``) win over it.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # "skipped: maximum number of running instances reached" is the normal case of a
    # long poll overlapping its next tick, not a warning.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    runner = Runner(config, interval=interval, outbox_interval=outbox_interval)
    main_pid = os.getpid()

    def handle(signum: int, _frame: FrameType | None) -> None:
        if os.getpid() != main_pid:
            # A helper forked from this process (the PDF worker) inherited the
            # handler: it must die as asked, not stop a scheduler it does not run.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        log.info("signal %s received", signal.Signals(signum).name)
        runner.stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        runner.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
