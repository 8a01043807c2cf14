"""What a send returns or raises, shared by the SMTP sender and the file outbox.

A send either returns a :class:`SendResult` (the message was handed over) or raises
one of these, which the outbox turns into a state:

- :class:`TemporaryFailure` — nothing was delivered; retry later with backoff
  (4xx replies, connection refused / reset / timed out before the message data).
  :class:`ConnectionSetupFailure` is the kind that affects every message alike
  (cannot connect, TLS or login refused): retry later, and tell the operator.
- :class:`PermanentFailure` — this message will never be accepted as it is (5xx
  replies, every recipient refused): mark the reply failed and the case.
- :class:`UncertainDelivery` — the connection was lost after the message data was
  handed to the server: it may have been delivered. Never resend it blind; staff
  decide (the outbox's ``uncertain`` state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol


class SendError(Exception):
    """A message that was not (or not surely) handed over."""

    def __init__(self, detail: str, code: int | None = None, stage: str | None = None) -> None:
        self.detail = detail
        self.code = code
        self.stage = stage
        parts = []
        if code is not None:
            parts.append(f"SMTP {code}")
        if stage:
            parts.append(f"at {stage}")
        prefix = " ".join(parts)
        super().__init__(f"{prefix}: {detail}" if prefix else detail)


class TemporaryFailure(SendError):
    """Not delivered; trying again later may work."""


class ConnectionSetupFailure(TemporaryFailure):
    """No usable connection (connect, TLS, login): every message would fail alike."""


class PermanentFailure(SendError):
    """Not delivered, and sending the same message again will not work."""


class UncertainDelivery(SendError):
    """The message data reached the server but its answer did not reach us."""


@dataclass(frozen=True)
class SendResult:
    """A message handed over to the SMTP server or written to the outbox folder."""

    message_id: str | None
    # Envelope recipients the server accepted.
    accepted: tuple[str, ...]
    # Recipients refused while others were accepted: (address, code, reply).
    refused: tuple[tuple[str, int, str], ...] = ()
    # The server's final reply ("250 2.0.0 Ok: queued as ..."), or the file written.
    response: str = ""
    # True when the held connection had dropped and a new one was opened.
    reconnected: bool = False
    # The .eml file written by the file outbox.
    path: Path | None = None


class Sender(Protocol):
    """Anything that sends: :class:`~responders.smtp.SmtpSender`, :class:`~responders.files.FileOutbox`."""

    def send(self, msg: EmailMessage) -> SendResult: ...

    def send_bytes(
        self,
        data: bytes,
        from_addr: str,
        recipients: Sequence[str],
        message_id: str | None = None,
    ) -> SendResult: ...

    def close(self) -> None: ...

    def __enter__(self) -> Sender: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
