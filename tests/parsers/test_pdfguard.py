"""The PDF worker process: a stalled or crashing extraction costs a restart, not the bot."""

from __future__ import annotations

import io
import os
import time

import pytest
from reportlab.pdfgen import canvas

from parsers import pdfguard
from parsers.pdf import PdfText


def a_pdf(text: str) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(72, 800, text)
    pdf.save()
    return buf.getvalue()


@pytest.fixture
def fresh_worker(monkeypatch: pytest.MonkeyPatch) -> pdfguard._Worker:
    # A worker of this test's own, so that the stand-ins below are what it forks with.
    worker = pdfguard._Worker()
    monkeypatch.setattr(pdfguard, "_WORKER", worker)
    monkeypatch.setattr(pdfguard, "GRACE_SECONDS", 0.5)
    monkeypatch.delenv("INTAKE_PDF_IN_PROCESS", raising=False)
    yield worker
    worker._stop()


def test_text_comes_back_from_the_worker(fresh_worker: pdfguard._Worker) -> None:
    result = pdfguard.extract_pdf_text_guarded(a_pdf("Certificat medical"))
    assert "Certificat medical" in result.text
    assert fresh_worker._process is not None and fresh_worker._process.pid != os.getpid()


def test_a_stalled_page_is_killed_and_the_next_pdf_is_read(
    fresh_worker: pdfguard._Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pdfguard.extract_pdf_text

    def stall(data: bytes, **options: object) -> PdfText:
        time.sleep(3600)
        raise AssertionError("unreachable")

    monkeypatch.setattr(pdfguard, "extract_pdf_text", stall)
    started = time.monotonic()
    result = pdfguard.extract_pdf_text_guarded(a_pdf("x"), max_seconds=0.3)
    assert time.monotonic() - started < 5
    assert result.text == "" and result.problems[0].startswith("pdf_hard_timeout")
    assert fresh_worker._process is None  # killed

    monkeypatch.setattr(pdfguard, "extract_pdf_text", real)
    assert "Arret de travail" in pdfguard.extract_pdf_text_guarded(a_pdf("Arret de travail")).text


def test_a_crash_in_the_worker_is_a_problem_not_an_exception(
    fresh_worker: pdfguard._Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(data: bytes, **options: object) -> PdfText:
        os._exit(139)

    monkeypatch.setattr(pdfguard, "extract_pdf_text", crash)
    result = pdfguard.extract_pdf_text_guarded(a_pdf("x"))
    assert result.problems[0].startswith("pdf_worker_crashed")


def test_in_process_mode_reads_without_a_worker(
    fresh_worker: pdfguard._Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTAKE_PDF_IN_PROCESS", "1")
    assert "Bonjour" in pdfguard.extract_pdf_text_guarded(a_pdf("Bonjour")).text
    assert fresh_worker._process is None


def test_the_worker_holds_no_inherited_files_and_dies_with_its_parent(tmp_path) -> None:
    # A parent process that opens a lock file, starts the worker, then dies: the lock
    # must be free at once and the worker must be gone (it would block a restart).
    import fcntl
    import subprocess
    import sys
    import textwrap

    lock = tmp_path / "db.lock"
    script = textwrap.dedent(
        f"""
        import fcntl, os, sys
        handle = open({str(lock)!r}, "w")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        from parsers import pdfguard
        from tests_pdf import a_pdf
        pdfguard.extract_pdf_text_guarded(a_pdf("x"))
        print(pdfguard._WORKER._process.pid, flush=True)
        os._exit(0)
        """
    )
    helper = tmp_path / "tests_pdf.py"
    helper.write_text(
        "import io\nfrom reportlab.pdfgen import canvas\n"
        "def a_pdf(text):\n    b = io.BytesIO(); c = canvas.Canvas(b); c.drawString(72, 800, text)"
        "; c.save(); return b.getvalue()\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{os.getcwd()}"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    worker_pid = int(out.stdout.strip())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            break
        # A zombie is gone too for our purpose: reparented to init and reaped there.
        time.sleep(0.1)
    else:
        pytest.fail(f"PDF worker {worker_pid} outlived its parent")
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
