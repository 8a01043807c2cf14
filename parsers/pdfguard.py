"""Run PDF text extraction in a worker process with a hard time limit.

``parsers.pdf`` checks its clock between pages, which cannot stop a single hostile
page that keeps pdfium busy, and a pdfium crash on a malformed file would take the
whole poller down with it. Here extraction runs in one long-lived forked worker: the
caller waits at most ``max_seconds`` plus a grace period, then kills the worker and
gets an empty result with a problem. The next PDF starts a fresh worker.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection
from typing import Any

from parsers.pdf import PdfText, extract_pdf_text

# Extra seconds the worker gets beyond the soft cap before it is killed.
GRACE_SECONDS = 2.0


def _serve(conn: Connection) -> None:
    """The worker's loop: one request in, one PdfText out, until the pipe closes.

    A forked child inherits every descriptor of the parent: the parent's end of this
    pipe (which would keep ``recv`` from ever seeing the parent die), database files
    and lock files (which would keep an instance lock held after a crash). All of
    them are closed first; the child then exits as soon as its parent is gone.
    """
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, _max_fd())
    # The bot's own signal handlers must not run here: the parent decides our end.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            data, options = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(extract_pdf_text(data, **options))


def _max_fd() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (ValueError, OSError):
        return 65536


class _Worker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        # fork: the child starts with pypdfium2 already loaded and never runs the
        # parent's __main__ again (spawn and forkserver would).
        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), daemon=True, name="intake-pdf")
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return parent

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def run(self, data: bytes, options: dict[str, Any], limit: float) -> PdfText:
        with self._lock:
            # A worker forked by another process (ours was forked in turn) is not ours.
            if self._process is not None and self._process._parent_pid != os.getpid():
                self._process = self._conn = None
            conn = self._conn
            if conn is None or self._process is None or not self._process.is_alive():
                self._stop()
                conn = self._start()
            try:
                conn.send((data, options))
                if conn.poll(limit):
                    result: PdfText = conn.recv()
                    return result
                problem = f"pdf_hard_timeout: no text after {limit:.0f} s, worker restarted"
            except (EOFError, OSError, BrokenPipeError) as exc:
                problem = f"pdf_worker_crashed: {type(exc).__name__}"
            self._stop()
            return PdfText("", 0, 0, False, (problem,))


_WORKER = _Worker()


def extract_pdf_text_guarded(
    data: bytes,
    *,
    max_pages: int = 20,
    max_seconds: float = 5.0,
    password: str | None = None,
) -> PdfText:
    """:func:`parsers.pdf.extract_pdf_text` behind a process boundary and a hard limit.

    Where fork is unavailable, or with ``INTAKE_PDF_IN_PROCESS=1``, it runs in process
    (the page-level soft cap still applies).
    """
    options: dict[str, Any] = {
        "max_pages": max_pages,
        "max_seconds": max_seconds,
        "password": password,
    }
    if os.environ.get("INTAKE_PDF_IN_PROCESS") == "1" or "fork" not in (
        multiprocessing.get_all_start_methods()
    ):
        return extract_pdf_text(data, **options)
    return _WORKER.run(data, options, max_seconds + GRACE_SECONDS)
