"""What each attached file is: medical certificate, employer letter, convocation...

The type comes from the file's own text first (PDF text, a forwarded mail, a text
file), then its name, then what the sender's new text says of it. A file whose text
says it is a convocation stays a convocation whatever the body claims. A picture or
a scan without text that the body presents as the certificate counts, and is flagged
for staff to check (SPEC §2.2).
"""

from __future__ import annotations

from collections.abc import Mapping

from intake.classification import DocType, Document
from intake.rules.textnorm import PhraseSet, compile_phrases, fold
from parsers.types import Attachment, InboundMail

SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-excel",
    "application/vnd.oasis.opendocument.spreadsheet",
    "text/csv",
    "application/csv",
    "text/comma-separated-values",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12",
}
SPREADSHEET_EXTENSIONS = {"xlsx", "xlsm", "xls", "ods", "csv", "xlsb"}
IMAGE_PREFIX = "image/"

# Filename words, folded, that name a document type (when the content says nothing).
FILENAME_HINTS: dict[DocType, tuple[str, ...]] = {
    DocType.MEDICAL_CERTIFICATE: (
        "certificat*",
        "certif*",
        "medical",
        "arret*",
        "maladie",
        "hospitalis*",
        "cerfa",
        "medecin",
    ),
    DocType.EMPLOYER_LETTER: ("refus*", "employeur", "conge*", "report*", "drh", "rh"),
    DocType.CONVOCATION: ("convocation*",),
    DocType.RECEIPT: ("recu", "facture*", "paiement", "payment", "receipt", "invoice"),
    DocType.IDENTITY_DOCUMENT: ("cni", "identite", "passeport", "passport"),
    DocType.SCREENSHOT: ("capture*", "screenshot*", "screen*", "ecran"),
    DocType.PRESCRIPTION: ("ordonnance*",),
    DocType.SWORN_STATEMENT: ("attestation sur l'honneur", "honneur"),
}


def is_spreadsheet(attachment: Attachment) -> bool:
    if attachment.sniffed_type in SPREADSHEET_TYPES:
        return True
    if attachment.extension in SPREADSHEET_EXTENSIONS:
        # A .csv or .xls whose bytes say "text" or "OLE" still is one by its name; a
        # PDF named .xlsx is not (its sniffed type says so).
        return not attachment.sniffed_type.startswith(("application/pdf", IMAGE_PREFIX))
    return False


def _text_type(text: str, sets: Mapping[str, PhraseSet]) -> tuple[DocType | None, str]:
    """The document type the text itself states, with the phrase that decided."""
    folded = fold(text[:20000])
    # A prescription or a sworn statement may mention a doctor or health: they are
    # checked before the certificate, and only lose to an explicit certificate title.
    order = (
        ("convocation", DocType.CONVOCATION),
        ("sworn_statement", DocType.SWORN_STATEMENT),
        ("prescription", DocType.PRESCRIPTION),
        ("medical_certificate", DocType.MEDICAL_CERTIFICATE),
        ("employer_letter", DocType.EMPLOYER_LETTER),
        ("identity_document", DocType.IDENTITY_DOCUMENT),
        ("receipt", DocType.RECEIPT),
    )
    hits: dict[DocType, list[str]] = {}
    for name, doc_type in order:
        found = sets[name].find_all(folded)
        if found:
            hits[doc_type] = found
    if not hits:
        return None, ""
    head = folded[:400]
    # The document's title (its first lines) is the strongest evidence.
    for _, doc_type in order:
        for phrase in hits.get(doc_type, []):
            if phrase in head and phrase in _TITLES:
                return doc_type, phrase
    # Otherwise the type with the most distinct phrases wins, ties in `order`.
    best = max(hits, key=lambda t: (len(set(hits[t])), -_rank(order, t)))
    return best, hits[best][0]


_TITLES = {
    "certificat medical",
    "avis d'arret de travail",
    "arret de travail",
    "ordonnance",
    "attestation sur l'honneur",
    "convocation",
    "facture",
    "recu de paiement",
    "bulletin d'hospitalisation",
    "declaration sur l'honneur",
    "carte nationale d'identite",
}


def _rank(order: tuple[tuple[str, DocType], ...], doc_type: DocType) -> int:
    for index, (_, t) in enumerate(order):
        if t == doc_type:
            return index
    return len(order)


def _filename_type(filename: str | None) -> DocType | None:
    if not filename:
        return None
    folded = fold(filename.replace("_", " ").replace("-", " ").rsplit(".", 1)[0])
    for doc_type, words in FILENAME_HINTS.items():
        if compile_phrases(f"file:{doc_type}", words).search(folded):
            return doc_type
    return None


def classify_attachments(
    mail: InboundMail, sets: Mapping[str, PhraseSet], body_folded: str
) -> tuple[Document, ...]:
    """A :class:`Document` for every file the sender meant to send."""
    says_medical = sets["says_medical_document"].search(body_folded)
    says_employer = sets["says_employer_document"].search(body_folded)
    documents: list[Document] = []
    for attachment in mail.files:
        doc_type, needs_check = _one(attachment, sets, says_medical, says_employer)
        documents.append(Document(attachment.filename, attachment.sha256, doc_type, needs_check))
    return tuple(documents)


def _one(
    attachment: Attachment,
    sets: Mapping[str, PhraseSet],
    says_medical: str | None,
    says_employer: str | None,
) -> tuple[DocType, bool]:
    if is_spreadsheet(attachment):
        return DocType.SPREADSHEET, False
    text = (attachment.text or "").strip()
    if len(text) >= 40:
        doc_type, _ = _text_type(text, sets)
        if doc_type is not None:
            return doc_type, False
        if attachment.is_message:
            # A forwarded mail is the employer's answer when the sender says so.
            if says_employer:
                return DocType.EMPLOYER_LETTER, False
            return DocType.FORWARDED_MAIL, False
    by_name = _filename_type(attachment.filename)
    is_image = attachment.sniffed_type.startswith(IMAGE_PREFIX)
    scanned = attachment.sniffed_type == "application/pdf" and len(text) < 40
    if by_name is not None and by_name not in (
        DocType.MEDICAL_CERTIFICATE,
        DocType.EMPLOYER_LETTER,
    ):
        return by_name, False
    if is_image or scanned or len(text) < 40:
        # Without readable text, the name and the body's words are all there is: a
        # picture the body presents as the certificate counts, for staff to check.
        if by_name is DocType.MEDICAL_CERTIFICATE or (by_name is None and says_medical):
            return DocType.MEDICAL_CERTIFICATE, True
        if by_name is DocType.EMPLOYER_LETTER or (by_name is None and says_employer):
            return DocType.EMPLOYER_LETTER, True
        if is_image:
            return DocType.SCREENSHOT, False
    elif by_name is not None:
        return by_name, False
    return DocType.UNKNOWN, False
