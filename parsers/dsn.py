"""Read the machine part of delivery reports, and pull failed addresses out of bounce prose.

:func:`parse_report` reads the structure of a ``multipart/report`` (RFC 6522): the
``message/delivery-status`` fields (RFC 3464), ARF feedback reports and read receipts,
and the Message-ID of the returned mail. Deciding whether a mail is a bounce is the
classifier's job; :func:`guess_failed_recipients` is a pure helper it can use on
bounces that carry no standard report.
"""

from __future__ import annotations

import binascii
import re
from email.message import Message

from parsers.types import DeliveryRecipient, DeliveryReport

STATUS_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/feedback-report",
        "message/disposition-notification",
        "message/global-disposition-notification",
    }
)
_RETURNED_TYPES = frozenset(
    {"message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers"}
)
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,500}>")
# Status fields are ASCII by definition; anything else is noise from a broken server.
_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:[ \t]*(.*)")


def _block_text(block: Message) -> str:
    """One parsed field block back as text, without the generator (it can choke on 8-bit)."""
    lines = [f"{name}: {value}" for name, value in block.raw_items()]
    body = getattr(block, "_payload", "")
    if isinstance(body, str) and body.strip():
        lines.append(body)
    return "\n".join(lines) + "\n"


def part_text(part: Message) -> str:
    """The body of a status part as text, undoing a transfer encoding servers add."""
    # The private attribute keeps raw bytes as surrogate escapes (get_payload() does not).
    payload = getattr(part, "_payload", "")
    if isinstance(payload, list):
        # compat32 parses message/delivery-status into one Message per field block.
        text = "\n".join(_block_text(sub) for sub in payload if isinstance(sub, Message))
    else:
        text = payload if isinstance(payload, str) else ""
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    raw = text.encode("utf-8", "surrogateescape")
    try:
        if encoding == "base64":
            raw = binascii.a2b_base64(raw + b"==")
        elif encoding == "quoted-printable":
            raw = binascii.a2b_qp(raw)
    except (binascii.Error, ValueError):
        pass
    return raw.decode("utf-8", "replace")


def parse_fields(text: str) -> list[dict[str, str]]:
    """Split status text into blocks of ``name: value`` fields (names lower-cased)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, None
            continue
        if line[0] in " \t" and last is not None:
            current[last] += " " + line.strip()
            continue
        match = _FIELD.match(line)
        if match:
            last = match.group(1).lower()
            current.setdefault(last, match.group(2).strip())
    if current:
        blocks.append(current)
    return blocks


def _typed_value(value: str | None) -> str | None:
    """``rfc822; a@b`` -> ``a@b`` ; ``smtp; 550 ...`` -> ``550 ...``."""
    if value is None:
        return None
    if ";" in value[:20]:
        value = value.split(";", 1)[1]
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value or None


def _recipients(blocks: list[dict[str, str]]) -> tuple[DeliveryRecipient, ...]:
    found: list[DeliveryRecipient] = []
    for block in blocks:
        recipient = _typed_value(
            block.get("final-recipient")
            or block.get("original-recipient")
            or block.get("original-rcpt-to")
            or block.get("removal-recipient")
        )
        action = block.get("action") or block.get("disposition")
        if recipient is None and action is None:
            continue
        found.append(
            DeliveryRecipient(
                recipient=recipient,
                action=action.strip().lower() if action else None,
                status=(block.get("status") or "").split(" ", 1)[0] or None,
                diagnostic=_typed_value(block.get("diagnostic-code")),
            )
        )
    return tuple(found)


def _returned_message_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        value = payload[0].get("message-id")
    else:
        text = part_text(part)
        value = None
        for block in parse_fields(text)[:1]:
            value = block.get("message-id")
    if value is None:
        return None
    match = _MESSAGE_ID.search(str(value))
    return match.group(0) if match else None


_STATUS_FIELDS = (
    "reporting-mta:",
    "final-recipient:",
    "original-recipient:",
    "action:",
    "feedback-type:",
    "disposition:",
    "user-agent:",
)


def has_status_fields(text: str) -> bool:
    """True when a status part holds at least one RFC 3464/5965/8098 field."""
    head = text[:4000].lower()
    return any(name in head for name in _STATUS_FIELDS)


def looks_like_status(text: str) -> bool:
    """True when a text part is in fact a delivery-status body with a wrong type."""
    head = text[:2000].lower()
    return ("final-recipient:" in head or "reporting-mta:" in head) and "action:" in head


def parse_report(container: Message) -> DeliveryReport:
    """Read a ``multipart/report`` (or any multipart holding a status part)."""
    declared = container.get_param("report-type")
    report_type = str(declared).strip().lower() if isinstance(declared, str) else ""
    recipients: tuple[DeliveryRecipient, ...] = ()
    original_id: str | None = None
    children = container.get_payload()
    if not isinstance(children, list):
        children = []
    for index, part in enumerate(children):
        if not isinstance(part, Message):
            continue
        ctype = part.get_content_type()
        if ctype in STATUS_TYPES or (
            index > 0 and ctype.startswith("text/") and not recipients and _status_text(part)
        ):
            blocks = parse_fields(part_text(part))
            recipients = recipients + _recipients(blocks[1:] or blocks)
            if not report_type:
                report_type = ctype.split("/", 1)[1].replace("global-", "")
            if original_id is None:
                for block in blocks:
                    if "original-message-id" in block:
                        match = _MESSAGE_ID.search(block["original-message-id"])
                        original_id = match.group(0) if match else None
        elif ctype in _RETURNED_TYPES and original_id is None:
            original_id = _returned_message_id(part)
    return DeliveryReport(
        report_type=report_type or "unknown",
        recipients=recipients,
        original_message_id=original_id,
    )


def _status_text(part: Message) -> bool:
    if part.get_content_type() == "text/rfc822-headers":
        return False
    return looks_like_status(part_text(part))


# --- Failed recipients in free-text bounces -------------------------------------------

# Bounded quantifiers keep every attempt short: no catastrophic backtracking.
_ADDRESS = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+'=/!#$&*?^`{|}~-]{0,63}@"
    r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}"
)
# qmail "<a@b>:" and Postfix "<a@b>: host ... said" / "<a@b> (expanded from ...):".
_ANGLE_LINE = re.compile(r"\s{0,8}<([^<>\s]{3,254})>(?:\s{1,4}\([^()]{0,200}\))?\s{0,4}:")
# Sendmail-style transcripts: "554 <a@b>... Remote protocol error", "550 5.1.1 <a@b>: ...".
_SMTP_REPLY = re.compile(
    r"\s{0,8}[45]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\s{1,4})?<([^<>\s]{3,254})>"
)
_TRIGGERS = (
    "following address(es) failed",
    "following addresses had permanent fatal errors",
    "following recipients failed",
    "could not be delivered to",
    "couldn't be delivered to",
    "delivery has failed to these recipients",
    "delivery to the following recipient",
    "following recipient(s) cannot be reached",
    "following recipients cannot be reached",
    "was not delivered to",
    "error delivering your mail to",
    "rcpt to",
    "did not reach the following recipient",
    "not be delivered to the following",
    "following recipients could not be delivered",
    "undeliverable to",
    "unable to deliver",
    "delivery to the following recipients failed",
    "your message to",
    "recipient address rejected",
    "user unknown",
    "n'a pas pu etre remis",
    "n'a pu etre remis",
    "echec de la remise",
    "impossible de remettre",
    "destinataires suivants",
    "destinataire suivant",
    "adresse inconnue",
    "final-recipient:",
    "original-recipient:",
)
# How many lines after a trigger phrase may still name the failed address.
_TRIGGER_WINDOW = 6
_STOP_LINES = ("from:", "de :", "de:", "to:", "received:", "return-path:", "message-id:")


def _fold(text: str) -> str:
    import unicodedata

    text = text.replace("\u2019", "'").lower()
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def guess_failed_recipients(text: str) -> tuple[str, ...]:
    """Addresses that a free-text bounce says could not be reached, in order, deduplicated.

    Covers qmail ``<a@b>:`` blocks, Postfix ``<a@b>: host ... said``, Exim
    ``a@b`` lines under "following address(es) failed", Exchange "could not be
    delivered to" / "Delivery has failed to these recipients", French "n'a pas pu être
    remis à" and "Échec de la remise", and ``Final-Recipient`` lines.
    """
    found: list[str] = []
    seen: set[str] = set()

    def add(address: str) -> None:
        address = address.strip(".<>'\"").rstrip(":")
        key = address.lower()
        if "@" in address and key not in seen:
            seen.add(key)
            found.append(address)

    window = 0
    for line in text[:500_000].split("\n")[:5000]:
        head = line[:500]
        folded = _fold(head)
        if folded.lstrip().startswith(_STOP_LINES):
            # Headers of the returned mail name its author, not the failed recipient.
            window = 0
            continue
        angle = _ANGLE_LINE.match(head) or _SMTP_REPLY.match(head)
        if angle and "@" in angle.group(1):
            add(angle.group(1))
            continue
        trigger = next((t for t in _TRIGGERS if t in folded), None)
        if trigger is not None:
            after = head[folded.find(trigger) + len(trigger) :] if folded.isascii() else head
            for match in _ADDRESS.finditer(after):
                add(match.group(0))
            window = _TRIGGER_WINDOW
            continue
        if window:
            window -= 1
            for match in _ADDRESS.finditer(head):
                add(match.group(0))
    return tuple(found)
