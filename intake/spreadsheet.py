"""Judge a returned collection spreadsheet (tableau de recueil) row by row, SPEC §2.3.

The file is read by :mod:`parsers.sheets`; this module finds the header row and the
data sheet(s) by the header synonyms below, maps the columns, skips empty, total and
note rows, and puts every candidate row in exactly one bucket (first match wins):
``invalid``, ``redoublant``, ``late``, ``accepted``, each non-accepted row with a French
reason and its row number as the sender's spreadsheet program shows it. The cell
readers (NIR with its key, dates, e-mail, blocks, Oui/Non) and the deadline calendar
are at the end of the module.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from email_validator import EmailNotValidError, validate_email

from intake.classification import SpreadsheetSummary
from intake.config import Config, Deadline
from parsers.sheets import Sheet, Workbook, read_workbook

Bucket = Literal["accepted", "late", "invalid", "redoublant"]
BUCKETS: tuple[Bucket, ...] = ("invalid", "redoublant", "late", "accepted")

# Header synonyms, already folded (lower case, no accents, punctuation as spaces).
# The first tuple of each field holds the SPEC's own headers; the second, other
# headers seen in such files. A header cell matches a synonym exactly, or after its
# parenthesised part is dropped, or starts with it followed by at most three words.
# fmt: off
HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "organisation": (
        ("organisme",),
        ("organisme employeur", "nom de l organisme", "nom organisme", "organisation",
         "organisme de securite sociale", "caisse", "nom de la caisse", "employeur",
         "structure", "raison sociale", "nom de la structure", "nom de l organisation",
         "nom de l employeur", "organisme de rattachement", "caisse de rattachement",
         "organisme d appartenance"),
    ),
    "branch": (("branche",), ("branche de legislation", "branche legislation")),
    "last_name": (
        ("nom", "nom de naissance"),
        ("nom de famille", "nom du candidat", "nom candidat", "nom patronymique",
         "nom d usage", "nom usuel", "nom de naissance du candidat"),
    ),
    "first_name": (("prenom",), ("prenoms", "prenom du candidat", "prenom candidat")),
    "full_name": (
        (),
        ("nom prenom", "nom et prenom", "prenom nom", "prenom et nom", "nom prenom du candidat",
         "nom et prenom du candidat", "nom complet", "identite du candidat"),
    ),
    "nir": (
        ("nir", "n de securite sociale", "numero de securite sociale", "n ss"),
        ("no de securite sociale", "no ss", "n secu", "no secu", "numero secu", "numero ss",
         "num ss", "num secu", "n securite sociale", "numero securite sociale", "n de secu",
         "nss", "numero insee", "n insee", "nir cle", "nir avec cle", "n de securite sociale cle",
         "numero de securite sociale cle", "securite sociale", "n immatriculation"),
    ),
    # The NIR's key in a column of its own, beside a 13-digit NIR.
    "nir_key": ((), ("cle", "cle nir", "cle ss", "cle secu", "cle de securite sociale",
                     "cle securite sociale", "cle du nir", "cle nss")),
    "birth_date": (
        ("date de naissance",),
        ("date naissance", "ne le", "nee le", "ne e le", "naissance",
         "date de naissance du candidat"),
    ),
    "email": (
        ("email", "courriel", "adresse mail"),
        ("e mail", "mail", "adresse e mail", "adresse email", "adresse electronique",
         "adresse courriel", "mel", "email du candidat", "e mail du candidat",
         "adresse mail du candidat", "courriel du candidat", "adresse mail candidat"),
    ),
    "cqp": (
        ("cqp", "certification"),
        ("cqp vise", "cqp prepare", "intitule du cqp", "intitule cqp", "certification visee",
         "cqp concerne", "type de cqp", "libelle cqp"),
    ),
    "blocks": (
        ("bloc s", "blocs de competences"),
        ("bloc", "blocs", "bloc de competences", "blocs de competence", "bloc s de competences",
         "bloc s de competence", "blocs concernes", "bloc s concerne s", "numero de bloc",
         "numeros de blocs", "n bloc", "n de bloc", "n des blocs", "blocs a certifier",
         "bloc s a certifier", "blocs presentes", "bloc s presente s"),
    ),
    "certifiable_from": (
        ("certifiable a partir du",),
        ("certifiable a partir de", "certifiable a partir", "certifiable a compter du",
         "certifiable des le", "certifiable le", "date certifiable", "certifiable",
         "date a partir de laquelle le candidat est certifiable"),
    ),
    "repeat_candidate": (
        ("redoublant",),
        ("redoublante", "redoublant e", "redoublement", "candidat redoublant",
         "redoublant oui non", "candidat redoublant oui non"),
    ),
}

REQUIRED = ("organisation", "branch", "last_name", "first_name", "nir", "cqp", "blocks",
            "certifiable_from")
# A row is a candidate when one of these is filled; the organisation, branch and CQP
# alone are often pre-filled down a template.
CANDIDATE_FIELDS = ("last_name", "first_name", "full_name", "nir", "birth_date", "email",
                    "blocks", "certifiable_from")
BRANCHES = {"famille": "Famille", "recouvrement": "Recouvrement", "retraite": "Retraite",
            "vieillesse": "Retraite", "assurance retraite": "Retraite"}
CQPS = {"gc": "GC", "cos": "COS", "g c": "GC", "c o s": "COS", "gestionnaire conseil": "GC",
        "conseiller offre de service": "COS", "conseiller offre de services": "COS"}
MALADIE_CQPS = ("gcam", "csam", "startech", "smpro", "dns", "dam", "maladie")
MALADIE_REASON = "branche maladie: myCertif"
TOTAL_WORDS = ("total", "sous total", "nombre ", "nb ", "effectif")
# Sheets whose name starts with these words hold instructions, examples or lists, not
# the data, unless the name also says it is the collection ("Recueil", "Candidats").
NOT_DATA_SHEETS = ("exemple", "ex ", "instruction", "notice", "consigne", "mode d emploi",
                   "aide", "modele", "liste", "parametre", "lisez moi", "read me", "readme",
                   "guide", "information", "legende", "explication", "tutoriel", "sommaire")
DATA_SHEETS = ("recueil", "candidat", "donnees", "saisie")
HEADER_SEARCH_ROWS = 50
FIELD_LABELS = {"organisation": "Organisme", "branch": "Branche", "last_name": "Nom",
                "first_name": "Prénom", "nir": "NIR", "cqp": "CQP", "blocks": "Bloc(s)",
                "certifiable_from": "Certifiable à partir du"}
BUCKET_LABELS = {"accepted": "Accepté", "late": "En retard", "invalid": "Invalide",
                 "redoublant": "Redoublant"}
READ_ERRORS = {
    "protected": "fichier protégé par mot de passe",
    "corrupt": "fichier illisible ou corrompu",
    "too_large": "fichier trop volumineux pour être traité automatiquement",
    "unsupported": "format de fichier non reconnu (xlsx, xlsm, xls, ods ou csv attendu)",
}
NO_HEADER = ("tableau de recueil introuvable : aucune ligne d'en-tête avec les colonnes "
             "attendues (Organisme, Nom, Prénom, NIR, CQP…)")
# fmt: on


def _synonym_index() -> tuple[dict[str, tuple[str, int]], dict[str, list[tuple[str, str]]]]:
    exact: dict[str, tuple[str, int]] = {}
    for name, (spec, other) in HEADERS.items():
        for synonym in other:
            exact.setdefault(synonym, (name, 2))
        for synonym in spec:
            exact[synonym] = (name, 3)
    # Prefix candidates by their first word, longest first ("nom de naissance"
    # before "nom").
    prefixes: dict[str, list[tuple[str, str]]] = {}
    for synonym, (name, _) in sorted(exact.items(), key=lambda item: -len(item[0])):
        prefixes.setdefault(synonym.split(" ", 1)[0], []).append((synonym, name))
    return exact, prefixes


_EXACT, _PREFIXES = _synonym_index()

# The order in which a row's mapped cells are handed to the judge.
FIELDS = ("organisation", "branch", "last_name", "first_name", "full_name", "nir", "nir_key",
          "birth_date", "email", "cqp", "blocks", "certifiable_from", "repeat_candidate")  # fmt: skip
_NIR, _LAST = FIELDS.index("nir"), FIELDS.index("last_name")
_CANDIDATE_INDEXES = tuple(FIELDS.index(name) for name in CANDIDATE_FIELDS)


class JudgedRow(NamedTuple):
    """One candidate row and its bucket (a named tuple: thousands are made per file)."""

    row_number: int
    sheet: str
    bucket: Bucket
    reason: str | None
    name: str | None
    # Normalised values when valid (dates as ISO text, blocks as a tuple of numbers),
    # otherwise the sender's text, so that staff see what was written.
    fields: Mapping[str, Any]

    @property
    def bucket_label(self) -> str:
        return BUCKET_LABELS[self.bucket]


@dataclass(frozen=True)
class Table:
    """Where the candidates are in one sheet: header row and 0-based column per field."""

    sheet: str
    header_row: int
    columns: Mapping[str, int]


@dataclass(frozen=True)
class SpreadsheetJudgement:
    rows: tuple[JudgedRow, ...]
    summary: SpreadsheetSummary
    sheet_name: str | None = None
    header_row: int | None = None
    columns: Mapping[str, int] = field(default_factory=dict)
    tables: tuple[Table, ...] = ()
    format: str | None = None
    problems: tuple[str, ...] = ()


def header_field(value: object) -> tuple[str, int] | None:
    """The field a header cell names and how sure (3 SPEC, 2 known, 1 prefix), or None."""
    if not isinstance(value, str) or len(value) > 80:
        return None
    return _header_field(value)


@lru_cache(maxsize=4096)
def _header_field(value: str) -> tuple[str, int] | None:
    folded = fold(value)
    if folded in _EXACT:
        return _EXACT[folded]
    if "(" in value:
        bare = fold(value.split("(", 1)[0])
        if bare in _EXACT:
            return _EXACT[bare]
    for synonym, name in _PREFIXES.get(folded.split(" ", 1)[0], ()):
        if folded.startswith(synonym + " ") and folded.count(" ") - synonym.count(" ") <= 3:
            return name, 1
    return None


def map_header(row: Sequence[object]) -> dict[str, int]:
    """Map each field to the column of its best-matching header cell in ``row``."""
    best: dict[str, tuple[int, int]] = {}
    for column, value in enumerate(row):
        match = header_field(value)
        if match is None:
            continue
        name, tier = match
        if name not in best or tier > best[name][0]:
            best[name] = (tier, column)
    return {name: column for name, (_, column) in best.items()}


def _find_table(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """The index of the header row among the first rows and its column mapping."""
    best: tuple[int, dict[str, int]] | None = None
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        mapping = map_header(row)
        identity = {"nir", "last_name", "full_name"} & mapping.keys()
        if len(mapping) >= 3 and identity and (best is None or len(mapping) > len(best[1])):
            best = (index, mapping)
    if best is None:
        return None
    index, mapping = best
    # A header over two rows (vertically merged cells): take what the row above adds.
    if index > 0:
        used = set(mapping.values())
        for name, column in map_header(sheet.rows[index - 1]).items():
            if name not in mapping and column not in used:
                mapping[name] = column
    return index, mapping


def _choose_tables(workbook: Workbook) -> list[tuple[Sheet, int, dict[str, int]]]:
    found = []
    for order, sheet in enumerate(workbook.sheets):
        table = _find_table(sheet)
        if table is not None:
            name = fold(sheet.name)
            data_name = name.startswith(DATA_SHEETS) or not (
                name.startswith(NOT_DATA_SHEETS) or name.endswith(" exemple")
            )
            rank = (data_name, len(table[1]), sheet.visible, -order)
            found.append((rank, sheet, table))
    if not found:
        return []
    found.sort(key=lambda item: item[0], reverse=True)
    best_rank = found[0][0]
    chosen = [found[0]]
    # Candidates split over several visible sheets (one per CQP, say) are all judged.
    for rank, sheet, table in found[1:]:
        if rank[0] and best_rank[0] and rank[2] and rank[1] >= max(4, best_rank[1] - 1):
            chosen.append((rank, sheet, table))
    chosen.sort(key=lambda item: -item[0][3])
    return [(sheet, index, mapping) for _, sheet, (index, mapping) in chosen]


def _skip_reason(row: Sequence[object], values: Sequence[object]) -> str | None:
    """Why a row is not a candidate row (empty, total, note, example), or None."""
    for lead in row:
        if lead is not None and (lead.__class__ is not str or lead.strip()):  # type: ignore[attr-defined]
            break
    else:
        return "vide"
    # A total or example label leads its row.
    if isinstance(lead, str):
        folded = fold(lead)
        if folded.startswith(TOTAL_WORDS):
            return "ligne de total"
        if folded.startswith(("exemple", "ex ")):
            return "ligne d'exemple"
    nir, last = values[_NIR], values[_LAST]
    if nir not in (None, "") and last not in (None, ""):
        # The usual candidate row. Unless it is the header repeated further down (a
        # second table pasted below the first): its NIR cell is a word, not digits.
        if (
            isinstance(nir, str)
            and not any(c.isdecimal() for c in nir)
            and header_field(nir)
            and header_field(last)
        ):
            return "en-tête répété"
        return None
    filled = [v for v in row if v is not None and (v.__class__ is not str or v.strip())]  # type: ignore[attr-defined]
    if len(filled) > 1 and isinstance(filled[1], str) and fold(filled[1]).startswith(TOTAL_WORDS):
        return "ligne de total"
    if len(filled) == 1:
        if isinstance(lead, (int, float)) and not isinstance(lead, bool) and abs(lead) < 100_000:
            return "ligne de total"
        if isinstance(lead, str) and lead.strip().isdecimal() and len(lead.strip()) < 6:
            return "ligne de total"
        if isinstance(lead, str) and len(lead.split()) >= 5:
            return "note"
    if not any(values[i] not in (None, "") for i in _CANDIDATE_INDEXES):
        return "sans candidat"
    return None


# Each field check returns (normalised value, French reason or None). Values repeat
# down a sheet (same organisation, CQP, dates), so the checks are cached by raw value;
# ``typed=True`` keeps 1.0 and True apart.
Checked = tuple[Any, str | None]


@lru_cache(maxsize=1024, typed=True)
def check_organisation(raw: object) -> Checked:
    text = text_of(raw)
    return text, None if text else "organisme manquant"


@lru_cache(maxsize=1024, typed=True)
def check_branch(raw: object) -> Checked:
    text = text_of(raw)
    key = fold(text).removeprefix("branche ")
    # "Famille", "Famille (CNAF)", "Retraite - CARSAT": the first word names it.
    branch = BRANCHES.get(key) or BRANCHES.get(key.split(" ", 1)[0])
    if "maladie" in key.split():
        return text, MALADIE_REASON
    if branch is not None:
        return branch, None
    if not text:
        return text, "branche manquante"
    return text, f"branche « {text} » inconnue (Famille, Recouvrement ou Retraite attendu)"


@lru_cache(maxsize=1024, typed=True)
def check_cqp(raw: object) -> Checked:
    text = text_of(raw)
    key = fold(text).removeprefix("cqp ")
    words = key.split()
    # The Maladie-branch CQPs first: "Gestionnaire conseil de l'Assurance Maladie"
    # begins like the GC.
    if any(word in words for word in MALADIE_CQPS):
        return text, MALADIE_REASON
    # "GC", "GC - Gestionnaire conseil", "Conseiller offre de service".
    cqp = CQPS.get(key) or (CQPS.get(words[0]) if words else None)
    cqp = cqp or next((v for k, v in CQPS.items() if " " in k and key.startswith(k)), None)
    if cqp is not None:
        return cqp, None
    if not text:
        return text, "CQP manquant"
    return text, f"CQP « {text} » inconnu (GC ou COS attendu)"


@lru_cache(maxsize=1024, typed=True)
def check_blocks(raw: object) -> Checked:
    blocks = parse_blocks(raw)
    if blocks:
        return blocks, None
    text = text_of(raw)
    return text, f"bloc(s) illisible(s) (« {text} »)" if text else "bloc(s) manquant(s)"


@lru_cache(maxsize=4096, typed=True)
def check_birth_date(raw: object) -> Checked:
    birth = parse_date(raw, birth=True)
    if birth is not None:
        return birth.isoformat(), None
    text = text_of(raw)
    return text or None, f"date de naissance illisible (« {text} »)" if text else None


def check_email(raw: object) -> Checked:
    text = text_of(raw)
    if not text or valid_email(text):
        return text or None, None
    return text, f"adresse e-mail invalide (« {text} »)"


@lru_cache(maxsize=64, typed=True)
def check_repeat(raw: object) -> Checked:
    repeat = parse_repeat(raw)
    if repeat is not None:
        return repeat, None
    return text_of(raw), f"redoublant : « {text_of(raw)} » non reconnu (Oui ou Non attendu)"


class _Judge:
    """Judges rows one after the other; remembers NIRs for the duplicate rule."""

    def __init__(self, mail_date: datetime | None, config: Config) -> None:
        self.calendar = Calendar(config.deadline)
        self.mail_day: date | None = mail_date.date() if mail_date is not None else None
        self.seen_nirs: dict[str, tuple[str, int]] = {}
        # Whether the sheet being judged has a Branche column.
        self.has_branch = True
        # certifiable_from raw value -> (ISO date or text, exam month, invalid reason,
        # late reason): it depends on the calendar and the mail's day, fixed per file.
        self.sessions: dict[object, tuple[Any, str | None, str | None, str | None]] = {}

    def session(self, raw: object) -> tuple[Any, str | None, str | None, str | None]:
        key = (type(raw), raw)
        known = self.sessions.get(key)
        if known is not None:
            return known
        certifiable = parse_date(raw)
        text = text_of(raw)
        if certifiable is None:
            what = "illisible (« " + text + " »)" if text else "manquante"
            result: tuple[Any, str | None, str | None, str | None] = (
                text,
                None,
                f"date « certifiable à partir du » {what}",
                None,
            )
        else:
            month = self.calendar.exam_month(certifiable)
            if month is None:
                result = (
                    certifiable.isoformat(),
                    None,
                    "aucune session au calendrier pour un candidat certifiable "
                    f"à partir du {certifiable:%d/%m/%Y}",
                    None,
                )
            else:
                late = self.calendar.late_reason(month, self.mail_day)
                result = (certifiable.isoformat(), month, None, late)
        self.sessions[key] = result
        return result

    def judge(self, sheet: str, number: int, values: Sequence[object]) -> JudgedRow:
        (raw_org, raw_branch, raw_last, raw_first, raw_full, raw_nir, raw_key, raw_birth,
         raw_email, raw_cqp, raw_blocks, raw_certifiable, raw_repeat) = values  # fmt: skip
        organisation, r_org = check_organisation(raw_org)
        # A file without a Branche column is judged on the other fields (noted in the
        # problems); an empty cell in the column is a missing branch.
        branch, r_branch = check_branch(raw_branch) if self.has_branch else (None, None)
        last, first = text_of(raw_last), text_of(raw_first)
        if not (last and first) and raw_full is not None:
            last, first = _split_full_name(text_of(raw_full), last, first)
        if raw_key is not None:
            raw_nir = _with_key(raw_nir, raw_key)
        nir, r_nir = parse_nir(raw_nir)
        birth, r_birth = check_birth_date(raw_birth)
        email, r_email = check_email(raw_email)
        cqp, r_cqp = check_cqp(raw_cqp)
        blocks, r_blocks = check_blocks(raw_blocks)
        certifiable, exam_month, r_session, late = self.session(raw_certifiable)
        repeat, r_repeat = check_repeat(raw_repeat)
        r_duplicate = None
        if nir is not None and r_nir is None:
            earlier = self.seen_nirs.get(nir)
            if earlier is None:
                self.seen_nirs[nir] = (sheet, number)
            elif earlier[0] == sheet:
                r_duplicate = f"NIR en double (déjà ligne {earlier[1]})"
            else:
                r_duplicate = f"NIR en double (déjà feuille {earlier[0]}, ligne {earlier[1]})"
        reasons = [
            r_org,
            r_branch,
            None if last else "nom manquant",
            None if first else "prénom manquant",
            r_nir,
            r_birth,
            r_email,
            r_cqp if r_cqp != r_branch else None,
            r_blocks,
            r_session,
            r_repeat,
            r_duplicate,
        ]
        fields = {
            "organisation": organisation,
            "branch": branch,
            "last_name": last,
            "first_name": first,
            "nir": nir,
            "birth_date": birth,
            "email": email,
            "cqp": cqp,
            "blocks": blocks,
            "certifiable_from": certifiable,
            "exam_month": exam_month,
            "repeat_candidate": repeat,
        }
        name = f"{first} {last}".strip() or None
        bucket: Bucket
        if any(reasons):
            bucket, reason = "invalid", "; ".join(r for r in reasons if r)
        elif repeat:
            bucket, reason = "redoublant", "candidat redoublant: hors recueil"
        elif late:
            bucket, reason = "late", late
        else:
            bucket, reason = "accepted", None
        return JudgedRow(number, sheet, bucket, reason, name, fields)


def _with_key(nir: object, key: object) -> object:
    """A 13-character NIR followed by the key from its own column."""
    body = text_of(nir).replace(" ", "")
    digits = text_of(key).replace(" ", "")
    if len(body) == 13 and digits.isdecimal() and len(digits) <= 2:
        return f"{body}{int(digits):02d}"
    return nir


def _split_full_name(full: str, last: str, first: str) -> tuple[str, str]:
    """Split "DUPONT Jean" (capitals are the last name) when no separate columns exist."""
    words = full.split()
    if len(words) < 2:
        return last or full, first
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        rest = [w for w in words if w not in upper]
        return last or " ".join(upper), first or " ".join(rest)
    return last or words[0], first or " ".join(words[1:])


def judge_workbook(
    workbook: Workbook, mail_date: datetime | None, config: Config
) -> SpreadsheetJudgement:
    """Judge an already read workbook (see :func:`judge_spreadsheet`)."""
    problems = list(workbook.problems)
    if workbook.error_kind is not None:
        problems.append(f"read error ({workbook.error_kind}): {workbook.error}")
        return _failed(READ_ERRORS[workbook.error_kind], workbook, problems)
    tables = _choose_tables(workbook)
    if not tables:
        return _failed(NO_HEADER, workbook, problems)
    judge = _Judge(mail_date, config)
    if mail_date is None:
        problems.append("date du message inconnue : retard non vérifié (lignes jugées à temps)")
    judged: list[JudgedRow] = []
    skipped: dict[str, int] = {}
    infos: list[Table] = []
    for sheet, header_index, columns in tables:
        infos.append(Table(sheet.name, sheet.row_numbers[header_index], dict(columns)))
        for name in REQUIRED:
            if name not in columns and not (
                name in ("last_name", "first_name") and "full_name" in columns
            ):
                problems.append(f"feuille {sheet.name} : colonne absente ({FIELD_LABELS[name]})")
        judge.has_branch = "branch" in columns
        index = [columns.get(name, -1) for name in FIELDS]
        for row, number in zip(
            sheet.rows[header_index + 1 :], sheet.row_numbers[header_index + 1 :], strict=True
        ):
            width = len(row)
            values = [row[col] if 0 <= col < width else None for col in index]
            skip = _skip_reason(row, values)
            if skip is not None:
                skipped[skip] = skipped.get(skip, 0) + 1
                continue
            judged.append(judge.judge(sheet.name, number, values))
    for reason, count in skipped.items():
        if reason != "vide":
            problems.append(f"{count} ligne(s) ignorée(s) : {reason}")
    counts = dict.fromkeys(BUCKETS, 0)
    for judged_row in judged:
        counts[judged_row.bucket] += 1
    summary = SpreadsheetSummary(
        rows=len(judged),
        accepted=counts["accepted"],
        late=counts["late"],
        invalid=counts["invalid"],
        redoublant=counts["redoublant"],
    )
    first = infos[0]
    return SpreadsheetJudgement(
        rows=tuple(judged),
        summary=summary,
        sheet_name=first.sheet,
        header_row=first.header_row,
        columns=first.columns,
        tables=tuple(infos),
        format=workbook.format,
        problems=tuple(problems),
    )


def _failed(error: str, workbook: Workbook, problems: list[str]) -> SpreadsheetJudgement:
    return SpreadsheetJudgement(
        rows=(),
        summary=SpreadsheetSummary(0, 0, 0, 0, 0, error=error),
        format=workbook.format,
        problems=tuple(problems),
    )


def judge_spreadsheet(
    data: bytes, filename: str | None, mail_date: datetime | None, config: Config
) -> SpreadsheetJudgement:
    """Read and judge a returned collection spreadsheet; never raises.

    ``mail_date`` is the mail's ``Date``: its own local day is compared with the due
    dates (the due day itself is on time). Without it, rows are judged on time and a
    problem says so.
    """
    workbook = read_workbook(data, filename)
    try:
        return judge_workbook(workbook, mail_date, config)
    except Exception as exc:  # noqa: BLE001 - per-file boundary: the poller goes on
        problems = [*workbook.problems, f"judgement failed: {type(exc).__name__}: {exc}"]
        return _failed("erreur lors de la lecture du tableau", workbook, problems)


# --- Cell readers -------------------------------------------------------------------

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
