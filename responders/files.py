"""The file outbox: replies written as ``.eml`` files instead of being sent.

It is the demo's default and the choice of a site without SMTP: ``FileOutbox(dir)``
has the same ``send(msg)`` and ``send_bytes(data, from_addr, recipients)`` as the
SMTP sender, both returning a ``SendResult``. Each reply becomes
``<UTC timestamp>-<hash of its Message-ID>.eml``, written atomically (a hidden temp
file in the same folder, fsync, rename, fsync of the folder) so that a reader or a
crash never sees half a mail.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType

from responders.sending import SendResult, TemporaryFailure
from responders.smtp import envelope


class FileOutbox:
    """Write each message to ``directory`` as a ``.eml`` file."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def __enter__(self) -> FileOutbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing is held open; present so that both senders are used alike."""

    @staticmethod
    def filename(message_id: str | None, data: bytes, now: datetime | None = None) -> str:
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
        key = (message_id or "").encode("utf-8") or data
        return f"{stamp}-{hashlib.sha256(key).hexdigest()[:16]}.eml"

    def send(self, msg: EmailMessage) -> SendResult:
        """Write ``msg``; a disk error is a TemporaryFailure (the disk may free up)."""
        _, recipients = envelope(msg)
        return self.send_bytes(msg.as_bytes(), "", recipients, msg.get("Message-ID"))

    def send_bytes(
        self,
        data: bytes,
        from_addr: str,
        recipients: Sequence[str],
        message_id: str | None = None,
    ) -> SendResult:
        """Write ``data`` as it is (``build_bytes`` output); same contract as SMTP."""
        name = self.filename(message_id, data)
        path = self.directory / name
        temp = self.directory / f".{name}.tmp"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, path)
            # The rename itself is durable only once the folder is synced.
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            raise TemporaryFailure(f"cannot write {path}: {exc}", stage="file") from exc
        return SendResult(
            message_id=message_id,
            accepted=tuple(recipients),
            response=str(path),
            path=path,
        )
