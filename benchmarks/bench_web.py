"""The staff queue page with 10,000 cases: whole HTTP request, median and p95.

Fills a SQLite store with 10,000 cases (mixed inboxes, kinds, statuses, ages,
assignments) and a few hundred incoming messages, logs in as an agent, then times
GET requests through the real application (routing, session cookie, role check,
query, Jinja2 page, security headers) with Starlette's in-process client, so the
figures are the server's own time without a network hop. Issue 5 asks for the
queue page under 200 ms.

Run: ``.venv/bin/python benchmarks/bench_web.py [--cases 10000] [--repeat 60]``.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore", category=DeprecationWarning)

from intake.config import parse_config  # noqa: E402
from store import Case, FileStore, Message, insert_rows, make_engine, session_scope, upgrade  # noqa: E402
from store.types import utcnow  # noqa: E402

FIRST = ["Jeanne", "Paul", "Hélène", "Luc", "Zoé", "Marc", "Inès", "Léa", "Hugo", "Chloé"]
LAST = ["Dupont", "Martin", "Lefèvre", "Moreau", "Petit", "Durand", "Bernard", "Roux"]
KINDS = {
    "accueil": ["problem_report", "deferral_request", "other", "auto_reply", "bounce"],
    "certification": ["spreadsheet_return", "mycertif_access", "other"],
}
TOPICS = ["nuc_request", "password_reset", "payment", "no_centre_listed", None]
STATUSES = ["new", "awaiting_sender", "to_review", "resolved", "rejected"]


def fill(engine: Any, count: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    now = utcnow()
    cases: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        role = "accueil" if rng.random() < 0.7 else "certification"
        kind = rng.choice(KINDS[role])
        status = rng.choices(STATUSES, weights=[2, 2, 3, 6, 1])[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 90))
        cases.append(
            {
                "ref": f"{'UP' if role == 'accueil' else 'CQ'}-2025-{n:06d}",
                "role": role,
                "mailbox": f"{role}@example.fr",
                "kind": kind,
                "status": status,
                "topic": rng.choice(TOPICS) if kind == "problem_report" else None,
                "reason": "medical" if kind == "deferral_request" else None,
                "nuc": f"20{rng.randint(20, 25)}-{rng.randint(0, 999999):06d}"
                if rng.random() < 0.6
                else None,
                "sender_email": f"{first}.{last}{n}@example.fr".lower(),
                "sender_name": f"{first} {last}",
                "subject": rng.choice(
                    [
                        "Demande de report",
                        "NUC perdu",
                        "Tableau de recueil",
                        "Question",
                        "Mot de passe",
                    ]
                ),
                "fields": {},
                "reasons": [],
                "assigned_to": rng.choice([None, None, None, "agent", "karim"]),
                "created_at": created,
                "waiting_since": None
                if status in ("resolved", "rejected")
                else now - timedelta(minutes=rng.randint(0, 60 * 24 * 60)),
            }
        )
    messages = [
        {
            "case_id": rng.randint(1, count),
            "direction": "in",
            "sha256": f"{n:064x}",
            "kind": rng.choice(KINDS["accueil"]),
            "created_at": now - timedelta(minutes=rng.randint(0, 60 * 24 * 30)),
        }
        for n in range(count // 20)
    ]
    with session_scope(engine) as session:
        for start in range(0, len(cases), 1000):
            insert_rows(session, Case, cases[start : start + 1000])
        insert_rows(session, Message, messages)


def timed(client: Any, url: str, repeat: int) -> tuple[float, float, int]:
    response = client.get(url)  # warm caches and the template
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from intake.web import create_app
    from intake.web.auth import add_user

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        root = Path(tmp)
        config = parse_config(
            {"store": {"url": f"sqlite:///{root / 'intake.db'}", "files": "files"}},
            source=root / "config.toml",
        )
        engine = make_engine(config.store.url)
        upgrade(engine)
        started = time.perf_counter()
        fill(engine, args.cases)
        with session_scope(engine) as session:
            add_user(session, "agent", "agent", "bench-mot-de-passe")
        print(f"store: {args.cases} cases filled in {time.perf_counter() - started:.1f} s (SQLite)")
        app = create_app(config, engine=engine, files=FileStore(root / "files"), secret="bench")
        client = TestClient(app)
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        client.post(
            "/login",
            data={
                "username": "agent",
                "password": "bench-mot-de-passe",
                "csrf_token": token.group(1),
            },
        )
        views = {
            "queue, first page (open cases)": "/",
            "queue, status tab to_review": "/?status=to_review",
            "queue, inbox + kind": "/?inbox=accueil&kind=deferral_request",
            "queue, assigned to me": "/?assigned=me",
            "queue, waiting > 7 days": "/?age=7d",
            "queue, search NUC digits": "/?q=2023004&status=all",
            "queue, search name (accents)": "/?q=helene%20lefevre&status=all",
            "queue, page 150 of all": "/?status=all&page=150",
            "dashboard": "/dashboard",
            "case page": "/cases/UP-2025-000001",
        }
        print(f"GET through the application, {args.repeat} requests each (ms):")
        for label, url in views.items():
            median, p95, size = timed(client, url, args.repeat)
            print(f"  {label:34s} median {median:6.1f}   p95 {p95:6.1f}   ({size // 1024} KiB)")
        engine.dispose()


if __name__ == "__main__":
    main()
