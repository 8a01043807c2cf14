"""Judge a returned collection spreadsheet (tableau de recueil) row by row, SPEC §2.3.

The file is read by :mod:`parsers.sheets`; the header row, the columns and the data
sheet(s) are found by :mod:`intake.sheetheaders`, and each cell is read by
:mod:`intake.sheetvalues`. This module puts every candidate row in exactly one bucket
(first match wins): ``invalid``, ``redoublant``, ``late``, ``accepted``, each
non-accepted row with a French reason and its row number as the sender's spreadsheet
program shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from intake.classification import SpreadsheetSummary
from intake.config import Config
from intake.sheetheaders import FIELDS, choose_tables, missing_columns, skip_reason
from intake.sheetvalues import (
    Calendar,
    fold,
    join_nir_key,
    parse_blocks,
    parse_date,
    parse_nir,
    parse_repeat,
    split_full_name,
    text_of,
    valid_email,
)
from parsers.sheets import Workbook, read_workbook

Bucket = Literal["accepted", "late", "invalid", "redoublant"]
BUCKETS: tuple[Bucket, ...] = ("invalid", "redoublant", "late", "accepted")

# fmt: off
BRANCHES = {"famille": "Famille", "recouvrement": "Recouvrement", "retraite": "Retraite",
            "vieillesse": "Retraite", "assurance retraite": "Retraite"}
CQPS = {"gc": "GC", "cos": "COS", "g c": "GC", "c o s": "COS", "gestionnaire conseil": "GC",
        "conseiller offre de service": "COS", "conseiller offre de services": "COS"}
MALADIE_CQPS = ("gcam", "csam", "startech", "smpro", "dns", "dam", "maladie")
MALADIE_REASON = "branche maladie: myCertif"
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


@dataclass
class SheetResult:
    """One judged spreadsheet attachment, with its annotated copy, ready for the receipt."""

    filename: str | None
    judgement: SpreadsheetJudgement
    annotated: bytes | None = None


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
            last, first = split_full_name(text_of(raw_full), last, first)
        if raw_key is not None:
            raw_nir = join_nir_key(raw_nir, raw_key)
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


def judge_workbook(
    workbook: Workbook, mail_date: datetime | None, config: Config
) -> SpreadsheetJudgement:
    """Judge an already read workbook (see :func:`judge_spreadsheet`)."""
    problems = list(workbook.problems)
    if workbook.error_kind is not None:
        problems.append(f"read error ({workbook.error_kind}): {workbook.error}")
        return _failed(READ_ERRORS[workbook.error_kind], workbook, problems)
    tables = choose_tables(workbook)
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
        problems.extend(missing_columns(sheet.name, columns))
        judge.has_branch = "branch" in columns
        index = [columns.get(name, -1) for name in FIELDS]
        for row, number in zip(
            sheet.rows[header_index + 1 :], sheet.row_numbers[header_index + 1 :], strict=True
        ):
            width = len(row)
            values = [row[col] if 0 <= col < width else None for col in index]
            skip = skip_reason(row, values)
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
