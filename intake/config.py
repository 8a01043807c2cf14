"""Configuration: the TOML file, validated by pydantic, with clear error messages.

A file holding only some keys works: every other key defaults to the value written
in ``config.example.toml`` (the same defaults are declared here). Errors are
reported as ``path: problem`` lines, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from responders.smtp import is_loopback

Role = Literal["accueil", "certification"]
Security = Literal["ssl", "starttls", "none"]
# More worker processes than this is a typo, not a machine the bot runs on.
MAX_WORKERS = 64


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names key and problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(_Model):
    url: str = "sqlite:///var/intake.db"
    files: Path = Path("var/files")


class OutboxConfig(_Model):
    dir: Path = Path("var/outbox")


class MailboxConfig(_Model):
    role: Role
    address: str
    maildir: Path | None = None
    host: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Security = "ssl"
    username: str | None = None
    password_env: str | None = None
    folder: str = "INBOX"
    after: str = "move:Traités"
    idle: bool = True
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 100

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("must be an e-mail address")
        return value.lower()

    @field_validator("after")
    @classmethod
    def _after(cls, value: str) -> str:
        if value in ("flag", "seen") or (value.startswith("move:") and len(value) > 5):
            return value
        raise ValueError('must be "move:FOLDER", "flag" or "seen"')

    @model_validator(mode="after")
    def _source(self) -> MailboxConfig:
        if self.maildir is None and self.host is None:
            raise ValueError("needs either maildir = PATH or host = IMAP server")
        if self.maildir is not None and self.host is not None:
            raise ValueError("has both maildir and host: choose one")
        if self.host is not None:
            if self.security == "none" and not is_loopback(self.host):
                raise ValueError('security = "none" is allowed on loopback only')
            if not self.username or not self.password_env:
                raise ValueError("an IMAP mailbox needs username and password_env")
        return self

    @property
    def imap_port(self) -> int:
        if self.port is not None:
            return self.port
        return 993 if self.security == "ssl" else 143

    @property
    def key(self) -> str:
        """A stable name for this mailbox in the store."""
        if self.maildir is not None:
            return f"maildir:{self.maildir}"
        return f"imap:{self.username}@{self.host}:{self.imap_port}/{self.folder}"

    def password(self) -> str:
        assert self.password_env is not None
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError(
                f"mailbox {self.address}: environment variable {self.password_env} is not set"
            )
        return value


class SmtpConfig(_Model):
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Security = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: float = 30.0
    # Replies sent at once, each over a connection of its own: the outbox waits on
    # the server's answers most of the time. Microsoft 365 accepts 3 connections
    # per mailbox; 1 sends one reply at a time.
    connections: Annotated[int, Field(ge=1, le=16)] = 3

    @model_validator(mode="after")
    def _check(self) -> SmtpConfig:
        if self.security == "none" and not is_loopback(self.host):
            raise ValueError('security = "none" is allowed on loopback only')
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together")
        return self

    def password(self) -> str | None:
        if self.password_env is None:
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError(f"smtp: environment variable {self.password_env} is not set")
        return value


class RepliesConfig(_Model):
    general_ack: bool = True
    max_per_sender_per_day: Annotated[int, Field(ge=0)] = 3
    noreply_patterns: tuple[str, ...] = (
        "^no[-_.]?reply",
        "^do[-_.]?not[-_.]?reply",
        "^ne[-_.]?pas[-_.]?repondre",
        "^mailer-daemon$",
        "^post_?master$",
        "^bounces?[-+.]",
        "^abuse$",
    )
    ref_prefix: dict[Role, str] = Field(
        default_factory=lambda: {"accueil": "UP", "certification": "CQ"}  # type: ignore[arg-type]
    )
    mycertif_address: str = "mycertifucanss@ucanss.fr"
    templates_dir: Path | None = None

    @field_validator("noreply_patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None
        return value


class ClassifyConfig(_Model):
    pdf_max_pages: Annotated[int, Field(ge=1, le=1000)] = 20
    pdf_max_seconds: Annotated[float, Field(gt=0, le=120)] = 5.0
    max_attachment_bytes: Annotated[int, Field(ge=1)] = 25 * 1024 * 1024


class RunConfig(_Model):
    """How ``intake run`` paces itself; the ``[run]`` section.

    The upper bounds of the intervals catch a value written in milliseconds.
    Numbers are strict: ``true`` or ``"60"`` is an error, not 1 or 60 seconds.
    """

    poll_interval: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=3600)] = 60.0
    outbox_interval: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=3600)] = 10.0
    max_backoff: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=86400)] = 900.0
    max_attempts: Annotated[int, Field(strict=True, ge=1, le=20)] = 3
    workers: int | Literal["auto"] = "auto"

    @field_validator("workers", mode="before")
    @classmethod
    def _workers(cls, value: object) -> object:
        # Checked here rather than by the union type: its errors would name each
        # branch of the union (run.workers.int, run.workers.literal['auto']).
        if value == "auto":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_WORKERS:
            return value
        raise ValueError(f'must be "auto" or a whole number from 0 to {MAX_WORKERS}')

    def worker_count(self) -> int:
        """The number of worker processes: ``workers``, or for "auto" one per spare core, at most 4."""
        if self.workers == "auto":
            return min(4, max(1, (os.cpu_count() or 1) - 1))
        return self.workers


class NucConfig(_Model):
    pattern: str = r"(?<![\w-])(20\d{2})[ \t]*[-–/.]?[ \t]*(\d{3})[ \t]?(\d{3})(?![\w-])"
    format: str = "{0}-{1}{2}"

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regular expression: {exc}") from None
        return value


class Exam(_Model):
    code: str
    label: str


class Deadline(_Model):
    months: tuple[str, ...]
    due: date | Literal["closed"]

    @field_validator("months")
    @classmethod
    def _months(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for month in value:
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
                raise ValueError(f"{month!r} is not a month written YYYY-MM")
        return value


class Jury(_Model):
    date: dt.date
    cutoff: dt.date


DEFAULT_EXAMS = (
    Exam(code="UP-EC1", label="Épreuve de connaissances générales"),
    Exam(code="UP-EP2", label="Épreuve pratique professionnelle"),
    Exam(code="UP-EO3", label="Épreuve orale d'entretien"),
    Exam(code="UP-CERT", label="Certification complète"),
)

DEFAULT_DEADLINES = (
    Deadline(months=("2025-01", "2025-02"), due="closed"),
    Deadline(months=("2025-03", "2025-04", "2025-05"), due=date(2024, 11, 30)),
    Deadline(months=("2025-06", "2025-07"), due=date(2025, 3, 31)),
    Deadline(months=("2025-09", "2025-10"), due=date(2025, 5, 31)),
    Deadline(months=("2025-11", "2025-12"), due=date(2025, 7, 31)),
)

DEFAULT_JURIES = tuple(
    Jury(date=date.fromisoformat(d), cutoff=date.fromisoformat(c))
    for d, c in (
        ("2025-01-23", "2025-01-17"),
        ("2025-03-06", "2025-02-28"),
        ("2025-04-18", "2025-04-14"),
        ("2025-05-28", "2025-05-22"),
        ("2025-07-10", "2025-07-04"),
        ("2025-09-25", "2025-09-19"),
        ("2025-11-13", "2025-11-07"),
        ("2025-12-17", "2025-12-11"),
    )
)

DEFAULT_MAILBOXES = (
    MailboxConfig(
        role="accueil",
        address="accueil@union-prof.asso.fr",
        maildir=Path("var/demo-maildir/accueil"),
    ),
    MailboxConfig(
        role="certification",
        address="certification@institutquatredix.fr",
        maildir=Path("var/demo-maildir/certification"),
    ),
)


class Config(_Model):
    store: StoreConfig = StoreConfig()
    outbox: OutboxConfig = OutboxConfig()
    mailbox: tuple[MailboxConfig, ...] = DEFAULT_MAILBOXES
    smtp: SmtpConfig | None = None
    replies: RepliesConfig = RepliesConfig()
    classify: ClassifyConfig = ClassifyConfig()
    run: RunConfig = RunConfig()
    nuc: NucConfig = NucConfig()
    exam: tuple[Exam, ...] = DEFAULT_EXAMS
    deadline: tuple[Deadline, ...] = DEFAULT_DEADLINES
    jury: tuple[Jury, ...] = DEFAULT_JURIES
    keywords: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # Where the file was read from: relative paths in it are relative to its folder.
    source: Path | None = None

    @field_validator("deadline")
    @classmethod
    def _deadlines(cls, value: tuple[Deadline, ...]) -> tuple[Deadline, ...]:
        seen: set[str] = set()
        for entry in value:
            for month in entry.months:
                if month in seen:
                    raise ValueError(f"month {month} appears in two deadlines")
                seen.add(month)
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        # Imported here: the vocabulary module is the one place that lists the names.
        from intake.rules.vocabulary import VOCABULARY

        for name in value:
            if name not in VOCABULARY:
                known = ", ".join(sorted(VOCABULARY))
                raise ValueError(f"unknown keyword list {name!r} (known: {known})")
        return value

    def mailbox_for(self, role: str) -> MailboxConfig | None:
        for mailbox in self.mailbox:
            if mailbox.role == role:
                return mailbox
        return None

    def resolve(self, path: Path) -> Path:
        """A path from the file, made absolute against the file's own folder."""
        if path.is_absolute() or self.source is None:
            return path
        return self.source.parent / path


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        parts: list[str] = []
        for item in error["loc"]:
            if isinstance(item, int) and parts:
                parts[-1] = f"{parts[-1]}[{item}]"
            else:
                parts.append(str(item))
        path = ".".join(parts) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        message = message.removeprefix("Value error, ")
        lines.append(f"{path}: {message}")
    return "\n".join(lines)


def parse_config(data: dict[str, object], source: Path | None = None) -> Config:
    """Validate a decoded TOML document; raise ConfigError with readable lines."""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        where = f"{source}: " if source else ""
        raise ConfigError(f"{where}invalid configuration\n{_format_errors(exc)}") from None
    return config.model_copy(update={"source": source})


def load_config(path: Path | None = None) -> Config:
    """Read ``path``; without it ``./config.toml`` if present, else the defaults."""
    if path is None:
        candidate = Path("config.toml")
        if not candidate.exists():
            return Config()
        path = candidate
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, source=path.resolve())
