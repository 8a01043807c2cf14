"""What every CLI command module needs: the configuration, or a clear exit, and the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from intake.config import Config, ConfigError, load_config


def config_or_exit(path: Path | None) -> Config:
    """The configuration; a bad file prints its ``key: problem`` lines and exits 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def open_store(config: Config) -> Any:
    """The store's engine, with the migrations applied (as on every start)."""
    from intake.service import store_url
    from store import make_engine, upgrade

    engine = make_engine(store_url(config))
    upgrade(engine)
    return engine
