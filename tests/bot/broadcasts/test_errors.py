"""A broadcast row's stored error is a code with figures, never words; the handlers say it
in the reader's language. Rows written before codes still read (issue #19)."""

from __future__ import annotations

import re

import pytest

from bot.broadcasts import error_code, provider_error_code, read_error
from bot.ippanel import ProviderError, ValidationError
from bot.provider_words import stored_error

PERSIAN = re.compile("[\u0600-\u06ff]")


def test_a_stored_error_is_a_code_with_figures() -> None:
    stored = error_code("no_credit", credit=100.0, cost=31250.0)
    assert not PERSIAN.search(stored)
    assert read_error(stored) == ("no_credit", {"credit": 100.0, "cost": 31250.0})
    refused = ValidationError("پیام نامعتبر است", errors={"message": ["الزامی"]}, status=422)
    stored = provider_error_code(refused)
    assert not PERSIAN.search(stored)  # the provider's words go to the audit, not the row
    assert read_error(stored) == (
        "provider",
        {"kind": "ValidationError", "status": 422, "fields": ["message"]},
    )


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_each_code_is_said_in_the_readers_language(lang: str) -> None:
    said = {
        code: stored_error(lang, error_code(code))
        for code in ("no_key", "prepare_failed", "unexpected", "interrupted", "confirmed_not_sent")
    }
    said["no_credit"] = stored_error(lang, error_code("no_credit", credit=100.0, cost=31250.0))
    said["provider"] = stored_error(
        lang, provider_error_code(ProviderError("Server Error", status=502))
    )
    for code, text in said.items():
        assert text and "{" not in text, code
        assert bool(PERSIAN.search(text)) == (lang == "fa"), (code, text)


def test_rows_from_before_codes_still_read() -> None:
    # the old English lines are known codes
    old = "a person checked the IPPanel outbox: not sent"
    assert read_error(old) == ("confirmed_not_sent", {})
    assert read_error("interrupted") == ("interrupted", {})
    # an old rendered Persian reason reaches a Persian reader only
    persian = "اعتبار حساب تمام شده است (اعتبار فعلی: ۱۰۰ ریال)"
    assert read_error(persian) == ("legacy", {"text": persian})
    assert stored_error("fa", persian) == persian
    english = stored_error("en", persian)
    assert english and not PERSIAN.search(english)
    assert stored_error("en", None) == "—"
