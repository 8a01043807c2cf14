"""Store figures: the staff queue with 10,000 cases, and per-mail transactions per second.

1. Queue: fills 10,000 cases (mixed roles, kinds, statuses, ages) and times
   ``store.queue.queue`` for the page views staff use (first page, a status tab, an
   inbox and kind, a search by NUC, by name, a far page). Issue 5 wants the whole
   queue page under 200 ms; this is the database part of it.
2. Intake transactions: what the pipeline does per mail in one transaction (receipt,
   raw bytes in the file store, case with a new reference, message, reply in the
   outbox, audit event), one mail per transaction, as a rate.

SQLite always; PostgreSQL too when ``INTAKE_TEST_DATABASE_URL`` is set or a
throwaway cluster can be made (tests/servers.py). Run:
``.venv/bin/python benchmarks/bench_store.py [--cases 10000] [--mails 1000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from store.db import make_engine, session_scope, upgrade  # noqa: E402
from store.fast import insert_row  # noqa: E402
from store.files import FileStore  # noqa: E402
from store.models import AuditEvent, Case, Message, Reply  # noqa: E402
from store.queue import queue  # noqa: E402
from store.receipts import record_receipt  # noqa: E402
from store.refs import allocate_ref  # noqa: E402
from store.types import utcnow  # noqa: E402
from tests.servers import pg_available, postgres_cluster  # noqa: E402

FIRST = ["Jeanne", "Paul", "Hélène", "Luc", "Zoé", "Marc", "Inès", "Léa", "Hugo", "Chloé"]
LAST = ["Dupont", "Martin", "Lefèvre", "Moreau", "Petit", "Durand", "Bernard", "Roux"]
KINDS = {
    "accueil": ["problem_report", "deferral_request", "other", "auto_reply", "bounce"],
    "certification": ["spreadsheet_return", "mycertif_access", "other"],
}
STATUSES = ["new", "awaiting_sender", "to_review", "resolved", "rejected"]


def fill_cases(engine: Engine, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        role = "accueil" if rng.random() < 0.7 else "certification"
        status = rng.choices(STATUSES, weights=[2, 2, 3, 6, 1])[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        case = Case(
            ref=f"{'UP' if role == 'accueil' else 'CQ'}-2025-{n:06d}",
            role=role,
            mailbox=f"{role}@example.fr",
            kind=rng.choice(KINDS[role]),
            status=status,
            nuc=f"20{rng.randint(20, 25)}-{rng.randint(0, 999999):06d}"
            if rng.random() < 0.6
            else None,
            sender_email=f"{first}.{last}{n}@example.fr".lower(),
            sender_name=f"{first} {last}",
            subject="Demande",
            assigned_to=rng.choice([None, None, "marie", "karim"]),
            created_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 90)),
            waiting_since=(
                None
                if status in ("resolved", "rejected")
                else now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
            ),
        )
        case.refresh_search_text()
        row = case.model_dump()
        row.pop("id")
        rows.append(row)
    with session_scope(engine) as session:
        for start in range(0, len(rows), 1000):
            session.execute(insert(Case), rows[start : start + 1000])


def time_ms(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def bench_queue(engine: Engine, repeat: int) -> None:
    views: dict[str, dict[str, Any]] = {
        "first page, open statuses": {"status": ["new", "awaiting_sender", "to_review"]},
        "to_review tab": {"status": "to_review"},
        "inbox + kind": {"role": "accueil", "kind": "deferral_request", "status": "to_review"},
        "assigned to me": {"assigned_to": "marie"},
        "older than 30 days": {"min_age": timedelta(days=30)},
        "search NUC digits": {"search": "2023004"},
        "search name (accents)": {"search": "helene lefevre"},
        "search e-mail": {"search": "zoe.petit12"},
        "page 150 of all": {"page": 150},
    }
    for label, filters in views.items():

        def view(filters: dict[str, Any] = filters) -> int:
            with session_scope(engine, write=False) as session:
                return len(queue(session, **filters).cases)

        view()  # warm the caches once
        median, worst = time_ms(view, repeat)
        print(f"    {label:28s} median {median:6.1f} ms   max {worst:6.1f} ms")


def file_one(session: Session, files: FileStore, n: int) -> None:
    """What the pipeline writes for one plain mail with a reply."""
    raw = (
        f"From: c{n}@example.fr\r\nMessage-ID: <bench-{n}@example.fr>\r\n"
        f"Subject: Demande {n}\r\n\r\nBonjour, ma demande numéro {n}.\r\n"
    ).encode()
    sha = hashlib.sha256(raw).hexdigest()
    receipt = record_receipt(
        session,
        mailbox="imap:bench",
        uidvalidity=1,
        uid=n + 1,
        sha256=sha,
        message_id=f"bench-{n}@example.fr",
        action="move:Traités",
    )
    assert receipt is not None
    files.put(raw)
    ref = allocate_ref(session, "UP", 2026)
    case = Case(
        ref=ref,
        role="accueil",
        mailbox="accueil@example.fr",
        kind="other",
        sender_email=f"c{n}@example.fr",
        fields={"missing": []},
    )
    session.add(case)
    session.flush()
    message = Message(
        case_id=case.id,
        mailbox="imap:bench",
        message_id=f"<bench-{n}@example.fr>",
        sha256=sha,
        size=len(raw),
        kind="other",
    )
    session.add(message)
    session.flush()
    session.add(
        Reply(
            case_id=case.id,  # type: ignore[arg-type]
            message_id=f"<r{n}@example.fr>",
            in_reply_to_id=message.id,
            template="general_ack",
            from_addr="accueil@example.fr",
            to_addr=f"c{n}@example.fr",
            subject=f"[{ref}] Accusé de réception",
            body="Bonjour",
        )
    )
    session.add(AuditEvent(case_id=case.id, action="case.created", detail={"kind": "other"}))
    receipt.case_id, receipt.message_pk = case.id, message.id


def file_one_fast(session: Session, files: FileStore, n: int) -> None:
    """The same rows through ``store.fast`` (Core statements, no ORM objects)."""
    raw = (
        f"From: c{n}@example.fr\r\nMessage-ID: <bench-{n}@example.fr>\r\n"
        f"Subject: Demande {n}\r\n\r\nBonjour, ma demande numéro {n}.\r\n"
    ).encode()
    sha = hashlib.sha256(raw).hexdigest()
    receipt = record_receipt(
        session,
        mailbox="imap:bench",
        uidvalidity=1,
        uid=n + 1,
        sha256=sha,
        message_id=f"bench-{n}@example.fr",
        action="move:Traités",
    )
    assert receipt is not None and receipt.id is not None
    files.put(raw)
    ref = allocate_ref(session, "UP", 2026)
    case_id = insert_row(
        session,
        Case,
        {
            "ref": ref,
            "role": "accueil",
            "mailbox": "accueil@example.fr",
            "kind": "other",
            "sender_email": f"c{n}@example.fr",
            "fields": {"missing": []},
        },
    )
    message_id = insert_row(
        session,
        Message,
        {
            "case_id": case_id,
            "mailbox": "imap:bench",
            "message_id": f"<bench-{n}@example.fr>",
            "sha256": sha,
            "size": len(raw),
            "kind": "other",
        },
    )
    insert_row(
        session,
        Reply,
        {
            "case_id": case_id,
            "message_id": f"<r{n}@example.fr>",
            "in_reply_to_id": message_id,
            "template": "general_ack",
            "from_addr": "accueil@example.fr",
            "to_addr": f"c{n}@example.fr",
            "subject": f"[{ref}] Accusé de réception",
            "body": "Bonjour",
        },
    )
    insert_row(
        session,
        AuditEvent,
        {"case_id": case_id, "action": "case.created", "detail": {"kind": "other"}},
    )
    receipt.case_id, receipt.message_pk = case_id, message_id


def bench_intake(
    engine: Engine,
    files: FileStore,
    mails: int,
    first: int = 0,
    per_tx: int = 1,
    write: Callable[[Session, FileStore, int], None] = file_one,
) -> float:
    """Mails filed per second: one transaction per mail, or ``per_tx`` mails per
    transaction with a SAVEPOINT each (a failing mail rolls back alone)."""
    started = time.perf_counter()
    for batch in range(first, first + mails, per_tx):
        with session_scope(engine) as session:
            for n in range(batch, min(batch + per_tx, first + mails)):
                if per_tx == 1:
                    write(session, files, n)
                else:
                    with session.begin_nested():
                        write(session, files, n)
        if files.sync == "deferred" and (batch // per_tx) % max(1, 100 // per_tx) == 0:
            # One flush per ~100 mails, before that batch's mailbox actions.
            files.sync_pending()
    files.sync_pending()
    return mails / (time.perf_counter() - started)


def run(label: str, url: str, args: argparse.Namespace, folder: Path) -> None:
    engine = make_engine(url)
    upgrade(engine)
    try:
        print(f"{label}:")
        started = time.perf_counter()
        fill_cases(engine, args.cases)
        print(f"  filled {args.cases} cases in {time.perf_counter() - started:.1f} s; queue views:")
        bench_queue(engine, args.repeat)
        print("  intake transactions (receipt + raw file + ref + case + message + reply + audit):")
        variants = [
            ("ORM objects", file_one, "each", 1),
            ("ORM objects", file_one, "deferred", 1),
            ("ORM objects", file_one, "off", 1),
            ("store.fast", file_one_fast, "each", 1),
            ("store.fast", file_one_fast, "deferred", 1),
            ("store.fast", file_one_fast, "deferred", 50),
        ]
        for n, (how, write, sync, per_tx) in enumerate(variants):
            files = FileStore(folder / f"files-{label}-{n}", sync=sync)
            rate = bench_intake(engine, files, args.mails, n * args.mails, per_tx, write)
            batch = "1 mail per tx" if per_tx == 1 else f"{per_tx} per tx + savepoints"
            print(
                f"    {how:12s} file sync {sync:8s} {batch:22s} {rate:6,.0f} mails/s"
                f"  ({1000 / rate:.1f} ms per mail)"
            )
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--mails", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        folder = Path(tmp)
        run("SQLite", f"sqlite:///{folder / 'intake.db'}", args, folder)
        why = "--no-postgres" if args.no_postgres else pg_available()
        if why:
            print(f"PostgreSQL: skipped ({why})")
            return
        with postgres_cluster() as server:
            run("PostgreSQL", server.create_database(), args, folder)


if __name__ == "__main__":
    main()
