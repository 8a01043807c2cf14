"""The SQLite writer lock: reentrant, fair, and the store package's lazy names."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import store
from store import make_engine, session_scope
from store.writer import FairRLock


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.001)


def test_reentrant_and_owned() -> None:
    lock = FairRLock()
    with lock, lock:
        assert lock.waiting == 0
    errors: list[BaseException] = []

    def foreign_release() -> None:
        try:
            lock.release()
        except RuntimeError as exc:
            errors.append(exc)

    lock.acquire()
    thread = threading.Thread(target=foreign_release)
    thread.start()
    thread.join()
    lock.release()
    assert len(errors) == 1 and "not held" in str(errors[0])


def test_released_lock_goes_to_the_waiter_first() -> None:
    """The thread that releases and takes it again at once comes after the waiter."""
    lock = FairRLock()
    order: list[str] = []
    lock.acquire()

    def waiter() -> None:
        with lock:
            order.append("waiter")

    thread = threading.Thread(target=waiter)
    thread.start()
    _wait_until(lambda: lock.waiting == 1)
    for _ in range(3):
        lock.release()
        lock.acquire()
        order.append("holder")
    lock.release()
    thread.join(timeout=10)
    assert order[0] == "waiter", order


def test_many_threads_all_served() -> None:
    lock = FairRLock()
    counter = {"n": 0}

    def work() -> None:
        for _ in range(200):
            with lock:
                value = counter["n"]
                counter["n"] = value + 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert counter["n"] == 1200
    assert lock.waiting == 0


def test_session_scope_writers_take_turns(tmp_path: Path) -> None:
    """A second thread's write waits for the first one's transaction, then goes."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    lock = store.db._writer_lock(engine)
    assert isinstance(lock, FairRLock)
    entered = threading.Event()
    try:
        with session_scope(engine):

            def second_writer() -> None:
                with session_scope(engine):
                    entered.set()

            thread = threading.Thread(target=second_writer)
            thread.start()
            _wait_until(lambda: lock.waiting == 1)
            assert not entered.is_set()
        thread.join(timeout=10)
        assert entered.is_set() and lock.waiting == 0
    finally:
        engine.dispose()


def test_store_exports_resolve() -> None:
    exports = store._EXPORTS  # type: ignore[attr-defined]
    assert set(store.__all__) == set(exports)
    for name in store.__all__:
        assert getattr(store, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        store.nothing_here  # type: ignore[attr-defined]  # noqa: B018


def test_worker_modules_start_without_the_database_stack() -> None:
    """What a worker process imports leaves SQLAlchemy, SQLModel and Alembic out."""
    code = (
        "import sys, intake.preparing, intake.filestore; "
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'jinja2') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.strip() == "[]", done.stdout
