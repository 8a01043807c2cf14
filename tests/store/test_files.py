"""The content-addressed file store: names, idempotence, atomic writes."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from store.files import FileStore, FileStoreError


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_names_by_sha256_under_two_levels(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    data = b"From: a@b.fr\r\n\r\nbonjour\r\n"
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.path(sha) == tmp_path / "files" / sha[:2] / sha[2:4] / sha
    assert store.exists(sha)
    assert store.get(sha) == data
    assert store.get(sha, verify=True) == data


def test_put_is_idempotent(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    sha = store.put(b"same bytes")
    inode = store.path(sha).stat().st_ino
    assert store.put(b"same bytes") == sha
    assert store.path(sha).stat().st_ino == inode
    assert _all_files(tmp_path) == [store.path(sha)]


def test_empty_and_large_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    big = os.urandom(3 * 1024 * 1024)
    assert store.get(store.put(b"")) == b""
    assert store.get(store.put(big)) == big


def test_bad_names_and_missing_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
    with pytest.raises(ValueError):
        store.path("A" * 64)
    missing = "0" * 64
    assert not store.exists(missing)
    with pytest.raises(FileStoreError, match="missing"):
        store.get(missing)


def test_verify_detects_a_corrupt_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    sha = store.put(b"original")
    store.path(sha).write_bytes(b"tampered")
    assert store.get(sha) == b"tampered"
    with pytest.raises(FileStoreError, match="corrupt"):
        store.get(sha, verify=True)


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path)

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"never stored")
    monkeypatch.undo()
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(sha)
    # No temporary file is left either.
    assert _all_files(tmp_path) == []


def test_a_truncated_leftover_is_replaced(tmp_path: Path) -> None:
    # A file under the final name with the wrong size (written by something else
    # than put()) is not trusted as already stored.
    store = FileStore(tmp_path)
    data = b"complete content"
    sha = hashlib.sha256(data).hexdigest()
    store.path(sha).parent.mkdir(parents=True)
    store.path(sha).write_bytes(data[:5])
    assert store.put(data) == sha
    assert store.get(sha, verify=True) == data


def test_concurrent_writers_of_the_same_bytes(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    data = os.urandom(256 * 1024)
    results: list[str] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(20):
                results.append(store.put(data))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(results) == {hashlib.sha256(data).hexdigest()}
    assert len(_all_files(tmp_path)) == 1
    assert store.get(results[0], verify=True) == data


def _count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_each_put_is_flushed_with_its_new_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_fsyncs(monkeypatch)
    store = FileStore(tmp_path)
    sha = store.put(b"first")
    # The file, its folder cd/, ab/ (which gained cd/) and the root (which gained ab/).
    assert len(calls) == 4
    calls.clear()
    assert store.put(b"first") == sha
    assert calls == []  # already stored: nothing written


def test_deferred_sync_flushes_a_batch_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_fsyncs(monkeypatch)
    store = FileStore(tmp_path, sync="deferred")
    shas = [store.put(f"mail {n}".encode()) for n in range(5)]
    assert calls == []
    assert all(store.get(sha) == f"mail {n}".encode() for n, sha in enumerate(shas))
    assert store.sync_pending() == 5
    # Five files plus every folder touched, each once.
    folders = {store.path(s).parent for s in shas} | {store.path(s).parent.parent for s in shas}
    assert len(calls) == 5 + len(folders) + 1
    calls.clear()
    assert store.sync_pending() == 0
    assert calls == []


def test_sync_off_and_bad_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_fsyncs(monkeypatch)
    store = FileStore(tmp_path, sync="off")
    store.put(b"x")
    assert calls == [] and store.sync_pending() == 0
    with pytest.raises(ValueError, match="sync"):
        FileStore(tmp_path, sync="sometimes")
