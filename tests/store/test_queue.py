"""The staff queue: order, filters, search, paging and counts; dashboard and export reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from store.db import session_scope
from store.models import Case, CaseStatus, Message, SpreadsheetRow
from store.queue import (
    UNASSIGNED,
    messages_per_day,
    queue,
    rows_for_exam_month,
    spreadsheet_returns,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def _add_cases(engine: Engine) -> None:
    specs = [
        # ref, role, kind, status, waiting days, assigned, nuc, email, name
        (
            "UP-2025-000001",
            "accueil",
            "deferral_request",
            "to_review",
            10,
            None,
            "2023-004512",
            "jeanne.dupont@example.fr",
            "Jeanne Dupont",
        ),
        (
            "UP-2025-000002",
            "accueil",
            "problem_report",
            "awaiting_sender",
            3,
            "marie",
            None,
            "paul@example.fr",
            "Paul Martin",
        ),
        (
            "CQ-2025-000001",
            "certification",
            "spreadsheet_return",
            "to_review",
            5,
            None,
            None,
            "gestion@caf.fr",
            "CAF du Rhône",
        ),
        (
            "UP-2025-000003",
            "accueil",
            "other",
            "new",
            1,
            "marie",
            None,
            "helene@example.fr",
            "Hélène Lefèvre",
        ),
        (
            "UP-2025-000004",
            "accueil",
            "deferral_request",
            "resolved",
            None,
            "marie",
            "2024-000777",
            "luc@example.fr",
            "Luc Moreau",
        ),
        (
            "UP-2025-000005",
            "accueil",
            "deferral_request",
            "to_review",
            20,
            None,
            None,
            "zoe@example.fr",
            "Zoé Petit",
        ),
    ]
    with session_scope(engine) as session:
        for ref, role, kind, status, days, assigned, nuc, email, name in specs:
            session.add(
                Case(
                    ref=ref,
                    role=role,
                    mailbox=f"{role}@up.fr",
                    kind=kind,
                    status=status,
                    waiting_since=NOW - timedelta(days=days) if days is not None else None,
                    assigned_to=assigned,
                    nuc=nuc,
                    sender_email=email,
                    sender_name=name,
                )
            )


def _refs(page: object) -> list[str]:
    return [c.ref for c in page.cases]  # type: ignore[attr-defined]


def test_order_is_waiting_longest_first_closed_last(engine: Engine) -> None:
    _add_cases(engine)
    with session_scope(engine, write=False) as session:
        page = queue(session, now=NOW)
    assert _refs(page) == [
        "UP-2025-000005",
        "UP-2025-000001",
        "CQ-2025-000001",
        "UP-2025-000002",
        "UP-2025-000003",
        "UP-2025-000004",
    ]
    assert page.total == 6
    assert page.counts == {"to_review": 3, "awaiting_sender": 1, "new": 1, "resolved": 1}


def test_filters(engine: Engine) -> None:
    _add_cases(engine)
    with session_scope(engine, write=False) as session:
        page = queue(session, status="to_review", now=NOW)
        assert _refs(page) == ["UP-2025-000005", "UP-2025-000001", "CQ-2025-000001"]
        # Counts ignore the status filter (they label the status tabs).
        assert page.total == 3 and page.counts["new"] == 1
        assert _refs(queue(session, role="certification", now=NOW)) == ["CQ-2025-000001"]
        assert _refs(queue(session, mailbox="CERTIFICATION@up.fr", now=NOW)) == ["CQ-2025-000001"]
        page = queue(session, kind="deferral_request", status=["to_review", "resolved"], now=NOW)
        assert _refs(page) == ["UP-2025-000005", "UP-2025-000001", "UP-2025-000004"]
        assert page.counts == {"to_review": 2, "resolved": 1}
        assert _refs(queue(session, assigned_to="marie", status=list(CaseStatus)[:3], now=NOW)) == [
            "UP-2025-000002",
            "UP-2025-000003",
        ]
        assert len(queue(session, assigned_to=UNASSIGNED, now=NOW).cases) == 3
        assert _refs(queue(session, min_age=timedelta(days=7), now=NOW)) == [
            "UP-2025-000005",
            "UP-2025-000001",
        ]
        assert _refs(queue(session, max_age=timedelta(days=4), now=NOW)) == [
            "UP-2025-000002",
            "UP-2025-000003",
        ]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("2023-004512", ["UP-2025-000001"]),
        ("2023004512", ["UP-2025-000001"]),
        ("2023 004 512", ["UP-2025-000001"]),
        ("helene", ["UP-2025-000003"]),
        ("HÉLÈNE lefevre", ["UP-2025-000003"]),
        ("dupont@", ["UP-2025-000001"]),
        ("cq-2025", ["CQ-2025-000001"]),
        ("000004", ["UP-2025-000004"]),
        ("rhone", ["CQ-2025-000001"]),
        ("100%", []),
        ("_", []),
    ],
)
def test_search(engine: Engine, term: str, expected: list[str]) -> None:
    _add_cases(engine)
    with session_scope(engine, write=False) as session:
        assert _refs(queue(session, search=term, now=NOW)) == expected


def test_search_text_follows_edits(engine: Engine) -> None:
    _add_cases(engine)
    with session_scope(engine) as session:
        case = queue(session, search="zoe", now=NOW).cases[0]
        case.nuc = "2022-123456"
        session.add(case)
    with session_scope(engine, write=False) as session:
        assert _refs(queue(session, search="2022123456", now=NOW)) == ["UP-2025-000005"]


def test_paging(engine: Engine) -> None:
    with session_scope(engine) as session:
        for n in range(1, 24):
            session.add(
                Case(
                    ref=f"UP-2025-{n:06d}",
                    role="accueil",
                    mailbox="a@up.fr",
                    kind="other",
                    waiting_since=NOW - timedelta(hours=100 - n),
                )
            )
    with session_scope(engine, write=False) as session:
        pages = [queue(session, page=p, per_page=10, now=NOW) for p in (1, 2, 3, 4)]
    assert [len(p.cases) for p in pages] == [10, 10, 3, 0]
    assert all(p.total == 23 and p.pages == 3 for p in pages)
    seen = [ref for p in pages for ref in _refs(p)]
    assert seen == [f"UP-2025-{n:06d}" for n in range(1, 24)]


def test_dashboard_and_export_reads(engine: Engine) -> None:
    with session_scope(engine) as session:
        case = Case(
            ref="CQ-2025-000001", role="certification", mailbox="c@up.fr", kind="spreadsheet_return"
        )
        session.add(case)
        session.flush()
        day1 = datetime(2025, 6, 1, 21, 30, tzinfo=UTC)  # 23:30 in Paris, still 1 June
        for when, kind in [(day1, "bounce"), (day1, "other"), (day1 + timedelta(hours=1), "other")]:
            session.add(Message(case_id=case.id, sha256="a" * 64, kind=kind, created_at=when))
        message = Message(
            case_id=case.id, sha256="b" * 64, kind="spreadsheet_return", created_at=day1
        )
        session.add(message)
        session.flush()
        rows = [
            ("CAF du Rhône", "2025-06", "accepted", "Martin"),
            ("CAF du Rhône", "2025-06", "accepted", "Bernard"),
            ("CAF du Rhône", "2025-06", "late", "Durand"),
            ("URSSAF Alsace", "2025-06", "accepted", "Adam"),
            ("URSSAF Alsace", None, "invalid", "Zidane"),
            ("URSSAF Alsace", "2025-09", "accepted", "Roux"),
        ]
        for number, (organisation, month, bucket, last_name) in enumerate(rows, start=2):
            session.add(
                SpreadsheetRow(
                    case_id=case.id,
                    message_id=message.id,
                    row_number=number,
                    bucket=bucket,  # type: ignore[arg-type]
                    organisation=organisation,
                    exam_month=month,
                    last_name=last_name,
                    first_name="X",
                    certifiable_from=date(2025, 5, 1),
                )
            )
    from zoneinfo import ZoneInfo

    with session_scope(engine, write=False) as session:
        utc_days = messages_per_day(session, NOW - timedelta(days=30))
        paris_days = messages_per_day(
            session, NOW - timedelta(days=30), tz=ZoneInfo("Europe/Paris")
        )
        returns = spreadsheet_returns(session)
        june = rows_for_exam_month(session, "2025-06")
        june_late = rows_for_exam_month(session, "2025-06", buckets=["late"])
    # 22:30 UTC on 1 June is already 2 June in Paris.
    assert utc_days == {date(2025, 6, 1): {"bounce": 1, "other": 2, "spreadsheet_return": 1}}
    assert paris_days == {
        date(2025, 6, 1): {"bounce": 1, "other": 1, "spreadsheet_return": 1},
        date(2025, 6, 2): {"other": 1},
    }
    assert [(r.organisation, r.exam_month, dict(r.buckets)) for r in returns] == [
        ("URSSAF Alsace", None, {"invalid": 1}),
        ("CAF du Rhône", "2025-06", {"accepted": 2, "late": 1}),
        ("URSSAF Alsace", "2025-06", {"accepted": 1}),
        ("URSSAF Alsace", "2025-09", {"accepted": 1}),
    ]
    assert [r.last_name for r in june] == ["Bernard", "Martin", "Adam"]
    assert [r.last_name for r in june_late] == ["Durand"]


def test_open_cases_wait_since_creation_closed_ones_do_not(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(
            Case(
                ref="UP-2025-000001",
                role="accueil",
                mailbox="a@up.fr",
                kind="other",
                created_at=NOW,
            )
        )
        session.add(
            Case(
                ref="UP-2025-000002",
                role="accueil",
                mailbox="a@up.fr",
                kind="other",
                status=CaseStatus.RESOLVED,
                created_at=NOW,
            )
        )
    with session_scope(engine, write=False) as session:
        cases = queue(session, now=NOW).cases
    assert [(c.ref, c.waiting_since) for c in cases] == [
        ("UP-2025-000001", NOW),
        ("UP-2025-000002", None),
    ]
