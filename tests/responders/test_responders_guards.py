"""Loop guards: robots, lists, auto-submitted mail, the per-sender limit, ourselves."""

from __future__ import annotations

import pytest

from responders.guards import (
    DEFAULT_NOREPLY_PATTERNS,
    auto_submitted,
    first_block,
    mailing_list,
    over_limit,
    own_address,
    robot_sender,
)

OWN = ("accueil@union-prof.asso.fr", "certification@institutquatredix.fr")


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@caf.fr",
        "No-Reply@notifications.example.org",
        "no_reply@example.org",
        "do-not-reply@example.org",
        "ne-pas-repondre@urssaf.fr",
        "MAILER-DAEMON@mx.example.org",
        "postmaster@example.org",
        "bounces+12345@mailer.example.org",
        "Robot <noreply@example.org>",
        "<>",
        "",
    ],
)
def test_robot_senders_are_blocked(sender: str) -> None:
    reason = robot_sender(sender, DEFAULT_NOREPLY_PATTERNS)
    assert reason is not None and reason.startswith("guard.robot_sender")


@pytest.mark.parametrize(
    "sender",
    ["noemie.dupont@gmail.com", "marie.noreply@example.org", "postmaster.general@example.org"],
)
def test_people_are_not_robots(sender: str) -> None:
    assert robot_sender(sender, DEFAULT_NOREPLY_PATTERNS) is None


def test_robot_patterns_come_from_configuration() -> None:
    assert robot_sender("alertes@cpam.fr", ["^alertes$"]) is not None
    assert robot_sender("noreply@example.org", ["^alertes$"]) is None


@pytest.mark.parametrize(
    "headers",
    [
        [("list-id", "<candidats.lists.example.org>")],
        [("list-unsubscribe", "<mailto:leave@example.org>")],
        [("list-post", "<mailto:list@example.org>")],
        [("precedence", "bulk")],
        [("precedence", "List")],
        [("precedence", "junk (spam)")],
        [("List-Id", "mixed case name")],
    ],
)
def test_mailing_lists_and_bulk_are_blocked(headers: list[tuple[str, str]]) -> None:
    reason = mailing_list(headers)
    assert reason is not None and reason.startswith("guard.mailing_list")


def test_ordinary_headers_are_not_a_list() -> None:
    headers = [("from", "x@example.org"), ("precedence", "first-class"), ("subject", "list")]
    assert mailing_list(headers) is None


@pytest.mark.parametrize(
    "value", ["auto-replied", "auto-generated", "Auto-Notified; owner-email=x@example.org"]
)
def test_auto_submitted_anything_but_no_is_blocked(value: str) -> None:
    reason = auto_submitted([("auto-submitted", value)])
    assert reason is not None and value.split(";")[0].lower() in reason


@pytest.mark.parametrize(
    "headers", [[], [("auto-submitted", "no")], [("auto-submitted", "No (a person)")]]
)
def test_auto_submitted_no_or_absent_passes(headers: list[tuple[str, str]]) -> None:
    assert auto_submitted(headers) is None


def test_over_limit() -> None:
    assert over_limit(2, 3) is None
    assert over_limit(3, 3) == "guard.over_limit: 3 replies in 24 h (limit 3)"
    assert over_limit(0, 0) is not None


@pytest.mark.parametrize(
    "sender",
    [
        "accueil@union-prof.asso.fr",
        "ACCUEIL@Union-Prof.asso.fr",
        "Accueil UP <accueil@union-prof.asso.fr>",
        "accueil+relance@union-prof.asso.fr",
    ],
)
def test_own_address_is_never_answered(sender: str) -> None:
    assert (
        own_address(sender, OWN) == "guard.own_address: " + sender.split("<")[-1].strip(">").lower()
    )


def test_other_addresses_are_not_ours() -> None:
    assert own_address("accueil@union-prof.fr", OWN) is None
    assert own_address("elodie@example.fr", OWN) is None


def test_first_block_runs_in_order_and_passes_people() -> None:
    person = "Élodie Martin <elodie.martin@example.fr>"
    assert first_block(person, [], own_addresses=OWN, count_last_24h=1, limit=3) is None
    # Our own address wins over the robot pattern and the headers.
    reason = first_block(
        "postmaster@union-prof.asso.fr",
        [("auto-submitted", "auto-replied"), ("list-id", "x")],
        own_addresses=(*OWN, "postmaster@union-prof.asso.fr"),
    )
    assert reason is not None and reason.startswith("guard.own_address")
    reason = first_block("noreply@x.org", [("list-id", "x")], own_addresses=OWN)
    assert reason is not None and reason.startswith("guard.robot_sender")
    reason = first_block(
        person, [("auto-submitted", "auto-replied"), ("list-id", "x")], own_addresses=OWN
    )
    assert reason is not None and reason.startswith("guard.auto_submitted")
    reason = first_block(person, [("list-id", "x")], own_addresses=OWN, count_last_24h=9, limit=3)
    assert reason is not None and reason.startswith("guard.mailing_list")
    reason = first_block(person, [], own_addresses=OWN, count_last_24h=3, limit=3)
    assert reason is not None and reason.startswith("guard.over_limit")
    # Without a limit (dry run) the count is not checked.
    assert first_block(person, [], own_addresses=OWN, count_last_24h=99) is None
