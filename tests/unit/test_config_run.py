"""The ``[run]`` section: its defaults, old files without it, bad values by path, "auto"."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from intake.config import Config, ConfigError, RunConfig, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"


def test_defaults_are_todays_behaviour() -> None:
    run = Config().run
    assert run.poll_interval == 60.0
    assert run.outbox_interval == 10.0
    assert run.max_backoff == 900.0
    assert run.max_attempts == 3
    assert run.workers == "auto"


def test_example_file_documents_the_section_with_its_defaults() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "[run]" in text
    assert load_config(EXAMPLE).run == RunConfig()
    # Every key of the section is in the example file, with its default value.
    shown = tomllib.loads(text)["run"]
    assert shown == RunConfig().model_dump()


def test_a_file_without_the_section_still_works(tmp_path: Path) -> None:
    # The example file as it was before [run] existed: only the contract keys.
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    del data["run"]
    assert parse_config(data).run == RunConfig()
    path = tmp_path / "site.toml"
    path.write_text('[store]\nurl = "sqlite:///x.db"\n[outbox]\ndir = "out"\n')
    assert load_config(path).run == RunConfig()


def test_a_partial_section_keeps_the_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text("[run]\npoll_interval = 30\nworkers = 0\n")
    run = load_config(path).run
    assert run.poll_interval == 30.0 and isinstance(run.poll_interval, float)
    assert run.workers == 0 and run.worker_count() == 0
    assert (run.outbox_interval, run.max_backoff, run.max_attempts) == (10.0, 900.0, 3)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("poll_interval = 0", "run.poll_interval: Input should be greater than 0"),
        ("poll_interval = -5.0", "run.poll_interval: Input should be greater than 0"),
        # Milliseconds written by mistake: 60000 "ms" would be 16 hours.
        ("poll_interval = 60000", "run.poll_interval: Input should be less than or equal to 3600"),
        ("poll_interval = true", "run.poll_interval: Input should be a valid number"),
        ('poll_interval = "60"', "run.poll_interval: Input should be a valid number"),
        ("poll_interval = nan", "run.poll_interval: Input should be a finite number"),
        ("outbox_interval = 0", "run.outbox_interval: Input should be greater than 0"),
        ("outbox_interval = inf", "run.outbox_interval: Input should be a finite number"),
        ("max_backoff = 0", "run.max_backoff: Input should be greater than 0"),
        ("max_backoff = 100000", "run.max_backoff: Input should be less than or equal to 86400"),
        ("max_attempts = 0", "run.max_attempts: Input should be greater than or equal to 1"),
        ("max_attempts = 21", "run.max_attempts: Input should be less than or equal to 20"),
        ("max_attempts = 2.5", "run.max_attempts: Input should be a valid integer"),
        ("workers = -1", 'run.workers: must be "auto" or a whole number from 0 to 64'),
        ("workers = 65", 'run.workers: must be "auto" or a whole number from 0 to 64'),
        ('workers = "4"', 'run.workers: must be "auto" or a whole number from 0 to 64'),
        ('workers = "Auto"', 'run.workers: must be "auto" or a whole number from 0 to 64'),
        ("workers = true", 'run.workers: must be "auto" or a whole number from 0 to 64'),
        ("workers = 2.0", 'run.workers: must be "auto" or a whole number from 0 to 64'),
        ("interval = 60", "run.interval: unknown key"),
    ],
)
def test_bad_values_are_reported_with_their_path(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[run]\n{line}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: invalid configuration"
    # One line per problem, even for the union type of `workers`.
    assert lines[1:] == [message]


def test_every_bad_key_of_the_section_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"run": {"poll_interval": 0, "workers": "many"}})
    text = str(info.value)
    assert "run.poll_interval:" in text and "run.workers:" in text


@pytest.mark.parametrize(
    ("cpus", "expected"),
    [(None, 1), (1, 1), (2, 1), (3, 2), (4, 3), (5, 4), (64, 4)],
)
def test_auto_workers_leave_one_core_to_the_bot_and_stop_at_four(
    monkeypatch: pytest.MonkeyPatch, cpus: int | None, expected: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    run = parse_config({"run": {"workers": "auto"}}).run
    assert run.worker_count() == expected


@pytest.mark.parametrize("workers", [0, 1, 7, 64])
def test_a_number_of_workers_is_taken_as_written(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert parse_config({"run": {"workers": workers}}).run.worker_count() == workers
