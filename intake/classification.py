"""The result of classifying one mail: its kind, extracted fields, and why.

A :class:`Classification` is the second typed stage of the pipeline (after
``InboundMail``). Its ``reasons`` name every rule that fired with the evidence it
saw, so that staff and tests can see why the bot decided as it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    PROBLEM_REPORT = "problem_report"
    DEFERRAL_REQUEST = "deferral_request"
    SPREADSHEET_RETURN = "spreadsheet_return"
    MYCERTIF_ACCESS = "mycertif_access"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OTHER = "other"


class Topic(StrEnum):
    NUC_REQUEST = "nuc_request"
    PASSWORD_RESET = "password_reset"
    CONFIRMATION_MAIL_MISSING = "confirmation_mail_missing"
    NO_CENTRE_LISTED = "no_centre_listed"
    CENTRE_REFUSED = "centre_refused"
    PAYMENT = "payment"
    FIRST_REGISTRATION = "first_registration"
    OTHER = "other"


class DeferralReason(StrEnum):
    MEDICAL = "medical"
    EMPLOYER_REFUSAL = "employer_refusal"
    OTHER = "other"
    UNSPECIFIED = "unspecified"


class DocType(StrEnum):
    """What an attachment is, judged from its content, name and the body's words."""

    MEDICAL_CERTIFICATE = "medical_certificate"
    PRESCRIPTION = "prescription"
    SWORN_STATEMENT = "sworn_statement"
    EMPLOYER_LETTER = "employer_letter"
    FORWARDED_MAIL = "forwarded_mail"
    CONVOCATION = "convocation"
    RECEIPT = "receipt"
    IDENTITY_DOCUMENT = "identity_document"
    SCREENSHOT = "screenshot"
    SPREADSHEET = "spreadsheet"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reason:
    """One rule that fired, and the evidence it saw (a phrase, a header, a file)."""

    rule: str
    evidence: str = ""

    def __str__(self) -> str:
        return f"{self.rule}: {self.evidence}" if self.evidence else self.rule


@dataclass(frozen=True)
class Document:
    """An attachment with the document type the rules gave it."""

    filename: str | None
    sha256: str
    doc_type: DocType
    # True when the type rests on an image the body presents as the document: staff
    # must look at it.
    needs_check: bool = False


@dataclass(frozen=True)
class SpreadsheetSummary:
    """Bucket counts of a judged collection spreadsheet (SPEC §8)."""

    rows: int
    accepted: int
    late: int
    invalid: int
    redoublant: int
    # Set when the file could not be read (protected, corrupt): the French reason.
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rows": self.rows,
            "accepted": self.accepted,
            "late": self.late,
            "invalid": self.invalid,
            "redoublant": self.redoublant,
        }
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class Extracted:
    """Coordinates and references found in the sender's new text and signature."""

    name: str | None = None
    phone: str | None = None
    postal_address: str | None = None
    exam_references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    kind: Kind
    role: str
    topic: Topic | None = None
    reason: DeferralReason | None = None
    justification_present: bool | None = None
    asks_refund: bool | None = None
    nuc: str | None = None
    missing: tuple[str, ...] | None = None
    reply_template: str | None = None
    spreadsheet: SpreadsheetSummary | None = None
    failed_recipient: str | None = None
    extracted: Extracted = Extracted()
    documents: tuple[Document, ...] = ()
    reasons: tuple[Reason, ...] = field(default=())
    # Why no reply is proposed although the kind would have one (a loop guard).
    reply_blocked: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The SPEC §8 dry-run object (without the ``file`` key), plus evidence."""
        return {
            "kind": self.kind.value,
            "topic": self.topic.value if self.topic else None,
            "reason": self.reason.value if self.reason else None,
            "justification_present": self.justification_present,
            "asks_refund": self.asks_refund,
            "nuc": self.nuc,
            "missing": list(self.missing) if self.missing is not None else None,
            "reply_template": self.reply_template,
            "spreadsheet": self.spreadsheet.to_json() if self.spreadsheet else None,
            "failed_recipient": self.failed_recipient,
            "reasons": [str(r) for r in self.reasons],
        }
