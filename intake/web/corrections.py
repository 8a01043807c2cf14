"""Staff corrections of the bot's reading: reclassify a case, edit its extracted fields.

Reclassifying re-runs the bot's own field rules (topic, deferral reason,
justification, missing items, spreadsheet judgement) on the sender's last mail
with the kind staff chose, then updates the case as the pipeline would have filed
it; the reply the bot's table then proposes is returned for staff to review.
Editing fields changes only what staff typed. Both leave an audit event listing
each value before and after.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import Session

from intake import cases
from intake.classification import Classification, DeferralReason, Kind, Reason, Topic
from intake.config import Config
from intake.rules.replies import reply_template
from intake.web import labels
from intake.web.actions import ActionError, audit, latest_incoming
from store import Case, FileStore, utcnow


def _snapshot(case: Case) -> dict[str, Any]:
    fields = case.fields or {}
    return {
        "kind": case.kind,
        "topic": case.topic,
        "reason": case.reason,
        "status": case.status,
        "missing": fields.get("missing"),
        "justification_present": fields.get("justification_present"),
    }


def _reclassified(
    config: Config, files: FileStore, case: Case, message_sha: str, kind: Kind, actor: str
) -> tuple[Any, Classification, Any]:
    """Run the bot's rules on the mail with ``kind`` imposed."""
    from intake.classify import classify_as
    from intake.pipeline import Pipeline

    raw = files.get(message_sha)
    # The pipeline's preparation (parse with PDF text, judge spreadsheets), no database.
    prepared = Pipeline(config, None, files).prepare(raw, case.role)  # type: ignore[arg-type]
    why = Reason("staff.reclassify", f"{case.kind} → {kind.value} ({actor})")
    result, ctx = classify_as(prepared.mail, case.role, config, kind, why)
    return prepared, result, ctx


def reclassify(
    session: Session,
    config: Config,
    files: FileStore,
    case: Case,
    *,
    kind: str,
    topic: str | None,
    reason: str | None,
    actor: str,
) -> str | None:
    """Give the case ``kind`` (and optionally topic or reason); the reply now proposed."""
    from intake.rules import topics

    if kind not in labels.STAFF_KINDS:
        raise ActionError("Type de message inconnu.")
    message = latest_incoming(session, case)
    if message is None:
        raise ActionError("Ce dossier n'a aucun message à reclasser.")
    before = _snapshot(case)
    prepared, result, ctx = _reclassified(config, files, case, message.sha256, Kind(kind), actor)
    if result.kind is Kind.PROBLEM_REPORT and topic:
        if topic not in labels.TOPIC:
            raise ActionError("Sujet inconnu.")
        result = replace(result, topic=Topic(topic))
    if result.kind is Kind.DEFERRAL_REQUEST and reason:
        if reason not in labels.REASON:
            raise ActionError("Motif inconnu.")
        chosen = DeferralReason(reason)
        present, _why = topics.justification(ctx, chosen)
        missing = ("justification",) if chosen in topics.REQUIRED_DOCUMENT and not present else ()
        result = replace(result, reason=chosen, justification_present=present, missing=missing)
    template = reply_template(
        result.kind,
        missing=result.missing,
        reason=result.reason,
        justification_present=result.justification_present,
        spreadsheet_unreadable=bool(result.spreadsheet and result.spreadsheet.error),
        config=config,
    )
    result = replace(result, reply_template=template)
    now = utcnow()
    case.kind = result.kind.value
    case.topic = result.topic.value if result.topic else None
    case.reason = result.reason.value if result.reason else None
    case.nuc = case.nuc or result.nuc
    kept = {k: v for k, v in (case.fields or {}).items() if k in ("delivery_failed", "decision")}
    case.fields = {**kept, **cases.classification_fields(prepared.mail, result)}
    case.reasons = [str(r) for r in result.reasons]
    cases.set_status(case, cases.initial_status(result), now)
    case.updated_at = now
    audit(session, case, actor, "staff.reclassify", before=before, after=_snapshot(case),
          proposed=template)  # fmt: skip
    return template


def update_fields(
    session: Session, config: Config, case: Case, values: dict[str, Any], actor: str
) -> dict[str, list[Any]]:
    """Apply staff's corrections; the changes as ``{field: [before, after]}``."""
    from intake.rules.fields import find_nuc

    changes: dict[str, list[Any]] = {}
    nuc_text = (values.get("nuc") or "").strip()
    nuc = None
    if nuc_text:
        nuc = find_nuc([nuc_text], config.nuc.pattern, config.nuc.format)
        if nuc is None:
            raise ActionError(f"« {nuc_text} » n'est pas un NUC valide (ex. 2023-004512).")
    if nuc != case.nuc:
        changes["nuc"] = [case.nuc, nuc]
        case.nuc = nuc
    name = " ".join((values.get("sender_name") or "").split())[:200] or None
    if name != case.sender_name:
        changes["sender_name"] = [case.sender_name, name]
        case.sender_name = name
    topic = values.get("topic") or None
    if case.kind == Kind.PROBLEM_REPORT and topic != case.topic:
        if topic is not None and topic not in labels.TOPIC:
            raise ActionError("Sujet inconnu.")
        changes["topic"] = [case.topic, topic]
        case.topic = topic
    reason = values.get("reason") or None
    if case.kind == Kind.DEFERRAL_REQUEST and reason != case.reason:
        if reason is not None and reason not in labels.REASON:
            raise ActionError("Motif inconnu.")
        changes["reason"] = [case.reason, reason]
        case.reason = reason
    fields = dict(case.fields or {})
    choices = labels.MISSING_CHOICES.get(case.kind)
    if choices is not None:
        missing = [m for m in choices if m in values.get("missing", [])]
        if missing != (fields.get("missing") or []):
            changes["missing"] = [fields.get("missing"), missing]
            fields["missing"] = missing
    if case.kind == Kind.DEFERRAL_REQUEST:
        for flag in ("justification_present", "asks_refund"):
            value = bool(values.get(flag))
            if value != bool(fields.get(flag)):
                changes[flag] = [fields.get(flag), value]
                fields[flag] = value
    if changes:
        case.fields = fields
        case.updated_at = utcnow()
        audit(session, case, actor, "staff.fields", changes=changes)
    return changes
