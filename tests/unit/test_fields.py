"""Unit tests for the field extractors: NUC, phone, postal address, exams, names."""

from __future__ import annotations

import pytest

from intake.config import Config
from intake.rules.fields import (
    find_exams,
    find_nuc,
    find_phone,
    find_postal_address,
)
from intake.rules.names import find_name

CONFIG = Config()
CATALOGUE = tuple((e.code, e.label) for e in CONFIG.exam)


def nuc(text: str) -> str | None:
    return find_nuc([text], CONFIG.nuc.pattern, CONFIG.nuc.format)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon NUC est 2023-004512.", "2023-004512"),
        ("NUC : 2023004512", "2023-004512"),
        ("nuc 2023 004512 merci", "2023-004512"),
        ("numéro 2024–123 456", "2024-123456"),
        ("NUC:2022-000001", "2022-000001"),
    ],
)
def test_nuc_is_found_and_normalised(text: str, expected: str) -> None:
    assert nuc(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "[UP-2025-000123] Votre demande",
        "Réf. CQ-2025-000045",
        "Appelez le 06 12 34 56 78",
        "né le 12/03/1990, code 75001",
        "montant 2023,45 euros",
        "2023-0045123 est trop long",
    ],
)
def test_no_nuc_in_case_references_phones_or_numbers(text: str) -> None:
    assert nuc(text) is None


def test_nuc_follows_the_configured_pattern() -> None:
    assert find_nuc(["id C-123456"], r"C-(\d{6})", "C{0}") == "C123456"


@pytest.mark.parametrize(
    "text",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33 (0)1 45 67 89 10",
        "0033 6 12 34 56 78",
        "+32 475 12 34 56",
    ],
)
def test_phone_numbers(text: str) -> None:
    assert find_phone(f"Tél : {text}\n") is not None


@pytest.mark.parametrize("text", ["NUC 2023-004512", "code postal 75001", "12/03/2025", "0800"])
def test_not_phone_numbers(text: str) -> None:
    assert find_phone(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "12 rue des Lilas\n69003 Lyon",
        "3 bis, avenue Jean Jaurès 75019 PARIS",
        "Résidence Les Pins, bât. B\n13008 Marseille",
        "Lieu-dit La Borde\n24200 Sarlat-la-Canéda",
        "j'habite au 5 impasse du Moulin à 44000 Nantes",
        "8 bd Victor Hugo\nF-06000 Nice",
    ],
)
def test_postal_addresses(text: str) -> None:
    assert find_postal_address(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "75001 Paris",  # a town without a street line
        "12 rue des Lilas",  # a street without postcode
        "J'ai payé 150 euros le 12 mars",
        "Je suis au 3e étage, 12345 candidats",
    ],
)
def test_incomplete_addresses(text: str) -> None:
    assert find_postal_address(text) is None


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("inscription à UP-EC1 et up ep2", ("UP-EC1", "UP-EP2")),
        ("l'épreuve pratique professionnelle", ("UP-EP2",)),
        ("l'oral d'entretien", ("UP-EO3",)),
        ("la CERTIFICATION COMPLETE", ("UP-CERT",)),
        ("épreuve EC 1", ("UP-EC1",)),
        ("une épreuve", ()),
        ("le certificat médical", ()),
    ],
)
def test_exam_references(text: str, codes: tuple[str, ...]) -> None:
    assert find_exams(text, CATALOGUE) == codes


@pytest.mark.parametrize(
    ("new_text", "signature", "expected"),
    [
        ("Bonjour,\nmerci", "Marie Dupont\n06 12 34 56 78", "Marie Dupont"),
        ("Nom : Dupont\nPrénom : Marie", "", "Marie Dupont"),
        ("Je m'appelle Jean-Pierre MARTIN et je n'arrive pas", "", "Jean-Pierre MARTIN"),
        ("Bonjour\nmerci d'avance\nSophie LEGRAND", "", "Sophie LEGRAND"),
        ("x", "Mme Claire de la Fontaine", "Mme Claire de la Fontaine"),
    ],
)
def test_names(new_text: str, signature: str, expected: str) -> None:
    assert find_name(new_text, signature) == expected


@pytest.mark.parametrize(
    ("new_text", "signature"),
    [("Bonjour\nmerci\nJ. Dupont", ""), ("merci", "Marie"), ("Cordialement", "Service RH")],
)
def test_no_full_name(new_text: str, signature: str) -> None:
    assert find_name(new_text, signature) is None


@pytest.mark.parametrize(
    ("new_text", "signature", "expected"),
    [
        ("merci\nmarie dupont", "", "Marie Dupont"),
        ("Bonjour, je suis Marie Dupont et je cherche", "", "Marie Dupont"),
        ("x", "Sophie Martin – 06 12 34 56 78", "Sophie Martin"),
    ],
)
def test_names_in_looser_signatures(new_text: str, signature: str, expected: str) -> None:
    assert find_name(new_text, signature) == expected


@pytest.mark.parametrize(
    "new_text", ["merci\nbonne journee", "Je suis malade", "slt\nca marche pa"]
)
def test_common_words_are_not_names(new_text: str) -> None:
    assert find_name(new_text, "") is None
