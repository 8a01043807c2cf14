"""Sweep the third-party corpus in ../shared/realworld: nothing raises, nothing stalls.

The corpus is not part of the repository (its licences forbid copying it here); the
tests are skipped with a reason when it is absent. INTAKE_REALWORLD may point at it.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from parsers.mail import parse_mail
from parsers.pdf import extract_pdf_text
from parsers.types import InboundMail

pytestmark = pytest.mark.realworld

# Generous: the slowest file takes well under a second on the shared two-core machine.
MAX_SECONDS_PER_FILE = 10.0


def _corpus() -> Path:
    configured = os.environ.get("INTAKE_REALWORLD")
    root = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / ".." / "shared" / "realworld"
    )
    if not (root / "mail").is_dir():
        pytest.skip("third-party corpus ../shared/realworld not present")
    return root


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_every_mail_parses_in_bounded_time() -> None:
    root = _corpus()
    files = _files(root / "mail")
    assert files, "the corpus mail folder is empty"
    slow: list[str] = []
    for path in files:
        started = time.monotonic()
        mail = parse_mail(path.read_bytes())
        elapsed = time.monotonic() - started
        assert isinstance(mail, InboundMail), path
        assert mail.size == path.stat().st_size
        if elapsed > MAX_SECONDS_PER_FILE:
            slow.append(f"{path.name}: {elapsed:.1f}s")
    assert slow == []


def test_every_pdf_reads_in_bounded_time() -> None:
    root = _corpus()
    files = [p for p in _files(root / "pdf") if p.suffix.lower() == ".pdf"]
    if not files:
        pytest.skip("third-party corpus has no pdf folder")
    slow: list[str] = []
    for path in files:
        started = time.monotonic()
        result = extract_pdf_text(path.read_bytes(), max_pages=20, max_seconds=5.0)
        elapsed = time.monotonic() - started
        assert result.pages_read <= 20, path
        assert isinstance(result.text, str)
        if elapsed > MAX_SECONDS_PER_FILE:
            slow.append(f"{path.name}: {elapsed:.1f}s")
    assert slow == []


def _collapse(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _check(mail: InboundMail, fact: str, value: object) -> bool | None:
    """Whether ``mail`` agrees with one recorded fact (None: fact not checked here)."""
    if fact == "subject_decoded":
        return _collapse(mail.subject) == _collapse(str(value))
    if fact == "from_address":
        return mail.sender == str(value or "").lower()
    if fact == "attachment_count":
        return len(mail.attachments) == value
    if (
        fact == "to_addresses"
        and isinstance(value, list)
        and all(isinstance(v, str) for v in value)
    ):
        return [a.address.lower() for a in mail.to] == [v.lower() for v in value]
    if fact == "has_html_part":
        return (mail.html is not None) == value
    return None


def test_recorded_facts_mostly_agree() -> None:
    """imap_tools wraps Python's email package, so its facts are the fairest yardstick."""
    root = _corpus()
    expectations = root / "expectations.json"
    if not expectations.is_file():
        pytest.skip("third-party corpus has no expectations.json")
    facts = json.loads(expectations.read_text(encoding="utf-8"))["facts"]
    cache: dict[str, InboundMail] = {}
    agree = total = 0
    for fact in facts:
        name = fact["file"]
        if not name.startswith("mail/imap_tools/"):
            continue
        path = root / name
        if not path.is_file():
            continue
        if name not in cache:
            cache[name] = parse_mail(path.read_bytes(), extract_text=False)
        verdict = _check(cache[name], fact["fact"], fact["value"])
        if verdict is None:
            continue
        total += 1
        agree += verdict
    assert total > 100
    # Python's email and imap_tools differ on a few deliberately broken files.
    assert agree / total >= 0.9, f"{agree}/{total}"
