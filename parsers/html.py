"""Turn an HTML mail body into readable plain text.

Blocks and ``<br>`` become newlines, lists get markers, web links stay visible and
``<blockquote>`` levels become ``>`` prefixes, so the result splits like a text/plain
reply. Unclosed constructs are defused first, keeping the cost linear on hostile input.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# HTML above this size is cut before conversion: nobody writes a longer mail by hand.
MAX_HTML_CHARS = 2_000_000

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_SKIP_TAGS = frozenset({"style", "script", "head", "title", "noscript", "template", "xml"})
_QUOTE_OPEN = "\x01"
_QUOTE_CLOSE = "\x02"
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u200b]+")


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML document with a newline for every block boundary."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skip = 0
        self.pre = 0
        self.lists: list[int] = []
        self.href: list[str | None] = []

    def _newline(self) -> None:
        if self.pieces and not self.pieces[-1].endswith("\n"):
            self.pieces.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
            return
        if tag == "body":
            # Broken HTML may never close <head>: the body starts the text anyway.
            self.skip = 0
        if tag == "br":
            self.pieces.append("\n")
            return
        if tag in _BLOCK_TAGS:
            self._newline()
            if tag == "blockquote":
                self.pieces.append(_QUOTE_OPEN)
            elif tag in ("ul", "ol"):
                self.lists.append(0 if tag == "ol" else -1)
            elif tag == "li":
                if self.lists and self.lists[-1] >= 0:
                    self.lists[-1] += 1
                    self.pieces.append(f"{self.lists[-1]}. ")
                else:
                    self.pieces.append("- ")
            elif tag == "pre":
                self.pre += 1
        elif tag in ("td", "th"):
            self.pieces.append(" ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.pieces.append("\n")
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if tag in _BLOCK_TAGS:
            self._newline()
            if tag == "blockquote":
                self.pieces.append(_QUOTE_CLOSE + "\n")
            elif tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "table"):
                # Paragraphs are separated by a blank line, as in a text/plain mail.
                self.pieces.append("\n")
        elif tag in ("td", "th"):
            self.pieces.append(" ")
        elif tag == "a" and self.href:
            href = self.href.pop()
            # Keep web links visible: a "download here" link matters to the rules.
            if href and href.startswith(("http://", "https://")):
                last = self.pieces[-1] if self.pieces else ""
                if href not in last:
                    self.pieces.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            self.pieces.append(data)
        else:
            self.pieces.append(_SPACES.sub(" ", data))


def _defuse_unclosed(html: str) -> str:
    """Escape constructs that are never closed.

    Python's HTMLParser rescans to the end of the input for every unclosed ``<`` or
    ``<!--``, which is quadratic on hostile input; text after the last ``>`` can hold
    no complete tag, so its ``<`` are made literal.
    """
    last = html.rfind(">")
    tail = html[last + 1 :]
    if "<" in tail:
        html = html[: last + 1] + tail.replace("<", "&lt;")
    last_comment_open = html.rfind("<!--")
    if last_comment_open >= 0 and html.find("-->", last_comment_open) < 0:
        html = html.replace("<!--", "&lt;!--")
    return html


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: blocks and ``<br>`` become newlines, quotes get ``>``."""
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(_defuse_unclosed(html[:MAX_HTML_CHARS]))
        parser.close()
    except Exception:
        # HTMLParser is tolerant, but keep whatever was read if it ever gives up.
        pass
    lines: list[str] = []
    depth = 0
    blank = 0
    for raw_line in "".join(parser.pieces).split("\n"):
        while raw_line[:1] in (_QUOTE_OPEN, _QUOTE_CLOSE) and raw_line:
            depth += 1 if raw_line[0] == _QUOTE_OPEN else -1
            raw_line = raw_line[1:]
        if _QUOTE_OPEN in raw_line or _QUOTE_CLOSE in raw_line:
            depth += raw_line.count(_QUOTE_OPEN) - raw_line.count(_QUOTE_CLOSE)
            raw_line = raw_line.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "")
        depth = max(depth, 0)
        line = raw_line.strip(" \t\xa0")
        if not line:
            blank += 1
            if blank > 1:
                continue
            line = ""
        else:
            blank = 0
        lines.append(("> " * depth + line).rstrip() if depth else line)
    return "\n".join(lines).strip("\n")
