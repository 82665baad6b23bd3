"""Saved texts, the pure part: what a name and a text must be to be kept.

A saved text is validated like a draft text (normalised, not empty, within the
provider's limits once the configured suffix is added). Anything that looks like an
IPPanel API key is refused outright, as a name or as a text: the list is shared by the
whole team, and a key must never be stored outside the encrypted key table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.domain import full_message
from bot.sms import SmsLength, measure, normalize_text

NAME_MAX = 32  # characters: a name is a button label on a phone screen

# Same shape the gate uses to spot a key pasted into a group: one long token of
# letters, digits and a few marks (optionally after /token).
_KEYLIKE = re.compile(r"^\s*(?:/token(?:@\w+)?\s+)?[A-Za-z0-9._=\-]{24,}\s*$")


def looks_like_key(text: str) -> bool:
    return bool(_KEYLIKE.match(text))


Problem = Literal["empty", "bad", "too_long", "key"]


@dataclass(frozen=True)
class Checked:
    value: str  # the normalised name or text; empty when refused
    problem: Problem | None = None
    length: SmsLength | None = None  # for a text: its measure with the suffix


def check_name(raw: str) -> Checked:
    """A short one-line name, normalised like draft text."""
    if looks_like_key(raw):
        return Checked("", "key")
    text = normalize_text(raw)
    name = " ".join(text.split())  # runs of spaces become one
    if not name:
        return Checked("", "empty")
    if "\n" in text or len(name) > NAME_MAX:
        return Checked("", "bad")
    return Checked(name)


def check_text(raw: str, suffix: str) -> Checked:
    """An SMS text as the text step checks it: normalised, not empty, not too long."""
    text = normalize_text(raw)
    if not text:
        return Checked("", "empty")
    length = measure(full_message(text, suffix))
    if length.too_long:
        return Checked("", "too_long", length)
    if looks_like_key(text):
        return Checked("", "key")
    return Checked(text, None, length)


def strip_suffix(message: str, suffix: str) -> str:
    """A sent message without the configured suffix line: the words the admin wrote."""
    suffix = suffix.strip()
    if suffix and message.endswith("\n" + suffix):
        return message[: -len(suffix) - 1]
    return message


def summary(text: str, limit: int = 60) -> str:
    """The start of a text on one line, for lists."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
