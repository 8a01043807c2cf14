"""Extract the text of a PDF with pypdfium2, capped in pages and in time.

The text tells a medical certificate from a convocation; it is never needed in full, so
reading stops after ``max_pages`` pages or ``max_seconds`` seconds (the clock is checked
between pages). Encrypted and corrupt files give a problem, never an exception.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# Past this much text the rest of the document adds nothing to a classification.
MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class PdfText:
    """What could be read from one PDF."""

    text: str
    # Pages in the document (0 when it could not be opened).
    page_count: int
    pages_read: int
    encrypted: bool
    problems: tuple[str, ...] = ()


def extract_pdf_text(
    data: bytes,
    *,
    max_pages: int = 20,
    max_seconds: float = 5.0,
    password: str | None = None,
) -> PdfText:
    """The text of the first ``max_pages`` pages of ``data``, read within ``max_seconds``.

    An encrypted PDF that opens with an empty (or the given) password is read; one that
    needs a password returns no text and the problem ``pdf_encrypted``.
    """
    if not data:
        return PdfText("", 0, 0, False, ("pdf_empty",))
    started = time.monotonic()
    try:
        document = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message or "security" in message:
            return PdfText("", 0, 0, True, ("pdf_encrypted",))
        return PdfText("", 0, 0, False, (f"pdf_unreadable: {exc}",))
    except Exception as exc:
        return PdfText("", 0, 0, False, (f"pdf_unreadable: {type(exc).__name__}: {exc}",))
    problems: list[str] = []
    texts: list[str] = []
    pages_read = 0
    total = 0
    try:
        encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) >= 0
        page_count = len(document)
        for index in range(min(page_count, max(max_pages, 0))):
            if time.monotonic() - started > max_seconds:
                problems.append(f"pdf_time_cap: stopped after {pages_read} pages")
                break
            try:
                page = document.get_page(index)
                try:
                    textpage = page.get_textpage()
                    try:
                        page_text = textpage.get_text_bounded()
                    finally:
                        textpage.close()
                finally:
                    page.close()
            except Exception as exc:
                problems.append(f"pdf_page_unreadable: page {index + 1}: {exc}")
                continue
            pages_read += 1
            page_text = page_text.replace("\r\n", "\n").replace("\r", "\n")
            texts.append(page_text)
            total += len(page_text)
            if total >= MAX_TEXT_CHARS:
                problems.append("pdf_text_cap")
                break
        if page_count > max_pages and pages_read >= max_pages:
            problems.append(f"pdf_page_cap: read {pages_read} of {page_count} pages")
    except Exception as exc:
        problems.append(f"pdf_unreadable: {type(exc).__name__}: {exc}")
        encrypted = False
        page_count = pages_read
    finally:
        document.close()
    text = "\n\f\n".join(texts)[:MAX_TEXT_CHARS]
    return PdfText(text, page_count, pages_read, encrypted, tuple(problems))
