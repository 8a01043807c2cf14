"""The ``intake`` command line: one entry point for every staff and operator task.

Each command is a thin layer over a function of the package (the scheduler calls
the same functions), so that what the CLI does and what the running bot does can
never drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from intake.cli_bot import register as _register_bot_commands
from intake.cli_common import config_or_exit
from intake.cli_web import register as _register_web_commands

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Mailbox triage bot for the accueil and certification offices.",
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Configuration file (default ./config.toml, else built-in defaults)."
    ),
]


@app.callback()
def _root() -> None:
    """Mailbox triage bot for the accueil and certification offices."""


_config = config_or_exit


@app.command()
def classify(
    files: Annotated[list[Path], typer.Argument(help=".eml files to classify")],
    inbox: Annotated[
        str, typer.Option("--inbox", help="Inbox role: accueil or certification")
    ] = "accueil",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    config_path: ConfigOption = None,
) -> None:
    """Dry run: classify mail files and print the decision; nothing is stored or sent."""
    from intake.dryrun import classify_file

    if inbox not in ("accueil", "certification"):
        typer.echo("error: --inbox must be accueil or certification", err=True)
        raise typer.Exit(2)
    config = _config(config_path)
    results = (classify_file(path, inbox, config) for path in files)
    if as_json:
        out = sys.stdout
        for result in results:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            out.flush()
        return
    from intake.dryrun import print_table

    print_table(list(results))


@app.command()
def demo(config_path: ConfigOption = None) -> None:
    """Run the bot on the bundled sample mails: SQLite store, replies as .eml files."""
    from intake.cli_bot import demo as run_demo

    run_demo(config_path)


# The live bot's commands: poll --once, run, cases, status, db upgrade.
_register_bot_commands(app)
# The staff interface's commands: serve, user add/list, export rows.
_register_web_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
