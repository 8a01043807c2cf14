"""Shared test configuration: paths to the project's data and the third-party corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def realworld_dir() -> Path | None:
    """../shared/realworld beside the repository, or $INTAKE_REALWORLD; None if absent."""
    env = os.environ.get("INTAKE_REALWORLD")
    candidate = Path(env) if env else ROOT.parent / "shared" / "realworld"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def realworld() -> Path:
    path = realworld_dir()
    if path is None:
        pytest.skip("third-party corpus ../shared/realworld not present")
    return path
