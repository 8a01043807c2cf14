"""The golden corpus: every tests/data/eml/**/NAME.eml against its NAME.json.

One test per file (imap_tools style). The expected objects were written from
SPEC.md, not from the classifier's output. Every SPEC §8 key in the JSON is
compared; ``inbox`` says which inbox the mail was delivered to.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from intake.config import Config
from intake.dryrun import classify_file

CORPUS = Path(os.environ.get("INTAKE_GOLDEN", Path(__file__).parent / "data" / "eml"))
KEYS = (
    "kind",
    "topic",
    "reason",
    "justification_present",
    "asks_refund",
    "nuc",
    "missing",
    "reply_template",
    "spreadsheet",
    "failed_recipient",
)
CASES = sorted(CORPUS.rglob("*.eml"))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 80, f"only {len(CASES)} golden mails in {CORPUS}"


@pytest.mark.parametrize("path", CASES, ids=[str(p.relative_to(CORPUS)) for p in CASES])
def test_golden_mail(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    result = classify_file(path, expected.get("inbox", "accueil"), Config())
    assert "error" not in result, result["error"]
    got = {key: result.get(key) for key in KEYS if key in expected}
    want = {key: expected[key] for key in KEYS if key in expected}
    if want.get("missing") is not None and got.get("missing") is not None:
        # `missing` is a set; its order is not part of the contract.
        want["missing"], got["missing"] = sorted(want["missing"]), sorted(got["missing"])
    assert got == want, f"reasons: {result.get('reasons')}"
