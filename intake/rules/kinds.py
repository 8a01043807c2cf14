"""Which kind a (non-robot) mail is: the ordered table of named kind rules.

Read it top to bottom: the first rule whose check returns evidence decides the
kind. A mail that returns the spreadsheet is a ``spreadsheet_return`` whatever else
it says; a deferral request wins over a registration problem; ``other`` is last.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from intake.classification import DocType, Kind, Topic
from intake.rules.context import Context
from responders import guards

KindCheck = Callable[[Context], str | None]


@dataclass(frozen=True)
class KindRule:
    name: str
    kind: Kind
    description: str
    check: KindCheck


_STRONG_SHEET = re.compile(
    r"tableau (de )?recueil|recueil d'informations?|fichier (de )?recueil|tableau de recensement"
)


def spreadsheet_attached(ctx: Context) -> str | None:
    if ctx.role != "certification":
        return None
    for doc in ctx.documents:
        if doc.doc_type is DocType.SPREADSHEET:
            return f"spreadsheet attached: {doc.filename}"
    return None


def returns_named_spreadsheet(ctx: Context) -> str | None:
    """'Ci-joint le tableau de recueil' (whatever is, or is not, attached)."""
    strong = _STRONG_SHEET.search(ctx.own)
    if strong is None:
        return None
    sending = ctx.find("sending_now")
    if sending and (ctx.role == "certification" or ctx.mail.files):
        return f"{strong.group(0)!r} + {sending!r}"
    return None


def returns_some_table(ctx: Context) -> str | None:
    """'Veuillez trouver ci-joint notre fichier' in the certification inbox."""
    if ctx.role != "certification":
        return None
    sending = ctx.find("sending_now")
    name = ctx.find("spreadsheet_name")
    if sending and name:
        return f"{name!r} + {sending!r}"
    return None


def double_payment(ctx: Context) -> str | None:
    """A payment made twice, refund asked, registration kept: a payment problem."""
    found = ctx.find("double_payment")
    if found is None:
        return None
    strong = ctx.find("deferral")
    if strong and not re.match(r"rembours|annul", strong):
        return None
    return f"double payment: {found!r}"


_SUBJECT_REPORT = re.compile(r"(?<!\w)report(?!\w)")


# "Merci pour le report accordé l'an dernier": a deferral already granted is history.
_GRANTED = re.compile(
    r"^ ?(?:qui m'a ete |que j'ai |m'a ete |a ete |dont j'ai )?(accorde|obtenu|beneficie)"
)


def asks_deferral(ctx: Context) -> str | None:
    regex = ctx.sets["deferral"].regex
    for match in regex.finditer(ctx.own) if regex else ():
        if not _GRANTED.match(ctx.own[match.end() : match.end() + 40]):
            return f"{match.group(0)!r}"
    # "Report" alone is a deferral in a French subject ("Report examen"), when the
    # subject is the sender's own (not the old thread's "RE: Report").
    if ctx.subject in ctx.own and _SUBJECT_REPORT.search(ctx.subject):
        return "subject 'report'"
    return None


def mycertif_trouble(ctx: Context) -> str | None:
    platform = ctx.find("mycertif")
    if platform is None:
        return None
    trouble = ctx.find("access_trouble")
    return f"{platform!r} + {trouble!r}" if trouble else None


_THANKS = re.compile(
    r"^(?:(?:bonjour|bonsoir|madame|monsieur|mesdames|messieurs|hello|re|cher|chere)[ ,!.]*){0,3}"
    r"(merci|je vous remercie|nous vous remercions|un grand merci|thanks|thank you)"
)
# Any sign of a problem or a request: negations, questions, trouble words.
_NOT_JUST_THANKS = re.compile(
    r"\?|\bpas\b|\bplus\b|\bn'|\bne\b|\bni\b|impossible|probleme|souci|erreur|bloque|"
    r"aide|toujours|pourriez|pouvez|pourrais|voudrais|souhaite|besoin|merci (de|d')"
)


def thanks_only(ctx: Context) -> str | None:
    """A short thank-you ('Merci, j'ai bien reçu mon NUC') is not a new problem."""
    if len(ctx.new_text) > 400:
        return None
    if _THANKS.search(ctx.new_text) and not _NOT_JUST_THANKS.search(ctx.new_text):
        return "short thank-you"
    return None


_CERTIF_UP = re.compile(r"certif[- ]?up|\bnuc\b|union[- ]prof|numero unique")


def registration_problem(ctx: Context) -> str | None:
    from intake.rules.topics import specific_topic

    if ctx.role == "certification" and not _CERTIF_UP.search(ctx.own):
        return None
    topic = specific_topic(ctx)
    # Payment words alone ("combien coûte l'inscription ?") are a general question; a
    # payment problem also says something is wrong or how it is being paid.
    if topic is not None and (
        topic[0] is not Topic.PAYMENT
        or ctx.find("double_payment")
        or ctx.find("payment_process")
        or (ctx.find("trouble") and ctx.find("registration"))
    ):
        return f"topic {topic[0].value}: {topic[1]!r}"
    registration = ctx.find("registration")
    trouble = ctx.find("trouble")
    if registration and trouble:
        return f"{registration!r} + {trouble!r}"
    # The exam step of the site misbehaving ("le bouton de l'épreuve est grisé").
    exam = ctx.find("exam_words")
    site = ctx.find("site_trouble")
    if exam and site:
        return f"{exam!r} + {site!r}"
    return None


def mailing_list(ctx: Context) -> str | None:
    """A mailing-list post is never a sender's own request, whatever its words."""
    return guards.mailing_list(ctx.mail.headers)


def anything_else(ctx: Context) -> str | None:
    return "no other rule matched"


KIND_RULES: tuple[KindRule, ...] = (
    KindRule("kind.other.mailing_list", Kind.OTHER, "a mailing-list post", mailing_list),
    KindRule(
        "kind.spreadsheet.attached",
        Kind.SPREADSHEET_RETURN,
        "a spreadsheet attached to the certification inbox",
        spreadsheet_attached,
    ),
    KindRule("kind.other.thanks", Kind.OTHER, "a short thank-you", thanks_only),
    KindRule(
        "kind.spreadsheet.named",
        Kind.SPREADSHEET_RETURN,
        "the sender sends the collection spreadsheet by name",
        returns_named_spreadsheet,
    ),
    KindRule(
        "kind.problem.double_payment",
        Kind.PROBLEM_REPORT,
        "a payment made twice (refund, registration kept)",
        double_payment,
    ),
    KindRule(
        "kind.deferral",
        Kind.DEFERRAL_REQUEST,
        "asks to defer, cancel or be refunded",
        asks_deferral,
    ),
    KindRule(
        "kind.mycertif",
        Kind.MYCERTIF_ACCESS,
        "trouble accessing or using myCertif UCANSS",
        mycertif_trouble,
    ),
    KindRule(
        "kind.spreadsheet.sent",
        Kind.SPREADSHEET_RETURN,
        "the sender sends a table/file to the certification inbox",
        returns_some_table,
    ),
    KindRule(
        "kind.problem",
        Kind.PROBLEM_REPORT,
        "a registration problem on Certif-UP",
        registration_problem,
    ),
    KindRule("kind.other", Kind.OTHER, "anything else", anything_else),
)
