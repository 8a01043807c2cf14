"""Per-kind field rules: problem topic, deferral reason, refund, justification, missing.

Each decision records the rule name and the phrase that made it, so that staff see
why a mail got its topic or reason.
"""

from __future__ import annotations

import re

from intake.classification import DeferralReason, DocType, Extracted, Reason, Topic
from intake.rules import fields, names
from intake.rules.context import MAX_OWN_TEXT, Context, own_text

# Topics with wording specific enough to decide alone, strongest first.
_DECISIVE: tuple[tuple[Topic, str], ...] = (
    (Topic.FIRST_REGISTRATION, "topic_first_registration"),
    (Topic.CENTRE_REFUSED, "topic_centre_refused"),
    (Topic.NO_CENTRE_LISTED, "topic_no_centre_listed"),
)
# Topics weighed against each other by how many of their phrases appear; ties go to
# the first listed.
_WEIGHED: tuple[tuple[Topic, str], ...] = (
    (Topic.PASSWORD_RESET, "topic_password_reset"),
    (Topic.PAYMENT, "topic_payment"),
)
_WEAK_NO_CENTRE = {
    "code departement",
    "code du departement",
    "numero de departement",
    "mon departement",
    "dans mon departement",
    "le departement",
}


# A year before 2022 next to registration words: such candidates follow procedure A.
_EARLY_YEAR = re.compile(r"(?<!\d)(?:20[01]\d|202[01])(?!\d)")
_EARLY_CONTEXT = re.compile(r"inscri|session|epreuve|examen|passe|candidat|nuc")
_BIRTH = re.compile(r"\bnee? (?:le|en)\b|naissance|\bage\b")


def earlier_registration(ctx: Context) -> str | None:
    """'Inscrit(e) en 2019', 'j'avais passé l'épreuve en 2019' (before 2022)."""
    for match in _EARLY_YEAR.finditer(ctx.own):
        window = ctx.own[max(0, match.start() - 80) : match.end() + 30]
        if _EARLY_CONTEXT.search(window) and not _BIRTH.search(window):
            # A later registration (2022-2024) means procedure B applies after all.
            if re.search(r"(?<!\d)202[2-4](?!\d)", ctx.own.replace(match.group(0), "")):
                later = re.search(r"(inscri\w*|session) (?:en |de |pour )?202[2-4]", ctx.own)
                if later:
                    return None
            return window.strip()
    return None


def nuc_request(ctx: Context) -> str | None:
    """Names the NUC with an asking/losing word, and quotes no NUC of their own."""
    nuc = ctx.find("nuc_words")
    if nuc is None:
        return None
    from intake.rules.fields import find_nuc

    config = ctx.config
    own = [ctx.mail.subject, ctx.new_text, ctx.signature]
    if find_nuc(own, config.nuc.pattern, config.nuc.format):
        return None
    asking = ctx.find("topic_nuc_request")
    return f"{nuc!r} + {asking!r}" if asking else None


def confirmation_missing(ctx: Context) -> str | None:
    """A confirmation or pre-validation mail named together with its not arriving."""
    spam = ctx.find("look_in_spam")
    if spam:
        return spam
    mail = ctx.find("confirmation_mail")
    if mail is None:
        return None
    absent = ctx.find("not_received")
    return f"{mail!r} + {absent!r}" if absent else None


def specific_topic(ctx: Context) -> tuple[Topic, str] | None:
    """The problem-report topic other than ``other``, with its evidence."""
    early = earlier_registration(ctx)
    if early:
        return Topic.FIRST_REGISTRATION, early
    for topic, list_name in _DECISIVE:
        found = ctx.find_all(list_name)
        if topic is Topic.NO_CENTRE_LISTED and not ctx.find("trouble"):
            # "département" alone is not a missing centre: it needs a complaint.
            found = [f for f in found if f not in _WEAK_NO_CENTRE]
        if found:
            return topic, found[0]
    if ctx.find("double_payment"):
        return Topic.PAYMENT, ctx.find("double_payment") or ""
    asked = nuc_request(ctx)
    if asked:
        return Topic.NUC_REQUEST, asked
    missing_mail = confirmation_missing(ctx)
    if missing_mail:
        return Topic.CONFIRMATION_MAIL_MISSING, missing_mail
    best: tuple[int, int, Topic, str] | None = None
    for rank, (topic, list_name) in enumerate(_WEIGHED):
        hits = set(ctx.find_all(list_name))
        if not hits:
            continue
        score = (len(hits), -rank)
        if best is None or score > best[:2]:
            best = (score[0], score[1], topic, sorted(hits)[0])
    if best is None:
        return None
    return best[2], best[3]


def topic(ctx: Context) -> tuple[Topic, Reason]:
    found = specific_topic(ctx)
    if found is None:
        return Topic.OTHER, Reason("topic.other", "no topic wording")
    return found[0], Reason(f"topic.{found[0].value}", found[1])


# A reason introduced in the sender's words ("car", "en raison de") that is more
# than a restatement of not being able to come.
_REASON_GIVEN = re.compile(
    r"\b(?:car|parce que|parce qu'|en raison d|a cause d|pour cause d|suite a|du fait d|"
    r"etant donne|vu que|puisque|pour des raisons|pour raison)\b"
    r"(?! ?(?:que )?(?:je |j')?(?:ne |n')?(?:pourrai|serai|peux|pourrais|suis|vais)s? pas)"
)


def deferral_reason(ctx: Context) -> tuple[DeferralReason, Reason]:
    medical = set(ctx.find_all("medical"))
    employer = set(ctx.find_all("employer_refusal"))
    has_medical_doc = any(d.doc_type is DocType.MEDICAL_CERTIFICATE for d in ctx.documents)
    has_employer_doc = any(d.doc_type is DocType.EMPLOYER_LETTER for d in ctx.documents)
    if medical or employer:
        # Both named: the one whose document is attached, else the one said most.
        if medical and employer:
            if has_employer_doc and not has_medical_doc:
                medical = set()
            elif has_medical_doc and not has_employer_doc:
                employer = set()
        if len(medical) >= len(employer):
            return DeferralReason.MEDICAL, Reason("deferral.reason.medical", sorted(medical)[0])
        return DeferralReason.EMPLOYER_REFUSAL, Reason(
            "deferral.reason.employer_refusal", sorted(employer)[0]
        )
    # No reason in words, but the document speaks for itself.
    if has_medical_doc:
        return DeferralReason.MEDICAL, Reason("deferral.reason.medical", "medical document")
    if has_employer_doc:
        return DeferralReason.EMPLOYER_REFUSAL, Reason(
            "deferral.reason.employer_refusal", "employer document"
        )
    other = ctx.find("other_reason")
    if other:
        return DeferralReason.OTHER, Reason("deferral.reason.other", other)
    given = _REASON_GIVEN.search(ctx.new_text)
    if given:
        return DeferralReason.OTHER, Reason("deferral.reason.other", given.group(0))
    return DeferralReason.UNSPECIFIED, Reason("deferral.reason.unspecified", "no reason given")


REQUIRED_DOCUMENT = {
    DeferralReason.MEDICAL: DocType.MEDICAL_CERTIFICATE,
    DeferralReason.EMPLOYER_REFUSAL: DocType.EMPLOYER_LETTER,
}


def justification(ctx: Context, reason: DeferralReason) -> tuple[bool, Reason]:
    required = REQUIRED_DOCUMENT.get(reason)
    if required is None:
        return False, Reason("deferral.justification.not_applicable", reason.value)
    for doc in ctx.documents:
        if doc.doc_type is required:
            check = " (image: staff to check)" if doc.needs_check else ""
            return True, Reason("deferral.justification.present", f"{doc.filename}{check}")
    seen = ", ".join(f"{d.filename}={d.doc_type.value}" for d in ctx.documents) or "none"
    return False, Reason("deferral.justification.absent", f"attachments: {seen}")


_NEGATION = re.compile(
    r"(?:\bni|\bpas (?:de |d'|un |une |d'une |d'un )?|\bsans|\bne (?:demande|souhaite|veux|"
    r"sollicite) pas (?:de |d'|une |un |l'|le |la )?|\baucun(?:e)? |\bnot |\bno )\s*$"
)


def asks_refund(ctx: Context) -> tuple[bool, Reason | None]:
    """Cancellation or reimbursement asked for; "ni annulation ni remboursement" is not."""
    regex = ctx.sets["refund"].regex
    if regex is None:
        return False, None
    for match in regex.finditer(ctx.own):
        before = ctx.own[max(0, match.start() - 40) : match.start()]
        if _NEGATION.search(before):
            continue
        return True, Reason("deferral.asks_refund", match.group(0))
    return False, None


def extract(ctx: Context) -> Extracted:
    mail = ctx.mail
    text = own_text(mail)
    signature = mail.signature[:MAX_OWN_TEXT]
    catalogue = tuple((e.code, e.label) for e in ctx.config.exam)
    return Extracted(
        name=names.find_name(text, signature),
        phone=fields.find_phone(f"{text}\n{signature}"),
        postal_address=fields.find_postal_address(f"{text}\n{signature}"),
        exam_references=fields.find_exams(f"{mail.subject[:1000]}\n{text}", catalogue),
    )


def missing_items(extracted: Extracted) -> tuple[str, ...]:
    """SPEC §2.1 ``missing``, in the canonical order."""
    missing = []
    if not extracted.name:
        missing.append("name")
    if not extracted.phone:
        missing.append("phone")
    if not extracted.postal_address:
        missing.append("postal_address")
    if not extracted.exam_references:
        missing.append("exam_reference")
    return tuple(missing)
