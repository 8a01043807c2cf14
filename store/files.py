"""Content-addressed file store: raw mails and attachments, kept by their SHA-256.

A file is written to a temporary name in its final folder, flushed to disk, renamed
into place and the folder flushed too, so that after a crash a name either holds the
complete bytes or does not exist. Storing the same bytes twice is a no-op. Files
are written before the database transaction that names them commits (DESIGN §3): a
crash in between leaves an unreferenced file, never a row without its file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")


class FileStoreError(Exception):
    """A file the store should hold is missing, or its bytes do not match its name."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    """Files under ``root/ab/cd/<sha256>``; ``put`` returns the name, ``get`` the bytes."""

    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root)
        # fsync=False is for tests and benchmarks on throwaway folders only.
        self.fsync = fsync

    def path(self, sha: str) -> Path:
        """Where the file named ``sha`` lives (whether or not it exists)."""
        if not _SHA256.fullmatch(sha):
            raise ValueError(f"not a lower-case SHA-256 hex digest: {sha!r}")
        return self.root / sha[:2] / sha[2:4] / sha

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent); return its SHA-256."""
        sha = sha256_hex(data)
        final = self.path(sha)
        if final.is_file() and final.stat().st_size == len(data):
            return sha
        folder = final.parent
        created = not folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o644)
            # rename() replaces atomically: two writers of the same bytes both win.
            os.replace(tmp_name, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        if self.fsync:
            _fsync_dir(folder)
            if created:
                # New folders must themselves be recorded in their parents.
                _fsync_dir(folder.parent)
                _fsync_dir(folder.parent.parent)
        return sha

    def get(self, sha: str, *, verify: bool = False) -> bytes:
        """The bytes named ``sha``; ``verify`` re-hashes them (for audits)."""
        try:
            data = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise FileStoreError(f"file {sha} is missing from {self.root}") from None
        if verify and sha256_hex(data) != sha:
            raise FileStoreError(f"file {sha} in {self.root} is corrupt")
        return data
