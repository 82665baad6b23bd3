"""Phone numbers as admins type them, normalised to the E.164 the panel's filter wants."""

from __future__ import annotations

import pytest

from bot.phones import PhoneQuery, normalize_mobile

WHOLE = "+989121234567"


@pytest.mark.parametrize(
    "typed",
    [
        "09121234567",
        "9121234567",
        "00989121234567",
        "+989121234567",
        "989121234567",
        "+9809121234567",  # a 0 kept after the country code
        "۰۹۱۲۱۲۳۴۵۶۷",  # Persian digits
        "٠٩١٢١٢٣٤٥٦٧",  # Arabic-Indic digits
        "0912 123 4567",
        "0912-123-4567",
        "+98 (912) 123-4567",
        " \u200e+98 912 123 4567\u200f ",  # direction marks from a copied contact
        "۰۰۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷",
    ],
)
def test_whole_iranian_numbers_become_e164(typed: str) -> None:
    assert normalize_mobile(typed) == PhoneQuery(WHOLE)
    assert normalize_mobile(typed).whole


def test_landline_and_foreign_numbers() -> None:
    assert normalize_mobile("021 8888 1234").e164 == "+982188881234"
    assert normalize_mobile("+44 20 7946 0958").e164 == "+442079460958"
    assert normalize_mobile("0044 20 7946 0958").e164 == "+442079460958"


@pytest.mark.parametrize("typed", ["0912", "۰۹۱۲۱۲۳", "912123456", "+98912", "4567", "+4420"])
def test_part_of_a_number_is_partial(typed: str) -> None:
    query = normalize_mobile(typed)
    assert query.e164 is None and query.partial


@pytest.mark.parametrize(
    "typed", ["", "   ", "علی", "0912abc4567", "091212345678", "+1234567890123456"]
)
def test_not_a_number(typed: str) -> None:
    query = normalize_mobile(typed)
    assert query.e164 is None and not query.partial
