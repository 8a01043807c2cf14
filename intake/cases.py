"""Cases: which case a mail joins (SPEC §7), a new case's status, and how a follow-up moves it.

Threading, in order (DESIGN §6): a Message-ID of ours or of the case's own mails in
``In-Reply-To``/``References``; then a case reference in the subject, accepted only
when the sender's address or NUC matches the case (a stranger quoting a reference
does not join someone else's case); otherwise a new case.

Statuses of a new case: ``awaiting_sender`` when we asked for something (missing
items, justification, spreadsheet), ``to_review`` when staff must decide (deferrals,
judged spreadsheets, errors), ``resolved`` when nothing is left to do (robots,
myCertif questions sent elsewhere), ``new`` otherwise. A follow-up that brings what
was missing moves the case on and gets the matching reply; one that brings nothing
the bot can act on gets no automatic reply and goes to staff.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from intake.classification import Classification, DeferralReason, Kind
from intake.config import Config
from intake.rules.topics import REQUIRED_DOCUMENT
from intake.spreadsheet import SheetResult
from parsers.types import InboundMail
from store import OPEN_STATUSES, Case, CaseStatus, allocate_ref
from store.queries import case_by_ref, find_case_by_message_ids, thread_ids

ERROR_KIND = "error"


@dataclass
class Decision:
    """What a mail does to its case: the reply to queue and the status to set."""

    template: str | None
    status: str
    why: str
    # Context overrides for the template (a follow-up answers in the case's terms).
    reason: str | None = None
    topic: str | None = None
    missing: list[str] | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=8)
def _ref_pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])((?:{alternatives})-\d{{4}}-\d{{6}})(?![\w-])", re.IGNORECASE)


def refs_in_subject(subject: str, config: Config) -> list[str]:
    """Case references quoted in a subject, in order (``UP-2025-000123``)."""
    pattern = _ref_pattern(tuple(config.replies.ref_prefix.values()))
    return list(dict.fromkeys(m.upper() for m in pattern.findall(subject[:1000])))


def find_case(
    session: Session, mail: InboundMail, result: Classification, config: Config
) -> tuple[Case | None, str | None]:
    """The case this mail continues, and by which evidence (None for a new conversation)."""
    ids = thread_ids(mail.in_reply_to, mail.references)
    if ids:
        case = find_case_by_message_ids(session, ids)
        if case is not None:
            return case, "thread.message_id"
    for ref in refs_in_subject(mail.subject, config):
        case = case_by_ref(session, ref)
        if case is None:
            continue
        if mail.sender and case.sender_email == mail.sender:
            return case, f"thread.subject_ref: {ref} (same sender)"
        if result.nuc and case.nuc == result.nuc:
            return case, f"thread.subject_ref: {ref} (same NUC)"
    return None, None


def classification_fields(mail: InboundMail, result: Classification) -> dict[str, Any]:
    """What a case keeps of a classification besides its columns."""
    extracted = result.extracted
    data: dict[str, Any] = {
        "missing": list(result.missing) if result.missing is not None else None,
        "justification_present": result.justification_present,
        "asks_refund": result.asks_refund,
        "spreadsheet": result.spreadsheet.to_json() if result.spreadsheet else None,
        "failed_recipient": result.failed_recipient,
        "extracted": {
            "name": extracted.name,
            "phone": extracted.phone,
            "postal_address": extracted.postal_address,
            "exam_references": list(extracted.exam_references),
        },
    }
    if result.reply_blocked:
        data["reply_blocked"] = result.reply_blocked
    if mail.problems:
        data["problems"] = list(mail.problems)[:20]
    return {k: v for k, v in data.items() if v is not None}


def initial_status(result: Classification) -> str:
    kind = result.kind
    missing = bool(result.missing)
    if kind in (Kind.AUTO_REPLY, Kind.BOUNCE, Kind.MYCERTIF_ACCESS):
        return CaseStatus.RESOLVED
    if kind is Kind.PROBLEM_REPORT:
        return CaseStatus.AWAITING_SENDER if missing else CaseStatus.NEW
    if kind is Kind.DEFERRAL_REQUEST:
        return CaseStatus.AWAITING_SENDER if missing else CaseStatus.TO_REVIEW
    if kind is Kind.SPREADSHEET_RETURN:
        unreadable = result.spreadsheet is not None and result.spreadsheet.error is not None
        return CaseStatus.AWAITING_SENDER if missing or unreadable else CaseStatus.TO_REVIEW
    return CaseStatus.NEW


def new_case(
    session: Session,
    mail: InboundMail | None,
    result: Classification | None,
    *,
    role: str,
    address: str,
    config: Config,
    now: datetime,
) -> Case:
    """A new case with its readable reference (allocated last: it locks the counter)."""
    prefix = config.replies.ref_prefix.get(role, role[:2].upper())  # type: ignore[call-overload]
    status: str
    if result is None:
        kind, status, fields, reasons = ERROR_KIND, CaseStatus.TO_REVIEW.value, {}, []
    else:
        kind, status = result.kind.value, initial_status(result)
        fields = classification_fields(mail, result) if mail is not None else {}
        reasons = [str(r) for r in result.reasons]
    case = Case(
        ref="",
        role=role,
        mailbox=address,
        kind=kind,
        status=status,
        topic=result.topic.value if result and result.topic else None,
        reason=result.reason.value if result and result.reason else None,
        nuc=result.nuc if result else None,
        sender_email=(mail.sender or None) if mail else None,
        sender_name=name_of(mail, result),
        subject=mail.subject[:1000] if mail else None,
        fields=fields,
        reasons=reasons,
        created_at=now,
        updated_at=now,
        waiting_since=now if status in OPEN_STATUSES else None,
    )
    case.ref = allocate_ref(session, prefix, now.year)
    session.add(case)
    session.flush()
    return case


def name_of(mail: InboundMail | None, result: Classification | None) -> str | None:
    if result is not None and result.extracted.name:
        return result.extracted.name
    if mail is not None and mail.from_ is not None and mail.from_.name:
        return mail.from_.name.strip()[:200] or None
    return None


def set_fields(case: Case, **values: Any) -> None:
    """Update ``case.fields`` by assignment, which every ORM path saves."""
    case.fields = {**(case.fields or {}), **values}


def set_status(case: Case, status: str, now: datetime) -> None:
    """Change the status; a case that starts waiting for someone waits from now."""
    if status == case.status:
        return
    case.status = status
    case.waiting_since = now if status in OPEN_STATUSES else None


def follow_up(case: Case, result: Classification, sheets: Sequence[SheetResult]) -> Decision:
    """How a human's follow-up mail moves its case (robots are handled by the pipeline)."""
    fields = case.fields or {}
    missing = list(fields.get("missing") or [])
    if sheets and Kind.SPREADSHEET_RETURN in (case.kind, result.kind):
        unreadable = all(s.judgement.summary.error for s in sheets)
        return Decision(
            template="spreadsheet_unreadable" if unreadable else "spreadsheet_receipt",
            status=CaseStatus.AWAITING_SENDER if unreadable else CaseStatus.TO_REVIEW,
            why="follow_up.spreadsheet",
            fields={
                "missing": [],
                "spreadsheet": result.spreadsheet.to_json() if result.spreadsheet else None,
            },
        )
    if case.kind == Kind.DEFERRAL_REQUEST and "justification" in missing and case.reason:
        required = REQUIRED_DOCUMENT.get(DeferralReason(case.reason))
        found = [d for d in result.documents if required is not None and d.doc_type is required]
        if found:
            return Decision(
                template="deferral_received",
                status=CaseStatus.TO_REVIEW,
                why=f"follow_up.justification: {found[0].filename}",
                reason=case.reason,
                fields={"missing": [], "justification_present": True},
            )
    if case.kind == Kind.PROBLEM_REPORT and missing:
        extracted = result.extracted
        given = {
            "name": extracted.name,
            "phone": extracted.phone,
            "postal_address": extracted.postal_address,
            "exam_reference": extracted.exam_references,
        }
        still = [item for item in missing if not given.get(item)]
        if len(still) < len(missing):
            return Decision(
                template="problem_report_incomplete" if still else "problem_report_ack",
                status=CaseStatus.AWAITING_SENDER if still else CaseStatus.NEW,
                why=f"follow_up.missing: {', '.join(m for m in missing if m not in still)}",
                topic=case.topic or "other",
                missing=still,
                fields={"missing": still},
            )
    # Nothing the bot can act on: a person must read it (no automatic answer, which
    # also keeps a conversation with a person from turning into a loop).
    status = case.status if case.status in (CaseStatus.NEW, CaseStatus.TO_REVIEW) else None
    return Decision(template=None, status=status or CaseStatus.TO_REVIEW, why="follow_up.to_staff")


def refill(case: Case, mail: InboundMail, result: Classification) -> None:
    """An error case whose retry worked becomes the case the mail should have made."""
    case.kind = result.kind.value
    case.status = initial_status(result)
    case.topic = result.topic.value if result.topic else None
    case.reason = result.reason.value if result.reason else None
    case.nuc = result.nuc
    case.fields = classification_fields(mail, result)
    case.reasons = [str(r) for r in result.reasons]
    case.error = None


def follow(
    case: Case, result: Classification, sheets: Sequence[SheetResult], now: datetime
) -> Decision:
    """Apply a follow-up to its case: fields, status; the reply decision."""
    if result.kind in (Kind.AUTO_REPLY, Kind.BOUNCE):
        # Robots never change what a case waits for (a bounce was marked already).
        return Decision(None, case.status, f"follow_up.{result.kind.value}")
    decision = follow_up(case, result, sheets)
    if case.kind == Kind.OTHER and result.kind is Kind.SPREADSHEET_RETURN and sheets:
        case.kind = Kind.SPREADSHEET_RETURN.value
    set_fields(case, **{k: v for k, v in decision.fields.items() if v is not None})
    if not case.nuc and result.nuc:
        case.nuc = result.nuc
    case.reasons = [*case.reasons, decision.why][-50:]
    set_status(case, decision.status, now)
    return decision


def bounce(
    session: Session, mail: InboundMail, result: Classification, config: Config
) -> Case | None:
    """Mark our reply that bounced; the case of that reply (None when not ours)."""
    from intake.rows import bounced_ids
    from store import mark_bounced
    from store.pipeline_writes import insert_audit
    from store.queries import reply_by_message_id
    from store.types import utcnow

    for message_id in bounced_ids(mail, config):
        reply = reply_by_message_id(session, message_id)
        if reply is None:
            continue
        mark_bounced(session, reply.message_id, detail=f"bounce: {result.failed_recipient}")
        case = session.get(Case, reply.case_id)
        if case is not None:
            delivery = {
                "reply": reply.message_id,
                "recipient": result.failed_recipient or reply.to_addr,
            }
            set_fields(case, delivery_failed=delivery)
            set_status(case, CaseStatus.TO_REVIEW, utcnow())
            insert_audit(
                session,
                {"case_id": case.id, "action": "reply.bounced", "detail": {"reply": reply.id}},
            )
        return case
    return None
