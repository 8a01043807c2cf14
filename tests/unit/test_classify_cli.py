"""The dry-run contract of SPEC §8, through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "intake" / "demo" / "mail"
KEYS = {
    "file",
    "kind",
    "topic",
    "reason",
    "justification_present",
    "asks_refund",
    "nuc",
    "missing",
    "reply_template",
    "spreadsheet",
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intake.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_one_line_per_file_in_order_with_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.eml"
    garbage.write_bytes(b"\x00\xff not a mail at all")
    files = sorted((DEMO / "accueil").glob("*.eml"))
    args = [str(files[1]), str(tmp_path / "absent.eml"), str(garbage), str(files[0])]
    result = run("classify", "--json", "--inbox", "accueil", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == args
    assert set(lines[0]) >= KEYS
    assert "error" in lines[1] and lines[1]["kind"] is None
    assert lines[2].get("error") is None and lines[2]["kind"] == "other"
    # Nothing is written by a dry run.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.eml"]


def test_table_output_is_readable(tmp_path: Path) -> None:
    result = run(
        "classify",
        "--inbox",
        "certification",
        *map(str, sorted((DEMO / "certification").glob("*.eml"))),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "spreadsheet_return" in result.stdout and "mycertif_access" in result.stdout


def test_config_from_current_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[replies]\ngeneral_ack = false\n")
    mail = tmp_path / "thanks.eml"
    mail.write_bytes(
        b"From: a@example.fr\r\nTo: accueil@union-prof.asso.fr\r\nSubject: merci\r\n\r\n"
        b"Merci beaucoup pour votre aide, tout est en ordre.\r\n"
    )
    result = run("classify", "--json", str(mail), cwd=tmp_path)
    line = json.loads(result.stdout)
    assert line["kind"] == "other" and line["reply_template"] is None


def test_bad_configuration_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[replies]\nmax_per_sender_per_day = -1\n")
    result = run("classify", "--json", "--config", str(bad), str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "replies.max_per_sender_per_day" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("inbox", ["guichet", ""])
def test_unknown_inbox_is_refused(tmp_path: Path, inbox: str) -> None:
    result = run("classify", "--json", "--inbox", inbox, "x.eml", cwd=tmp_path)
    assert result.returncode == 2
