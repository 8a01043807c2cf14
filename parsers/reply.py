"""Split a readable mail body into the sender's new text, the quoted history and the signature.

:func:`split_reply` finds where the quoted history and the sign-off start;
:func:`unflow` first joins the soft line breaks of a ``format=flowed`` body. Everything
here works line by line with plain string tests or short anchored patterns on lines cut
to a bounded length, so the cost is linear in the size of the body whatever the body
holds (a 200 KB run of ``>`` and spaces included).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Reply-header patterns only look at the start of a line.
_LINE_CAP = 400


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

# Short closing formulas, folded, that a name may follow on the same line
# ("Cordialement, Jean Dupont").
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
# Closing formulas, folded; the signature is what follows the line that starts with one.
# No formula is the start of another, so their order does not matter.
_CLOSINGS = _NAME_MAY_FOLLOW + (
    "salutations",
    "veuillez agreer",
    "je vous prie d'agreer",
    "dans l'attente de votre",
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
