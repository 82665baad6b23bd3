"""The text catalogue: every key exists in both languages with the same placeholders,
and every key the code asks for is in the catalogue."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.texts import EN, FA, t
from tests.fakes.html_check import parse_html

ROOT = Path(__file__).resolve().parents[2]


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_have_the_same_keys_and_placeholders() -> None:
    assert FA.keys() == EN.keys()
    for key in FA:
        assert fields(FA[key]) == fields(EN[key]), key


def test_every_key_the_code_uses_exists() -> None:
    literal = re.compile(r"\b(?:tr|t)\((?:context|lang|req_lang|[a-z_]+), \"([a-z_]+)\"")
    used: set[str] = set()
    for path in [*ROOT.glob("handlers/*.py"), *ROOT.glob("bot/*.py")]:
        used |= set(literal.findall(path.read_text()))
    assert used, "the scan found no keys; the pattern is out of date"
    assert used - FA.keys() == set()


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_text_is_valid_telegram_html(lang: str) -> None:
    for key in FA:
        values = {name: "1" for name in fields(FA[key])}
        parse_html(t(lang, key, **values))  # raises on a tag Telegram would refuse
