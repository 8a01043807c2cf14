"""Where mails come from: a local Maildir or an IMAP folder, behind one small interface.

A source lists the mails it holds, hands over their raw bytes in batches, and
applies the after-processing action (``move:FOLDER``, ``flag``, ``seen``) to mails
that are filed. It never decides what was already received: the poller asks the
store (receipts) and passes a ``known`` filter. Mails are named by a *ref*: the
UID for IMAP (under the folder's UIDVALIDITY), the Maildir key for a Maildir.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from intake.config import Config, MailboxConfig

# A mail's name in its source: an IMAP UID or a Maildir key.
Ref = int | str


@dataclass(frozen=True)
class Fetched:
    """One mail as the source gave it."""

    ref: Ref
    raw: bytes

    @property
    def uid(self) -> int | None:
        return self.ref if isinstance(self.ref, int) else None

    @property
    def source_key(self) -> str | None:
        return self.ref if isinstance(self.ref, str) else None


class SourceError(Exception):
    """The source cannot be reached or read right now (the poll is retried later)."""


class Source(Protocol):
    """What the poller needs of a mailbox."""

    # MailboxConfig.key: the mailbox's name in the store.
    key: str

    def open(self) -> None: ...

    def close(self) -> None: ...

    def uidvalidity(self) -> int | None:
        """The folder's UIDVALIDITY (None for sources without UIDs)."""
        ...

    def pending(self, known: Callable[[Sequence[Ref]], set[Ref]]) -> list[Ref]:
        """Refs of the mails in the folder that ``known`` does not already know, in order."""
        ...

    def fetch(self, refs: Sequence[Ref]) -> Iterator[Fetched]:
        """The raw bytes of ``refs`` (never marking them seen); gone mails are skipped."""
        ...

    def apply(self, action: str, refs: Iterable[Ref]) -> list[Ref]:
        """Apply the after action to ``refs``; return those done (or already gone)."""
        ...


def open_source(mailbox: MailboxConfig, config: Config) -> Source:
    """The source of a configured mailbox (not yet opened)."""
    if mailbox.maildir is not None:
        from intake.sources.maildir import MaildirSource

        return MaildirSource(config.resolve(mailbox.maildir), key=mailbox.key)
    from intake.sources.imap import ImapSource

    return ImapSource(mailbox)
