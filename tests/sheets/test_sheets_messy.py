"""Randomised messy files, in every format, whose bucket counts are known by construction.

Each file mixes the mess organisations produce: title rows, an instructions sheet
first, header spellings, shuffled and extra columns, blank and total rows, values
typed as text or numbers. Every row is built for a known bucket; the judged counts
must be exactly those.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest
from sheetfixtures import nir_for, to_csv, to_ods, to_xls, to_xlsx

from intake.config import Config
from intake.spreadsheet import judge_spreadsheet

MAIL_DATE = datetime(2025, 3, 31, 17, 45)

SPELLINGS = {
    "organisation": ["Organisme", "ORGANISME", "Organisme employeur", "Nom de l'organisme"],
    "branch": ["Branche", "BRANCHE", "Branche de législation"],
    "last_name": ["Nom", "NOM", "Nom de naissance"],
    "first_name": ["Prénom", "PRENOM", "Prénom(s)"],
    "nir": ["NIR", "N° de sécurité sociale", "Numéro de Sécurité Sociale", "N° SS"],
    "birth_date": ["Date de naissance", "Date de naissance (jj/mm/aaaa)", "Né(e) le"],
    "email": ["Email", "E-mail", "Courriel", "Adresse mail"],
    "cqp": ["CQP", "Certification", "CQP visé"],
    "blocks": ["Bloc(s)", "Blocs de compétences", "Blocs"],
    "certifiable_from": [
        "Certifiable à partir du",
        "Certifiable à partir du :",
        "CERTIFIABLE A PARTIR DU",
    ],
    "repeat_candidate": ["Redoublant", "Redoublant (Oui/Non)", "Redoublant ?"],
}
FIELDS = list(SPELLINGS)


def _valid(rng: random.Random, index: int) -> dict[str, Any]:
    nir = nir_for(index)
    return {
        "organisation": rng.choice(["CAF du Rhône", "URSSAF Bretagne", " CARSAT Sud-Est "]),
        "branch": rng.choice(["Famille", "recouvrement", "RETRAITE", "Famille "]),
        "last_name": f"NOM{index}",
        "first_name": f"Prénom{index}",
        "nir": rng.choice(
            [
                nir,
                float(nir),
                f"{nir[:1]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}",
            ]
        ),
        "birth_date": rng.choice(
            [date(1980 + index % 20, 1 + index % 12, 1 + index % 28), None, "03/05/1985"]
        ),
        "email": rng.choice([f"agent{index}@caf.fr", None, f"Agent.{index}@Urssaf.fr "]),
        "cqp": rng.choice(["GC", "COS", "CQP GC", "cos"]),
        "blocks": rng.choice(["1", "1, 2", "Blocs 1 et 3", 2.0, "1-3"]),
        "certifiable_from": rng.choice(
            [date(2025, 6, 10), "15/07/2025", "2025-09-01", date(2025, 8, 20), "03/11/2025"]
        ),
        "repeat_candidate": rng.choice(["Non", None, "N", "non"]),
    }


def _row(rng: random.Random, index: int, bucket: str) -> dict[str, Any]:
    row = _valid(rng, index)
    if bucket == "redoublant":
        row["repeat_candidate"] = rng.choice(["Oui", "X", "O", "oui"])
    elif bucket == "late":
        row["certifiable_from"] = rng.choice([date(2025, 4, 15), "12/05/2025", date(2024, 10, 1)])
    elif bucket == "invalid":
        mistake = rng.choice(
            ["bad_key", "no_name", "no_org", "maladie", "email", "outside", "no_blocks", "nir_13"]
        )
        if mistake == "bad_key":
            nir = nir_for(index)
            row["nir"] = nir[:13] + f"{(int(nir[13:]) + 1) % 100:02d}"
        elif mistake == "no_name":
            row["last_name"] = None
        elif mistake == "no_org":
            row["organisation"] = None
        elif mistake == "maladie":
            row["cqp"] = rng.choice(["GCAM", "CSAM", "STARTECH", "DAM"])
        elif mistake == "email":
            row["email"] = "prenom.nom@"
        elif mistake == "outside":
            row["certifiable_from"] = date(2026, 3, 1)
        elif mistake == "no_blocks":
            row["blocks"] = None
        else:
            row["nir"] = nir_for(index)[:13]
    return row


def _file(seed: int, fmt: str) -> tuple[bytes, Counter[str]]:
    rng = random.Random(seed)
    columns = FIELDS[:]
    rng.shuffle(columns)
    columns.insert(rng.randrange(len(columns) + 1), "Observations")
    header = [rng.choice(SPELLINGS[c]) if c in SPELLINGS else c for c in columns]
    rows: list[list[Any]] = [["Tableau de recueil d'informations"]] * rng.randrange(0, 4)
    rows = [list(r) for r in rows] + [[]] * rng.randrange(0, 2) + [header]
    expected: Counter[str] = Counter()
    buckets = ["accepted"] * 6 + ["invalid", "late", "redoublant"] * 2
    count = rng.randrange(5, 25)
    first_nir_row: list[Any] | None = None
    for index in range(count):
        bucket = rng.choice(buckets)
        values = _row(rng, seed * 100 + index, bucket)
        values["Observations"] = rng.choice([None, "RAS", "à confirmer"])
        row = [values[c] for c in columns]
        if index == 0:
            first_nir_row = row
        rows.append(row)
        expected[bucket] += 1
        if rng.random() < 0.15:
            rows.append([])
    if first_nir_row is not None and rng.random() < 0.5:
        # The same candidate twice: the second row is invalid.
        rows.append(list(first_nir_row))
        expected["invalid"] += 1
    rows.append(["Total", count])
    sheets = [
        (
            "Mode d'emploi",
            [["Complétez une ligne par candidat."], ["Ne modifiez pas les en-têtes."]],
        ),
        ("Recueil", rows),
    ]
    if fmt == "xlsx":
        return to_xlsx(sheets), expected
    if fmt == "xlsm":
        return to_xlsx(sheets, macro=True), expected
    if fmt == "xls":
        return to_xls(sheets), expected
    if fmt == "ods":
        return to_ods(sheets), expected
    if fmt == "csv-cp1252":
        return to_csv(rows, encoding="cp1252", delimiter=";"), expected
    return to_csv(rows, encoding="utf-8-sig", delimiter=","), expected


@pytest.mark.parametrize("fmt", ["xlsx", "xlsm", "xls", "ods", "csv-cp1252", "csv-utf8"])
@pytest.mark.parametrize("seed", range(8))
def test_messy_file_counts_are_exact(fmt: str, seed: int) -> None:
    data, expected = _file(seed, fmt)
    judgement = judge_spreadsheet(data, "recueil", MAIL_DATE, Config())
    summary = judgement.summary
    assert summary.error is None, summary.error
    got = {b: getattr(summary, b) for b in ("accepted", "late", "invalid", "redoublant")}
    want = {b: expected[b] for b in got}
    reasons = [(r.row_number, r.bucket, r.reason) for r in judgement.rows]
    assert got == want, reasons
