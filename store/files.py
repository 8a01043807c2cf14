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
    """Files under ``root/ab/cd/<sha256>``; ``put`` returns the name, ``get`` the bytes.

    ``sync`` says when written files are made durable (flushed to the disk with their
    folders):

    - ``"each"`` (default): before ``put`` returns (about 2 ms per new file here);
    - ``"deferred"``: when :meth:`sync_pending` is called, once for a whole batch of
      mails, before the batch's mailbox actions (a process crash loses nothing
      either way: the kernel still holds what was written);
    - ``"off"``: never (tests and benchmarks on throwaway folders).
    """

    def __init__(self, root: Path | str, *, sync: str = "each") -> None:
        if sync not in ("each", "deferred", "off"):
            raise ValueError(f"sync must be each, deferred or off, not {sync!r}")
        self.root = Path(root)
        self.sync = sync
        self._pending_files: list[Path] = []
        self._pending_dirs: dict[Path, None] = {}

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
        try:
            if final.stat().st_size == len(data):
                return sha
        except FileNotFoundError:
            pass
        folder = final.parent
        new_dirs: list[Path] = []
        if not folder.is_dir():
            new_dirs = [p for p in (folder.parent, folder) if not p.is_dir()]
            folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if self.sync == "each":
                    handle.flush()
                    os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o644)
            # rename() replaces atomically: two writers of the same bytes both win.
            os.replace(tmp_name, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        # The rename, and any new folder, are durable once their parent folders are.
        dirs = [folder, *(p.parent for p in new_dirs)]
        if self.sync == "each":
            for directory in dict.fromkeys(dirs):
                _fsync_dir(directory)
        elif self.sync == "deferred":
            self._pending_files.append(final)
            self._pending_dirs.update(dict.fromkeys(dirs))
        return sha

    def sync_pending(self) -> int:
        """Make every file written since the last call durable; return how many."""
        files, self._pending_files = self._pending_files, []
        dirs, self._pending_dirs = self._pending_dirs, {}
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for directory in dirs:
            _fsync_dir(directory)
        return len(files)

    def get(self, sha: str, *, verify: bool = False) -> bytes:
        """The bytes named ``sha``; ``verify`` re-hashes them (for audits)."""
        try:
            data = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise FileStoreError(f"file {sha} is missing from {self.root}") from None
        if verify and sha256_hex(data) != sha:
            raise FileStoreError(f"file {sha} in {self.root} is corrupt")
        return data
