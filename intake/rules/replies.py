"""Which reply a classified mail deserves (SPEC §4), then the loop guards.

The decision is a table from kind (and its fields) to a template name. The guards
then veto any reply to robots, mailing lists, no-reply senders, our own addresses and
senders already answered too often in the last 24 hours.
"""

from __future__ import annotations

import re

from intake.classification import DeferralReason, Kind
from intake.config import Config
from parsers.types import InboundMail

ELIGIBLE = (DeferralReason.MEDICAL, DeferralReason.EMPLOYER_REFUSAL)


def reply_template(
    kind: Kind,
    *,
    missing: tuple[str, ...] | None,
    reason: DeferralReason | None,
    justification_present: bool | None,
    spreadsheet_unreadable: bool,
    config: Config,
) -> str | None:
    if kind is Kind.PROBLEM_REPORT:
        return "problem_report_incomplete" if missing else "problem_report_ack"
    if kind is Kind.DEFERRAL_REQUEST:
        if reason in ELIGIBLE:
            return "deferral_received" if justification_present else "deferral_missing_justification"
        return "deferral_ineligible"
    if kind is Kind.SPREADSHEET_RETURN:
        if missing:
            return "spreadsheet_missing_attachment"
        return "spreadsheet_unreadable" if spreadsheet_unreadable else "spreadsheet_receipt"
    if kind is Kind.MYCERTIF_ACCESS:
        return "mycertif_access"
    if kind is Kind.OTHER:
        return "general_ack" if config.replies.general_ack else None
    return None


_LIST_HEADERS = (
    "list-id", "list-unsubscribe", "list-post", "list-help", "mailing-list",
    "x-mlserver", "x-ml-server", "x-ml-name", "x-mailing-list", "x-loop",
)


def reply_blocked(
    mail: InboundMail, config: Config, *, sent_last_24h: int = 0
) -> str | None:
    """Why no reply may go to this mail's sender, or None when one may."""
    sender = mail.sender
    if not sender or "@" not in sender:
        return "no sender address"
    local = sender.split("@", 1)[0]
    for pattern in config.replies.noreply_patterns:
        if re.search(pattern, local, re.IGNORECASE):
            return f"no-reply sender {sender}"
    own = {m.address.lower() for m in config.mailbox}
    if sender in own:
        return f"our own address {sender}"
    for name in _LIST_HEADERS:
        if mail.header(name):
            return f"mailing list ({name})"
    precedence = (mail.header("precedence") or "").strip().lower()
    if precedence in ("list", "bulk", "junk"):
        return f"Precedence: {precedence}"
    auto = (mail.header("auto-submitted") or "no").strip().lower()
    if not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    if sent_last_24h >= config.replies.max_per_sender_per_day:
        return f"already answered {sent_last_24h} times in 24 hours"
    return None
