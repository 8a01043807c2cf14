"""Configuration: the example file is the defaults; bad files name key and problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from intake.config import Config, ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_example_file_equals_builtin_defaults() -> None:
    example = load_config(ROOT / "config.example.toml")
    defaults = Config()
    assert example.model_dump(exclude={"source"}) == defaults.model_dump(exclude={"source"})


def test_example_catalogue_is_exactly_the_spec() -> None:
    config = load_config(ROOT / "config.example.toml")
    assert [(e.code, e.label) for e in config.exam] == [
        ("UP-EC1", "Épreuve de connaissances générales"),
        ("UP-EP2", "Épreuve pratique professionnelle"),
        ("UP-EO3", "Épreuve orale d'entretien"),
        ("UP-CERT", "Certification complète"),
    ]
    months = {m for d in config.deadline for m in d.months}
    assert "2025-08" not in months and len(months) == 11


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[store]\nurl = "sqlite:///x.db"\n'
        '[[mailbox]]\nrole = "accueil"\naddress = "a@example.org"\nhost = "127.0.0.1"\n'
        'port = 1143\nsecurity = "none"\nusername = "a"\npassword_env = "PW"\n'
        'folder = "INBOX"\nafter = "seen"\n'
        '[smtp]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n'
    )
    config = load_config(path)
    assert config.replies.max_per_sender_per_day == 3
    assert config.mailbox[0].imap_port == 1143
    assert config.smtp is not None and config.smtp.username is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[mailbox]]\nrole = "accueil"\naddress = "a@b.fr"\nhost = "h"\nport = 99999\n'
            'username = "u"\npassword_env = "P"\n',
            "mailbox[0].port",
        ),
        ('[[mailbox]]\nrole = "guichet"\naddress = "a@b.fr"\nmaildir = "m"\n', "mailbox[0].role"),
        ("[replies]\nmax_per_day = 3\n", "replies.max_per_day: unknown key"),
        (
            '[[mailbox]]\nrole = "accueil"\naddress = "a@b.fr"\nhost = "imap.example.org"\n'
            'security = "none"\nusername = "u"\npassword_env = "P"\n',
            "loopback only",
        ),
        ('[keywords]\nmedicale = ["x"]\n', "unknown keyword list"),
        ('[[deadline]]\nmonths = ["2025-13"]\ndue = "closed"\n', "YYYY-MM"),
        ("[store\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert "Traceback" not in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")


def test_keywords_extend_a_list() -> None:
    config = parse_config(tomllib.loads('[keywords]\nmedical = ["zona"]\n'))
    assert config.keywords["medical"] == ("zona",)
