"""Extract the candidate's coordinates and references from a mail's own text.

Each extractor takes text (the subject, the sender's new text and signature, never
the quoted history) and returns what it found or None. They are small, pure and
unit-tested one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from intake.rules.textnorm import fold

# ----------------------------------------------------------------------------- NUC


@lru_cache(maxsize=16)
def _nuc_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# A case reference (UP-2025-000123) looks like a NUC after its prefix; it is blanked
# out before the NUC pattern runs so that no pattern, however loose, can take it.
_CASE_REF = re.compile(r"\b(?!nuc)[A-Za-z]{2,4}-20\d{2}-\d{4,8}\b", re.IGNORECASE)


def find_nuc(texts: Sequence[str], pattern: str, fmt: str) -> str | None:
    """The first NUC in ``texts`` (in order), normalised with ``fmt``."""
    regex = _nuc_regex(pattern)
    for text in texts:
        if not text:
            continue
        cleaned = _CASE_REF.sub(" ", text)
        match = regex.search(cleaned)
        if match:
            return fmt.format(*match.groups())
    return None


# --------------------------------------------------------------------------- phone

_PHONE = re.compile(
    r"(?<![\d+])(?:"
    # French numbers: 0X XX XX XX XX, +33 (0)X XX XX XX XX, 0033 X XX XX XX XX.
    r"(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[\s.\-]?\d{2}){4}"
    # Other international numbers: +CC then 7 to 12 digits in groups.
    r"|(?:\+|00)[1-9]\d{0,2}(?:[\s.\-]?\(?\d{1,4}\)?){2,6}"
    r")(?!\d)"
)


def find_phone(text: str) -> str | None:
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 9 <= len(digits) <= 15:
            return match.group(0).strip()
    return None


# ------------------------------------------------------------------ postal address

_STREET_WORDS = (
    "rue|avenue|av|boulevard|bd|bld|blvd|chemin|che|ch|allee|impasse|imp|place|pl|"
    "route|rte|quai|cours|square|sq|residence|res|lotissement|lot|lieu-dit|lieu dit|"
    "ld|hameau|voie|passage|sentier|cite|faubourg|fbg|parvis|promenade|esplanade|"
    "villa|rond-point|traverse|montee|zone|za|zi|zac|domaine|clos|cote|ruelle|"
    "batiment|bat|appartement|appt|apt|escalier|bp|boite postale|cedex|hlm|"
    "mail|parc|chaussee|carrefour|digue|port|rocade|plateau|vallee|les jardins"
)
# A street line: a number then a street word, or a street word that opens the line
# (lieu-dit, résidence... often come without a number).
_STREET = re.compile(
    rf"(?:(?<![\w-])\d{{1,4}}\s?(?:bis|ter|b|a)?\s?,?\s+(?:{_STREET_WORDS})\b\.?"
    rf"|(?:^|\n)\s*(?:{_STREET_WORDS})\b\.?\s+\w"
    # Rural addresses name a place instead of a street: "Le Bourg", "La Ville Hervé".
    rf"|(?:^|\n)\s*(?:le bourg|la ville [a-z]|le village|les? hameaux?|lieu[- ]dit))",
    re.IGNORECASE,
)
_POSTCODE_TOWN = re.compile(
    r"(?<![\d\w-])(?:F-?)?(?:[0-8]\d|9[0-8]|2[AB])\s?\d{3}(?!\d)[\s,]+"
    r"(?!(?:euros?|eur|€|candidats?|heures?|h\b|jours?)\b)[^\W\d_][^\W\d_'’ -]*",
    re.IGNORECASE,
)


def find_postal_address(text: str) -> str | None:
    """A street line and a 5-digit postcode with a town, close to each other."""
    folded = fold_keep_lines(text)
    for street in _STREET.finditer(folded):
        window = folded[street.start() : street.start() + 220]
        code = _POSTCODE_TOWN.search(window)
        if code:
            return " ".join(window[: code.end()].split())
    return None


def fold_keep_lines(text: str) -> str:
    return "\n".join(fold(line) for line in text.splitlines())


# ------------------------------------------------------------------------- exams


@lru_cache(maxsize=16)
def _exam_regex(catalogue: tuple[tuple[str, str], ...]) -> list[tuple[str, re.Pattern[str]]]:
    compiled = []
    for code, label in catalogue:
        alternatives = []
        prefix, _, suffix = code.partition("-")
        if suffix:
            # "UP-EC1", "UP EC1", "upec1"; and the suffix alone when it carries a digit
            # ("EC1"), which is specific enough not to be a common word.
            alternatives.append(rf"{re.escape(prefix.lower())}[\s_.-]?{_loose(suffix)}")
            if any(c.isdigit() for c in suffix):
                alternatives.append(_loose(suffix))
        else:
            alternatives.append(_loose(code))
        folded_label = fold(label)
        alternatives.append(re.escape(folded_label))
        # The label without its leading "épreuve de" ("connaissances générales").
        short = re.sub(r"^(epreuve|examen)s? (de |d'|du )?", "", folded_label)
        if short != folded_label and len(short) > 8:
            alternatives.append(re.escape(short))
            # "oral d'entretien" for "orale d'entretien".
            alternatives.append(re.escape(short).replace("orale", "orale?"))
        pattern = re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w])")
        compiled.append((code, pattern))
    return compiled


def _loose(token: str) -> str:
    # Letters then digits may be written apart: "EC 1", "ec-1".
    match = re.fullmatch(r"([A-Za-z]+)(\d+)", token)
    if match:
        return rf"{match.group(1).lower()}[\s_.-]?{match.group(2)}"
    return re.escape(token.lower())


def find_exams(text: str, catalogue: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """Codes of the catalogue exams named in ``text`` (by code or label)."""
    folded = fold(text)
    found = []
    for code, pattern in _exam_regex(tuple(catalogue)):
        if pattern.search(folded):
            found.append(code)
    return tuple(found)
