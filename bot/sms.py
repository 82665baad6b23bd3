"""Pure helpers for SMS text: length and parts, Persian normalisation, digits.

No I/O. ``measure`` is the bot's own estimate for the live counter; the
provider's ``calculate-price`` answer is the authority when it is available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic character set (the escape character itself excluded).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (escape + character).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE = 160
GSM7_PER_PART = 153
UCS2_SINGLE = 70
UCS2_PER_PART = 67


# The provider's limits for one message (Persian docs): characters and parts.
MAX_CHARS = 1400
MAX_PARTS = 20


@dataclass(frozen=True)
class SmsLength:
    """How long a text is as an SMS.

    ``chars`` is in the encoding's units: septets for GSM-7 (extension
    characters count 2), UTF-16 code units for UCS-2 (characters outside the
    BMP, such as most emoji, count 2). ``per_part`` is the capacity of one part
    at this length: 160/70 for a single-part text, 153/67 once split. An empty
    text has 0 parts.
    """

    chars: int
    encoding: Encoding
    parts: int
    per_part: int

    @property
    def too_long(self) -> bool:
        """Over the provider's limit of 1,400 characters or 20 parts."""
        return self.chars > MAX_CHARS or self.parts > MAX_PARTS

    @property
    def limit(self) -> int:
        """The most characters this encoding allows: 1,400 for GSM-7, but 1,340 (20 parts of
        67) for a Persian (UCS-2) text, where the 20-part limit comes first."""
        per_part = GSM7_PER_PART if self.encoding == "GSM-7" else UCS2_PER_PART
        return min(MAX_CHARS, MAX_PARTS * per_part)

    @property
    def remaining(self) -> int:
        """Units left before the text needs one more part."""
        if self.parts == 0:
            return self.per_part
        return self.parts * self.per_part - self.chars


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of UCS-2 SMS and of Telegram's 4,096 limit
    (characters outside the BMP, such as most emoji, count 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def units(text: str, encoding: Encoding) -> int:
    """Length of ``text`` in ``encoding``'s units (septets or UTF-16 code units)."""
    if encoding == "GSM-7":
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return utf16_len(text)


def measure(text: str) -> SmsLength:
    """Length, encoding and number of parts of ``text`` as sent."""
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    chars = units(text, encoding)
    single, multi = (
        (GSM7_SINGLE, GSM7_PER_PART) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PER_PART)
    )
    if chars == 0:
        return SmsLength(0, encoding, 0, single)
    if chars <= single:
        return SmsLength(chars, encoding, 1, single)
    return SmsLength(chars, encoding, math.ceil(chars / multi), multi)


_CHAR_MAP = {
    0x064A: "\u06cc",  # Arabic yeh -> Persian yeh
    0x0649: "\u06cc",  # Arabic alef maksura -> Persian yeh
    0x0643: "\u06a9",  # Arabic kaf -> Persian keheh
    # Invisible direction marks (ZWNJ U+200C is kept on purpose).
    0x200E: None,
    0x200F: None,
    **{cp: None for cp in range(0x202A, 0x202F)},
    **{cp: None for cp in range(0x2066, 0x206A)},
}


def normalize_text(text: str) -> str:
    """Persian letters for Arabic look-alikes, no direction marks, LF line ends, trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_CHAR_MAP).strip()


_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def to_ascii_digits(text: str) -> str:
    """Persian (۰–۹) and Arabic-Indic (٠–٩) digits to ASCII 0–9."""
    return text.translate(_DIGITS)
