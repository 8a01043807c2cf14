"""Realistic mail loads for the bot tests and benchmark, made from the golden corpus.

Each golden mail (``tests/data/eml/<kind>/NAME.eml`` with ``NAME.json`` naming its
inbox) becomes as many *conversations* as needed: a variant gets its own
Message-ID and, for mails written by people, its own sender address (so that the
per-sender reply limit never mixes conversations). Duplicates (the same bytes
delivered twice) and follow-ups (the sender writing again in the same thread) are
added on top. No pytest here: the benchmark uses it too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "eml"
ROBOT_KINDS = ("auto_reply", "bounce")
ADDRESSES = {
    "accueil": "accueil@union-prof.asso.fr",
    "certification": "certification@institutquatredix.fr",
}


@dataclass(frozen=True)
class Sample:
    path: Path
    role: str
    kind: str
    raw: bytes


@dataclass
class Mail:
    """One mail of a load, and what it is for the test's bookkeeping."""

    role: str
    raw: bytes
    conversation: int
    # "new" (opens a conversation), "duplicate" (same bytes again), "follow_up".
    part: str
    message_id: str
    sender: str | None = None


@dataclass
class Load:
    mails: list[Mail] = field(default_factory=list)

    def by_role(self, role: str) -> list[bytes]:
        return [m.raw for m in self.mails if m.role == role]

    @property
    def conversations(self) -> int:
        return len({m.conversation for m in self.mails})


def golden() -> list[Sample]:
    """The golden corpus, in a stable order."""
    samples = []
    for path in sorted(GOLDEN.rglob("*.eml")):
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        samples.append(
            Sample(path, expected.get("inbox", "accueil"), path.parent.name, path.read_bytes())
        )
    return samples


_HEADER_END = re.compile(rb"\r?\n\r?\n")


def split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(headers, separator, body) of a raw mail."""
    match = _HEADER_END.search(raw)
    if match is None:
        return raw, b"\r\n\r\n", b""
    return raw[: match.start()], match.group(0), raw[match.end() :]


def rewrite_headers(raw: bytes, changes: dict[str, str | None]) -> bytes:
    """``raw`` with the named headers replaced (or removed for None, added when absent).

    Works on bytes so that bodies in any charset or encoding stay exactly as they were.
    """
    head, sep, body = split(raw)
    newline = b"\r\n" if b"\r\n" in head else b"\n"
    lines = head.split(newline)
    wanted = {name.lower(): value for name, value in changes.items()}
    out: list[bytes] = []
    skipping = False
    for line in lines:
        if line[:1] in (b" ", b"\t") and out is not None:
            if not skipping:
                out.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        skipping = name in wanted
        if not skipping:
            out.append(line)
    for name, value in changes.items():
        if value is not None:
            out.append(f"{name}: {value}".encode())
    return newline.join(out) + sep + body


def _with_tag(header: bytes, tag: str) -> str | None:
    """The From/Reply-To value with ``+tag`` added to its address's local part."""
    text = header.decode("utf-8", "replace")
    match = re.search(r"([A-Za-z0-9._%'-]+)(\+[^@\s<>]*)?@([A-Za-z0-9.-]+)", text)
    if match is None:
        return None
    return text[: match.start()] + f"{match.group(1)}+{tag}@{match.group(3)}" + text[match.end() :]


def header_value(raw: bytes, name: str) -> bytes | None:
    head, _, _ = split(raw)
    unfolded = re.sub(rb"\r?\n[ \t]+", b" ", head)
    for line in unfolded.splitlines():
        if line.lower().startswith(name.lower().encode() + b":"):
            return line.split(b":", 1)[1].strip()
    return None


def variant(sample: Sample, index: int) -> tuple[bytes, str, str | None]:
    """A new conversation made of ``sample``: (raw, Message-ID, sender tag address)."""
    digest = hashlib.sha256(sample.raw).hexdigest()[:10]
    message_id = f"<v{index}.{digest}@load.test>"
    changes: dict[str, str | None] = {"Message-ID": message_id}
    sender = None
    if sample.kind not in ROBOT_KINDS:
        tag = f"v{index}"
        for name in ("From", "Reply-To"):
            value = header_value(sample.raw, name)
            if value is not None:
                tagged = _with_tag(value, tag)
                if tagged is not None:
                    changes[name] = tagged
                    if name == "From":
                        found = re.search(r"[^\s<>\"]+@[^\s<>\"]+", tagged)
                        sender = found.group(0).lower() if found else None
    return rewrite_headers(sample.raw, changes), message_id, sender


def follow_up(
    original: Mail, index: int, role: str, text: str = "Merci pour votre retour."
) -> Mail:
    """The same sender writing again in the thread of ``original`` (nothing new in it)."""
    sender = original.sender or "candidat@example.net"
    message_id = f"<f{index}.{original.conversation}@load.test>"
    raw = (
        f"From: {sender}\r\nTo: {ADDRESSES[role]}\r\n"
        f"Subject: Re: ma demande\r\n"
        f"Date: {format_datetime(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))}\r\n"
        f"Message-ID: {message_id}\r\n"
        f"In-Reply-To: {original.message_id}\r\nReferences: {original.message_id}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"{text}\r\n"
    ).encode()
    return Mail(role, raw, original.conversation, "follow_up", message_id, sender)


def build_load(total: int = 300, *, duplicates: int = 20, follow_ups: int = 30) -> Load:
    """``total`` mails: golden variants, ``duplicates`` repeats and ``follow_ups``."""
    samples = golden()
    load = Load()
    fresh = total - duplicates - follow_ups
    originals: list[Mail] = []
    for index in range(fresh):
        sample = samples[index % len(samples)]
        raw, message_id, sender = variant(sample, index)
        mail = Mail(sample.role, raw, index, "new", message_id, sender)
        originals.append(mail)
    load.mails.extend(originals)
    people = [m for m in originals if m.sender]
    for index in range(duplicates):
        original = originals[(index * 7) % len(originals)]
        load.mails.append(
            Mail(
                original.role, original.raw, original.conversation, "duplicate", original.message_id
            )
        )
    for index in range(follow_ups):
        original = people[(index * 5) % len(people)]
        load.mails.append(follow_up(original, index, original.role))
    return load
