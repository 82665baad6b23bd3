"""Tests for bot.sms: SMS length/parts, Persian normalisation, digits."""

from __future__ import annotations

import pytest

from bot.sms import measure, normalize_text, to_ascii_digits

FA = "س"  # any Persian letter forces UCS-2


@pytest.mark.parametrize(
    ("length", "parts", "per_part"),
    [(1, 1, 160), (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153)],
)
def test_gsm7_boundaries(length: int, parts: int, per_part: int) -> None:
    m = measure("a" * length)
    assert (m.encoding, m.chars, m.parts, m.per_part) == ("GSM-7", length, parts, per_part)


@pytest.mark.parametrize(
    ("length", "parts", "per_part"),
    [(1, 1, 70), (70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67)],
)
def test_ucs2_boundaries(length: int, parts: int, per_part: int) -> None:
    m = measure(FA * length)
    assert (m.encoding, m.chars, m.parts, m.per_part) == ("UCS-2", length, parts, per_part)


def test_empty_text_has_no_parts() -> None:
    m = measure("")
    assert m.chars == 0 and m.parts == 0


@pytest.mark.parametrize("ch", list("^{}\\[~]|€"))
def test_gsm7_extension_chars_count_two(ch: str) -> None:
    m = measure(ch)
    assert m.encoding == "GSM-7" and m.chars == 2
    assert measure(ch * 80).parts == 1
    assert measure(ch * 80 + "a").parts == 2


def test_gsm7_basic_specials_count_one() -> None:
    m = measure("@£$¥èé_Ä\n")
    assert m.encoding == "GSM-7" and m.chars == 9


def test_one_persian_char_makes_whole_text_ucs2() -> None:
    m = measure("a" * 100 + FA)
    assert m.encoding == "UCS-2" and m.chars == 101 and m.parts == 2


def test_emoji_outside_bmp_counts_two_units() -> None:
    assert measure("😀").chars == 2
    assert measure("😀" * 35).parts == 1
    assert measure("😀" * 35 + "a").parts == 2


def test_remaining() -> None:
    assert measure("a" * 150).remaining == 10
    assert measure(FA * 71).remaining == 67 * 2 - 71


def test_normalize_maps_arabic_letters() -> None:
    assert normalize_text("علي كريم مصطفى") == "علی کریم مصطفی"


def test_normalize_keeps_zwnj_and_removes_direction_marks() -> None:
    marks = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    text = f"{marks}می\u200cخواهم{marks}"
    assert normalize_text(text) == "می\u200cخواهم"


def test_normalize_strips_and_converts_line_ends() -> None:
    assert normalize_text("  سلام\r\nدنیا\rخوب \n\t") == "سلام\nدنیا\nخوب"


def test_to_ascii_digits() -> None:
    assert to_ascii_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert to_ascii_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert to_ascii_digits("کد ۱۲a3") == "کد 12a3"


def test_the_limit_that_applies_depends_on_the_encoding() -> None:
    persian = measure("ب" * 1340)
    assert (persian.limit, persian.parts, persian.too_long) == (1340, 20, False)
    assert measure("ب" * 1341).too_long
    latin = measure("x" * 1400)
    assert (latin.limit, latin.too_long) == (1400, False)
    assert measure("x" * 1401).too_long
