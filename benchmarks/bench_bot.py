"""End-to-end speed of the bot: Dovecot IMAP in, SQLite store, replies to an SMTP sink.

Prints, for the same text mails in the same run:

- the bot: ``poll_once`` (fetch, file, answer, send) in mails per second;
- the bare floor: an imapclient fetch of the same mails (``BODY.PEEK[]``, 100 per
  command) plus one smtplib send per reply over one connection;
- the SMTP sink runs in a process of its own (``benchmarks/sink.py``), as a real
  server would, for the bot and the floor alike;
- their ratio (the issue asks for at least 200 mails/s and 30 % of the floor);
- ``--rounds`` rounds (3 by default) of the bot then the floor, each on a fresh
  mailbox and database, each printed; the verdict is on the medians, since one
  sample of either on a shared 2-core machine varies by 20 % from run to run;
- a first poll of a big old mailbox (``--first-poll``, 20,000 by default) by the real
  ``intake poll --once`` command: time, peak memory, and whether the progress bar
  was drawn.

Usage: ``python benchmarks/bench_bot.py [--mails 2000] [--rounds 3] [--first-poll 20000]``. Needs
Dovecot (Debian ``dovecot-imapd``) and aiosmtpd; everything listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADDRESS = "accueil@union-prof.asso.fr"
BODIES = (
    "Bonjour,\nJe n'ai jamais reçu mon NUC et je ne peux pas finaliser mon inscription à "
    "l'épreuve UP-EC1.\nCordialement,\nPaul Durand\n12 rue des Lilas\n69003 Lyon\n06 12 34 56 78\n",
    "Bonjour, j'ai perdu mon mot de passe Certif-UP, je ne peux plus me connecter.\nMerci\n",
    "Bonjour, je n'arrive pas à me connecter à myCertif, mon mot de passe est refusé.\n",
    "Bonjour, pouvez-vous m'indiquer les dates des prochaines sessions ?\nMerci\n",
    "Bonjour,\nJe suis malade la semaine de l'épreuve, je souhaite reporter mon inscription "
    "à la session suivante. Je vous enverrai le certificat médical.\nNUC 2023-004512\n",
    "Bonjour, aucun centre ne s'affiche pour le département 23 quand je m'inscris.\nMarie Dupont\n",
    "Bonjour, je souhaite annuler mon inscription et être remboursée, je ne suis plus "
    "disponible.\nCordialement\n",
    "Bonjour, je n'ai pas reçu le mail de confirmation étape 1 sur 3.\nMerci d'avance\n",
)


def text_mail(index: int) -> bytes:
    body = BODIES[index % len(BODIES)].replace("\n", "\r\n")
    return (
        f"From: Candidat {index} <candidat{index}@example.net>\r\nTo: {ADDRESS}\r\n"
        f"Subject: Question {index}\r\nDate: Mon, 02 Jun 2025 10:00:00 +0200\r\n"
        f"Message-ID: <bench{index}.{time.time_ns()}@example.net>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()


def settings(root: Path, imap_port: int, smtp_port: int, user: str) -> dict[str, object]:
    os.environ["BENCH_IMAP_PW"] = "pw"
    return {
        "store": {"url": f"sqlite:///{root / 'intake.db'}", "files": str(root / "files")},
        "mailbox": [
            {
                "role": "accueil",
                "address": ADDRESS,
                "host": "127.0.0.1",
                "port": imap_port,
                "security": "none",
                "username": user,
                "password_env": "BENCH_IMAP_PW",
            }
        ],
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none"},
    }


def floor(server: object, user: str, folder: str, replies: int, smtp_port: int) -> float:
    """Seconds for the bare floor: fetch every mail of ``folder``, send ``replies`` mails."""
    reply = (
        f"From: {ADDRESS}\r\nTo: x@example.net\r\nSubject: [UP-2025-000001] Re\r\n"
        "Auto-Submitted: auto-replied\r\n\r\n"
        + "Bonjour,\r\nVotre demande est enregistrée.\r\n"
        * 20
    ).encode()
    started = time.perf_counter()
    imap = server.client(user)  # type: ignore[attr-defined]
    imap.select_folder(folder, readonly=True)
    uids = imap.search("ALL")
    fetched = 0
    for start in range(0, len(uids), 100):
        fetched += len(imap.fetch(uids[start : start + 100], ["BODY.PEEK[]"]))
    imap.logout()
    smtp = smtplib.SMTP("127.0.0.1", smtp_port)
    for index in range(replies):
        smtp.sendmail(ADDRESS, [f"candidat{index}@example.net"], reply)
    smtp.quit()
    return time.perf_counter() - started


class Sink:
    """``benchmarks/sink.py`` in its own process; :meth:`received` stops it and counts."""

    def __init__(self, work: Path) -> None:
        from tests.servers import free_port

        self.port = free_port()
        self._count = work / f"sink-{self.port}.count"
        self._process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "sink.py"),
                str(self.port),
                str(self._count),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        assert self._process.stdout.readline().strip() == "ready"

    def received(self) -> int:
        self.stop()
        return int(self._count.read_text(encoding="utf-8"))

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=30)


def one_round(server: object, work: Path, user: str, count: int) -> tuple[float, float]:
    """One round on a fresh mailbox and database: (bot seconds, floor seconds)."""
    from intake.config import parse_config
    from intake.service import poll_once

    server.deliver(user, [text_mail(i) for i in range(count)])  # type: ignore[attr-defined]
    sink = Sink(work)
    try:
        config = parse_config(settings(work / f"site-{user}", server.port, sink.port, user))  # type: ignore[attr-defined]
        started = time.perf_counter()
        summary = poll_once(config, progress=False)
        bot = time.perf_counter() - started
        box = summary.mailboxes[0]
        assert box.error is None, box.error
        sent = summary.outbox.sent
        assert box.filed == count and sent == count and sink.received() == sent, (box, sent)
    finally:
        sink.stop()
    sink = Sink(work)
    try:
        bare = floor(server, user, "Traités", sent, sink.port)
        assert sink.received() == sent
    finally:
        sink.stop()
    return bot, bare


def end_to_end(count: int, rounds: int) -> None:
    """``rounds`` rounds of the bot then the floor; each printed, then the medians."""
    from tests.servers import dovecot

    work = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    users = {f"bench{n}": "pw" for n in range(rounds)}
    server = dovecot(work, users=users)
    bots, floors = [], []
    try:
        print(f"end to end: {count} text mails per round, one reply each, {rounds} rounds")
        for n, user in enumerate(users, start=1):
            bot, bare = one_round(server, work, user, count)
            bots.append(count / bot)
            floors.append(count / bare)
            print(
                f"  round {n}: bot {bots[-1]:5.0f} mails/s ({bot:5.2f} s), "
                f"floor {floors[-1]:5.0f} mails/s ({bare:5.2f} s), "
                f"ratio {bots[-1] / floors[-1]:4.0%}"
            )
        rate, floor_rate = statistics.median(bots), statistics.median(floors)
        print(f"  bot   (poll_once), median    {rate:8.0f} mails/s")
        print(f"  floor (fetch + smtplib), median {floor_rate:5.0f} mails/s")
        print(f"  ratio of the medians          {rate / floor_rate:7.0%}")
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


def first_poll(count: int) -> None:
    from tests.bot.conftest import _toml
    from tests.servers import dovecot, smtp_sink

    work = Path(tempfile.mkdtemp(prefix="bench-first-"))
    server = dovecot(work, users={"old": "pw"})
    sink = smtp_sink()
    try:
        server.deliver("old", [text_mail(i) for i in range(count)])
        site = work / "site"
        site.mkdir()
        config = site / "config.toml"
        config.write_text(_toml(settings(site, server.port, sink.port, "old")), encoding="utf-8")
        command = [
            str(Path(sys.executable).with_name("intake")),
            "poll",
            "--once",
            "-c",
            str(config),
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        bar = "first poll" in done.stderr and f"{count}/{count}" in done.stderr
        print(f"first poll of an old mailbox: {count} mails (intake poll --once)")
        print(f"  exit code {done.returncode}; {done.stdout.strip()}")
        print(
            f"  time {elapsed:.1f} s ({count / elapsed:.0f} mails/s), peak memory {peak_mb:.0f} MB"
        )
        print(
            f"  progress bar drawn: {'yes' if bar else 'NO'}; replies received {len(sink.messages)}"
        )
    finally:
        sink.close()
        server.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--first-poll", type=int, default=20000)
    args = parser.parse_args()
    end_to_end(args.mails, args.rounds)
    if args.first_poll:
        first_poll(args.first_poll)


if __name__ == "__main__":
    main()
