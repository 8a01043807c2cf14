"""Fixtures for the parser tests: PDFs made with reportlab and raw mails built by hand."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest


def _pdf(pages: list[str], user_password: str | None = None) -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    encrypt = None
    if user_password is not None:
        encrypt = pdfencrypt.StandardEncryption(user_password, ownerPassword="owner-secret")
    pdf = canvas.Canvas(buffer, encrypt=encrypt)
    for text in pages:
        y = 800
        for line in text.split("\n"):
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture
def make_pdf() -> Callable[..., bytes]:
    """``make_pdf(["page 1 text", "page 2 text"], user_password=None)`` -> PDF bytes."""
    return _pdf


@pytest.fixture
def crlf() -> Callable[[str], bytes]:
    """Turn a readable multi-line mail literal into CRLF bytes, as on the wire."""

    def convert(text: str, encoding: str = "utf-8") -> bytes:
        return text.lstrip("\n").replace("\n", "\r\n").encode(encoding)

    return convert
