"""The bot's commands: ``poll --once``, ``run``, ``cases``, ``status``, ``db upgrade``, ``demo``.

Registered on the ``intake`` Typer app by :func:`register`; each is a thin layer over
:mod:`intake.service` (the same functions the scheduler calls).
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from intake.cli_common import config_or_exit, open_store
from intake.config import Config, ConfigError

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Configuration file (default ./config.toml, else built-in defaults)."
    ),
]
DEMO_MAIL = Path(__file__).parent / "demo" / "mail"

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")


_config = config_or_exit


_engine = open_store


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def poll(
    once: Annotated[
        bool, typer.Option("--once", help="Poll every mailbox once, send, exit.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    config_path: ConfigOption = None,
) -> None:
    """Fetch and file new mails of every mailbox, send the due replies, print a summary."""
    from intake.service import AlreadyRunning, poll_once

    if not once:
        raise _fail("use `intake poll --once` (or `intake run` to keep polling)", 2)
    config = _config(config_path)
    try:
        summary = poll_once(config)
    except AlreadyRunning as exc:
        raise _fail(str(exc), 3) from None
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, default=str))
    else:
        _print_summary(summary)
    if not summary.ok:
        raise typer.Exit(1)


def _print_summary(summary: Any) -> None:
    for box in summary.mailboxes:
        if box.skipped:
            typer.echo(f"{box.mailbox}: skipped ({box.skipped})")
            continue
        line = (
            f"{box.mailbox}: {box.new} new, {box.filed} filed, {box.followed_up} follow-ups, "
            f"{box.duplicates} duplicates, {box.errors} errors"
        )
        if box.retried:
            line += f", {box.retried} retried"
        if box.error:
            line += f" — FAILED: {box.error}"
        typer.echo(line)
    out = summary.outbox
    line = (
        f"outbox: {out.sent} sent, {out.failed_temporary} to retry, "
        f"{out.failed_permanent} failed, {out.uncertain} uncertain, {out.cancelled} cancelled"
    )
    if summary.recovered_uncertain:
        line += f" ({summary.recovered_uncertain} interrupted sends flagged uncertain)"
    if out.stopped:
        line += f" — stopped: {out.stopped}"
    typer.echo(line)


def run(
    config_path: ConfigOption = None,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            help=(
                "Seconds between polls of a mailbox; overrides poll_interval of the "
                "configuration's run section (default 60)."
            ),
        ),
    ] = None,
) -> None:
    """Keep polling every mailbox and sending replies until SIGTERM or Ctrl-C."""
    from intake.scheduler import run_forever
    from intake.service import AlreadyRunning

    # Checked before the configuration is read: a bad option is a usage error.
    if interval is not None and not 0 < interval < float("inf"):
        raise _fail("--interval must be a number of seconds more than 0", 2)
    config = _config(config_path)
    try:
        run_forever(config, interval=interval)
    except AlreadyRunning as exc:
        raise _fail(str(exc), 3) from None
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None


def cases(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per case and line.")
    ] = False,
    config_path: ConfigOption = None,
) -> None:
    """List the cases: reference, kind, status, messages and replies."""
    from store import session_scope
    from store.pipeline_queries import case_listing

    config = _config(config_path)
    engine = _engine(config)
    try:
        with session_scope(engine, write=False) as session:
            listing = case_listing(session)
    finally:
        engine.dispose()
    if as_json:
        out = sys.stdout
        for item in listing:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
        return
    _print_cases(listing)


def _print_cases(listing: list[dict[str, Any]], title: str = "intake cases") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("ref", "kind", "status", "messages", "replies"):
        table.add_column(column, no_wrap=column != "replies")
    for item in listing:
        replies = ", ".join(f"{r['template']} ({r['status']})" for r in item["replies"]) or "-"
        table.add_row(item["ref"], item["kind"], item["status"], str(item["messages"]), replies)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(table)


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    config_path: ConfigOption = None,
) -> None:
    """Last poll per mailbox, queue sizes and failures."""
    from store import session_scope
    from store.pipeline_queries import status_figures

    config = _config(config_path)
    engine = _engine(config)
    try:
        with session_scope(engine, write=False) as session:
            figures = status_figures(session)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, default=str))
        return
    known = {m["mailbox"]: m for m in figures["mailboxes"]}
    for mailbox in config.mailbox:
        state = known.get(mailbox.key)
        if state is None:
            typer.echo(f"{mailbox.key} ({mailbox.role}): never polled")
            continue
        line = f"{mailbox.key} ({mailbox.role}): last poll {_when(state['last_poll_at'])}"
        line += f", last success {_when(state['last_success_at'])}"
        if state["last_error"]:
            line += f", {state['consecutive_failures']} failures, last: {state['last_error']}"
        typer.echo(line)
    typer.echo("cases: " + _counts(figures["cases"]))
    typer.echo("replies: " + _counts(figures["replies"]))
    typer.echo(
        f"mails in error: {figures['receipts_in_error']}, mailbox actions pending: "
        f"{figures['actions_pending']}, received in the last 24 h: {figures['received_last_24h']}"
    )


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "never"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


@db_app.command("upgrade")
def db_upgrade(config_path: ConfigOption = None) -> None:
    """Apply the database migrations (also done on every start)."""
    from intake.service import store_url
    from store import upgrade

    config = _config(config_path)
    revision = upgrade(store_url(config))
    typer.echo(f"database at revision {revision}")


def install_demo_mail(config: Config) -> int:
    """Copy the bundled sample mails into the configured Maildirs, once; the number copied."""
    from intake.sources.maildir import deliver

    copied = 0
    for role_dir in sorted(p for p in DEMO_MAIL.iterdir() if p.is_dir()):
        mailbox = config.mailbox_for(role_dir.name)
        if mailbox is None or mailbox.maildir is None:
            continue
        root = config.resolve(mailbox.maildir)
        present = (
            {p.name.split(":", 1)[0] for p in root.rglob("demo-*")} if root.exists() else set()
        )
        for path in sorted(role_dir.glob("*.eml")):
            key = f"demo-{path.stem}"
            if key not in present:
                deliver(root, path.read_bytes(), key)
                copied += 1
    return copied


def demo(config_path: ConfigOption = None) -> None:
    """Run the bot on the bundled sample mails: SQLite store, replies as .eml files."""
    from intake.service import AlreadyRunning, poll_once, store_url
    from store import session_scope
    from store.pipeline_queries import case_listing

    # The demo never reads ./config.toml by itself: it must not deliver its sample
    # mails into a real site's mailboxes.
    config = _config(config_path) if config_path else Config()
    if not any(m.maildir for m in config.mailbox):
        raise _fail("the demo needs Maildir mailboxes (the default configuration has them)", 2)
    copied = install_demo_mail(config)
    try:
        summary = poll_once(config)
    except AlreadyRunning as exc:
        raise _fail(str(exc), 3) from None
    if copied:
        typer.echo(f"{copied} sample mails copied into the demo Maildirs")
    _print_summary(summary)
    engine = _engine(config)
    try:
        with session_scope(engine, write=False) as session:
            listing = case_listing(session)
    finally:
        engine.dispose()
    _print_cases(listing, title="intake demo: cases")
    outbox = config.resolve(config.outbox.dir)
    files = sorted(outbox.glob("*.eml")) if outbox.is_dir() else []
    typer.echo(f"cases: {store_url(config)}  (intake cases --json)")
    if config.smtp is None:
        typer.echo(f"replies: {outbox.resolve()}/  ({len(files)} .eml files)")
    typer.echo("status: intake status")
    if shutil.which("intake") is None:
        typer.echo("(the intake command is in .venv/bin/)")


def register(app: typer.Typer) -> None:
    """Add the bot's commands to the ``intake`` app."""
    app.command()(poll)
    app.command()(run)
    app.command()(cases)
    app.command()(status)
    app.add_typer(db_app, name="db")
