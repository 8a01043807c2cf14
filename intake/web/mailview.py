"""Showing a stored mail safely: parsed from the file store, HTML sanitised, no remote content.

A mail's HTML is never shown as sent. :func:`sanitize_html` keeps a small set of
layout tags through nh3 (ammonia) and drops every script, event handler, style
sheet, form and frame; links keep only ``http``, ``https`` and ``mailto`` targets;
images survive only when they point at a part of the mail itself (``cid:``), which
is rewritten to this site's route for that part — a remote image (a tracking
pixel) is removed, so opening a mail tells nobody it was read. The result is
served in a sandboxed frame without scripts, under its own strict policy
(:data:`FRAME_CSP`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

import nh3

from parsers.types import Attachment, InboundMail
from store import FileStore, FileStoreError

# Image types a browser shows natively and that cannot carry script (no SVG).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# The policy of a sanitised mail served in its frame: nothing but our own images
# and inline style attributes; no script, form, plugin, font or connection; the
# sandbox applies even if someone opens the frame's address directly.
FRAME_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox allow-same-origin"
)

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col",
    "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s",
    "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"align", "dir", "lang", "title", "style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "valign", "width", "bgcolor"},
    "th": {"colspan", "rowspan", "valign", "width", "bgcolor"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor"},
    "font": {"color", "size"},
    "col": {"span", "width"},
    "ol": {"start", "type"},
}
# Style properties that change how text looks but cannot fetch anything (no
# background, no url(), no positioning over the page).
_STYLE_PROPERTIES = {
    "color", "font-weight", "font-style", "font-size", "font-family", "text-align",
    "text-decoration", "margin", "margin-left", "margin-right", "margin-top",
    "margin-bottom", "padding", "padding-left", "padding-right", "padding-top",
    "padding-bottom", "border", "border-collapse", "width", "vertical-align",
    "white-space", "line-height",
}  # fmt: skip
_URL_SCHEMES = {"http", "https", "mailto", "cid"}


def sanitize_html(html: str, message_pk: int) -> str:
    """``html`` with nothing active and nothing remote; ``cid:`` images point at our route."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            lowered = value.strip().lower()
            if lowered.startswith("cid:"):
                cid = value.strip()[4:].strip("<>")
                return f"/messages/{message_pk}/cid/{quote(cid, safe='')}" if cid else None
            # Remote (tracking) images, data: and anything else: dropped.
            return None
        if tag == "a" and attribute == "href":
            lowered = value.strip().lower()
            if lowered.startswith("cid:"):
                return None
            return value
        return value

    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style", "title", "head", "noscript", "template"},
        attributes=_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        filter_style_properties=_STYLE_PROPERTIES,
    )
    return cleaned


class MailCache:
    """Parsed mails by SHA-256 (a case page parses each of its mails once, not per view)."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[str, InboundMail] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, files: FileStore, sha: str) -> InboundMail | None:
        with self._lock:
            found = self._items.get(sha)
            if found is not None:
                self._items.move_to_end(sha)
                return found
        try:
            raw = files.get(sha)
        except (FileStoreError, ValueError):
            return None
        # No PDF text: the page shows the mail; the classification already read it.
        mail = InboundMail.from_bytes(raw, extract_text=False)
        with self._lock:
            self._items[sha] = mail
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return mail


mail_cache = MailCache()


def inline_part(mail: InboundMail, cid: str) -> Attachment | None:
    """The part of ``mail`` whose Content-ID is ``cid`` (with or without brackets)."""
    wanted = cid.strip().strip("<>").lower()
    for attachment in mail.attachments:
        if attachment.content_id and attachment.content_id.strip().strip("<>").lower() == wanted:
            return attachment
    return None


def part_by_sha(mail: InboundMail, sha: str) -> Attachment | None:
    for attachment in mail.attachments:
        if attachment.sha256 == sha:
            return attachment
    return None


# Our own look for the frame (the mail's own <style> blocks are always removed).
FRAME_STYLE = (
    "body{font-family:system-ui,'DejaVu Sans',sans-serif;font-size:15px;line-height:1.45;"
    "color:#1f2933;margin:.8rem;overflow-wrap:anywhere}img{max-width:100%;height:auto}"
    "table{max-width:100%}"
)


def frame_document(body: str, title: str) -> str:
    """A whole HTML document around sanitised content (``body`` is already safe)."""
    from html import escape

    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title>'
        f"<style>{FRAME_STYLE}</style></head>"
        f'<body class="frame">{body}</body></html>'
    )


def text_parts(mail: InboundMail) -> dict[str, Any]:
    """What the thread shows of a mail: new text, quoted history, signature."""
    new_text = mail.new_text.strip()
    return {
        "new_text": new_text or mail.text.strip(),
        "quoted": mail.quoted_text.strip() if new_text else "",
        "signature": mail.signature.strip() if new_text else "",
        "has_html": bool(mail.html and mail.html.strip()),
    }
