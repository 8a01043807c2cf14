"""The classifier over every third-party mail in ../shared/realworld (never copied here).

Every file gets its dry-run object without an error, and no mail that its own project
calls a bounce, an auto-reply, a feedback report or a challenge gets a reply.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intake.config import Config
from intake.dryrun import classify_file

pytestmark = [pytest.mark.realworld, pytest.mark.slow]

ROBOT_FACTS = {
    "is_bounce",
    "is_auto_response",
    "must_not_send_auto_reply",
    "is_feedback_report",
    "is_challenge_response",
    "is_read_receipt",
}
# Spam that Mail-DeliveryStatus-BounceParser's tests call "bounces" because it reached
# a bounce-processing address; read as mail, it is spam, which SPEC §4 answers with
# general_ack (configurable). Named here so that any other miss fails the test.
SPAM_CALLED_BOUNCE = {
    "mail/bounceparser_perl/spam-with-image.eml",
    "mail/bounceparser_perl/spam-lots-of-bogus-addresses.eml",
    "mail/bounceparser_perl/spam-bogus-email-in-report.eml",
    "mail/bounceparser_perl/virus-caused-multiple-weird-reports.eml",
}


@pytest.fixture(scope="module")
def results(realworld: Path) -> dict[str, dict[str, object]]:
    config = Config()
    files = sorted(p for p in (realworld / "mail").rglob("*") if p.is_file())
    return {str(p.relative_to(realworld)): classify_file(p, "accueil", config) for p in files}


def test_every_file_gets_an_object_without_error(results: dict[str, dict[str, object]]) -> None:
    assert len(results) > 1000
    errors = {name: r["error"] for name, r in results.items() if r.get("error")}
    assert errors == {}
    assert all(r["kind"] for r in results.values())


def test_robots_get_no_reply(realworld: Path, results: dict[str, dict[str, object]]) -> None:
    facts = json.loads((realworld / "expectations.json").read_text())["facts"]
    robots = {f["file"] for f in facts if f["fact"] in ROBOT_FACTS and f["value"] is True}
    answered = {
        name for name in robots if name in results and results[name]["reply_template"] is not None
    }
    assert len(robots) > 700
    assert answered <= SPAM_CALLED_BOUNCE, sorted(answered - SPAM_CALLED_BOUNCE)
