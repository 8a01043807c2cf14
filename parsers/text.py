"""Turn mail bodies into readable text and split them into new text, quoted history and signature.

Bytes become text through :func:`decode_bytes`, which survives lying and unknown
charsets; HTML becomes text through :func:`html_to_text`; :func:`split_reply` finds
where the quoted history and the signature start. Everything here works line by line with plain string tests or short anchored patterns on
lines cut to a bounded length, so the cost is linear in the size of the body whatever
the body holds (a 200 KB run of ``>`` and spaces included).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

# HTML above this size is cut before conversion: nobody writes a longer mail by hand.
MAX_HTML_CHARS = 2_000_000
# Reply-header patterns only look at the start of a line.
_LINE_CAP = 400

# Charset labels that mail clients write but Python does not know, or knows as a
# narrower charset than the bytes actually use (GB2312 labels on GBK/GB18030 text).
_CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "utf7": "utf-7",
    "x-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-utf8": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "x-euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "iso-8859-8-i": "iso8859-8",
    "windows-874": "cp874",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso_8859-1": "cp1252",
}
# Python codecs that are not charsets a mail may use (or transform instead of decoding).
_REFUSED_CODECS = frozenset(
    {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined", "mbcs", "oem"}
)
# Single-byte charsets decode any bytes, so a mislabelled UTF-8 body "succeeds" in them:
# UTF-8 is tried first for these.
_SINGLE_BYTE_PREFIXES = ("ascii", "latin", "iso8859", "cp125", "cp437", "cp850", "mac", "koi8")
# Encodings whose bytes are all 7-bit: an ASCII body must still go through them.
_SEVEN_BIT = ("utf-7", "iso2022", "hz")


@lru_cache(maxsize=256)
def codec_for(charset: str | None) -> str | None:
    """The Python codec for a charset label, or None when unknown or unusable."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").strip().lower()
    info = None
    # Unknown labels are often known ones with a decoration: "iso-gb2312", "x-cp1252".
    for candidate in (label, label.removeprefix("x-"), label.removeprefix("iso-"), label[:40]):
        candidate = _CHARSET_ALIASES.get(candidate, candidate)
        try:
            info = codecs.lookup(candidate)
            break
        except (LookupError, ValueError, TypeError):
            continue
    if info is None:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        return None
    name = _CHARSET_ALIASES.get(info.name, info.name)
    return "cp1252" if name in ("latin-1", "iso8859-1") else name


_ODD_WESTERN = frozenset("¡¢£¤¥¦§¨©ª¬®¯±²³´µ¶·¸¹º¼½¾¿×÷ˆ‰Š‹Ž˜™š›žƒ†‡•")


def _plausible_western(text: str) -> bool:
    """True when single-byte decoded text looks like a Western European language."""
    letters = sum(1 for c in text if c.isalpha())
    foreign = [c for c in text if ord(c) > 127]
    # Accented letters are a minority in French or German even in a short sentence;
    # Cyrillic or Greek bytes read as Windows-1252 are nearly all non-ASCII, and
    # Chinese or Japanese bytes give many symbols (¤ ³ · ¿) that Western text lacks.
    odd = sum(1 for c in foreign if c in _ODD_WESTERN)
    return len(foreign) * 3 <= letters + 1 and odd * 5 <= len(foreign)


def decode_bytes(data: bytes, charset: str | None, problems: list[str] | None = None) -> str:
    """Decode ``data`` declared as ``charset``; never raises.

    Tries the declared charset (UTF-8 first when the label is a single-byte charset,
    since mislabelled UTF-8 is the commonest lie), then UTF-8, then Windows-1252 when it
    reads as Western text, then charset-normalizer's guess, then Latin-1.
    """
    if not data:
        return ""
    codec = codec_for(charset)
    if data.isascii() and not (codec and codec.startswith(_SEVEN_BIT)):
        return data.decode("ascii")
    if codec is not None and codec.startswith(_SINGLE_BYTE_PREFIXES):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError, ValueError):
            if codec == "cp1252":
                # Latin-1 proper: the five bytes Windows-1252 leaves undefined.
                return data.decode("latin-1")
            if problems is not None:
                problems.append(f"charset_mismatch: {charset}")
    elif charset and problems is not None:
        problems.append(f"charset_unknown: {charset[:40]}")
    if not data.isascii():
        # (ASCII data gets here only when a 7-bit charset failed: UTF-8 says nothing.)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec is not None and not codec.startswith(_SINGLE_BYTE_PREFIXES):
        # A multi-byte charset with a few vendor characters it lacks (NEC digits in
        # ISO-2022-JP): the declared charset with replacements beats any guess.
        replaced = data.decode(codec, "replace")
        bad = replaced.count("\ufffd")
        if bad <= 1 or bad * 100 <= len(replaced):
            return replaced
    lenient = data.decode("utf-8", "replace")
    bad = lenient.count("\ufffd")
    if bad * 200 < len(lenient) and sum(1 for c in lenient if ord(c) > 127) > bad * 2:
        # Mostly valid UTF-8 with a few broken sequences (a truncated mail).
        return lenient
    try:
        western = data.decode("cp1252")
        if _plausible_western(western):
            return western
    except UnicodeDecodeError:
        western = ""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:32_768]).best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, "replace")
    except Exception:
        # The detector is a heuristic library; its failure is not the mail's problem.
        pass
    return western or data.decode("latin-1")


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


def unflow(text: str, delsp: bool = False) -> str:
    """Join the soft line breaks of a ``format=flowed`` body (RFC 3676)."""
    out: list[str] = []
    buffer: list[str] = []
    buffer_depth = -1
    for line in text.split("\n"):
        stripped = line.lstrip(">")
        depth = len(line) - len(stripped)
        if stripped.startswith(" "):
            stripped = stripped[1:]
        if buffer and depth != buffer_depth:
            out.append(">" * buffer_depth + (" " if buffer_depth else "") + "".join(buffer))
            buffer = []
        buffer_depth = depth
        if stripped.endswith(" ") and stripped != "-- ":
            buffer.append(stripped[:-1] if delsp else stripped)
            continue
        buffer.append(stripped)
        out.append(">" * depth + (" " if depth else "") + "".join(buffer))
        buffer = []
    if buffer:
        out.append(">" * buffer_depth + (" " if buffer_depth else "") + "".join(buffer))
    return "\n".join(out)


@dataclass(frozen=True)
class ReplyParts:
    """A body split into the sender's new text, the quoted history and the signature."""

    new_text: str
    quoted_text: str
    signature: str


def _accent_table() -> dict[int, str]:
    """Latin letters with diacritics mapped to their base letter (built once)."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        base = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if base and base != chr(code):
            table[code] = base
    table.update({0x2019: "'", 0x2018: "'", 0xA0: " ", 0x202F: " ", 0x0153: "oe", 0x00E6: "ae"})
    return table


_ACCENTS = _accent_table()


def fold(text: str) -> str:
    """Lower-case without accents, typographic apostrophes made straight."""
    text = text.lower()
    if text.isascii():
        return text
    return text.translate(_ACCENTS)


# Separator lines, folded and stripped of dashes, spaces and a trailing colon.
_SEPARATORS = frozenset(
    {
        "original message",
        "message d'origine",
        "original email message",
        "message original",
        "message transfere",
        "forwarded message",
        "begin forwarded message",
        "debut du message reexpedie",
        "message d'origine supprime",
        "courriel original",
        "mail original",
        "ursprungliche nachricht",
        "weitergeleitete nachricht",
    }
)
_ATTRIBUTION_START = re.compile(r"(?:le|on|am|el|il)\s", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(?:a ecrit|wrote|schrieb|escribio|ha scritto)\s*:?$")
_DATE_OR_TIME = re.compile(r"\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b")
_HEADER_FROM = ("de:", "de :", "from:", "from :", "von:")
_HEADER_DATE = ("envoye:", "envoye :", "sent:", "sent :", "date:", "date :", "gesendet:")
_HEADER_TO = ("a:", "a :", "to:", "to :", "objet:", "objet :", "subject:", "subject :", "an:")
_HEADER_CC = ("cc:", "cc :", "cci:", "bcc:")

# Closing formulas, folded; the signature is what follows the line that starts with one.
_CLOSINGS = (
    "cordialement",
    "bien cordialement",
    "tres cordialement",
    "bien a vous",
    "bien a toi",
    "sinceres salutations",
    "salutations",
    "meilleures salutations",
    "bien sincerement",
    "respectueusement",
    "veuillez agreer",
    "je vous prie d'agreer",
    "dans l'attente de votre",
    "best regards",
    "kind regards",
    "regards",
    "sincerely",
    "envoye de mon",
    "envoye depuis mon",
    "envoye a partir de",
    "sent from my",
    "obtenir outlook pour",
    "get outlook for",
)
# A closing this far from the end is part of the text, not a sign-off.
_MAX_SIGNATURE_LINES = 15
# A "-- " delimiter may open a longer corporate block.
_MAX_DELIMITED_LINES = 30
_NAME_MAY_FOLLOW = (
    "cordialement",
    "bien cordialement",
    "tres cordialement",
    "bien a vous",
    "bien a toi",
    "sinceres salutations",
    "meilleures salutations",
    "bien sincerement",
    "respectueusement",
    "best regards",
    "kind regards",
    "regards",
)
# Polite last lines that end a mail only when they stand alone on their line
# ("Merci d'avance de me répondre vite" is still the message).
_SOFT_CLOSINGS = frozenset(
    {
        "bonne journee",
        "bonne soiree",
        "bonne fin de journee",
        "bon week-end",
        "merci",
        "merci beaucoup",
        "merci d'avance",
        "merci par avance",
        "je vous remercie",
        "je vous remercie par avance",
        "en vous remerciant",
        "en vous remerciant par avance",
        "merci de votre comprehension",
        "merci pour votre comprehension",
        "avec mes salutations distinguees",
        "avec mes remerciements",
        "salutations distinguees",
        "a bientot",
        "thanks",
        "thank you",
        "many thanks",
        "best",
        "cheers",
    }
)
_POSTSCRIPT = ("ps ", "ps:", "p.s", "p-s", "ps.", "ps,", "p.-s")


def _header_key(line: str) -> str:
    return fold(line.lstrip("*> \t")[:40]).replace("*", "")


def _is_separator(folded: str) -> bool:
    if "message" not in folded and "original" not in folded and "reexpedie" not in folded:
        return False
    core = folded.strip().strip("-_=* ").rstrip(":").strip()
    return core in _SEPARATORS


def _is_attribution(line: str, following: str | None) -> bool:
    """``Le ... a écrit :`` / ``On ... wrote:``, possibly wrapped over two lines."""
    stripped = line.lstrip("> \t")
    if not _ATTRIBUTION_START.match(stripped):
        return False
    folded = fold(stripped[:_LINE_CAP]).rstrip()
    if _ATTRIBUTION_END.search(folded):
        return True
    if following is not None and len(stripped) < _LINE_CAP:
        joined = folded + " " + fold(following.lstrip("> \t")[:_LINE_CAP]).rstrip()
        return bool(_ATTRIBUTION_END.search(joined))
    return False


def _header_kind(line: str) -> str | None:
    """Which mail header a history line names (``from``, ``date``, ``to``), if any."""
    key = _header_key(line)
    if key.startswith(_HEADER_FROM):
        return "from"
    if key.startswith(_HEADER_DATE):
        return "date"
    if key.startswith(_HEADER_TO):
        return "to"
    if key.startswith(_HEADER_CC):
        return "cc"
    return None


def _is_header_block(lines: list[str], index: int) -> bool:
    """A ``De : / Envoyé : / À : / Objet :`` block (any order) starting at ``index``."""
    if _header_kind(lines[index]) is None:
        return False
    kinds = set()
    for line in lines[index : index + 8]:
        kind = _header_kind(line)
        if kind is not None:
            kinds.add(kind)
    return {"from", "date", "to"} <= kinds


def _ends_attribution(line: str) -> bool:
    """A line that introduces a quote in any language: ``... <a@b> a écrit :``, ``...:``."""
    stripped = line.rstrip()
    return stripped.endswith(":") and (
        "@" in stripped or _DATE_OR_TIME.search(stripped) is not None
    )


def _history_start(lines: list[str]) -> tuple[int, str, int]:
    """Where the quoted history starts: (index, kind, attribution lines).

    ``kind`` is ``quote`` for ``>`` lines, ``attribution`` for a ``Le ... a écrit :``
    line, ``header`` for separators and header blocks, ``none`` when nothing is quoted.
    """
    count = len(lines)
    previous = -1
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped:
            continue
        if stripped.startswith(">"):
            # An attribution in another language: the line just before the quote.
            if previous >= 0 and _ends_attribution(lines[previous][:_LINE_CAP]):
                return previous, "attribution", index - previous
            return index, "quote", 0
        head = stripped[:_LINE_CAP]
        following = lines[index + 1] if index + 1 < count else None
        if _is_attribution(head, following):
            single = _ATTRIBUTION_END.search(fold(head).rstrip()) is not None
            return index, "attribution", 1 if single else 2
        if head[0] in "-_=*BDbdM" and _is_separator(fold(head)):
            return index, "header", 0
        if head[0] in "DFVSTOAEdfvstoae*ÀÉ" and _is_header_block(lines, index):
            return index, "header", 0
        previous = index
    return count, "none", 0


def _postscript_back(body: list[str], signature: list[str]) -> tuple[list[str], list[str]]:
    """A "PS :" after the sign-off is the sender's text again (it may carry a NUC)."""
    for index, line in enumerate(signature):
        if fold(line.strip()[:5]).startswith(_POSTSCRIPT):
            while body and not body[-1].strip():
                body = body[:-1]
            return body + [""] + signature[index:], signature[:index]
    return body, signature


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """Cut the sign-off from the end of the new text: (body lines, signature lines)."""
    non_empty = 0
    candidate: tuple[int, str] | None = None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if not line:
            continue
        non_empty += 1
        if lines[index] in ("-- ", "--") and non_empty <= _MAX_DELIMITED_LINES:
            return _postscript_back(lines[:index], lines[index + 1 :])
        if non_empty > _MAX_SIGNATURE_LINES or len(line) > 160:
            continue
        folded = fold(line[:40])
        if _is_soft_closing(line) and any(other.strip() for other in lines[:index]):
            candidate = (index, "")
            continue
        for closing in _CLOSINGS:
            if folded.startswith(closing):
                candidate = (index, line[len(closing) :])
                break
    if candidate is None:
        return lines, []
    index, rest = candidate
    # Text after a short formula on the same line ("Cordialement, Jean Dupont") is the
    # name, and belongs to the signature; after a long formula it is more formula.
    rest = rest.strip(" ,.;:!-")
    same_line = [rest] if rest and fold(lines[index].strip()).startswith(_NAME_MAY_FOLLOW) else []
    signature = same_line + lines[index + 1 :]
    # "Merci d'avance,\nCordialement,\nJean": further formulas are not the signature.
    while signature and (not signature[0].strip() or _is_bare_closing(signature[0])):
        signature = signature[1:]
    return _postscript_back(lines[:index], signature)


def _is_soft_closing(line: str) -> bool:
    return len(line) <= 60 and fold(line).strip(" ,.;:!\t") in _SOFT_CLOSINGS


def _is_bare_closing(line: str) -> bool:
    bare = fold(line).strip(" ,.;:!\t")
    return bare in _SOFT_CLOSINGS or bare in _CLOSINGS


def split_reply(text: str) -> ReplyParts:
    """Split a readable body into new text, quoted history and signature."""
    if not text:
        return ReplyParts("", "", "")
    lines = text.split("\n")
    start, kind, attribution = _history_start(lines)
    new_lines = lines[:start]
    quoted_lines = lines[start:]
    if kind == "attribution":
        after = [line for line in lines[start + attribution :] if line.strip()]
        if after and _quoted(after[0]):
            kind = "quote"
    if kind == "quote":
        # Interleaved answers: unquoted lines after a ">" block are the sender's own,
        # up to the next reply header (the rest is older history).
        history = lines[start : start + attribution]
        body = lines[start + attribution :]
        unquoted = [line for line in body if not _quoted(line)]
        rest_start = _history_start(unquoted)[0]
        own: list[str] = []
        unquoted_seen = 0
        for line in body:
            if _quoted(line):
                history.append(line)
                continue
            (history if unquoted_seen >= rest_start else own).append(line)
            unquoted_seen += 1
        if any(line.strip() for line in own):
            new_lines = new_lines + own
            quoted_lines = history
    body_lines, signature = _split_signature(new_lines)
    # Separator rules left above a quoted header block are not text.
    while body_lines and not body_lines[-1].strip(" -_=*\t\xa0"):
        body_lines.pop()
    return ReplyParts(
        "\n".join(body_lines).strip(),
        "\n".join(quoted_lines).strip(),
        "\n".join(signature).strip(),
    )


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")
