"""Render the French reply templates into a subject line and a plain-text body.

Templates are Jinja2 files named ``<name>.txt.j2``: the built-in ones ship in
``responders/templates``; a folder given by path (``[replies] templates_dir``) may
replace any of them, or the shared ``_macros.txt.j2``, file by file. The first
non-empty line a template renders must be ``Subject: ...``; the rest is the body.

Each template's context is a contract (:data:`CONTRACTS`): the variables it needs,
the optional ones and their defaults, and the values a few of them may take. A
missing variable or an impossible value is a :class:`TemplateError` naming the
template, never a reply with a hole in it (``StrictUndefined``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

# Reply and the mail builders live in responders.message; they are re-exported
# here because callers think of "render a reply, then build the mail".
from responders.message import (
    Reply,
    build_bytes,
    build_message,
    new_message_id,
    reply_envelope,
    thread_references,
)

__all__ = [
    "CONTRACTS",
    "Contract",
    "RenderedText",
    "Renderer",
    "Reply",
    "TemplateError",
    "available_templates",
    "build_bytes",
    "build_message",
    "new_message_id",
    "render",
    "reply_envelope",
    "thread_references",
]

SUFFIX = ".txt.j2"
ROLES = ("accueil", "certification")
TOPICS = (
    "nuc_request",
    "password_reset",
    "confirmation_mail_missing",
    "no_centre_listed",
    "centre_refused",
    "payment",
    "first_registration",
    "other",
)
MISSING_ITEMS = ("name", "phone", "postal_address", "exam_reference")
ELIGIBLE_REASONS = ("medical", "employer_refusal")
ALL_REASONS = (*ELIGIBLE_REASONS, "other", "unspecified")
# Every template receives these; sender_name and nuc may be None.
COMMON_REQUIRED = ("case_ref", "role", "sender_name", "nuc")


class TemplateError(Exception):
    """A template that cannot be rendered; the message names it and says why."""

    def __init__(self, template: str | None, problem: str) -> None:
        self.template = template
        self.problem = problem
        where = f"template {template!r}: " if template else ""
        super().__init__(f"{where}{problem}")


@dataclass(frozen=True)
class RenderedText:
    subject: str
    body: str


@dataclass(frozen=True)
class Contract:
    """What one template needs in its context, beyond :data:`COMMON_REQUIRED`."""

    required: tuple[str, ...] = ()
    # Optional variables and the value they take when the caller leaves them out.
    optional: Mapping[str, Any] = field(default_factory=dict)
    # Allowed values for some variables (for a list, every item must be allowed).
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_DEFERRAL_OPTIONAL = {"asks_refund": False}

CONTRACTS: dict[str, Contract] = {
    "problem_report_ack": Contract(required=("topic",), choices={"topic": TOPICS}),
    "problem_report_incomplete": Contract(
        required=("topic", "missing", "exams"),
        choices={"topic": TOPICS, "missing": MISSING_ITEMS},
    ),
    "deferral_received": Contract(
        required=("reason",), optional=_DEFERRAL_OPTIONAL, choices={"reason": ELIGIBLE_REASONS}
    ),
    "deferral_missing_justification": Contract(
        required=("reason",), optional=_DEFERRAL_OPTIONAL, choices={"reason": ELIGIBLE_REASONS}
    ),
    "deferral_ineligible": Contract(
        required=("reason",), optional=_DEFERRAL_OPTIONAL, choices={"reason": ALL_REASONS}
    ),
    "spreadsheet_receipt": Contract(
        required=("summary", "rejected_rows", "annotated_filename"),
        optional={"filename": None},
    ),
    "spreadsheet_missing_attachment": Contract(),
    "spreadsheet_unreadable": Contract(optional={"filename": None, "error": None}),
    "mycertif_access": Contract(optional={"mycertif_address": "mycertifucanss@ucanss.fr"}),
    "general_ack": Contract(),
    "deferral_granted": Contract(optional={"next_session": None, "note": None}),
    "deferral_refused": Contract(optional={"refusal_reason": None, "note": None}),
    "case_closed": Contract(optional={"note": None}),
    "request_info": Contract(required=("message",)),
}

_SUBJECT_RE = re.compile(r"subject\s*:\s*(.*)", re.IGNORECASE)


def _plain(value: Any) -> Any:
    """Enum members become their values: templates compare with plain strings."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [item.value if isinstance(item, Enum) else item for item in value]
    return value


def _split(template: str, text: str) -> RenderedText:
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    match = _SUBJECT_RE.fullmatch(lines[0].strip()) if lines else None
    if match is None:
        raise TemplateError(template, "the first line must be 'Subject: ...'")
    subject = " ".join(match.group(1).split())
    if not subject:
        raise TemplateError(template, "the subject line is empty")
    # Trailing spaces are dropped and runs of blank lines become one, so that
    # templates can use blank lines around their tags freely.
    body_lines: list[str] = []
    for line in lines[1:]:
        line = line.rstrip()
        if not line and (not body_lines or not body_lines[-1]):
            continue
        body_lines.append(line)
    while body_lines and not body_lines[-1]:
        body_lines.pop()
    if not body_lines:
        raise TemplateError(template, "the body is empty")
    return RenderedText(subject=subject, body="\n".join(body_lines) + "\n")


class Renderer:
    """A template environment: the built-ins, preferably replaced from ``override_dir``."""

    def __init__(self, override_dir: Path | str | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        self.override_dir = Path(override_dir) if override_dir is not None else None
        if self.override_dir is not None:
            if not self.override_dir.is_dir():
                raise TemplateError(None, f"template folder {self.override_dir} is not a folder")
            loaders.append(jinja2.FileSystemLoader(self.override_dir))
        loaders.append(jinja2.PackageLoader("responders", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            # Plain-text mail: escaping would show "&amp;" to candidates. HTML
            # templates, should any be added, are escaped.
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html", "htm", "xml"),
                default_for_string=False,
                default=False,
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # The built-ins never change while the bot runs: skip the per-render
            # stat() calls. An override folder may be edited live, so it is watched.
            auto_reload=self.override_dir is not None,
        )

    def available_templates(self) -> list[str]:
        """Template names (without suffix), built-ins and overrides, sorted."""
        names = {
            name.removesuffix(SUFFIX)
            for name in self.env.list_templates()
            if name.endswith(SUFFIX) and not Path(name).name.startswith("_")
        }
        return sorted(names)

    def _context(self, template: str, context: Mapping[str, Any]) -> dict[str, Any]:
        contract = CONTRACTS.get(template, Contract())
        values = {**contract.optional, **{key: _plain(v) for key, v in context.items()}}
        absent = [k for k in (*COMMON_REQUIRED, *contract.required) if k not in values]
        if absent:
            raise TemplateError(template, f"missing context variable(s): {', '.join(absent)}")
        if values["role"] not in ROLES:
            raise TemplateError(template, f"role must be one of {ROLES}, not {values['role']!r}")
        if not values["case_ref"]:
            raise TemplateError(template, "case_ref is empty")
        for key, allowed in contract.choices.items():
            value = values[key]
            items = value if isinstance(value, list) else [value]
            if isinstance(value, list) and not value:
                raise TemplateError(template, f"{key} is empty")
            wrong = [item for item in items if item not in allowed]
            if wrong:
                raise TemplateError(
                    template, f"{key} has unknown value(s) {wrong}; allowed: {', '.join(allowed)}"
                )
        return values

    def render(self, template: str, context: Mapping[str, Any]) -> RenderedText:
        values = self._context(template, context)
        try:
            text = self.env.get_template(template + SUFFIX).render(values)
        except jinja2.TemplateNotFound as exc:
            known = ", ".join(self.available_templates())
            missing = exc.name if exc.name != template + SUFFIX else None
            problem = f"includes missing file {missing}" if missing else "no such template"
            raise TemplateError(template, f"{problem} (known: {known})") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                template, f"syntax error in {exc.name or exc.filename} line {exc.lineno}: {exc}"
            ) from exc
        except jinja2.UndefinedError as exc:
            raise TemplateError(template, f"undefined value: {exc}") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(template, str(exc)) from exc
        return _split(template, text)


@lru_cache(maxsize=8)
def _renderer(override_dir: str | None) -> Renderer:
    return Renderer(override_dir)


def _key(override_dir: Path | str | None) -> str | None:
    return str(Path(override_dir).resolve()) if override_dir is not None else None


def render(
    template: str, context: Mapping[str, Any], override_dir: Path | str | None = None
) -> RenderedText:
    """Render ``template`` (a name such as ``"deferral_received"``) with ``context``."""
    return _renderer(_key(override_dir)).render(template, context)


def available_templates(override_dir: Path | str | None = None) -> list[str]:
    return _renderer(_key(override_dir)).available_templates()
