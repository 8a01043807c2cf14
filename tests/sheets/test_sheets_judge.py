"""intake.spreadsheet: every SPEC §2.3 rule, every bucket, every format, every mess."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from sheetfixtures import (
    HEADER,
    candidate,
    nir_for,
    nir_with_key,
    sheet_with_title,
    to_csv,
    to_ods,
    to_xls,
    to_xlsx,
)

from intake.config import Config, Deadline
from intake.spreadsheet import (
    MALADIE_REASON,
    NO_HEADER,
    JudgedRow,
    SpreadsheetJudgement,
    judge_spreadsheet,
)

CONFIG = Config()
# Before the June 2025 deadline (31/03/2025), after the March-May one (30/11/2024).
MARCH_1 = datetime(2025, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))

Writer = Callable[[Sequence[Sequence[Any]]], bytes]
WRITERS: dict[str, Writer] = {
    "xlsx": lambda rows: to_xlsx([("Recueil", rows)]),
    "xlsm": lambda rows: to_xlsx([("Recueil", rows)], macro=True),
    "xls": lambda rows: to_xls([("Recueil", rows)]),
    "ods": lambda rows: to_ods([("Recueil", rows)]),
    "csv-cp1252": lambda rows: to_csv(rows, encoding="cp1252", delimiter=";"),
    "csv-utf8-bom": lambda rows: to_csv(rows, encoding="utf-8-sig", delimiter=","),
}


def judge(
    rows: Sequence[Sequence[Any]],
    mail_date: datetime | None = MARCH_1,
    *,
    fmt: str = "xlsx",
    config: Config = CONFIG,
) -> SpreadsheetJudgement:
    return judge_spreadsheet(WRITERS[fmt](rows), f"recueil.{fmt[:4]}", mail_date, config)


def by_row(judgement: SpreadsheetJudgement) -> dict[int, JudgedRow]:
    return {row.row_number: row for row in judgement.rows}


def one(row: list[Any], mail_date: datetime | None = MARCH_1) -> JudgedRow:
    """Judge a single candidate row placed under the usual title and header."""
    judgement = judge(sheet_with_title([row]), mail_date)
    assert judgement.summary.error is None, judgement.summary.error
    assert len(judgement.rows) == 1, judgement.problems
    return judgement.rows[0]


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_bucket_in_every_format(fmt: str) -> None:
    bad_key = nir_for(1)[:-2] + f"{(int(nir_for(1)[-2:]) + 1) % 100:02d}"
    rows = sheet_with_title(
        [
            candidate(0),
            candidate(1, nir=bad_key),
            candidate(2, repeat="Oui"),
            candidate(3, certifiable=date(2025, 4, 10)),
            ["Total", None, None, None, 4],
        ]
    )
    judgement = judge(rows, fmt=fmt)
    summary = judgement.summary
    assert summary.error is None
    assert (summary.rows, summary.accepted, summary.invalid) == (4, 1, 1)
    assert (summary.redoublant, summary.late) == (1, 1)
    rows_by_number = by_row(judgement)
    assert rows_by_number[4].bucket == "accepted"
    assert rows_by_number[5].reason == "NIR invalide (clé de contrôle incorrecte)"
    assert rows_by_number[6].reason == "candidat redoublant: hors recueil"
    assert rows_by_number[7].reason == (
        "date limite du 30/11/2024 dépassée pour la session d'avril 2025"
    )
    assert rows_by_number[4].fields["exam_month"] == "2025-06"
    assert rows_by_number[4].fields["nir"] == nir_for(0)
    assert rows_by_number[4].name == "Camille0 DURAND0"


def test_header_synonyms_title_rows_and_an_instructions_sheet_first() -> None:
    instructions = [
        ["Mode d'emploi du tableau de recueil"],
        ["Nom"],
        ["NIR : indiquer les 15 chiffres de la carte Vitale, clé comprise"],
        ["Certifiable à partir du : date indiquée dans myCertif UCANSS"],
    ]
    header = [
        "ORGANISME",
        " Branche ",
        "Nom de naissance",
        "Prénom(s)",
        "N° de Sécurité Sociale",
        "Date de naissance (jj/mm/aaaa)",
        "Adresse mail",
        "Certification",
        "Blocs de compétences",
        "Certifiable à partir du :",
        "Redoublant (Oui/Non)",
    ]
    data = [
        ["Institut 4.10 — tableau de recueil"],
        ["Organisme : CAF du Rhône"],
        [],
        [None, None, "Candidat"],
        header,
        candidate(0),
        candidate(1),
    ]
    book = to_xlsx([("Instructions", instructions), ("Feuil1", data)])
    judgement = judge_spreadsheet(book, "recueil.xlsx", MARCH_1, CONFIG)
    assert judgement.sheet_name == "Feuil1"
    assert judgement.header_row == 5
    assert dict(judgement.columns) == {
        "organisation": 0,
        "branch": 1,
        "last_name": 2,
        "first_name": 3,
        "nir": 4,
        "birth_date": 5,
        "email": 6,
        "cqp": 7,
        "blocks": 8,
        "certifiable_from": 9,
        "repeat_candidate": 10,
    }
    assert [row.row_number for row in judgement.rows] == [6, 7]
    assert judgement.summary.accepted == 2


def test_an_example_sheet_with_the_header_is_not_the_data() -> None:
    example = sheet_with_title([candidate(90)])
    data = sheet_with_title([candidate(0), candidate(1), candidate(2)])
    judgement = judge_spreadsheet(
        to_xlsx([("Exemple", example), ("Recueil", data)]), None, MARCH_1, CONFIG
    )
    assert judgement.sheet_name == "Recueil"
    assert judgement.summary.rows == 3


def test_candidates_split_over_two_sheets_are_all_judged() -> None:
    gc = sheet_with_title([candidate(0), candidate(1)])
    cos = sheet_with_title([candidate(5, cqp="COS"), candidate(0, cqp="COS")])
    judgement = judge_spreadsheet(to_xlsx([("GC", gc), ("COS", cos)]), None, MARCH_1, CONFIG)
    assert [table.sheet for table in judgement.tables] == ["GC", "COS"]
    assert judgement.summary.rows == 4
    duplicate = [row for row in judgement.rows if row.bucket == "invalid"]
    assert len(duplicate) == 1
    assert duplicate[0].sheet == "COS"
    assert duplicate[0].reason == "NIR en double (déjà feuille GC, ligne 4)"


@pytest.mark.parametrize(
    ("nir", "expected"),
    [
        (float(nir_for(4)), None),
        (int(nir_for(4)), None),
        (" ".join([nir_for(4)[:1], nir_for(4)[1:3], nir_for(4)[3:5], nir_for(4)[5:]]), None),
        (nir_with_key("185052A015123"), None),
        (nir_with_key("292032B030004"), None),
        (nir_with_key("185052A015123")[:-2] + "00", "NIR invalide"),
        (nir_for(4)[:13], "NIR incomplet (clé de contrôle manquante)"),
        ("1,85057E+14", "NIR illisible"),
        ("12345", "NIR invalide (13 chiffres et une clé de 2 chiffres attendus"),
        ("", "NIR manquant"),
        # A superscript digit is a digit to str.isdigit() but not to int().
        (nir_for(4)[:13] + "³1", "NIR invalide (13 chiffres"),
    ],
    ids=[
        "float",
        "int",
        "spaces",
        "corsica-2A",
        "corsica-2B",
        "bad-key",
        "no-key",
        "scientific",
        "short",
        "empty",
        "superscript",
    ],
)
def test_nir_rules(nir: Any, expected: str | None) -> None:
    row = one(candidate(0, nir=nir if nir != "" else None) if nir != "" else _without_nir())
    if expected is None:
        assert row.bucket == "accepted", row.reason
        assert row.fields["nir"] == str(nir).replace(" ", "").removesuffix(".0")
    else:
        assert row.bucket == "invalid"
        assert row.reason is not None and row.reason.startswith(expected)


def _without_nir() -> list[Any]:
    row = candidate(0)
    row[4] = None
    return row


def test_corsica_key_uses_19_and_18() -> None:
    # 2A counts as 19 and 2B as 18 in the key: the same digits with "19" give the key.
    body = "1850519015123"
    corsica = body[:5] + "2A" + body[7:]
    key = f"{97 - int(body) % 97:02d}"
    assert one(candidate(0, nir=corsica + key)).bucket == "accepted"
    assert one(candidate(0, nir=corsica + f"{(int(key) + 1) % 100:02d}")).bucket == "invalid"


def test_duplicate_nir_names_the_first_row() -> None:
    nir = nir_for(3)
    rows = sheet_with_title(
        [
            candidate(0),
            candidate(1),
            candidate(2, nir=float(nir)),
            candidate(3, nir=nir[:7] + " " + nir[7:]),
        ]
    )
    judged = by_row(judge(rows))
    assert judged[6].bucket == "accepted"
    assert judged[7].bucket == "invalid"
    assert judged[7].reason == "NIR en double (déjà ligne 6)"


@pytest.mark.parametrize(
    ("index", "value", "reason"),
    [
        (0, None, "organisme manquant"),
        (1, None, "branche manquante"),
        (1, "Maladie", MALADIE_REASON),
        (1, "Sécurité", "branche « Sécurité » inconnue"),
        (2, None, "nom manquant"),
        (3, "", "prénom manquant"),
        (7, None, "CQP manquant"),
        (7, "GCAM", MALADIE_REASON),
        (7, "CQP STARTECH", MALADIE_REASON),
        (7, "DAM", MALADIE_REASON),
        (7, "CQP XYZ", "CQP « CQP XYZ » inconnu"),
        (8, None, "bloc(s) manquant(s)"),
        (8, "tous", "bloc(s) illisible(s) (« tous »)"),
        (9, None, "date « certifiable à partir du » manquante"),
        (9, "bientôt", "date « certifiable à partir du » illisible"),
        (9, date(2026, 2, 1), "aucune session au calendrier"),
        (5, "hier", "date de naissance illisible"),
        (6, "jean.dupont@", "adresse e-mail invalide"),
        (6, "jean..dupont@caf.fr", "adresse e-mail invalide"),
        (6, "jean@localhost", "adresse e-mail invalide"),
        (10, "peut-être", "redoublant : « peut-être » non reconnu"),
    ],
)
def test_each_rule_gives_invalid_with_its_reason(index: int, value: Any, reason: str) -> None:
    row = candidate(0)
    row[index] = value
    judged = one(row)
    assert judged.bucket == "invalid"
    assert judged.reason is not None and reason in judged.reason


def test_maladie_branch_and_cqp_give_one_reason() -> None:
    judged = one(candidate(0, branch="Maladie", cqp="CSAM"))
    assert judged.reason == MALADIE_REASON


def test_several_problems_are_all_named() -> None:
    judged = one(candidate(0, first="", email="x@", blocks=None))
    assert judged.reason == (
        "prénom manquant; adresse e-mail invalide (« x@ »); bloc(s) manquant(s)"
    )


def test_organisation_is_not_filled_down() -> None:
    first = candidate(0)
    second = candidate(1, organisation=None)
    judged = by_row(judge(sheet_with_title([first, second])))
    assert judged[4].bucket == "accepted"
    assert judged[5].reason == "organisme manquant"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CQP GC", "GC"),
        ("cos", "COS"),
        ("Gestionnaire conseil", "GC"),
        (" GC ", "GC"),
    ],
)
def test_cqp_spellings(value: str, expected: str) -> None:
    judged = one(candidate(0, cqp=value))
    assert judged.bucket == "accepted"
    assert judged.fields["cqp"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.0, (3,)),
        (2, (2,)),
        ("1, 2", (1, 2)),
        ("Blocs 1 et 3", (1, 3)),
        ("1 à 4", (1, 2, 3, 4)),
        ("BC01 - BC03", (1, 2, 3)),
        ("1;2;5", (1, 2, 5)),
    ],
)
def test_block_numbers(value: Any, expected: tuple[int, ...]) -> None:
    judged = one(candidate(0, blocks=value))
    assert judged.bucket == "accepted", judged.reason
    assert judged.fields["blocks"] == expected


@pytest.mark.parametrize(
    "value",
    [
        "15/06/2025",
        "15/6/25",
        "2025-06-15",
        "2025-06-15 00:00:00",
        "15.06.2025",
        "15/06/2025 09:30",
        45823.0,
        "45823",
        datetime(2025, 6, 15, 14, 30),
        "06/2025",
        "juin 2025",
    ],
)
def test_certifiable_from_dates_as_text_and_numbers(value: Any) -> None:
    judged = one(candidate(0, certifiable=value))
    assert judged.bucket == "accepted", judged.reason
    assert judged.fields["exam_month"] == "2025-06"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3/5/85", "1985-05-03"),
        ("03/05/1985", "1985-05-03"),
        ("1985-05-03", "1985-05-03"),
        (31170.0, "1985-05-03"),
    ],
)
def test_birth_dates(value: Any, expected: str) -> None:
    judged = one(candidate(0, birth=value))
    assert judged.bucket == "accepted"
    assert judged.fields["birth_date"] == expected


@pytest.mark.parametrize("value", ["Oui", "OUI ", "O", "x", "X", "yes", 1, 1.0, True])
def test_repeat_candidate_yes(value: Any) -> None:
    judged = one(candidate(0, repeat=value))
    assert judged.bucket == "redoublant"
    assert judged.fields["repeat_candidate"] is True


@pytest.mark.parametrize("value", ["Non", "N", "non", None, 0, "0", False])
def test_repeat_candidate_no(value: Any) -> None:
    judged = one(candidate(0, repeat=value))
    assert judged.bucket == "accepted"
    assert judged.fields["repeat_candidate"] is False


def test_first_match_wins_invalid_then_redoublant_then_late() -> None:
    late_repeat = candidate(1, repeat="Oui", certifiable=date(2025, 4, 1))
    bad_repeat = candidate(2, repeat="Oui", nir="123")
    judged = by_row(judge(sheet_with_title([late_repeat, bad_repeat])))
    assert judged[4].bucket == "redoublant"
    assert judged[5].bucket == "invalid"


@pytest.mark.parametrize(
    ("header", "bucket"),
    [
        # The due day in its own local time is on time, whatever the day in UTC.
        ("Mon, 31 Mar 2025 23:30:00 -0500", "accepted"),
        ("Mon, 31 Mar 2025 23:59:59 +0200", "accepted"),
        ("Mon, 31 Mar 2025 00:10:00 +0200", "accepted"),
        ("Tue, 01 Apr 2025 00:30:00 +0200", "late"),
        ("Tue, 01 Apr 2025 08:00:00 -0500", "late"),
    ],
)
def test_deadline_day_is_judged_in_the_mail_s_own_timezone(header: str, bucket: str) -> None:
    judged = one(candidate(0, certifiable=date(2025, 7, 1)), parsedate_to_datetime(header))
    assert judged.bucket == bucket
    if bucket == "late":
        assert judged.reason == "date limite du 31/03/2025 dépassée pour la session de juillet 2025"


def test_certifiable_before_2025_is_january_2025_and_late() -> None:
    judged = one(candidate(0, certifiable=date(2024, 9, 1)), datetime(2024, 10, 1, tzinfo=UTC))
    assert judged.fields["exam_month"] == "2025-01"
    assert judged.bucket == "late"
    assert judged.reason == "recueil clos pour la session de janvier 2025 (opération déjà réalisée)"


def test_february_is_closed_too() -> None:
    judged = one(candidate(0, certifiable=date(2025, 2, 20)))
    assert judged.bucket == "late"
    assert "janvier" not in (judged.reason or "")
    assert judged.fields["exam_month"] == "2025-02"


def test_august_has_no_session_so_september() -> None:
    row = candidate(0, certifiable=date(2025, 8, 12))
    on_time = one(row, datetime(2025, 5, 31, 18, 0, tzinfo=UTC))
    assert on_time.fields["exam_month"] == "2025-09"
    assert on_time.bucket == "accepted"
    late = one(row, datetime(2025, 6, 1, 9, 0, tzinfo=UTC))
    assert late.reason == "date limite du 31/05/2025 dépassée pour la session de septembre 2025"


def test_month_outside_the_calendar_is_invalid() -> None:
    judged = one(candidate(0, certifiable=date(2026, 1, 5)))
    assert judged.bucket == "invalid"
    assert judged.fields["exam_month"] is None


def test_calendar_comes_from_the_configuration() -> None:
    config = Config(deadline=(Deadline(months=("2026-01", "2026-03"), due=date(2025, 10, 31)),))
    rows = sheet_with_title(
        [candidate(0, certifiable=date(2026, 2, 1)), candidate(1, certifiable=date(2026, 4, 1))]
    )
    judged = by_row(judge(rows, datetime(2025, 10, 31, 23, 0), config=config))
    assert judged[4].fields["exam_month"] == "2026-03"
    assert judged[4].bucket == "accepted"
    assert judged[5].bucket == "invalid"


def test_without_a_mail_date_rows_are_on_time_and_a_problem_says_so() -> None:
    judgement = judge(sheet_with_title([candidate(0, certifiable=date(2025, 4, 1))]), None)
    assert judgement.rows[0].bucket == "accepted"
    assert any("date du message inconnue" in problem for problem in judgement.problems)


def test_empty_total_note_and_template_rows_are_skipped() -> None:
    prefilled = [None] * len(HEADER)
    prefilled[0], prefilled[1], prefilled[10] = "CAF du Rhône", "Famille", "Non"
    rows = sheet_with_title(
        [
            ["Exemple", "Famille", "DUPONT", "Jean", nir_for(50)],
            candidate(0),
            [],
            [None, None, None],
            candidate(1),
            ["TOTAL :", None, 2],
            [None, None, None, None, 2],
            ["Total candidats", 2],
            ["Merci de retourner ce tableau complété avant la date limite."],
            prefilled,
            prefilled,
        ]
    )
    judgement = judge(rows)
    assert [row.row_number for row in judgement.rows] == [5, 8]
    assert judgement.summary.rows == 2


def test_exactly_one_bucket_per_candidate_row() -> None:
    from sheetfixtures import big_rows

    rows = big_rows(400)
    judgement = judge(sheet_with_title(rows))
    summary = judgement.summary
    assert summary.rows == 400 == len(judgement.rows)
    assert summary.accepted + summary.late + summary.invalid + summary.redoublant == 400
    assert len({row.row_number for row in judgement.rows}) == 400
    for row in judgement.rows:
        assert (row.reason is None) == (row.bucket == "accepted")


def test_a_missing_column_makes_its_field_missing_on_every_row() -> None:
    header = [h for h in HEADER if h != "CQP"]
    rows = [header, *[[v for i, v in enumerate(candidate(n)) if i != 7] for n in range(3)]]
    judgement = judge(rows)
    assert judgement.summary.invalid == 3
    assert all(row.reason == "CQP manquant" for row in judgement.rows)
    assert any("colonne absente (CQP)" in problem for problem in judgement.problems)


def test_a_single_name_column_is_split() -> None:
    header = [
        "Organisme",
        "Branche",
        "Nom Prénom",
        "NIR",
        "CQP",
        "Blocs",
        "Certifiable à partir du",
    ]
    rows = [header, ["CAF", "Famille", "DUPONT Jean-Marc", nir_for(1), "GC", 1, date(2025, 6, 1)]]
    judged = judge(rows).rows[0]
    assert judged.bucket == "accepted", judged.reason
    assert judged.name == "Jean-Marc DUPONT"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "fichier illisible ou corrompu"),
        (to_xlsx([("S", [["a"]])])[:400], "fichier illisible ou corrompu"),
        (b"%PDF-1.7 ...", "format de fichier non reconnu"),
        (to_xlsx([("S", [["Liste des participants"], ["Jean", "Paul"]])]), NO_HEADER),
    ],
)
def test_unreadable_files_give_a_french_error_and_no_counts(data: bytes, error: str) -> None:
    judgement = judge_spreadsheet(data, "recueil.xlsx", MARCH_1, CONFIG)
    summary = judgement.summary
    assert summary.error is not None and summary.error.startswith(error)
    assert (summary.rows, summary.accepted, summary.invalid) == (0, 0, 0)
    assert judgement.rows == ()


def test_protected_file_error() -> None:
    data = bytearray(to_xls([("S", [["Nom"]])]))
    bof = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00") + 20
    data[bof : bof + 132] = b"\x2f\x00" + (128).to_bytes(2, "little") + b"\x00" * 128
    judgement = judge_spreadsheet(bytes(data), "recueil.xls", MARCH_1, CONFIG)
    assert judgement.summary.error == "fichier protégé par mot de passe"
    assert judgement.summary.to_json()["error"] == "fichier protégé par mot de passe"


def test_a_key_in_its_own_column_completes_the_nir() -> None:
    header = [*HEADER[:5], "Clé", *HEADER[5:]]
    nir = nir_for(8)
    good = candidate(0, nir=nir[:13])
    good.insert(5, nir[13:])
    bad = candidate(1, nir=nir_for(9)[:13])
    bad.insert(5, f"{(int(nir_for(9)[13:]) + 1) % 100:02d}")
    judged = by_row(judge([header, good, bad]))
    assert judged[2].bucket == "accepted", judged[2].reason
    assert judged[2].fields["nir"] == nir
    assert judged[3].reason == "NIR invalide (clé de contrôle incorrecte)"


def test_a_header_over_two_rows_with_vertically_merged_cells() -> None:
    top = ["Organisme", "Branche", "Candidat", None, None, None, None, "Formation"]
    bottom = [None, None, "Nom", "Prénom", "NIR", "Date de naissance", "Email", "CQP", "Bloc(s)"]
    bottom += ["Certifiable à partir du", "Redoublant"]
    judgement = judge([["Recueil 2025"], top, bottom, candidate(0), candidate(1)])
    assert judgement.header_row == 3
    assert judgement.columns["organisation"] == 0
    assert judgement.columns["branch"] == 1
    assert judgement.summary.accepted == 2


@pytest.mark.parametrize(
    ("index", "value", "field", "expected"),
    [
        (4, "'" + nir_for(2), "nir", nir_for(2)),
        (9, "1er juin 2025", "exam_month", "2025-06"),
        (9, "15 juin 2025", "exam_month", "2025-06"),
        (8, 1.2, "blocks", (1, 2)),
        (8, "2.0", "blocks", (2,)),
        (10, "Non redoublant", "repeat_candidate", False),
        (1, "Branche Famille", "branch", "Famille"),
        (1, "Vieillesse", "branch", "Retraite"),
        (7, "G.C.", "cqp", "GC"),
    ],
)
def test_messy_values_staff_would_accept(index: int, value: Any, field: str, expected: Any) -> None:
    row = candidate(2)
    row[index] = value
    judged = one(row)
    assert judged.bucket == "accepted", judged.reason
    assert judged.fields[field] == expected


def test_pre_numbered_template_rows_and_count_lines_are_not_candidates() -> None:
    header = ["N°", *HEADER]
    rows = [header, [1, *candidate(0)], [2, *candidate(1)], [3], [4], [5]]
    rows.append([None, "Nombre de candidats : 2"])
    judgement = judge(rows)
    assert judgement.summary.rows == 2
    assert judgement.summary.accepted == 2


@pytest.mark.parametrize(
    ("index", "value", "field", "expected"),
    [
        (7, "CQP GC - Gestionnaire Conseil", "cqp", "GC"),
        (7, "Conseiller offre de services (COS)", "cqp", "COS"),
        (1, "Famille (CNAF)", "branch", "Famille"),
        (1, "Retraite - CARSAT", "branch", "Retraite"),
        (8, "Bloc 1 : accueillir et orienter le public", "blocks", (1,)),
        (8, "Bloc 1 à distance, bloc 3", "blocks", (1, 3)),
    ],
)
def test_labels_with_their_wording(index: int, value: Any, field: str, expected: Any) -> None:
    row = candidate(3)
    row[index] = value
    judged = one(row)
    assert judged.bucket == "accepted", judged.reason
    assert judged.fields[field] == expected


@pytest.mark.parametrize(
    ("index", "value", "reason"),
    [
        (7, "Gestionnaire conseil de l'Assurance Maladie", MALADIE_REASON),
        (1, "Assurance maladie", MALADIE_REASON),
        (9, "2025", "date « certifiable à partir du » illisible"),
        (9, 2025, "date « certifiable à partir du » illisible"),
    ],
)
def test_look_alikes_stay_invalid(index: int, value: Any, reason: str) -> None:
    row = candidate(3)
    row[index] = value
    judged = one(row)
    assert judged.bucket == "invalid"
    assert judged.reason is not None and judged.reason.startswith(reason)
