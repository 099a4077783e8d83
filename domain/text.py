"""Search keys that ignore case and Vietnamese diacritics ("tan dinh" finds "Tân Định")."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lowercase ASCII form: strip combining marks and map đ/Đ, which has no decomposition."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.lower()).strip()


def spelling(text: str) -> str:
    """The text as typed, in NFC with each word capitalised and spaces collapsed, the way
    unit names are written ("tân định" -> "Tân Định"), to rank exact spellings first."""
    words = unicodedata.normalize("NFC", text).split()
    return " ".join(w[:1].upper() + w[1:].lower() for w in words)
