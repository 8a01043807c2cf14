"""The facts every rule reads about one mail, computed once.

Folding and phrase compilation happen here and nowhere else, so that rules stay
one-liners over ``ctx.own`` (subject + the sender's new text, folded) and never read
the quoted history.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from intake.classification import Document
from intake.config import Config
from intake.rules.textnorm import PhraseSet, compile_phrases, fold, merge
from intake.rules.vocabulary import DOCUMENT_TEXT, VOCABULARY
from parsers.types import InboundMail


@lru_cache(maxsize=32)
def _phrase_sets(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, PhraseSet]:
    extras = dict(extra)
    sets = {
        name: compile_phrases(name, merge(words, extras.get(name, ())))
        for name, words in VOCABULARY.items()
    }
    for name, words in DOCUMENT_TEXT.items():
        sets[name] = compile_phrases(f"doc:{name}", words)
    return sets


def phrase_sets(config: Config) -> Mapping[str, PhraseSet]:
    """Built-in lists merged with the configuration's ``[keywords]`` additions."""
    key = tuple(sorted((k, tuple(v)) for k, v in config.keywords.items()))
    return _phrase_sets(key)


@dataclass
class Context:
    mail: InboundMail
    role: str
    config: Config
    sets: Mapping[str, PhraseSet]
    # Subject and the sender's new text, folded: what rules 2-3 read.
    own: str
    subject: str
    new_text: str
    signature: str
    documents: tuple[Document, ...] = ()
    # True when the subject carries a reply or forward prefix: it then names the old
    # thread's topic, which is history, and is read only when the new text says
    # nothing decisive.
    subject_is_reply: bool = False
    cache: dict[str, str | None] = field(default_factory=dict)

    def with_subject(self) -> Context:
        """The same context with the (reply) subject read as the sender's words."""
        from dataclasses import replace

        return replace(self, own=f"{self.subject} \n {self.new_text}", cache={})

    def find(self, list_name: str, text: str | None = None) -> str | None:
        """The first phrase of ``list_name`` in the sender's own text (cached)."""
        if text is None:
            if list_name not in self.cache:
                self.cache[list_name] = self.sets[list_name].search(self.own)
            return self.cache[list_name]
        return self.sets[list_name].search(text)

    def find_all(self, list_name: str) -> list[str]:
        return self.sets[list_name].find_all(self.own)


# Rules read at most this much of the sender's own text: a person's new text is a few
# hundred words; a mail whose "text" is megabytes of decoded binary must not cost
# seconds of regular-expression time.
MAX_OWN_TEXT = 20_000


def own_text(mail: InboundMail) -> str:
    """The sender's new text (the whole text when the parser found no quote)."""
    text = mail.new_text if (mail.new_text or mail.quoted_text) else mail.text
    return text[:MAX_OWN_TEXT]


def make_context(mail: InboundMail, role: str, config: Config) -> Context:
    subject = fold(mail.subject[:1000])
    # Strip reply/forward prefixes and our own case reference from the subject: "RE:
    # [UP-2025-000123] Votre demande" must not feed the rules with our own words.
    subject, replied = _strip_prefixes(subject)
    new_text = fold(own_text(mail))
    own = f"{subject} \n {new_text}"
    if replied and len(new_text) >= 20:
        own = new_text
    return Context(
        mail=mail,
        role=role,
        config=config,
        sets=phrase_sets(config),
        own=own,
        subject=subject,
        subject_is_reply=replied,
        new_text=new_text,
        signature=fold(mail.signature[:MAX_OWN_TEXT]),
    )


_PREFIX = re.compile(r"^(?:(?:re|tr|fw|fwd|ref|aw|wg|rv|sv|vs)\s?(?:\[\d+\])?\s?:\s*)+")
_OUR_REF = re.compile(r"\[(?:[a-z]{2,4})-20\d{2}-\d{4,8}\]\s*")


def _strip_prefixes(subject: str) -> tuple[str, bool]:
    stripped = _PREFIX.sub("", subject)
    replied = stripped != subject
    stripped = _OUR_REF.sub("", stripped).strip()
    return stripped, replied
