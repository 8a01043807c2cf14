"""Folding text once for every rule, and matching folded phrase lists.

Rules never see raw text: accents, case, typographic quotes and runs of white space
are folded here, in one place, so that a keyword list written by a person matches
``Hospitalisée``, ``HOSPITALISEE`` and ``hospitalisee`` alike.

Phrase syntax (see :mod:`intake.rules.vocabulary`):
- words are matched whole, after folding;
- ``*`` at the end of a word matches any ending (``hospitalis*``);
- ``..`` between words allows up to four other words in between
  (``mot de passe .. oublie``);
- ``?`` after a letter or a group makes it optional (``absente?``);
- ``(a|b)`` groups alternatives (``mail (de|d')confirmation``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_TRANSLATE = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2011": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u0153": "oe",
        "\u0152": "oe",
        "\u00e6": "ae",
        "\u00c6": "ae",
        "\u00df": "ss",
    }
)
_SPACES = re.compile(r"\s+")


def _strip_accents_table() -> dict[int, str]:
    """Latin letters with diacritics -> their base letters, for str.translate."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base != char and base.isascii():
            table[code] = base
    return table


# Folding runs on every text every rule reads: one C-level translate for the Latin
# letters, the Unicode decomposition only for what remains outside ASCII.
_ACCENTS = _strip_accents_table()


_INCLUSIVE = re.compile(r"\((e|es|s|ne|le)\)", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case, no accents, plain quotes and dashes, single spaces.

    Inclusive endings are folded too: "absent(e)" reads "absente", "inscrit(e)s"
    reads "inscrites".
    """
    text = text.translate(_TRANSLATE)
    if "(" in text:
        text = _INCLUSIVE.sub(r"\1", text)
    if not text.isascii():
        text = text.translate(_ACCENTS)
        if not text.isascii():
            decomposed = unicodedata.normalize("NFKD", text)
            text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", text.lower()).strip()


def _phrase_regex(phrase: str) -> str:
    """Translate one phrase of the small syntax above into a regular expression."""
    phrase = fold(phrase).replace(" .. ", "\x00")
    out: list[str] = []
    for i, char in enumerate(phrase):
        if char == "\x00":
            out.append(r" (?:\S+ ){0,4}")
        elif char == "(":
            out.append("(?:")
        elif char in ")|":
            out.append(char)
        elif char == "?" and i > 0:
            out.append("?")
        elif char == "*" and (i + 1 == len(phrase) or not phrase[i + 1].isalnum()):
            out.append(r"\w*")
        elif char == " ":
            out.append(" ")
        else:
            out.append(re.escape(char))
    return "".join(out)


@dataclass(frozen=True)
class PhraseSet:
    """A named list of phrases compiled into one regular expression."""

    name: str
    phrases: tuple[str, ...]
    regex: re.Pattern[str] | None

    def search(self, folded: str) -> str | None:
        """The first phrase found in ``folded`` text (as it appears), or None."""
        if self.regex is None:
            return None
        match = self.regex.search(folded)
        return match.group(0) if match else None

    def find_all(self, folded: str) -> list[str]:
        if self.regex is None:
            return []
        return [m.group(0) for m in self.regex.finditer(folded)]


@lru_cache(maxsize=512)
def compile_phrases(name: str, phrases: tuple[str, ...]) -> PhraseSet:
    cleaned = tuple(p for p in phrases if p.strip())
    if not cleaned:
        return PhraseSet(name, cleaned, None)
    # Longer phrases first so that the reported evidence is the most specific one.
    ordered = sorted({_phrase_regex(p) for p in cleaned}, key=len, reverse=True)
    # The word-boundary guards stand once around the whole alternation: the engine
    # then rejects positions inside words before trying any alternative.
    pattern = rf"(?<!\w)(?:{'|'.join(ordered)})(?!\w)"
    return PhraseSet(name, cleaned, re.compile(pattern))


def merge(base: Iterable[str], extra: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*base, *extra]))
