"""The rows a filed mail writes, as plain dictionaries: message, attachments, sheet rows.

The pipeline hands them to ``store.pipeline_writes`` (Core inserts); keeping the
mapping from parsed mail and classification to columns in one place means the
fast path and the follow-up path can never store a mail differently.
"""

from __future__ import annotations

import re
from datetime import date
from email.utils import parseaddr
from typing import Any

from intake.classification import Classification
from intake.config import Config
from intake.spreadsheet import SheetResult
from parsers.types import InboundMail

_MSGID = re.compile(r"<[^<>\s@]{1,250}@[^<>\s@]{1,250}>")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def message_values(
    mail: InboundMail, result: Classification, *, mailbox_key: str, size: int, sha: str
) -> dict[str, Any]:
    """The ``messages`` row of a received mail (without ``case_id``)."""
    return {
        "direction": "in",
        "mailbox": mailbox_key,
        "message_id": mail.message_id or None,
        "in_reply_to": mail.in_reply_to or None,
        "references": " ".join(mail.references) or None,
        "subject": mail.subject[:2000],
        "sender": mail.sender or None,
        "sender_name": mail.from_.name[:200] if mail.from_ and mail.from_.name else None,
        "recipients": [a.address for a in (*mail.to, *mail.cc)][:50],
        "date": mail.date,
        "sha256": sha,
        "size": size,
        "kind": result.kind.value,
        "classification": result.to_json(),
    }


def attachment_rows(
    message_pk: int, mail: InboundMail, result: Classification
) -> list[dict[str, Any]]:
    documents = {d.sha256: d for d in result.documents}
    rows = []
    for attachment in mail.attachments:
        doc = documents.get(attachment.sha256)
        rows.append(
            {
                "message_id": message_pk,
                "filename": attachment.filename[:500] if attachment.filename else None,
                "declared_type": attachment.declared_type,
                "sniffed_type": attachment.sniffed_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "inline": attachment.inline,
                "doc_type": doc.doc_type.value if doc else None,
                "needs_check": bool(doc and doc.needs_check),
            }
        )
    return rows


def sheet_rows(case_id: int, message_pk: int, sheets: list[SheetResult]) -> list[dict[str, Any]]:
    """Every judged candidate row of the mail's spreadsheets."""
    rows = []
    for sheet in sheets:
        for row in sheet.judgement.rows:
            values = row.fields
            blocks = values.get("blocks")
            rows.append(
                {
                    "case_id": case_id,
                    "message_id": message_pk,
                    "sheet": row.sheet,
                    "row_number": row.row_number,
                    "bucket": row.bucket,
                    "reason": row.reason,
                    "organisation": _text(values.get("organisation")),
                    "branch": _text(values.get("branch")),
                    "last_name": _text(values.get("last_name")),
                    "first_name": _text(values.get("first_name")),
                    "nir": _text(values.get("nir"), 32),
                    "birth_date": _date(values.get("birth_date")),
                    "email": _text(values.get("email")),
                    "cqp": _text(values.get("cqp"), 32),
                    "blocks": ",".join(map(str, blocks))
                    if isinstance(blocks, tuple)
                    else _text(blocks),
                    "certifiable_from": _date(values.get("certifiable_from")),
                    "exam_month": values.get("exam_month"),
                    "repeat_candidate": values.get("repeat_candidate") is True,
                }
            )
    return rows


def bounced_ids(mail: InboundMail, config: Config) -> list[str]:
    """Message-IDs a bounce names: the report's, then any of our domains in its parts."""
    ids: list[str] = []
    if mail.delivery_report and mail.delivery_report.original_message_id:
        ids.append(mail.delivery_report.original_message_id)
    domains = {m.address.rsplit("@", 1)[1] for m in config.mailbox}
    texts = [mail.text[:200_000]] + [(a.text or "")[:200_000] for a in mail.attachments]
    for text in texts:
        for found in _MSGID.findall(text):
            if found.rstrip(">").rsplit("@", 1)[1].lower() in domains:
                ids.append(found)
    return list(dict.fromkeys(ids))


def header_guess(raw: bytes, name: bytes) -> str | None:
    """A header's raw value for an error case, read without the parser that failed."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        if line.lower().startswith(name + b":"):
            value = line[len(name) + 1 :].strip().decode("utf-8", "replace")
            return value[:500] or None
    return None


def sender_guess(raw: bytes) -> str | None:
    address = parseaddr(header_guess(raw, b"from") or "")[1]
    return address.lower() if "@" in address else None


def _text(value: object, limit: int = 500) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:limit]


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return date.fromisoformat(value)
    return None
