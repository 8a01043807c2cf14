"""Instance locks: a second holder is refused, a dead holder frees the lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from store.db import make_engine
from store.lock import instance_lock, lock_file_path, lock_is_free

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_second_holder_is_refused(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with instance_lock(engine, "run") as first:
            assert first
            assert first.path is not None and first.path.name.startswith("intake.db.run-")
            assert first.path.parent == Path(sqlite_url.removeprefix("sqlite:///")).parent
            with instance_lock(engine, "run") as second:
                assert not second
                assert "already held by pid" in second.refusal()
            # Another name is another lock.
            with instance_lock(engine, "poll:imap:accueil@h/INBOX") as other:
                assert other
        with instance_lock(engine, "run") as again:
            assert again
    finally:
        engine.dispose()


def test_sqlite_lock_of_a_killed_process_is_free(sqlite_url: str, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pathlib\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "from store.db import make_engine\n"
            "from store.lock import instance_lock\n"
            f"with instance_lock(make_engine({sqlite_url!r}), 'run') as lock:\n"
            "    assert lock\n"
            f"    pathlib.Path({str(ready)!r}).touch()\n"
            "    time.sleep(60)\n",
        ]
    )
    engine = make_engine(sqlite_url)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert holder.poll() is None, "the lock holder died early"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with instance_lock(engine, "run") as lock:
            assert not lock
            assert lock.holder == f"pid {holder.pid}"
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with instance_lock(engine, "run") as lock:
            assert lock
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        engine.dispose()


def test_lock_file_names_are_safe(tmp_path: Path) -> None:
    path = lock_file_path(tmp_path / "intake.db", "poll:imap:a@b/../../x")
    assert path.parent == tmp_path
    assert "/" not in path.name and path.name.endswith(".lock")
    assert lock_file_path(tmp_path / "intake.db", "a b") != lock_file_path(
        tmp_path / "intake.db", "a_b"
    )


@pytest.mark.postgres
def test_postgres_advisory_lock_refuses_second_holder(pg_engine: Engine) -> None:
    with instance_lock(pg_engine, "poll:accueil") as first:
        assert first and first.still_held()
        with instance_lock(pg_engine, "poll:accueil") as second:
            assert not second
            assert second.holder is not None and "backend" in second.holder
        with instance_lock(pg_engine, "poll:certification") as other:
            assert other
        assert not lock_is_free(pg_engine, "poll:accueil")
    assert lock_is_free(pg_engine, "poll:accueil")
    # The lock was released: the pool's connections hold no advisory lock.
    with pg_engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        ).scalar()
    assert count == 0


@pytest.mark.postgres
def test_postgres_lock_of_a_dropped_connection_is_free(pg_engine: Engine) -> None:
    with instance_lock(pg_engine, "run") as lock:
        assert lock
        assert lock._conn is not None
        pid = lock._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        lock._conn.commit()
        # The server ends the holder's session (a crash, a network cut).
        with pg_engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
        deadline = time.monotonic() + 10
        while not lock_is_free(pg_engine, "run"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not lock.still_held()
    # Leaving the block with a dead connection does not raise.
    assert lock_is_free(pg_engine, "run")
