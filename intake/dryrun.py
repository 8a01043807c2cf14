"""The dry run behind ``intake classify``: a file in, the SPEC §8 object out.

A file that cannot be read or parsed still gets its object, with an ``error``
field, so that a batch over thousands of files always yields one line per file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from intake.classify import classify
from intake.config import Config
from parsers.types import InboundMail

EMPTY: dict[str, Any] = {
    "kind": None,
    "topic": None,
    "reason": None,
    "justification_present": None,
    "asks_refund": None,
    "nuc": None,
    "missing": None,
    "reply_template": None,
    "spreadsheet": None,
}


def classify_bytes(raw: bytes, role: str, config: Config) -> dict[str, Any]:
    mail = InboundMail.from_bytes(
        raw,
        pdf_max_pages=config.classify.pdf_max_pages,
        pdf_max_seconds=config.classify.pdf_max_seconds,
        max_attachment_bytes=config.classify.max_attachment_bytes,
    )
    result = classify(mail, role, config)
    data = result.to_json()
    if mail.problems:
        data["problems"] = list(mail.problems)
    return data


def classify_file(path: Path, role: str, config: Config) -> dict[str, Any]:
    head: dict[str, Any] = {"file": str(path)}
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return {**head, **EMPTY, "error": f"cannot read file: {exc.strerror or exc}"}
    try:
        return {**head, **classify_bytes(raw, role, config)}
    except Exception as exc:  # noqa: BLE001 - the per-file boundary: one bad file, one error line.
        return {**head, **EMPTY, "error": f"{type(exc).__name__}: {exc}"}


def print_table(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="intake classify (dry run)")
    for column in ("file", "kind", "detail", "nuc", "missing", "reply"):
        # Kind and template names are read whole; the rest may wrap.
        table.add_column(column, overflow="fold", no_wrap=column in ("kind", "nuc", "reply"))
    for item in results:
        if item.get("error"):
            table.add_row(Path(item["file"]).name, "[red]error[/red]", item["error"], "", "", "")
            continue
        detail = item.get("topic") or item.get("reason") or item.get("failed_recipient") or ""
        if item.get("kind") == "deferral_request":
            detail += f" (justif.: {'oui' if item['justification_present'] else 'non'})"
        if item.get("spreadsheet"):
            detail = ", ".join(f"{k}={v}" for k, v in item["spreadsheet"].items())
        table.add_row(
            Path(item["file"]).name,
            item.get("kind") or "",
            detail,
            item.get("nuc") or "",
            ", ".join(item.get("missing") or []),
            item.get("reply_template") or "-",
        )
    console = Console()
    if not console.is_terminal:
        # Piped into a file or a log: wide enough that no name is cut.
        console = Console(width=160)
    console.print(table)
