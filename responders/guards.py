"""Loop guards: the reasons never to answer a mail (SPEC §4), as pure functions.

Each guard returns a short reason (``"guard.name: evidence"``, in the style of the
classification reasons) when the reply must not be sent, or ``None``. They run when
a reply is created and again just before it is sent. Headers are passed as a
sequence of ``(lower-case name, value)`` pairs, the way a parsed mail keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from email.utils import parseaddr

Headers = Sequence[tuple[str, str]]

# The same defaults as ``[replies] noreply_patterns`` in config.example.toml: a
# caller that has no configuration still never answers these.
DEFAULT_NOREPLY_PATTERNS: tuple[str, ...] = (
    "^no[-_.]?reply",
    "^do[-_.]?not[-_.]?reply",
    "^ne[-_.]?pas[-_.]?repondre",
    "^mailer-daemon$",
    "^postmaster$",
    "^bounces?[-+.]",
)

# RFC 2369 and RFC 2919 list headers, plus the older ones some list servers still
# write. Any of them means the mail came through a list: answering would write to
# the list or to its robot.
LIST_HEADERS = frozenset(
    {
        "list-id",
        "list-help",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "list-subscribe",
        "list-post",
        "list-owner",
        "list-archive",
        "x-mailing-list",
        "mailing-list",
        # List servers of the fml/majordomo family.
        "x-mlserver",
        "x-ml-server",
        "x-ml-name",
        "x-loop",
    }
)
BULK_PRECEDENCE = frozenset({"list", "bulk", "junk"})
# X-Auto-Response-Suppress is deliberately not a guard: Exchange writes it on many
# ordinary mails written by people, and blocking on it loses real requests. We only
# write it on our own replies.


_PLAIN_ADDRESS = re.compile(r"[^\s<>()\",;:@]+@[^\s<>()\",;:@]+")


def _bare(address: str) -> str:
    """The lower-cased address without display name, angle brackets or spaces."""
    # Most callers pass an address already bare: the full RFC 5322 parse (about
    # 0.1 ms) is kept for the ones with a display name or brackets.
    if _PLAIN_ADDRESS.fullmatch(address or ""):
        return address.lower()
    _, addr = parseaddr(address or "")
    return (addr or address or "").strip().strip("<>").lower()


def _values(headers: Headers, name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def _token(value: str) -> str:
    """The first token of a structured header value, without comments or parameters."""
    value = re.sub(r"\([^)]*\)", " ", value or "")
    return value.split(";", 1)[0].strip().lower()


def robot_sender(
    address: str, noreply_patterns: Iterable[str] = DEFAULT_NOREPLY_PATTERNS
) -> str | None:
    """A sender that is a robot by its address (noreply, mailer-daemon, postmaster...)."""
    addr = _bare(address)
    if not addr or "@" not in addr:
        # The null reverse-path "<>" or no usable address: only robots send those.
        return f"guard.robot_sender: no usable sender address ({address!r})"
    local = addr.rsplit("@", 1)[0]
    for pattern in noreply_patterns:
        if re.search(pattern, local, re.IGNORECASE):
            return f"guard.robot_sender: {addr} matches {pattern!r}"
    return None


def mailing_list(headers: Headers) -> str | None:
    """A mail that came through a mailing list or is bulk mail."""
    for key, _ in headers:
        if key.lower() in LIST_HEADERS:
            return f"guard.mailing_list: {key.lower()} header"
    for value in _values(headers, "precedence"):
        if _token(value) in BULK_PRECEDENCE:
            return f"guard.mailing_list: precedence {_token(value)}"
    return None


def auto_submitted(headers: Headers) -> str | None:
    """A mail that says it was sent by a robot (RFC 3834: anything but "no")."""
    for value in _values(headers, "auto-submitted"):
        token = _token(value)
        if token and token != "no":
            return f"guard.auto_submitted: {token}"
    return None


def over_limit(count_last_24h: int, limit: int) -> str | None:
    """A sender already answered ``limit`` times in the last 24 hours gets no more.

    ``limit`` is ``[replies] max_per_sender_per_day``; 0 means never answer.
    """
    if count_last_24h >= limit:
        return f"guard.over_limit: {count_last_24h} replies in 24 h (limit {limit})"
    return None


def _canonical(address: str) -> str:
    """``local+tag@domain`` and ``local@domain`` are the same mailbox."""
    addr = _bare(address)
    local, _, domain = addr.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else addr


def own_address(sender: str, own_addresses: Iterable[str]) -> str | None:
    """A mail from one of our own inboxes: answering it would talk to ourselves."""
    canonical = _canonical(sender)
    for own in own_addresses:
        if canonical and canonical == _canonical(own):
            return f"guard.own_address: {_bare(sender)}"
    return None


def first_block(
    sender: str,
    headers: Headers,
    *,
    own_addresses: Iterable[str],
    noreply_patterns: Iterable[str] = DEFAULT_NOREPLY_PATTERNS,
    count_last_24h: int = 0,
    limit: int | None = None,
) -> str | None:
    """The first guard that blocks the reply, or None when it may be sent.

    The order goes from the cheapest and surest to the per-sender limit, so that the
    reason staff see is the most telling one. ``limit=None`` skips the limit (the
    dry run has no history to count).
    """
    checks = (
        lambda: own_address(sender, own_addresses),
        lambda: robot_sender(sender, noreply_patterns),
        lambda: auto_submitted(headers),
        lambda: mailing_list(headers),
        lambda: over_limit(count_last_24h, limit) if limit is not None else None,
    )
    for check in checks:
        reason = check()
        if reason is not None:
            return reason
    return None
