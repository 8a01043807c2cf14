"""Column types that behave the same on SQLite and PostgreSQL.

Each type normalises values on the way in, so that rows written by any caller and
the values a query compares them with always agree: timestamps are UTC and aware,
e-mail addresses are lower-case, Message-IDs carry their angle brackets. Because a
comparison such as ``Case.sender_email == "X@Y.fr"`` binds its value through the
column's type, queries get the same normalisation for free.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, aware, in UTC (the only kind of time the store keeps)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` converted to aware UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def fold_text(value: str) -> str:
    """Lower-case, accents removed, spaces collapsed: how search text is compared.

    Done in Python because SQLite's ``lower()`` only folds ASCII and neither
    database removes accents portably.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", bare.casefold()).strip()


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on both databases.

    SQLite has no time zones: SQLAlchemy would silently drop the offset of an aware
    value and hand back naive values. Converting to UTC before storing and tagging
    UTC on the way out keeps comparisons and arithmetic right everywhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            # SQLite stores the text of the naive value; all rows are UTC, so the
            # text order is the time order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)


class LowerString(TypeDecorator[str]):
    """A string stored lower-cased and stripped: e-mail addresses.

    Addresses are compared case-insensitively everywhere in the project (the
    per-sender reply limit, the search box); storing them folded lets a plain
    index serve those comparisons on both databases.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return value.strip().lower()


def normalize_message_id(value: str) -> str:
    """A Message-ID in its one stored form: stripped, inside one pair of ``<>``.

    ``"abc@host"``, ``" <abc@host> "`` and ``"<abc@host>"`` all give
    ``"<abc@host>"``; an empty value stays empty.
    """
    value = value.strip()
    if not value:
        return ""
    return "<" + value.strip("<>").strip() + ">"


def split_message_ids(value: str | None) -> list[str]:
    """The Message-IDs named in an ``In-Reply-To`` or ``References`` header.

    Only the ``<...>`` tokens count; a header without angle brackets (seen from
    broken clients) is taken as one identifier per whitespace-separated word.
    """
    if not value:
        return []
    found: list[str] = []
    if "<" in value:
        for part in value.split("<")[1:]:
            ident = part.split(">", 1)[0].strip()
            if ident:
                found.append(f"<{ident}>")
    else:
        found = [normalize_message_id(word) for word in value.split()]
    # Keep the order (the last one is the direct parent) without repeats.
    return list(dict.fromkeys(found))


class MessageIdType(TypeDecorator[str]):
    """A Message-ID stored as ``<id>`` whatever form the caller passed.

    Not for ``LIKE`` patterns: a pattern would be wrapped in brackets too.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return normalize_message_id(value)
