"""How units are named in English and how a typed search is spelled for ranking."""

from __future__ import annotations

import pytest

from domain.admin_dataset import english_name, search_key
from domain.text import spelling


@pytest.mark.parametrize(("unit_type", "short", "name_en", "expected"), [
    ("Phường", "11", "Phường 11", "Ward 11"),  # the dataset leaves it untranslated
    ("Quận", "3", "District 3", "District 3"),
    ("Quận", "Bình Thạnh", "Bình Thạnh", "Bình Thạnh District"),
    ("Huyện", "Cần Giờ", "Cần Giờ", "Cần Giờ District"),
    ("Phường", "Võ Thị Sáu", "Võ Thị Sáu", "Võ Thị Sáu Ward"),
    ("Xã", "Tân Dĩnh", None, "Tân Dĩnh Commune"),
    ("Thành phố", "Thủ Đức", "Thủ Đức City", "Thủ Đức City"),
])
def test_english_names_translate_the_type_not_the_proper_name(
    unit_type: str, short: str, name_en: str | None, expected: str
) -> None:
    assert english_name(unit_type, short, name_en) == expected


def test_the_search_key_keeps_names_apart() -> None:
    key = search_key("Xã Định Tân", "Định Tân", "Định Tân")
    assert key == "xa dinh tan | dinh tan | dinh tan"
    assert "tan dinh" not in key  # no match across two names


def test_spelling_is_nfc_and_capitalised_like_unit_names() -> None:
    decomposed = "ta\u0302n \u0111i\u0323nh"  # NFD, as some keyboards send it
    assert spelling(f"  {decomposed}  ") == "Tân Định"
    assert spelling("TÂN ĐỊNH") == "Tân Định"
