"""What "looks like an IPPanel API key" means, in one place.

A key is one long token of letters, digits and a few marks (the pattern the gate has
always used for keys pasted in groups), here also required to mix letters and digits so
that an SMS like "--------------------------" is not mistaken for one. The same test is
written in SQL (:data:`SQL_KEYLIKE`) for the migration that scrubs stored reasons.
"""

from __future__ import annotations

import re

MIN_KEY_LENGTH = 24
_KEY = re.compile(r"(?:/token(?:@\w+)?\s+)?([A-Za-z0-9._=\-]{" + str(MIN_KEY_LENGTH) + ",})")


def looks_like_key(text: str | None) -> bool:
    """True when the whole text (optionally after ``/token``) is one key-shaped token."""
    if not text:
        return False
    match = _KEY.fullmatch(text.strip())
    if match is None:
        return False
    token = match.group(1)
    return any(c.isascii() and c.isdigit() for c in token) and any(
        c.isascii() and c.isalpha() for c in token
    )


def sql_keylike(column: str) -> str:
    """The same test as :func:`looks_like_key` (without the ``/token`` form) in SQLite."""
    value = f"trim({column}, ' ' || char(9, 10, 13))"
    return (
        f"(length({value}) >= {MIN_KEY_LENGTH}"
        f" AND {value} NOT GLOB '*[^-A-Za-z0-9._=]*'"
        f" AND {value} GLOB '*[0-9]*' AND {value} GLOB '*[A-Za-z]*')"
    )
