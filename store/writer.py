"""The lock a process's SQLite writers take: reentrant, and granted in arrival order.

SQLite has one writer at a time. Inside one process the bot's threads (the poller
filing mails, the outbox claiming replies) take this lock instead of spinning on
SQLite's busy handler. A plain ``threading.RLock`` is not fair: the poller, which
releases it and takes it again microseconds later for the next group of mails,
keeps it away from the outbox for whole batches, and the replies pile up until the
polling is over. Here a thread that releases the lock while another waits hands it
over to the first waiter: the outbox claims its next reply between two groups of
mails instead of after the whole batch. (Other processes, such as the web server,
meet the bot at SQLite's own lock, with its busy timeout.)
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairRLock:
    """A reentrant lock handed to its waiters first come, first served."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[tuple[int, threading.Lock]] = deque()

    @property
    def waiting(self) -> int:
        """How many threads wait for the lock (read without the guard: a hint)."""
        return len(self._queue)

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None and not self._queue:
                self._owner, self._depth = me, 1
                return
            gate = threading.Lock()
            gate.acquire()
            self._queue.append((me, gate))
        # The releasing thread makes this one the owner, then opens the gate.
        gate.acquire()

    def release(self) -> None:
        with self._guard:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a FairRLock not held by this thread")
            self._depth -= 1
            if self._depth:
                return
            if not self._queue:
                self._owner = None
                return
            self._owner, gate = self._queue.popleft()
            self._depth = 1
        gate.release()

    def __enter__(self) -> FairRLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
