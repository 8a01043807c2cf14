"""The staff interface's commands: ``serve``, ``user add``/``user list``, ``export rows``.

Registered on the ``intake`` Typer app by :func:`register`; each is a thin layer over
:mod:`intake.web`, :mod:`intake.web.auth` and :mod:`intake.export`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from intake.cli_common import config_or_exit, open_store

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Configuration file (default ./config.toml, else built-in defaults)."
    ),
]
PASSWORD_ENV = "INTAKE_PASSWORD"

user_app = typer.Typer(no_args_is_help=True, help="Staff accounts of the web interface.")
export_app = typer.Typer(no_args_is_help=True, help="Exports for the staff.")


_config = config_or_exit


_engine = open_store


def serve(
    config_path: ConfigOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8000,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Always mark the session cookie Secure (behind a TLS proxy that sends no "
            "X-Forwarded-Proto).",
        ),
    ] = False,
) -> None:
    """Run the staff web interface over the store that `intake run` fills."""
    import uvicorn

    from intake.web import create_app

    config = _config(config_path)
    app = create_app(config, secure_cookies=secure_cookies)
    typer.echo(f"intake: staff interface on http://{host}:{port}/ (Ctrl-C to stop)")
    # proxy_headers: a TLS proxy on this machine may say the visitor used https.
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        log_level="info",
    )


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name (no spaces).")],
    role: Annotated[str, typer.Option("--role", help="lecture, agent or admin.")] = "agent",
    replace: Annotated[
        bool, typer.Option("--replace", help="Reset the password and role of an existing account.")
    ] = False,
    config_path: ConfigOption = None,
) -> None:
    """Create a staff account; the password comes from $INTAKE_PASSWORD, else a prompt."""
    from intake.web.auth import AccountError, add_user
    from store import session_scope

    password = os.environ.get(PASSWORD_ENV)
    if not password:
        if not sys.stdin.isatty():
            typer.echo(f"error: set {PASSWORD_ENV} or run this in a terminal", err=True)
            raise typer.Exit(2)
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    config = _config(config_path)
    engine = _engine(config)
    try:
        with session_scope(engine) as session:
            user = add_user(session, name, role, password, replace=replace)
            created = f"account {user.name} ({user.role})"
    except AccountError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"{created} {'updated' if replace else 'created'}")


@user_app.command("list")
def user_list(config_path: ConfigOption = None) -> None:
    """List the staff accounts: name, role, state."""
    from sqlmodel import col, select

    from store import User, session_scope, utcnow

    config = _config(config_path)
    engine = _engine(config)
    try:
        with session_scope(engine, write=False) as session:
            users = session.exec(select(User).order_by(col(User.name))).all()
            now = utcnow()
            for user in users:
                state = "active" if user.active else "inactive"
                if user.locked_until and user.locked_until > now:
                    state = f"locked until {user.locked_until.astimezone():%H:%M}"
                typer.echo(f"{user.name}\t{user.role}\t{state}")
    finally:
        engine.dispose()


@export_app.command("rows")
def export_rows_command(
    month: Annotated[str, typer.Option("--month", help="Exam month, YYYY-MM.")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv.")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write ('-' for stdout).")
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Accepted spreadsheet rows of one exam month, for organising the juries."""
    from intake.export import ExportError, export_rows, filename
    from store import session_scope

    config = _config(config_path)
    engine = _engine(config)
    try:
        with session_scope(engine, write=False) as session:
            data = export_rows(session, month, fmt)
        target = output or Path(filename(month, fmt))
    except ExportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    if str(target) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target.write_bytes(data)
    typer.echo(f"{target}: {len(data)} bytes")


def register(app: typer.Typer) -> None:
    """Add the staff interface's commands to the ``intake`` app."""
    app.command()(serve)
    app.add_typer(user_app, name="user")
    app.add_typer(export_app, name="export")
