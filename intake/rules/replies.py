"""Which reply a classified mail deserves (SPEC §4), then the loop guards.

The decision is a table from kind (and its fields) to a template name. The guards
then veto any reply to robots, mailing lists, no-reply senders, our own addresses and
senders already answered too often in the last 24 hours.
"""

from __future__ import annotations

from intake.classification import DeferralReason, Kind
from intake.config import Config
from parsers.types import InboundMail
from responders import guards

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
            return (
                "deferral_received" if justification_present else "deferral_missing_justification"
            )
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


def reply_blocked(
    mail: InboundMail, config: Config, *, sent_last_24h: int | None = None
) -> str | None:
    """Why no reply may go to this mail's sender, or None when one may.

    ``sent_last_24h`` is None in the dry run, which has no history to count.
    """
    if not mail.sender or "@" not in mail.sender:
        return "no sender address"
    return guards.first_block(
        mail.sender,
        mail.headers,
        own_addresses=[m.address for m in config.mailbox],
        noreply_patterns=config.replies.noreply_patterns,
        count_last_24h=sent_last_24h or 0,
        limit=None if sent_last_24h is None else config.replies.max_per_sender_per_day,
    )
