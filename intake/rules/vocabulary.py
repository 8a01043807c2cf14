"""Keyword lists the rules read, as data. Staff extend them from ``[keywords]``.

Every phrase is folded (lower case, no accents, single spaces) before matching, so
write them as a person would; ``hospitalisation`` also matches ``Hospitalisation``.
"""

from __future__ import annotations

VOCABULARY: dict[str, tuple[str, ...]] = {}
