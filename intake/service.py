"""The bot as a service: ``poll_once`` (the CLI's ``poll --once`` and the demo) and ``run``.

One code path for both: :class:`Bot` opens the store (migrations applied on start),
takes the instance locks, turns replies left in ``sending`` by a dead process into
``uncertain``, then polls mailboxes and runs the outbox. The scheduler of
``intake run`` (in :mod:`intake.scheduler`) calls the same :meth:`Bot.poll` and
:meth:`Bot.send` as ``poll_once``.

Several processes (DESIGN §5):

- SQLite: one process per database file. A second ``intake run`` (or ``poll``) on
  the same file refuses to start with a message naming the running one (a lock file
  beside the database, dropped by the kernel when the holder dies).
- PostgreSQL: any number of instances. Each holds an advisory lock proving it is
  alive (so that its ``sending`` rows are not taken for orphans), one advisory lock
  per mailbox while polling it (another instance skips that mailbox), and claims
  outbox rows with ``SELECT … FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Engine, make_url

from intake.config import Config, MailboxConfig
from intake.filestore import BatchFileStore
from intake.outbox import OutboxSummary, recover, run_outbox, run_outbox_parallel
from intake.pipeline import Pipeline
from intake.poller import MailboxSummary, poll_mailbox
from intake.preparing import make_preparer
from store import instance_lock, make_engine, owner_alive, owner_lock, upgrade

# A first poll listing at least this many new mails shows a progress bar.
PROGRESS_THRESHOLD = 1000
INSTANCE_LOCK = "intake-instance"


class AlreadyRunning(Exception):
    """Another process holds this SQLite database."""


@dataclass
class Summary:
    mailboxes: list[MailboxSummary] = field(default_factory=list)
    outbox: OutboxSummary = field(default_factory=OutboxSummary)
    recovered_uncertain: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mailboxes": [m.as_dict() for m in self.mailboxes],
            "outbox": self.outbox.as_dict(),
            "recovered_uncertain": self.recovered_uncertain,
        }

    @property
    def ok(self) -> bool:
        return not any(m.error for m in self.mailboxes) and not self.outbox.stopped


def store_url(config: Config) -> str:
    """The database URL, a relative SQLite path taken from the configuration's folder."""
    url = make_url(config.store.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute() and not url.database.startswith("file:"):
            url = url.set(database=str(config.resolve(path)))
    return url.render_as_string(hide_password=False)


def new_owner() -> str:
    """A name unique to this process, recorded on the replies it claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Bot:
    """The store, the locks and the pipeline of one running process."""

    def __init__(self, config: Config, *, engine: Engine | None = None) -> None:
        self.config = config
        self.owner = new_owner()
        self._own_engine = engine is None
        self.engine = engine or make_engine(store_url(config))
        # The pipeline makes a whole batch's files durable at once, before the
        # transactions that name them commit.
        self.files = BatchFileStore(config.resolve(config.store.files))
        # Mails are parsed and classified in worker processes when ``[run] workers``
        # asks for them, while this process writes the database and sends replies.
        self.preparer = make_preparer(config, self.files)
        self.pipeline = Pipeline(config, self.engine, self.files, self.preparer)
        self.recovered_uncertain = 0
        self._stack = contextlib.ExitStack()

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def __enter__(self) -> Bot:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        upgrade(self.engine)
        if self.postgres:
            lock = self._stack.enter_context(owner_lock(self.engine, self.owner))
            alive: Callable[[str], bool] | None = owner_alive(self.engine)
        else:
            lock = self._stack.enter_context(instance_lock(self.engine, INSTANCE_LOCK))
            alive = None
            if not lock:
                url = make_url(str(self.engine.url)).database
                raise AlreadyRunning(
                    f"another intake process ({lock.holder or 'unknown'}) is using the "
                    f"database {url}; SQLite allows one running bot per database file "
                    "(stop it first, or use PostgreSQL to run several instances)"
                )
        self.recovered_uncertain = recover(self.engine, me=self.owner, alive=alive)

    def close(self) -> None:
        self.preparer.close()
        self._stack.close()
        if self._own_engine:
            self.engine.dispose()

    @contextlib.contextmanager
    def _mailbox_lock(self, mailbox: MailboxConfig) -> Iterator[bool]:
        if not self.postgres:
            # The instance lock already makes this the only process on the file.
            yield True
            return
        with instance_lock(self.engine, f"poll:{mailbox.key}") as lock:
            yield bool(lock)

    def poll(
        self,
        mailbox: MailboxConfig,
        *,
        on_listed: Callable[[str, int], None] | None = None,
        on_mail: Callable[[], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> MailboxSummary:
        with self._mailbox_lock(mailbox) as acquired:
            if not acquired:
                summary = MailboxSummary(mailbox.key, mailbox.role)
                summary.skipped = "polled by another instance"
                return summary
            return poll_mailbox(
                self.pipeline,
                mailbox,
                on_listed=on_listed,
                on_mail=on_mail,
                should_stop=should_stop,
            )

    def send(
        self, *, sender: Any = None, should_stop: Callable[[], bool] = lambda: False
    ) -> OutboxSummary:
        """Send what is due: over ``[smtp] connections`` connections, or through ``sender``."""
        if sender is not None:
            return run_outbox(
                self.config, self.engine, owner=self.owner, sender=sender, should_stop=should_stop
            )
        return run_outbox_parallel(
            self.config, self.engine, owner=self.owner, should_stop=should_stop
        )

    def poll_all(
        self, *, progress: bool = True, should_stop: Callable[[], bool] = lambda: False
    ) -> Summary:
        """Poll every mailbox once and send every due reply.

        The outbox runs in other threads (one per SMTP connection) while the
        mailboxes are polled, so that replies leave while later mails are being
        filed (SMTP waits and SQLite work release the interpreter lock); it makes a
        last pass once polling is done.
        """
        summary = Summary(recovered_uncertain=self.recovered_uncertain)
        polling = threading.Event()
        polling.set()
        passes: list[OutboxSummary] = []
        errors: list[BaseException] = []

        def send_while_polling() -> None:
            try:
                while polling.is_set() and not should_stop():
                    result = self.send(should_stop=should_stop)
                    passes.append(result)
                    if result.stopped:
                        return
                    if not result.as_dict():
                        time.sleep(0.05)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(exc)

        sender = threading.Thread(target=send_while_polling, name="outbox", daemon=True)
        sender.start()
        try:
            with ProgressBar(enabled=progress) as bar:
                for mailbox in self.config.mailbox:
                    if should_stop():
                        break
                    summary.mailboxes.append(
                        self.poll(
                            mailbox,
                            on_listed=bar.listed,
                            on_mail=bar.advance,
                            should_stop=should_stop,
                        )
                    )
        finally:
            polling.clear()
            sender.join()
        if errors:
            raise errors[0]
        stopped = next((p.stopped for p in passes if p.stopped), None)
        final = self.send(should_stop=should_stop) if not stopped else OutboxSummary()
        summary.outbox = OutboxSummary.total([*passes, final])
        return summary


class ProgressBar:
    """A rich progress bar on stderr, shown only for a big first poll."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def listed(self, mailbox: str, total: int) -> None:
        if not self.enabled or total < PROGRESS_THRESHOLD:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        if self._progress is not None:
            self._progress.stop()
        # force_terminal: the bar is drawn even when stderr is a pipe or a log file
        # (a first poll of 20,000 mails is worth watching in a log too).
        console = Console(file=sys.stderr, force_terminal=True)
        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            refresh_per_second=4,
        )
        self._progress.start()
        # The mailbox's last path element (its folder) keeps the bar on one line.
        label = mailbox.rstrip("/").rsplit("/", 1)[-1][-24:]
        self._task = self._progress.add_task(f"first poll {label}", total=total)

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)


def poll_once(config: Config, *, progress: bool = True) -> Summary:
    """Poll every mailbox once, then send what is due; the function behind ``poll --once``."""
    with Bot(config) as bot:
        return bot.poll_all(progress=progress)
