"""A test hook: kill the process at a named point of the pipeline (crash tests only).

``INTAKE_TEST_CRASH_AT=POINT`` (or ``POINT:N`` for the N-th time the point is
reached) makes the process end at once with ``os._exit(137)``, as a SIGKILL
would, without flushing or cleaning anything. The points, in the order a mail goes
through them:

- ``fetched``: a batch was fetched from the source, nothing is stored yet;
- ``case_stored``: the case, message and reply rows are written but not committed;
- ``committed``: the mail's transaction is committed, its mailbox action not done;
- ``action_done``: the mailbox action is done but not yet recorded;
- ``claimed``: a reply was moved to ``sending`` and committed, not yet sent;
- ``sent``: the reply was handed to SMTP (or written), not yet marked sent.

Unset (always, outside the crash tests), :func:`crash_point` costs one dict lookup.
"""

from __future__ import annotations

import os
import sys

ENV = "INTAKE_TEST_CRASH_AT"
POINTS = ("fetched", "case_stored", "committed", "action_done", "claimed", "sent")

_counts: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    value = os.environ.get(ENV)
    if not value:
        return None
    name, _, nth = value.partition(":")
    return name.strip(), int(nth) if nth.strip().isdigit() else 1


def crash_point(name: str) -> None:
    """End the process here when ``INTAKE_TEST_CRASH_AT`` names this point."""
    target = _target()
    if target is None or target[0] != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= target[1]:
        sys.stderr.write(f"intake: test crash at {name} ({ENV})\n")
        sys.stderr.flush()
        os._exit(137)
