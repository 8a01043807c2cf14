"""The bot's file store: ``store.FileStore`` made durable once per batch with ``syncfs``.

The pipeline writes every raw mail and attachment of a batch, then calls
:meth:`BatchFileStore.sync_pending` once, before the transactions that name those
files commit. One ``syncfs(2)`` on the store's file system replaces an ``fsync`` per
file and per folder (about 0.04 ms per mail instead of 0.5 to 1 ms here). Where
``syncfs`` is missing (not Linux), ``os.sync`` does the same for every file system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

from store import FileStore

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_syncfs = getattr(_libc, "syncfs", None)


class BatchFileStore(FileStore):
    """Writes without flushing; :meth:`sync_pending` makes everything written durable."""

    def __init__(self, root: Path | str) -> None:
        super().__init__(root, sync="off")
        self._dirty = False

    def put(self, data: bytes) -> str:
        sha = super().put(data)
        self._dirty = True
        return sha

    def sync_pending(self) -> int:
        """Flush the store's file system if anything was written since the last call."""
        if not self._dirty:
            return 0
        self.root.mkdir(parents=True, exist_ok=True)
        if _syncfs is None:
            os.sync()
        else:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            try:
                if _syncfs(fd) != 0:
                    errno = ctypes.get_errno()
                    raise OSError(errno, f"syncfs({self.root}) failed: {os.strerror(errno)}")
            finally:
                os.close(fd)
        self._dirty = False
        return 1
