"""Mails prepared in worker processes: same results as in the bot's process, crashes contained."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from sqlmodel import select

from intake.config import Config, parse_config
from intake.preparing import (
    CHUNK,
    POOL_THRESHOLD,
    InlinePreparer,
    PoolPreparer,
    Prepared,
    PrepareFailed,
    _work,
)
from intake.service import poll_once
from intake.sources.maildir import deliver
from store import FileStore
from store.models import Case, Receipt
from tests.bot.conftest import Site, maildir_settings

GOLDEN = Path(__file__).parents[1] / "data" / "eml"
CRASH_MARK = b"X-Test-Kill-Worker: yes"


def _crashing_work(raws: list[bytes], role: str) -> list[Prepared | PrepareFailed]:
    """The worker's task, except that a marked mail kills the worker like a segfault would."""
    if any(CRASH_MARK in raw for raw in raws):
        os._exit(139)
    return _work(raws, role)


def _golden(role: str) -> list[bytes]:
    folders = ("problem_report", "deferral_request", "other", "auto_reply", "bounce")
    mails = [p.read_bytes() for folder in folders for p in sorted((GOLDEN / folder).glob("*.eml"))]
    assert len(mails) >= POOL_THRESHOLD, "the golden corpus is too small to use the pool"
    return mails


def _summary(item: Prepared | PrepareFailed) -> tuple[object, ...]:
    assert isinstance(item, Prepared), item
    result = item.result
    return (
        item.sha,
        result.kind,
        result.reply_template,
        result.nuc,
        tuple(map(str, result.reasons)),
    )


def test_workers_give_the_same_results_as_the_bot_process(tmp_path: Path) -> None:
    config = parse_config({})
    mails = _golden("accueil")
    inline = [x for chunk in InlinePreparer(config, FileStore(tmp_path / "a")).chunks(mails, "accueil") for x in chunk]  # fmt: skip
    pool = PoolPreparer(config, FileStore(tmp_path / "b"), workers=2)
    try:
        assert pool.warm(timeout=60), "the workers did not start"
        pooled = [x for chunk in pool.chunks(mails, "accueil") for x in chunk]
    finally:
        pool.close()
    assert [_summary(x) for x in pooled] == [_summary(x) for x in inline]
    # The workers stored every mail's bytes where the bot's process will look for them.
    store = FileStore(tmp_path / "b")
    assert all(store.get(_summary(x)[0]) == x.raw for x in pooled if isinstance(x, Prepared))  # type: ignore[arg-type]


def test_a_mail_that_kills_its_worker_is_failed_alone_and_the_rest_prepared(
    tmp_path: Path,
) -> None:
    config = parse_config({})
    mails = _golden("accueil")[: POOL_THRESHOLD + 10]
    poison = 13
    mails[poison] = CRASH_MARK + b"\r\n" + mails[poison]
    pool = PoolPreparer(config, FileStore(tmp_path), workers=1)
    pool.task = _crashing_work
    try:
        assert pool.warm(timeout=60), "the workers did not start"
        results = [x for chunk in pool.chunks(mails, "accueil") for x in chunk]
        # The pool works again after the crash.
        healthy = [m for i, m in enumerate(mails) if i != poison][:POOL_THRESHOLD]
        again = [x for chunk in pool.chunks(healthy, "accueil") for x in chunk]
    finally:
        pool.close()
    assert len(results) == len(mails)
    failed = [i for i, x in enumerate(results) if isinstance(x, PrepareFailed)]
    assert failed == [poison]
    failure = results[poison]
    assert isinstance(failure, PrepareFailed) and "worker process" in str(failure)
    assert pool.restarts >= 2
    assert all(isinstance(x, Prepared) for x in again)


def test_the_bot_prepares_mails_itself_while_the_workers_start(tmp_path: Path) -> None:
    config = parse_config({})
    mails = _golden("accueil")[:POOL_THRESHOLD]
    pool = PoolPreparer(config, FileStore(tmp_path), workers=1)
    # A task that would kill the worker: the first chunk must not wait for (nor
    # reach) a worker that is still starting.
    pool.task = _crashing_work
    marked = [CRASH_MARK + b"\r\n" + raw for raw in mails]
    try:
        first = next(pool.chunks(marked, "accueil"))
    finally:
        pool.close()
    assert len(first) == CHUNK and all(isinstance(x, Prepared) for x in first)


def test_workers_start_when_a_big_batch_is_announced(tmp_path: Path) -> None:
    """The poller announces the listed mails before fetching: the workers start then."""
    pool = PoolPreparer(parse_config({}), FileStore(tmp_path), workers=1)
    try:
        # A batch that will be prepared in this process starts nothing.
        pool.expect(POOL_THRESHOLD - 1)
        assert pool._starter is None
        pool.expect(POOL_THRESHOLD)
        assert pool._starter is not None
        # Without anyone waiting on them, the workers come up by themselves.
        deadline = time.monotonic() + 60
        while not pool._ready.is_set():
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.02)
    finally:
        pool.close()


def test_a_failing_rule_in_a_worker_comes_back_with_its_traceback(tmp_path: Path) -> None:
    config = parse_config({"classify": {"max_attachment_bytes": 1}})
    pool = PoolPreparer(config, FileStore(tmp_path), workers=1)
    try:
        got = pool.one(b"\x00" * 10, "nobody")
    finally:
        pool.close()
    # Whatever the outcome, it came back from the worker as data, never as a dead pool.
    assert isinstance(got, (Prepared, PrepareFailed))
    if isinstance(got, PrepareFailed):
        assert "Traceback" in got.trace


def test_chunks_are_queued_to_ready_workers_before_the_first_is_asked_for(
    tmp_path: Path,
) -> None:
    """The poller starts batch k+1 before it commits batch k: the workers must have it."""
    config = parse_config({})
    mails = _golden("accueil")[: POOL_THRESHOLD + CHUNK]
    store = FileStore(tmp_path)
    pool = PoolPreparer(config, store, workers=2)
    try:
        assert pool.warm(timeout=60), "the workers did not start"
        chunks = pool.chunks(mails, "accueil")
        # Nothing has been asked of ``chunks`` yet: the workers store every mail anyway.
        shas = [hashlib.sha256(raw).hexdigest() for raw in mails]
        deadline = time.monotonic() + 60
        while not all(store.exists(sha) for sha in shas):
            assert time.monotonic() < deadline, "the chunks were not queued to the workers"
            time.sleep(0.01)
        results = [x for chunk in chunks for x in chunk]
    finally:
        pool.close()
    assert [x.sha for x in results if isinstance(x, Prepared)] == shas


@pytest.mark.parametrize(("workers", "batch_size"), [(0, 100), (1, 100), (2, POOL_THRESHOLD)])
def test_the_bot_files_the_same_cases_with_or_without_workers(
    site: Site, workers: int, batch_size: int
) -> None:
    """Also in batches of the smallest size that goes to the workers, one batch ahead."""
    site.settings["run"] = {"workers": workers}
    for box in site.settings["mailbox"]:
        box["batch_size"] = batch_size
    mails = _golden("accueil")
    for raw in mails:
        deliver(site.maildir("accueil"), raw)
    config: Config = site.config()
    summary = poll_once(config, progress=False)
    box = next(m for m in summary.mailboxes if m.role == "accueil")
    assert box.new == len(mails) and box.errors == 0
    assert box.filed + box.followed_up + box.duplicates == len(mails)
    receipts = site.query(lambda s: s.exec(select(Receipt)).all())
    assert len(receipts) == len(mails) and {r.status for r in receipts} == {"processed"}
    kinds = sorted(site.query(lambda s: [c.kind for c in s.exec(select(Case)).all()]))
    # The same mails give the same cases whichever process prepared them.
    expected = _expected_kinds(site, mails)
    assert kinds == expected


def _expected_kinds(site: Site, mails: list[bytes]) -> list[str]:
    """The kinds the bot files these mails under when everything runs in this process."""
    root = site.root / "reference"
    other = Site(root, {**maildir_settings(root), "run": {"workers": 0}})
    for raw in mails:
        deliver(other.maildir("accueil"), raw)
    poll_once(other.config(), progress=False)
    return sorted(other.query(lambda s: [c.kind for c in s.exec(select(Case)).all()]))
