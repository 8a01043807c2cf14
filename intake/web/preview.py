"""Attachment previews: PDF pages rendered to PNG by pdfium in a throwaway process.

Staff look at certificates and letters without the browser's PDF viewer (a plugin
that would run inside our origin): the server renders the pages to images and
the page shows those in a sandboxed frame. pdfium runs in a child process with a
time and memory limit, so a hostile PDF can neither hang nor crash the site; the
rendered pages are kept in a small in-memory cache.

Run as ``python -m intake.web.preview MAX_PAGES WIDTH`` with the PDF on stdin: it
writes the page count and each PNG, length-prefixed, on stdout.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import threading
from collections import OrderedDict

MAX_PAGES = 20
WIDTH_PX = 1100
TIMEOUT_SECONDS = 20.0
MEMORY_BYTES = 1024 * 1024 * 1024


class PreviewError(Exception):
    """The file cannot be shown (damaged, encrypted, too slow); the message is French."""


def _limit_memory() -> None:
    """Called by the child itself (a preexec_fn is unsafe in the threaded server)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def render_pdf(data: bytes, *, max_pages: int = MAX_PAGES, width: int = WIDTH_PX) -> list[bytes]:
    """The first ``max_pages`` pages of a PDF as PNG images (raises PreviewError)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "intake.web.preview", str(max_pages), str(width)],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PreviewError("Le rendu du PDF a pris trop de temps.") from None
    if done.returncode != 0:
        raise PreviewError("Ce PDF ne peut pas être affiché (fichier endommagé ou protégé).")
    out, pages = done.stdout, []
    offset = 0
    while offset + 4 <= len(out):
        (length,) = struct.unpack(">I", out[offset : offset + 4])
        pages.append(out[offset + 4 : offset + 4 + length])
        offset += 4 + length
    if not pages:
        raise PreviewError("Ce PDF ne contient aucune page affichable.")
    return pages


class PageCache:
    """Rendered pages by the file's SHA-256: a few documents, most recent kept."""

    def __init__(self, documents: int = 8) -> None:
        self._documents = documents
        self._items: OrderedDict[str, list[bytes] | PreviewError] = OrderedDict()
        self._lock = threading.Lock()
        # One render per document at a time: two staff opening the same PDF share it.
        self._rendering: dict[str, threading.Lock] = {}

    def pages(self, sha: str, data: bytes) -> list[bytes]:
        with self._lock:
            lock = self._rendering.setdefault(sha, threading.Lock())
        with lock:
            with self._lock:
                found = self._items.get(sha)
                if found is not None:
                    self._items.move_to_end(sha)
            if found is None:
                try:
                    found = render_pdf(data)
                except PreviewError as exc:
                    found = exc
                with self._lock:
                    self._items[sha] = found
                    while len(self._items) > self._documents:
                        self._items.popitem(last=False)
        if isinstance(found, PreviewError):
            raise found
        return found


page_cache = PageCache()


def _child(max_pages: int, width: int) -> int:
    _limit_memory()
    import pypdfium2 as pdfium

    data = sys.stdin.buffer.read()
    document = pdfium.PdfDocument(data)
    out = sys.stdout.buffer
    for index in range(min(len(document), max_pages)):
        page = document[index]
        scale = max(0.2, min(3.0, width / max(page.get_width(), 1.0)))
        image = page.render(scale=scale).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        png = buffer.getvalue()
        out.write(struct.pack(">I", len(png)) + png)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2])))
