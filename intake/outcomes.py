"""What the poller hands the pipeline, and what filing one mail gives back.

Plain data shared by the poller, the pipeline and the shunt (so that none of them
imports another only for its types).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from intake.preparing import Prepared, PrepareFailed

# (raw bytes, uidvalidity, uid, source_key) of one fetched mail.
Item = tuple[bytes, int | None, int | None, str | None]


@dataclass(frozen=True)
class Started:
    """A batch handed to the preparer: its items and its chunks, in order, to come."""

    items: list[Item]
    chunks: Iterator[list[Prepared | PrepareFailed]]


@dataclass
class Outcome:
    """What happened to one mail; ``receipt_id`` is set when the mail's action is due."""

    status: str  # filed | followed_up | duplicate | known | error
    receipt_id: int | None = None
    case_ref: str | None = None
    template: str | None = None
    error: str | None = None


@dataclass
class Slip:
    """The receipt of the mail being filed: its id, and the rows it leads to."""

    id: int
    message_pk: int | None = None
    case_id: int | None = None
