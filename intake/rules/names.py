"""Find the first and last name a mail gives for the candidate.

Labelled fields ("Nom : Dupont"), introductions ("je m'appelle", "pour mon fils"),
then the signature and the last lines of the sender's new text. An initial is not a
first name, and common words are never taken for names.
"""

from __future__ import annotations

import re

from intake.rules.textnorm import fold

_NAME_WORD = r"(?:[DLNO]['’])?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:[-'’][A-ZÀ-ÖØ-Þa-zà-öø-ÿ][a-zà-öø-ÿ]+)*"
_UPPER_WORD = r"[A-ZÀ-ÖØ-Þ]{2,}(?:[-'’][A-ZÀ-ÖØ-Þ]{2,})*"
_INITIAL = r"[A-ZÀ-ÖØ-Þ]\.?"
_PARTICLE = r"(?:de|du|des|le|la|van|von|da|di|ben|el|d'|de la|De|Du|Le|La|Van|Von)"
_WORD = rf"(?:{_NAME_WORD}|{_UPPER_WORD})"
# Two to four words, allowing particles: "Marie-Claire DE LA FONTAINE".
_FULL_NAME = re.compile(
    rf"^(?:(?i:m\.|mr\.?|mme\.?|mlle\.?|madame|monsieur|mademoiselle|dr\.?)\s+)?"
    rf"({_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_WORD}){{1,3}})\s*[,.]?$"
)
_LABELLED = re.compile(
    r"(?:^|\n)\s*(?:nom(?: et pr[ée]nom| de naissance)?|pr[ée]nom(?: et nom)?|"
    r"identit[ée]|candidat(?:e)?)\s*:\s*(?P<value>[^\n]{2,80})",
    re.IGNORECASE,
)
_INTRO = re.compile(
    r"(?:je m'appelle|je me nomme|mon nom est|moi c'est|je suis(?: (?:madame|monsieur|mme|m\.))?|"
    r"pour (?:mon fils|ma fille|mon epoux|mon époux|mon mari|ma femme|mon épouse|"
    r"notre salari[ée]e?|notre collaborat(?:eur|rice)|notre agent|le candidat|la candidate)|"
    r"(?:candidat|candidate|salari[ée]e?|collaborat(?:eur|rice)|agent)\s*:?)[\s,:]+"
    r"(?P<value>(?:(?:M\.|Mme|Madame|Monsieur)\s+)?[^\n,.;()]{3,60})",
    re.IGNORECASE,
)
_NOT_NAME = {
    "cordialement",
    "bonjour",
    "merci",
    "madame",
    "monsieur",
    "envoye",
    "sent",
    "tel",
    "telephone",
    "portable",
    "mobile",
    "adresse",
    "objet",
    "candidat",
    "candidate",
    "bien",
    "belle",
    "bonne",
    "service",
    "equipe",
    "direction",
    "ressources",
    "humaines",
    "responsable",
    "union",
    "prof",
    "institut",
    "certification",
    "certif",
    "inscription",
    "epreuve",
    "epreuves",
    "examen",
    "session",
    "nuc",
    "numero",
    "rue",
    "avenue",
    "boulevard",
    "chemin",
    "allee",
    "place",
    "route",
    "caf",
    "urssaf",
    "carsat",
    "cpam",
    "msa",
    "iphone",
    "android",
    "samsung",
    "outlook",
    "gmail",
    "orange",
    "yahoo",
    "hotmail",
    "salutations",
    "sinceres",
    "distinguees",
    "respectueusement",
    "remerciements",
    "attente",
    "reponse",
    "impatience",
    "tres",
    "vous",
    "votre",
    "nous",
    "notre",
    "les",
    "des",
    "pour",
    "avec",
    "dans",
    "sur",
    "par",
    "mon",
    "mes",
    "une",
    "aux",
    "est",
    "suis",
    "agent",
    "accueil",
    "the",
    "best",
    "regards",
    "thanks",
    "thank",
    "you",
    "kind",
    "sincerely",
    "dear",
    "hello",
    "france",
    "paris",
    "lyon",
    "marseille",
    "cedex",
    "fax",
    "mail",
    "email",
    "courriel",
    "bureau",
    "pole",
    "secretariat",
    "assistante",
    "assistant",
    "gestionnaire",
    "charge",
    "chargee",
    "formation",
    "medecin",
    "docteur",
    "employeur",
    "mere",
    "pere",
    "maman",
    "papa",
    "fils",
    "fille",
    "mari",
    "epoux",
    "epouse",
    "femme",
    "parent",
    "parents",
}


def _is_name(candidate: str) -> bool:
    candidate = candidate.strip().strip(",.;:")
    if not candidate or any(ch.isdigit() for ch in candidate) or "@" in candidate:
        return False
    if not _FULL_NAME.match(candidate):
        return False
    words = [w for w in re.split(r"[\s]+", fold(candidate)) if w]
    words = [
        w
        for w in words
        if w
        not in {
            "m.",
            "mr",
            "mr.",
            "mme",
            "mme.",
            "madame",
            "monsieur",
            "mademoiselle",
            "mlle",
            "dr",
            "dr.",
        }
    ]
    if len(words) < 2:
        return False
    return not any(w.strip(",.") in _NOT_NAME for w in words)


def _clean(value: str) -> str:
    return " ".join(value.replace("’", "'").split()).strip(" ,.;:")


def find_name(new_text: str, signature: str) -> str | None:
    """The first and last name the mail gives, or None (an initial is not a name)."""
    # Labelled fields ("Nom : Dupont", "Prénom : Marie") come first: they are explicit.
    labelled = {
        m.group(0).split(":")[0].strip().lower(): _clean(m.group("value"))
        for m in _LABELLED.finditer(new_text + "\n" + signature)
    }
    last = first = None
    for key, value in labelled.items():
        key = fold(key)
        if key in ("nom et prenom", "prenom et nom", "identite", "candidat", "candidate"):
            if _is_name(value):
                return value
        elif key in ("nom", "nom de naissance"):
            last = value
        elif key == "prenom":
            first = value
    if last and first and not re.fullmatch(_INITIAL, first):
        return f"{first} {last}"
    for match in _INTRO.finditer(new_text):
        value = _clean(match.group("value"))
        words = value.split()
        for size in (4, 3, 2):
            if len(words) >= size and _is_name(" ".join(words[:size])):
                return " ".join(words[:size])
    # Signature lines, then the last short lines of the new text (people often sign
    # without a closing formula).
    lines = [ln.strip() for ln in signature.splitlines() if ln.strip()][:6]
    tail = [ln.strip() for ln in new_text.splitlines() if ln.strip()][-8:]
    for line in [*lines, *reversed(tail)]:
        line = re.sub(r"^(?:--\s*|cordialement,?\s*|bien cordialement,?\s*)", "", line, flags=re.I)
        # "Bruno Lefebvre, 10 rue Jean Moulin ..." : the name is the first segment.
        for candidate in _segments(line):
            if _is_name(candidate):
                return _clean(candidate)
    # People writing from a phone often sign in lower case ("marie dupont"): accepted
    # only on the sign-off line itself, and only when no word is a common word.
    sign_off = lines[:1]
    if len(tail) >= 2 and _CLOSING.search(fold(tail[-2])):
        sign_off.append(tail[-1])
    for line in sign_off:
        for candidate in _segments(line):
            if _lowercase_name(candidate):
                return _clean(candidate).title()
    return None


_CLOSING = re.compile(
    r"^(?:merci\b|cordialement|bien (?:a vous|cordialement)|bonne (?:journee|soiree)|"
    r"a bientot|salutations|sinceres|respectueusement|cdt|cdlt|bises|amicalement)"
)
_SEPARATORS = re.compile(r"\s[-–—|/•·]\s|,|\t")


def _segments(line: str) -> list[str]:
    """The line, and its first segment before a separator or a digit:
    "Bruno Lefebvre, 10 rue ...", "Marie Dupont – 06 12 ..."."""
    first = _SEPARATORS.split(line, maxsplit=1)[0]
    before_digits = re.split(r"\d", line, maxsplit=1)[0]
    return [line, first, before_digits]


_COMMON = {
    "le",
    "la",
    "les",
    "de",
    "des",
    "du",
    "un",
    "une",
    "et",
    "en",
    "au",
    "aux",
    "pour",
    "par",
    "mon",
    "ma",
    "mes",
    "je",
    "vous",
    "nous",
    "il",
    "elle",
    "est",
    "pas",
    "ne",
    "merci",
    "cordialement",
    "bonne",
    "bon",
    "journee",
    "soiree",
    "bien",
    "svp",
    "stp",
    "avance",
    "salut",
    "bisous",
    "bises",
    "amicalement",
    "sincerement",
    "reponse",
    "attente",
    "votre",
    "vos",
    "tres",
    "encore",
    "aide",
    "aidez",
    "moi",
    "urgent",
    "merci,",
    "slt",
    "bjr",
    "cdt",
    "cdlt",
    "mdr",
    "ok",
    "oui",
    "non",
    "a",
    "plus",
    "bientot",
    "rapide",
    "ps",
    "tel",
    "mail",
    "envoye",
    "depuis",
    "iphone",
    "android",
}


def _lowercase_name(candidate: str) -> bool:
    words = candidate.strip(" ,.;:").split()
    if not 2 <= len(words) <= 3:
        return False
    if not all(re.fullmatch(r"[a-zà-öø-ÿ]{2,}(?:[-'][a-zà-öø-ÿ]{2,})*", w) for w in words):
        return False
    return not any(fold(w) in _COMMON or fold(w) in _NOT_NAME for w in words)
