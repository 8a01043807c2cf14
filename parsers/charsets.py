"""Decode bytes declared in a charset into text, surviving lying and unknown charset labels.

:func:`codec_for` maps the labels mail clients write to Python codecs;
:func:`decode_bytes` decodes with fallbacks (UTF-8, Windows-1252 when it reads as
Western text, charset-normalizer's guess, Latin-1) and never raises.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

# Charset labels that mail clients write but Python does not know, or knows as a
# narrower charset than the bytes actually use (GB2312 labels on GBK/GB18030 text).
_CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "utf7": "utf-7",
    "x-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-utf8": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "x-euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "iso-8859-8-i": "iso8859-8",
    "windows-874": "cp874",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso_8859-1": "cp1252",
}
# Python codecs that are not charsets a mail may use (or transform instead of decoding).
_REFUSED_CODECS = frozenset(
    {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined", "mbcs", "oem"}
)
# Single-byte charsets decode any bytes, so a mislabelled UTF-8 body "succeeds" in them:
# UTF-8 is tried first for these.
_SINGLE_BYTE_PREFIXES = ("ascii", "latin", "iso8859", "cp125", "cp437", "cp850", "mac", "koi8")
# Encodings whose bytes are all 7-bit: an ASCII body must still go through them.
_SEVEN_BIT = ("utf-7", "iso2022", "hz")


@lru_cache(maxsize=256)
def codec_for(charset: str | None) -> str | None:
    """The Python codec for a charset label, or None when unknown or unusable."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").strip().lower()
    info = None
    # Unknown labels are often known ones with a decoration: "iso-gb2312", "x-cp1252".
    for candidate in (label, label.removeprefix("x-"), label.removeprefix("iso-"), label[:40]):
        candidate = _CHARSET_ALIASES.get(candidate, candidate)
        try:
            info = codecs.lookup(candidate)
            break
        except (LookupError, ValueError, TypeError):
            continue
    if info is None:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        return None
    name = _CHARSET_ALIASES.get(info.name, info.name)
    return "cp1252" if name in ("latin-1", "iso8859-1") else name


_ODD_WESTERN = frozenset("¡¢£¤¥¦§¨©ª¬®¯±²³´µ¶·¸¹º¼½¾¿×÷ˆ‰Š‹Ž˜™š›žƒ†‡•")


def _plausible_western(text: str) -> bool:
    """True when single-byte decoded text looks like a Western European language."""
    letters = sum(1 for c in text if c.isalpha())
    foreign = [c for c in text if ord(c) > 127]
    # Accented letters are a minority in French or German even in a short sentence;
    # Cyrillic or Greek bytes read as Windows-1252 are nearly all non-ASCII, and
    # Chinese or Japanese bytes give many symbols (¤ ³ · ¿) that Western text lacks.
    odd = sum(1 for c in foreign if c in _ODD_WESTERN)
    return len(foreign) * 3 <= letters + 1 and odd * 5 <= len(foreign)


def decode_bytes(data: bytes, charset: str | None, problems: list[str] | None = None) -> str:
    """Decode ``data`` declared as ``charset``; never raises.

    Tries the declared charset (UTF-8 first when the label is a single-byte charset,
    since mislabelled UTF-8 is the commonest lie), then UTF-8, then Windows-1252 when it
    reads as Western text, then charset-normalizer's guess, then Latin-1.
    """
    if not data:
        return ""
    codec = codec_for(charset)
    if data.isascii() and not (codec and codec.startswith(_SEVEN_BIT)):
        return data.decode("ascii")
    if codec is not None and codec.startswith(_SINGLE_BYTE_PREFIXES):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError, ValueError):
            if codec == "cp1252":
                # Latin-1 proper: the five bytes Windows-1252 leaves undefined.
                return data.decode("latin-1")
            if problems is not None:
                problems.append(f"charset_mismatch: {charset}")
    elif charset and problems is not None:
        problems.append(f"charset_unknown: {charset[:40]}")
    if not data.isascii():
        # (ASCII data gets here only when a 7-bit charset failed: UTF-8 says nothing.)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec is not None and not codec.startswith(_SINGLE_BYTE_PREFIXES):
        # A multi-byte charset with a few vendor characters it lacks (NEC digits in
        # ISO-2022-JP): the declared charset with replacements beats any guess.
        replaced = data.decode(codec, "replace")
        bad = replaced.count("\ufffd")
        if bad <= 1 or bad * 100 <= len(replaced):
            return replaced
    lenient = data.decode("utf-8", "replace")
    bad = lenient.count("\ufffd")
    if bad * 200 < len(lenient) and sum(1 for c in lenient if ord(c) > 127) > bad * 2:
        # Mostly valid UTF-8 with a few broken sequences (a truncated mail).
        return lenient
    try:
        western = data.decode("cp1252")
        if _plausible_western(western):
            return western
    except UnicodeDecodeError:
        western = ""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:32_768]).best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, "replace")
    except Exception:
        # The detector is a heuristic library; its failure is not the mail's problem.
        pass
    return western or data.decode("latin-1")
