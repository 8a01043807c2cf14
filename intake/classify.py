"""Classify one parsed mail: robots first, then the kind table, then its fields.

``classify`` is the whole brain of the dry run: it reads an :class:`InboundMail`
and returns a :class:`Classification` with the reasons for every decision. It does
no I/O; the spreadsheet judgement it may call reads only the attachment's bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import datetime

from intake.classification import (
    Classification,
    Kind,
    Reason,
    SpreadsheetSummary,
)
from intake.config import Config
from intake.rules import robots, topics
from intake.rules.context import MAX_OWN_TEXT, Context, make_context, own_text
from intake.rules.documents import classify_attachments, is_spreadsheet
from intake.rules.kinds import KIND_RULES
from intake.rules.replies import reply_blocked, reply_template
from intake.spreadsheet import SpreadsheetJudgement, judge_spreadsheet
from parsers.types import Attachment, InboundMail

# Kinds for which SPEC §3 reports the NUC.
NUC_KINDS = (Kind.PROBLEM_REPORT, Kind.DEFERRAL_REQUEST, Kind.OTHER)


def classify(
    mail: InboundMail,
    role: str,
    config: Config,
    *,
    sent_last_24h: int | None = None,
) -> Classification:
    """Decide what ``mail``, delivered to the ``role`` inbox, is and how to answer."""
    ctx = make_context(mail, role, config)
    robot = _robot(ctx)
    if robot is not None:
        return robot
    ctx.documents = classify_attachments(mail, ctx.sets, ctx.own)
    kind, reasons = _kind(ctx)
    result = _fields(ctx, kind, reasons)
    blocked = reply_blocked(mail, config, sent_last_24h=sent_last_24h)
    if blocked and result.reply_template is not None:
        return replace(
            result,
            reply_template=None,
            reply_blocked=blocked,
            reasons=(*result.reasons, Reason("reply.blocked", blocked)),
        )
    return result


def classify_as(
    mail: InboundMail, role: str, config: Config, kind: Kind, why: Reason
) -> tuple[Classification, Context]:
    """The fields and the reply the rules give ``mail`` once a person has decided its
    kind (staff reclassifying a case); the context is returned for further rules."""
    ctx = make_context(mail, role, config)
    ctx.documents = classify_attachments(mail, ctx.sets, ctx.own)
    return _fields(ctx, kind, [why]), ctx


def _robot(ctx: Context) -> Classification | None:
    for rule in robots.BOUNCE_RULES:
        evidence = rule.check(ctx.mail, ctx.sets)
        if evidence:
            return Classification(
                kind=Kind.BOUNCE,
                role=ctx.role,
                failed_recipient=robots.failed_recipient(ctx.mail),
                reasons=(Reason(rule.name, evidence),),
            )
    for rule in robots.AUTO_REPLY_RULES:
        evidence = rule.check(ctx.mail, ctx.sets)
        if evidence:
            return Classification(
                kind=Kind.AUTO_REPLY, role=ctx.role, reasons=(Reason(rule.name, evidence),)
            )
    return None


def _kind(ctx: Context) -> tuple[Kind, list[Reason]]:
    for rule in KIND_RULES:
        evidence = rule.check(ctx)
        if evidence:
            if (
                rule is KIND_RULES[-1]
                and ctx.subject_is_reply
                and ctx.own == ctx.new_text
                and ctx.mail.files
            ):
                # A follow-up that brings a file and says little: the reply's subject
                # tells what it is ("RE: Demande de report" + "voici le certificat").
                wider = ctx.with_subject()
                kind, reasons = _kind(wider)
                if kind is not Kind.OTHER:
                    ctx.own, ctx.cache = wider.own, {}
                    return kind, [Reason("kind.from_reply_subject", ctx.subject), *reasons]
            return rule.kind, [Reason(rule.name, evidence)]
    raise AssertionError("the last kind rule always matches")


def _fields(ctx: Context, kind: Kind, reasons: list[Reason]) -> Classification:
    mail, config = ctx.mail, ctx.config
    nuc = None
    if kind in NUC_KINDS:
        nuc = _nuc(ctx)
        if nuc:
            reasons.append(Reason("field.nuc", nuc))
    extracted = topics.extract(ctx)
    topic = reason = justification = refund = None
    missing: tuple[str, ...] | None = None
    spreadsheet: SpreadsheetSummary | None = None
    unreadable = False
    if kind is Kind.PROBLEM_REPORT:
        topic, why = topics.topic(ctx)
        reasons.append(why)
        missing = topics.missing_items(extracted)
        if missing:
            reasons.append(Reason("field.missing", ", ".join(missing)))
    elif kind is Kind.DEFERRAL_REQUEST:
        reason, why = topics.deferral_reason(ctx)
        reasons.append(why)
        justification, why = topics.justification(ctx, reason)
        reasons.append(why)
        refund, refund_why = topics.asks_refund(ctx)
        if refund_why:
            reasons.append(refund_why)
        missing = (
            ("justification",) if reason in topics.REQUIRED_DOCUMENT and not justification else ()
        )
    elif kind is Kind.SPREADSHEET_RETURN:
        sheets = [a for a in mail.files if is_spreadsheet(a)]
        if not sheets:
            missing = ("spreadsheet",)
            seen = (
                ", ".join(f"{d.filename}={d.doc_type.value}" for d in ctx.documents)
                or "no attachment"
            )
            reasons.append(Reason("spreadsheet.missing", seen))
        else:
            missing = ()
            spreadsheet = _judge(sheets, mail.date, config)
            unreadable = spreadsheet.error is not None
            reasons.append(Reason("spreadsheet.judged", str(spreadsheet.to_json())))
    template = reply_template(
        kind,
        missing=missing,
        reason=reason,
        justification_present=justification,
        spreadsheet_unreadable=unreadable,
        config=config,
    )
    return Classification(
        kind=kind,
        role=ctx.role,
        topic=topic,
        reason=reason,
        justification_present=justification,
        asks_refund=refund,
        nuc=nuc,
        missing=missing,
        reply_template=template,
        spreadsheet=spreadsheet,
        extracted=extracted,
        documents=ctx.documents,
        reasons=tuple(reasons),
    )


def _nuc(ctx: Context) -> str | None:
    from intake.rules.fields import find_nuc

    mail = ctx.mail
    return find_nuc(
        [mail.subject[:1000], own_text(mail), mail.signature[:MAX_OWN_TEXT]],
        ctx.config.nuc.pattern,
        ctx.config.nuc.format,
    )


# The last few judgements, so that the pipeline, which needs the judged rows after
# classifying, does not read and judge the same workbook a second time.
_JUDGED: OrderedDict[tuple[str, datetime | None, int], SpreadsheetJudgement] = OrderedDict()
_JUDGED_SIZE = 8


def judge_attachment(
    attachment: Attachment, mail_date: datetime | None, config: Config
) -> SpreadsheetJudgement:
    """The row judgement of one attached spreadsheet, computed once per mail."""
    key = (attachment.sha256, mail_date, id(config))
    judged = _JUDGED.get(key)
    if judged is None:
        judged = judge_spreadsheet(attachment.payload, attachment.filename, mail_date, config)
        _JUDGED[key] = judged
        while len(_JUDGED) > _JUDGED_SIZE:
            _JUDGED.popitem(last=False)
    return judged


def _judge(
    sheets: list[Attachment], mail_date: datetime | None, config: Config
) -> SpreadsheetSummary:
    """Judge every attached spreadsheet and add up the buckets."""
    total = SpreadsheetSummary(0, 0, 0, 0, 0)
    errors = []
    for attachment in sheets:
        summary = judge_attachment(attachment, mail_date, config).summary
        if summary.error:
            errors.append(summary.error)
            continue
        total = SpreadsheetSummary(
            total.rows + summary.rows,
            total.accepted + summary.accepted,
            total.late + summary.late,
            total.invalid + summary.invalid,
            total.redoublant + summary.redoublant,
        )
    if errors and total.rows == 0:
        return SpreadsheetSummary(0, 0, 0, 0, 0, error="; ".join(errors))
    return total
