"""Who counts as the same person, so a patient is enrolled once.

Rules decided here:
- Names are stored in Unicode NFC with single spaces (``normal_name``), whatever edge wrote
  them: a name typed with combining marks on one tablet and precomposed on another is one
  name, and the search (``fold``) and these rules compare like with like.
- Two cases are the same person when they carry the same national id (anywhere the writer
  can see), or, in one ward, the same phone (digits only, +84 read as 0), the same name
  folded (case and diacritics ignored) and the same year of birth. Deleted cases, and cases
  flagged as duplicates of another, never count as the original.
- Online, enrolling such a person is refused (409 naming the case) unless the caller
  confirms it is someone else (``confirm_not_duplicate``). A device's push is never refused
  for it (the record would be lost on a tablet that cannot ask the user): the case is kept
  with ``possible_duplicate_of`` set, for the ward to review.
"""

from __future__ import annotations

import re
import unicodedata

from domain.text import fold

_SPACES = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"[^0-9]")


def normal_name(name: str) -> str:
    """The stored form of a person's name: NFC, trimmed, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


def name_key(name: str) -> str:
    """A name as the duplicate rule and the search compare it."""
    return fold(unicodedata.normalize("NFC", name))


def phone_key(phone: str | None) -> str | None:
    """A phone as digits in the national form (``+84 903…`` and ``0903…`` are one number)."""
    if not phone:
        return None
    digits = _NOT_DIGIT.sub("", phone)
    if phone.strip().startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    return digits or None
