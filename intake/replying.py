"""Turn a reply decision into an outbox row: template context, rendering, the mail's bytes.

:func:`plan_reply` picks the template (the mail's own, SPEC §4, or what its
follow-up decided in ``intake.cases``); this module fills its context contract
(``responders.render.CONTRACTS``), renders it, threads it under the sender's mail
with a new Message-ID, and :func:`queue_reply` stores it as a ``store.Reply`` in
state ``pending`` that holds the exact bytes to send, so that a retry sends the
same mail. The per-sender limit is checked here, against the store, inside the
mail's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlmodel import Session

from intake.classification import Classification
from intake.config import Config, MailboxConfig
from intake.spreadsheet import SheetResult
from parsers.types import InboundMail
from responders import guards
from responders.message import Reply as OutgoingReply
from responders.message import build_bytes, subject_with_ref
from responders.render import render
from store import Reply, ReplyState
from store.pipeline_queries import recent_reply_count
from store.pipeline_writes import insert_reply

if TYPE_CHECKING:
    from intake.cases import Decision

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ReplyPlan:
    """The reply a mail should get, before the limit check."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


def reply_address(mail: InboundMail) -> str:
    """Where the reply goes: the first Reply-To address, else the sender."""
    for address in mail.reply_to:
        if address.address and "@" in address.address:
            return address.address.lower()
    return mail.sender


def sender_name(case: CaseLike, mail: InboundMail, result: Classification) -> str | None:
    """The name to greet: never for organisations (a service writes, not a person)."""
    if case.role == "certification":
        return None
    name = result.extracted.name or case.sender_name
    if not name and mail.from_ is not None and mail.from_.name:
        name = mail.from_.name.strip().strip('"')
    if name and "@" in name:
        return None
    return name or None


def plan_for(
    template: str,
    result: Classification,
    config: Config,
    *,
    reason: str | None = None,
    missing: Sequence[str] | None = None,
    topic: str | None = None,
    sheets: Sequence[SheetResult] = (),
) -> ReplyPlan:
    """The template's own context (beyond the common keys) from a classification."""
    plan = ReplyPlan(template)
    ctx = plan.context
    if template in ("problem_report_ack", "problem_report_incomplete"):
        ctx["topic"] = topic or (result.topic.value if result.topic else "other")
        if template == "problem_report_incomplete":
            ctx["missing"] = list(missing if missing is not None else result.missing or ())
            ctx["exams"] = [{"code": e.code, "label": e.label} for e in config.exam]
    elif template.startswith("deferral_"):
        ctx["reason"] = reason or (result.reason.value if result.reason else "unspecified")
        ctx["asks_refund"] = bool(result.asks_refund)
    elif template == "spreadsheet_receipt":
        _receipt_context(plan, result, sheets)
    elif template == "spreadsheet_unreadable":
        first = sheets[0] if sheets else None
        ctx["filename"] = first.filename if first else None
        ctx["error"] = first.judgement.summary.error if first else None
    elif template == "mycertif_access":
        ctx["mycertif_address"] = config.replies.mycertif_address
    return plan


def _receipt_context(
    plan: ReplyPlan, result: Classification, sheets: Sequence[SheetResult]
) -> None:
    from responders.annotate import annotated_filename, receipt_rows

    readable = [s for s in sheets if not s.judgement.summary.error]
    rows: list[dict[str, Any]] = []
    for sheet in readable:
        rows.extend(receipt_rows(sheet.judgement))
    summary = result.spreadsheet.to_json() if result.spreadsheet else _sum(readable)
    plan.context.update(
        summary=summary,
        rejected_rows=rows,
        filename=readable[0].filename if readable else None,
        annotated_filename=None,
    )
    for sheet in readable:
        if sheet.annotated is not None:
            name = annotated_filename(sheet.filename)
            plan.attachments.append((name, XLSX, sheet.annotated))
            if plan.context["annotated_filename"] is None:
                plan.context["annotated_filename"] = name


def _sum(sheets: Sequence[SheetResult]) -> dict[str, int]:
    total = {"rows": 0, "accepted": 0, "late": 0, "invalid": 0, "redoublant": 0}
    for sheet in sheets:
        for key, value in sheet.judgement.summary.to_json().items():
            if key in total:
                total[key] += value
    return total


def limit_block(session: Session, to_addr: str, config: Config) -> str | None:
    """The per-sender guard, counted in the store (pending replies count too)."""
    count = recent_reply_count(session, to_addr, window=timedelta(hours=24))
    return guards.over_limit(count, config.replies.max_per_sender_per_day)


class CaseLike(Protocol):
    """What a reply reads of its case: a ``store.Case`` or the pipeline's new-case view."""

    id: int | None
    ref: str
    role: str
    nuc: str | None
    sender_name: str | None


def reply_values(
    plan: ReplyPlan,
    *,
    case: CaseLike,
    mail: InboundMail,
    result: Classification,
    mailbox: MailboxConfig,
    config: Config,
    in_reply_to_pk: int | None,
) -> dict[str, Any]:
    """The outbox row (state ``pending``) holding the rendered, threaded mail."""
    context = {
        "case_ref": case.ref,
        "role": case.role,
        "sender_name": sender_name(case, mail, result),
        "nuc": case.nuc,
        **plan.context,
    }
    templates_dir = config.replies.templates_dir
    rendered = render(
        plan.template, context, config.resolve(templates_dir) if templates_dir else None
    )
    to_addr = reply_address(mail)
    outgoing = OutgoingReply.create(
        plan.template,
        rendered,
        to=to_addr,
        from_addr=mailbox.address,
        case_ref=case.ref,
        their_message_id=mail.message_id,
        their_references=mail.references,
        attachments=plan.attachments,
    )
    raw = build_bytes(outgoing)
    assert case.id is not None
    return {
        "case_id": case.id,
        "message_id": outgoing.message_id,
        "in_reply_to_id": in_reply_to_pk,
        "template": plan.template,
        "from_addr": mailbox.address,
        "to_addr": to_addr,
        "subject": subject_with_ref(outgoing.subject, case.ref),
        "body": outgoing.body,
        # build_bytes writes 7-bit text (UTF-8 only for non-ASCII addresses).
        "raw": raw.decode("utf-8", "surrogateescape"),
        "state": ReplyState.PENDING.value,
    }


def make_reply(
    plan: ReplyPlan,
    *,
    case: CaseLike,
    mail: InboundMail,
    result: Classification,
    mailbox: MailboxConfig,
    config: Config,
    in_reply_to_pk: int | None,
) -> Reply:
    """:func:`reply_values` as an outbox row object (staff actions build one to preview)."""
    return Reply(
        **reply_values(
            plan,
            case=case,
            mail=mail,
            result=result,
            mailbox=mailbox,
            config=config,
            in_reply_to_pk=in_reply_to_pk,
        )
    )


def presend_block(to_addr: str, config: Config, bounced_before: bool) -> str | None:
    """The guards again, just before sending (the address may have bounced since)."""
    if bounced_before:
        return f"guard.bounced: an earlier reply to {to_addr} bounced"
    # The guards take the address as stored, bare or with a display name.
    return guards.own_address(to_addr, [m.address for m in config.mailbox]) or (
        guards.robot_sender(to_addr, config.replies.noreply_patterns)
    )


def plan_reply(
    config: Config,
    result: Classification,
    sheets: Sequence[SheetResult],
    decision: Decision | None,
) -> ReplyPlan | None:
    """The reply a mail deserves: its own template, or what its follow-up decided."""
    if decision is None:
        template = result.reply_template
        return plan_for(template, result, config, sheets=sheets) if template else None
    if decision.template is None or result.reply_blocked:
        return None
    return plan_for(
        decision.template, result, config,
        reason=decision.reason, missing=decision.missing,
        topic=decision.topic, sheets=sheets,
    )  # fmt: skip


def queue_reply(
    session: Session,
    config: Config,
    plan: ReplyPlan,
    case: CaseLike,
    message_pk: int,
    mail: InboundMail,
    result: Classification,
    mailbox: MailboxConfig,
) -> str:
    """The reply row in state ``pending`` (the per-sender limit was checked); its template."""
    values = reply_values(
        plan, case=case, mail=mail, result=result, mailbox=mailbox,
        config=config, in_reply_to_pk=message_pk,
    )  # fmt: skip
    insert_reply(session, values)
    return plan.template


@dataclass
class NewCase:
    """What the reply of a new case reads of it, before and after its row exists."""

    id: int | None
    ref: str
    role: str
    nuc: str | None
    sender_name: str | None
