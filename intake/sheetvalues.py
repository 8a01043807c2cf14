"""Read one cell of a collection spreadsheet, and the deadline calendar, SPEC §2.3.

Each reader takes a cell as :mod:`parsers.sheets` gives it (text, number, date, bool or
None) and returns the normalised value, or what was read together with a French
reason: the NIR with its control key (also from a key column of its own), dates
(date cells, Excel serial numbers, French text), e-mail syntax, block numbers, the
Oui/Non of the repeat column and a full name split in two. :func:`fold` is the one
place where accents, case and punctuation are folded. :class:`Calendar` turns a
"certifiable from" date into an exam month and its due date.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from email_validator import EmailNotValidError, validate_email

from intake.config import Deadline

_FOLD_OUT = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case, no accents, every run of punctuation or space as one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _FOLD_OUT.sub(" ", bare.lower()).strip()


def text_of(value: object) -> str:
    """A cell as trimmed text ('' when empty); 15.0 reads as "15"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def split_full_name(full: str, last: str, first: str) -> tuple[str, str]:
    """Split "DUPONT Jean" (capitals are the last name) when no separate columns exist."""
    words = full.split()
    if len(words) < 2:
        return last or full, first
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        rest = [w for w in words if w not in upper]
        return last or " ".join(upper), first or " ".join(rest)
    return last or words[0], first or " ".join(words[1:])


_NIR_SHAPE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{6}")
# Separators people type inside a NIR, and the apostrophe that forces text in Excel.
_NIR_NOISE = re.compile(r"[\s.\-_/']+")


def nir_key(body: str) -> int:
    """The control key of a 13-character NIR body (Corsica: 2A counts 19, 2B counts 18)."""
    department = body[5:7]
    if department in ("2A", "2B"):
        body = body[:5] + ("19" if department == "2A" else "18") + body[7:]
    return 97 - int(body) % 97


def _parse_nir_text(text: str) -> tuple[str | None, str | None]:
    # Most NIRs are 15 plain digits: no clean-up needed.
    if len(text) == 15 and text.isascii() and text.isdecimal():
        if 97 - int(text[:13]) % 97 != int(text[13:]):
            return text, "NIR invalide (clé de contrôle incorrecte)"
        return text, None
    # A number written out by a program: "185057800608436.0".
    if text.endswith(".0") and text[:-2].isdecimal():
        text = text[:-2]
    compact = _NIR_NOISE.sub("", text).upper()
    if not compact:
        return None, "NIR manquant"
    if "E+" in compact or "," in compact:
        return compact, "NIR illisible (écrit en notation scientifique : cellule à passer en texte)"
    if len(compact) == 13 and _NIR_SHAPE.fullmatch(compact):
        return compact, "NIR incomplet (clé de contrôle manquante)"
    if len(compact) != 15 or not _NIR_SHAPE.fullmatch(compact[:13]) or not compact[13:].isdecimal():
        return compact, f"NIR invalide (13 chiffres et une clé de 2 chiffres attendus : « {text} »)"
    if nir_key(compact[:13]) != int(compact[13:]):
        return compact, "NIR invalide (clé de contrôle incorrecte)"
    return compact, None


def parse_nir(value: object) -> tuple[str | None, str | None]:
    """``(normalised NIR, None)`` when valid, else ``(what was read, French reason)``."""
    if isinstance(value, float):
        if not value.is_integer():
            return str(value), "NIR illisible (nombre décimal)"
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _parse_nir_text(str(value))
    if isinstance(value, str):
        return _parse_nir_text(value)
    if value is None:
        return None, "NIR manquant"
    return text_of(value), "NIR illisible"


def join_nir_key(nir: object, key: object) -> object:
    """A 13-character NIR followed by the key from its own column."""
    body = text_of(nir).replace(" ", "")
    digits = text_of(key).replace(" ", "")
    if len(body) == 13 and digits.isdecimal() and len(digits) <= 2:
        return f"{body}{int(digits):02d}"
    return nir


_EXCEL_EPOCH = date(1899, 12, 30)
_DMY = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]+\d{1,2}[:h]\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_YMD = re.compile(
    r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_MY = re.compile(r"(\d{1,2})[/.\-](\d{4})")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
# fmt: off
MONTHS = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
          "octobre", "novembre", "decembre")
MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre")
# fmt: on
_WORDY = re.compile(r"(?:le )?(?:(\d{1,2})(?:er)? )?(" + "|".join(MONTHS) + r") (\d{4})")


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _from_serial(serial: float) -> date | None:
    # From 10,000 (1927) on: a year typed alone (2025) is not a date.
    if 10_000 <= serial < 2_958_466:
        return _EXCEL_EPOCH + timedelta(days=int(serial))
    return None


@lru_cache(maxsize=16384)
def _parse_date_text(text: str, birth: bool) -> date | None:
    text = text.strip().lower().removeprefix("le ").strip()
    match = _DMY.fullmatch(text)
    if match:
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        if len(match[3]) == 2:
            # Two-digit years: candidates are born in the last century or early in
            # this one; certification dates are in this century.
            year += 2000 if (not birth or year <= 10) else 1900
        if month > 12 and day <= 12:
            day, month = month, day
        return _safe_date(year, month, day)
    match = _YMD.fullmatch(text)
    if match:
        return _safe_date(int(match[1]), int(match[2]), int(match[3]))
    match = _MY.fullmatch(text)
    if match and not birth:
        return _safe_date(int(match[2]), int(match[1]), 1)
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text))
    match = _WORDY.fullmatch(fold(text))
    if match:
        if birth and not match[1]:
            return None
        return _safe_date(int(match[3]), MONTHS.index(match[2]) + 1, int(match[1] or 1))
    return None


def parse_date(value: object, *, birth: bool = False) -> date | None:
    """A date from a date cell, an Excel serial number, or text; None when none is read."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _from_serial(value)
    if isinstance(value, str):
        return _parse_date_text(value, birth)
    return None


# A plain ASCII address in dot-atom form: its local part is valid by construction, and
# its domain is checked by email-validator once per domain.
_SIMPLE_EMAIL = re.compile(r"([A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*)@([A-Za-z0-9.-]+)")


@lru_cache(maxsize=4096)
def _valid_domain(domain: str) -> bool:
    try:
        validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@lru_cache(maxsize=4096)
def _valid_email_slow(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def valid_email(address: str) -> bool:
    """E-mail syntax as email-validator judges it, without any network look-up."""
    match = _SIMPLE_EMAIL.fullmatch(address)
    if match and len(match[1]) <= 64 and len(address) <= 254:
        return _valid_domain(match[2])
    return _valid_email_slow(address)


_BLOCK_TOKEN = re.compile(r"[a-z]+|\d+")
# fmt: off
_BLOCK_WORDS = {"bloc", "blocs", "b", "bc", "n", "no", "num", "numero", "numeros", "et", "de",
                "des", "competence", "competences", "cqp"}
# fmt: on
_RANGE_WORDS = {"a", "au"}


@lru_cache(maxsize=4096)
def _parse_blocks_text(text: str) -> tuple[int, ...]:
    numbers: list[int] = []
    pending_range = False
    # Words other than numbers are tolerated ("Bloc 1 : accueillir le public"); "à"
    # or a dash between two numbers is a range ("1 à 4", "BC01-BC03").
    for token in _BLOCK_TOKEN.findall(fold(text.replace("-", " a ").replace("–", " a "))):
        if token.isdecimal():
            number = int(token)
            if not 1 <= number <= 20:
                return ()
            if pending_range and numbers and numbers[-1] < number:
                numbers.extend(range(numbers[-1] + 1, number + 1))
            else:
                numbers.append(number)
            pending_range = False
        elif token in _RANGE_WORDS:
            pending_range = True
        elif token not in _BLOCK_WORDS:
            pending_range = False
    return tuple(sorted(set(numbers)))


def parse_blocks(value: object) -> tuple[int, ...]:
    """Block numbers from 3.0, "1, 2", "Blocs 1 et 3", "BC01-BC03", "1 à 4"; () if none."""
    if isinstance(value, bool) or value is None:
        return ()
    if isinstance(value, (int, float)):
        if float(value).is_integer():
            return (int(value),) if 1 <= value <= 20 else ()
        # "1,2" typed in a French Excel becomes the number 1.2: blocks 1 and 2.
        return _parse_blocks_text(str(value).replace(".", ","))
    if isinstance(value, str):
        return _parse_blocks_text(re.sub(r"(\d)[.,]0\b", r"\1", value))
    return ()


REPEAT_YES = frozenset({"oui", "o", "x", "yes", "y", "1", "vrai", "true", "redoublant"})
REPEAT_NO = frozenset({"", "non", "n", "no", "0", "faux", "false"})


def parse_repeat(value: object) -> bool | None:
    """Oui/Non/O/N/X/yes/1 (empty is Non); None when the cell says something else."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return True if value == 1 else False if value == 0 else None
    folded = fold(str(value))
    # "Oui (2e passage)", "non redoublant": the first word answers.
    for answer in (folded, folded.split(" ", 1)[0]):
        if answer in REPEAT_YES:
            return True
        if answer in REPEAT_NO:
            return False
    return None


class Calendar:
    """The deadline calendar of the configuration: exam month and due date per row."""

    def __init__(self, deadlines: Sequence[Deadline]) -> None:
        self.due: dict[tuple[int, int], date | Literal["closed"]] = {}
        for entry in deadlines:
            for month in entry.months:
                year, number = month.split("-")
                self.due[(int(year), int(number))] = entry.due
        self.months = sorted(self.due)

    def exam_month(self, certifiable_from: date) -> str | None:
        """The first session month on or after the month of ``certifiable_from``.

        A date before the calendar's first month gives that first month; a date
        after its last session gives None (outside the calendar).
        """
        if not self.months:
            return None
        wanted = (certifiable_from.year, certifiable_from.month)
        index = bisect.bisect_left(self.months, wanted)
        if index >= len(self.months):
            return None
        year, month = self.months[index]
        return f"{year:04d}-{month:02d}"

    def late_reason(self, exam_month: str, mail_day: date | None) -> str | None:
        """The French reason a row is late, or None when it is on time."""
        year, month = (int(part) for part in exam_month.split("-"))
        name = MONTH_NAMES[month - 1]
        # French elides "de" before a vowel: "session d'avril", "session de juin".
        session = f"d'{name} {year}" if name[0] in "aeiou" else f"de {name} {year}"
        due = self.due[(year, month)]
        if due == "closed":
            return f"recueil clos pour la session {session} (opération déjà réalisée)"
        if mail_day is not None and mail_day > due:
            return f"date limite du {due:%d/%m/%Y} dépassée pour la session {session}"
        return None
