"""Prepare mails before their transaction: parse, classify, judge spreadsheets, store bytes.

This is pure work on one mail's bytes (about 1–2 ms for a text mail, seconds for a
big PDF or spreadsheet) that needs no database. :class:`InlinePreparer` does it in
the bot's own process. :class:`PoolPreparer` (``[run] workers`` > 0) does it in
worker processes, so that it runs on other cores while the bot's process writes the
database and sends replies; the results come back in order, a chunk at a time, and
the pipeline commits a chunk while the workers prepare the next ones.

A worker also isolates the bot from a parser that crashes the interpreter: when a
worker dies, its mails are prepared again one at a time in a fresh pool, and the
mail that kills a worker on its own is returned as a :class:`PrepareFailed` (the
pipeline shunts it for staff, DESIGN §3.4). The bot goes on.

Workers are started with ``forkserver`` (never ``fork``: the bot has threads, open
sockets and database connections that a forked child must not share), only for a
batch big enough to be worth it, and in the background: until they answer, the
bot prepares the chunks itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Protocol

from intake.classification import Classification, Kind
from intake.classify import classify
from intake.config import Config
from intake.rules.documents import is_spreadsheet
from intake.spreadsheet import SheetResult
from parsers.types import InboundMail
from store.files import FileStore

log = logging.getLogger(__name__)

# Mails per task sent to a worker: big enough that pickling and scheduling cost
# little per mail, small enough that the first results come back quickly.
CHUNK = 16
# A batch with fewer new mails than this is prepared in the bot's own process: a
# worker's start-up (about half a second) is not worth it for a handful of mails.
POOL_THRESHOLD = 24


@dataclass
class Prepared:
    """Everything computed before the transaction."""

    raw: bytes
    sha: str
    mail: InboundMail
    result: Classification
    sheets: list[SheetResult] = field(default_factory=list)


class PrepareFailed(Exception):
    """Preparing one mail raised, or killed its worker; ``trace`` says where."""

    def __init__(self, message: str, trace: str) -> None:
        super().__init__(message)
        self.trace = trace


class Preparer(Protocol):
    """Where mails are prepared (the files of a mail are in the store when it is yielded)."""

    def chunks(
        self, raws: Sequence[bytes], role: str
    ) -> Iterator[list[Prepared | PrepareFailed]]: ...

    def one(self, raw: bytes, role: str) -> Prepared | PrepareFailed: ...

    def expect(self, count: int) -> None:
        """``count`` mails are coming: get ready for them (start workers), don't wait."""

    def close(self) -> None: ...


def parse(raw: bytes, config: Config) -> InboundMail:
    options = config.classify
    return InboundMail.from_bytes(
        raw,
        pdf_max_pages=options.pdf_max_pages,
        pdf_max_seconds=options.pdf_max_seconds,
        max_attachment_bytes=options.max_attachment_bytes,
    )


def prepare_mail(raw: bytes, role: str, config: Config, files: FileStore) -> Prepared:
    """Parse, classify and judge one mail, and put its bytes in the file store."""
    mail = parse(raw, config)
    result = classify(mail, role, config)
    prepared = Prepared(raw=raw, sha=mail.sha256, mail=mail, result=result)
    if result.kind not in (Kind.BOUNCE, Kind.AUTO_REPLY):
        prepared.sheets = judge_sheets(mail, config)
    # The bytes are on disk before any row names them (a crash in between leaves
    # an unreferenced file, never a row without its file).
    files.put(raw)
    for attachment in mail.attachments:
        files.put(attachment.payload)
    return prepared


def judge_sheets(mail: InboundMail, config: Config) -> list[SheetResult]:
    """Each attached spreadsheet judged row by row, with its annotated copy."""
    attached = [a for a in mail.files if is_spreadsheet(a)]
    if not attached:
        return []
    from intake.classify import judge_attachment
    from responders.annotate import annotated_copy

    sheets = []
    for attachment in attached:
        judgement = judge_attachment(attachment, mail.date, config)
        sheet = SheetResult(attachment.filename, judgement)
        if not judgement.summary.error and judgement.tables:
            try:
                sheet.annotated = annotated_copy(attachment.payload, attachment.filename, judgement)
            except Exception:  # noqa: BLE001 - the receipt goes without the copy
                sheet.annotated = None
        sheets.append(sheet)
    return sheets


def _failure(exc: BaseException) -> PrepareFailed:
    trace = "".join(traceback.format_exception(exc))[-20_000:]
    return PrepareFailed(f"{type(exc).__name__}: {exc}", trace)


class InlinePreparer:
    """Prepares in the calling process (``[run] workers = 0``, and small batches)."""

    def __init__(self, config: Config, files: FileStore) -> None:
        self.config = config
        self.files = files

    def one(self, raw: bytes, role: str) -> Prepared | PrepareFailed:
        try:
            return prepare_mail(raw, role, self.config, self.files)
        except Exception as exc:  # noqa: BLE001 - the per-message boundary (the shunt)
            return _failure(exc)

    def chunks(self, raws: Sequence[bytes], role: str) -> Iterator[list[Prepared | PrepareFailed]]:
        """The prepared mails, in one chunk: the caller makes their files durable at once."""
        yield [self.one(raw, role) for raw in raws]

    def expect(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


# -- worker side -----------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(config: Config, files_root: str) -> None:
    from intake.filestore import BatchFileStore

    _WORKER["config"] = config
    _WORKER["files"] = BatchFileStore(files_root)


def _ping() -> bool:
    return True


def _work(raws: list[bytes], role: str) -> list[Prepared | PrepareFailed]:
    config, files = _WORKER["config"], _WORKER["files"]
    out: list[Prepared | PrepareFailed] = []
    for raw in raws:
        try:
            out.append(prepare_mail(raw, role, config, files))
        except Exception as exc:  # noqa: BLE001 - the per-message boundary (the shunt)
            out.append(_failure(exc))
    # The files are durable before the bot's process sees the mails: it may commit
    # the transactions that name them as soon as the chunk is back. One flush per
    # chunk, here, waits on the disk in the worker instead of in the bot.
    files.sync_pending()
    return out


# -- bot side --------------------------------------------------------------------------

# Chunks queued to the workers: the pool they went to, and one future per chunk.
_Queued = tuple[ProcessPoolExecutor, list[Future[list[Prepared | PrepareFailed]]]]


class PoolPreparer:
    """Prepares in ``workers`` processes (files made durable there); small batches inline."""

    def __init__(self, config: Config, files: FileStore, workers: int) -> None:
        self.config = config
        self.files = files
        self.workers = workers
        self.inline = InlinePreparer(config, files)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        # Set once the workers answer; until then the bot prepares mails itself
        # (starting the workers takes a second or two that no mail should wait).
        self._ready = threading.Event()
        self._starter: threading.Thread | None = None
        self.restarts = 0
        # The function a worker runs on a list of mails (a module-level function:
        # it travels to the worker by name).
        self.task: Callable[[list[bytes], str], list[Prepared | PrepareFailed]] = _work

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            return self._executor_locked()

    def _executor_locked(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            # Workers fork from a server that has already imported the parsers
            # and rules, so that each starts in milliseconds.
            context.set_forkserver_preload(["intake.preparing", "intake.filestore"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(self.config, str(self.files.root)),
            )
        return self._pool

    def _start(self) -> None:
        """Start the workers in the background (once); ``_ready`` tells when they answer."""
        if self._starter is not None:
            return

        def start() -> None:
            try:
                self._executor().submit(_ping).result()
            except Exception:  # noqa: BLE001 - the bot goes on preparing mails itself
                log.exception("the worker processes could not start; preparing mails inline")
                return
            self._ready.set()

        self._starter = threading.Thread(target=start, name="workers-start", daemon=True)
        self._starter.start()

    def expect(self, count: int) -> None:
        """Start the workers now when a batch of ``count`` mails will go to them.

        The poller calls this once it has listed the new mails, before fetching
        any: the workers' start-up (about half a second) then overlaps the fetch.
        """
        if count >= POOL_THRESHOLD:
            self._start()

    def warm(self, timeout: float | None = None) -> bool:
        """Start the workers and wait until they answer; whether they do."""
        self._start()
        return self._ready.wait(timeout)

    def _restart(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1

    def chunks(self, raws: Sequence[bytes], role: str) -> Iterator[list[Prepared | PrepareFailed]]:
        """The prepared mails, in order, a chunk at a time.

        When the workers are up, every chunk is queued to them now, before the
        first result is asked for: the caller may start a batch here and commit
        the one before while the workers prepare this one.
        """
        if len(raws) < POOL_THRESHOLD:
            return self.inline.chunks(raws, role)
        parts = [list(raws[start : start + CHUNK]) for start in range(0, len(raws), CHUNK)]
        self._start()
        queued = self._submit(parts, role) if self._ready.is_set() else None
        return self._results(parts, role, queued)

    def _submit(self, parts: list[list[bytes]], role: str) -> _Queued:
        """The parts queued to the workers, with the pool that has them."""
        pool = self._executor()
        return pool, [pool.submit(self.task, part, role) for part in parts]

    def _results(
        self,
        parts: list[list[bytes]],
        role: str,
        queued: _Queued | None,
    ) -> Iterator[list[Prepared | PrepareFailed]]:
        first = 0
        if queued is None:
            # The workers are starting: prepare here until they answer.
            while first < len(parts) and not self._ready.is_set():
                yield [self.inline.one(raw, role) for raw in parts[first]]
                first += 1
            queued = self._submit(parts[first:], role)
        pool, futures = queued
        for index, future in enumerate(futures, start=first):
            try:
                yield future.result()
            except BrokenProcessPool:
                # A worker died: the chunks not yet returned are prepared again,
                # one mail per task, so that the mail that kills a worker is found.
                # (A batch queued to the same pool meanwhile finds it replaced.)
                if self._pool is pool:
                    self._restart()
                for part in parts[index:]:
                    yield [self._alone(raw, role) for raw in part]
                return

    def _alone(self, raw: bytes, role: str) -> Prepared | PrepareFailed:
        try:
            return self._executor().submit(self.task, [raw], role).result()[0]
        except BrokenProcessPool:
            self._restart()
            return PrepareFailed(
                "the worker process preparing this mail died (a parser crashed on it)",
                "BrokenProcessPool: the worker process ended abruptly while parsing or "
                "classifying this mail; it was retried alone and killed a worker again",
            )

    def one(self, raw: bytes, role: str) -> Prepared | PrepareFailed:
        """One mail (a retry of an error mail): in a worker, so that a crash stays there."""
        return self._alone(raw, role)

    def close(self) -> None:
        if self._starter is not None:
            self._starter.join()
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


def make_preparer(config: Config, files: FileStore) -> InlinePreparer | PoolPreparer:
    """The preparer ``[run] workers`` asks for (0: in the bot's own process)."""
    workers = config.run.worker_count()
    if workers <= 0:
        return InlinePreparer(config, files)
    return PoolPreparer(config, files, workers)
