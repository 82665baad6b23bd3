"""Phone numbers as people type them, turned into the E.164 form IPPanel matches.

The panel's contact filter ``number`` is E.164 (``+989121234567``, docs:
``phonebook/number/list-number.md``), while admins type ``09121234567``,
``9121234567``, ``00989121234567``, ``98912…``, Persian or Arabic digits, with
spaces or dashes. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.sms import to_ascii_digits

IRAN = "98"
NATIONAL_DIGITS = 10  # an Iranian number without its 0 or +98: 9121234567, 2112345678
E164_MAX_DIGITS = 15
E164_MIN_DIGITS = 8  # shorter "international" input is taken as part of a number

# What may separate digit groups, including the invisible direction marks a
# right-to-left keyboard or a copied contact card leaves behind.
_SEPARATORS = re.compile(r"[\s\-.()/\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


@dataclass(frozen=True)
class PhoneQuery:
    """What a typed number turned out to be.

    ``e164`` is set when a whole number was typed; ``partial`` when only digits of
    a number were (too few for a whole one); neither when it is not a number.
    """

    e164: str | None
    partial: bool = False

    @property
    def whole(self) -> bool:
        return self.e164 is not None


def normalize_mobile(text: str) -> PhoneQuery:
    """``0912 123 4567``, ``۰۹۱۲۱۲۳۴۵۶۷``, ``+98 912…``, ``0098912…`` → ``+989121234567``."""
    raw = _SEPARATORS.sub("", to_ascii_digits(text or "").strip())
    raw = raw.replace("\uff0b", "+")  # full-width plus
    international = raw.startswith("+")
    digits = raw.removeprefix("+")
    if not digits or not digits.isdigit():
        return PhoneQuery(None)
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
    if not international and len(digits) == len(IRAN) + NATIONAL_DIGITS and digits[:2] == IRAN:
        international = True  # 989121234567: the country code without its plus
    if international:
        if digits.startswith(IRAN):
            return _national(digits[len(IRAN) :].removeprefix("0"))
        if len(digits) < E164_MIN_DIGITS:
            return PhoneQuery(None, partial=True)
        return PhoneQuery("+" + digits if len(digits) <= E164_MAX_DIGITS else None)
    return _national(digits.removeprefix("0"))


def _national(national: str) -> PhoneQuery:
    if len(national) == NATIONAL_DIGITS:
        return PhoneQuery("+" + IRAN + national)
    if len(national) < NATIONAL_DIGITS:
        return PhoneQuery(None, partial=True)
    return PhoneQuery(None)


def is_iranian_mobile(e164: str | None) -> bool:
    """+989xxxxxxxxx: the only numbers a test SMS goes to."""
    return e164 is not None and len(e164) == 13 and e164.startswith("+989") and e164[1:].isdigit()


_TYPED_NUMBER = re.compile(r"\+?[0-9]{7,15}")


def looks_like_phone(text: str | None) -> bool:
    """Whether a typed message is a phone number (any country, any digits, separators)."""
    raw = _SEPARATORS.sub("", to_ascii_digits(text or "").strip()).replace("\uff0b", "+")
    return bool(_TYPED_NUMBER.fullmatch(raw))


def mask_phone(e164: str | None) -> str:
    """``+989121234567`` → ``+98912•••4567``: enough to recognise, not the whole number
    (for logs and the audit log)."""
    if not e164:
        return "—"
    if len(e164) < 10:
        return "•••"
    return f"{e164[:6]}•••{e164[-4:]}"


__all__ = ["PhoneQuery", "is_iranian_mobile", "looks_like_phone", "mask_phone", "normalize_mobile"]
