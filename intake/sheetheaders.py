"""Find where the candidates are in a returned collection spreadsheet, SPEC §2.3.

A header cell names a field through the synonyms below (:func:`header_field`); the
header row is looked for among the first rows of each sheet (:func:`find_table`), and
the data sheet(s) are chosen over instructions, examples and lists
(:func:`choose_tables`). Below the header, :func:`skip_reason` tells empty, total,
note, example and repeated-header rows from candidate rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from intake.sheetvalues import fold
from parsers.sheets import Sheet, Workbook

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


def find_table(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
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


def choose_tables(workbook: Workbook) -> list[tuple[Sheet, int, dict[str, int]]]:
    found = []
    for order, sheet in enumerate(workbook.sheets):
        table = find_table(sheet)
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


def skip_reason(row: Sequence[object], values: Sequence[object]) -> str | None:
    """Why a row is not a candidate row (empty, total, note, example), or None.

    ``values`` are the row's cells for the mapped columns, in :data:`FIELDS` order.
    """
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


def missing_columns(sheet: str, columns: Mapping[str, int]) -> list[str]:
    """A French problem for each required column the table lacks."""
    return [
        f"feuille {sheet} : colonne absente ({FIELD_LABELS[name]})"
        for name in REQUIRED
        if name not in columns
        and not (name in ("last_name", "first_name") and "full_name" in columns)
    ]
