"""Repeats: the same campaign sent twice, or the same phonebook texted again, lately.

An earlier send repeats a new one when its text is the same after the bot's own
normalisation (Persian letters for Arabic look-alikes, ASCII digits, spaces collapsed, the
configured suffix left out) and its audience overlaps (the same phonebook, or overlapping
rows or contacts of it). A different text to a phonebook that was texted lately is a
quieter mention. Scheduled, unknown and still pending earlier sends count: they are the
worst repeats, since nobody has seen them land yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.domain import (
    ApprovalRequest,
    Broadcast,
    BroadcastState,
    PhonebookSelection,
    Snapshot,
    send_time_of,
)
from bot.sms import normalize_text, to_ascii_digits

EarlierState = Literal["sent", "scheduled", "unknown", "pending"]


@dataclass(frozen=True)
class Earlier:
    """An earlier send (or request) as the repeat rule sees it."""

    number: int  # its public number (#12)
    requester_id: int
    at: datetime  # when it went out, or is scheduled to
    state: EarlierState
    snapshot: Snapshot


@dataclass(frozen=True)
class Repeat:
    earlier: Earlier
    same_text: bool
    overlap: int  # recipients the two sends share (rows or contacts of the same books)


def text_key(message: str, suffix: str = "") -> str:
    """A text as the repeat rule compares it."""
    text = normalize_text(message)
    suffix = normalize_text(suffix)
    if suffix and text.endswith(suffix):
        text = text[: -len(suffix)]
    text = to_ascii_digits(text).replace("\u200c", " ")
    return " ".join(text.split()).casefold()


def _rows(sel: PhonebookSelection) -> tuple[int, int] | None:
    """The 1-based row range a selection sends to; None for picked contacts."""
    if sel.mode == "contacts":
        return None
    if sel.mode == "slice" and sel.start is not None:
        return sel.start, sel.start + sel.recipients() - 1
    return 1, sel.count


def pair_overlap(a: PhonebookSelection, b: PhonebookSelection) -> int:
    """Recipients two selections of one phonebook share (contacts against rows: at most
    the smaller of the two, since a contact's row is not known)."""
    if a.mode == "contacts" and b.mode == "contacts":
        return len(set(a.contact_ids) & set(b.contact_ids))
    ra, rb = _rows(a), _rows(b)
    if ra is None or rb is None:
        return min(a.recipients(), b.recipients())
    return max(0, min(ra[1], rb[1]) - max(ra[0], rb[0]) + 1)


def overlap(a: list[PhonebookSelection], b: list[PhonebookSelection]) -> int:
    return sum(pair_overlap(x, y) for x in a for y in b if x.phonebook_id == y.phonebook_id)


def _selections(snapshot: Snapshot) -> list[PhonebookSelection]:
    return list(snapshot.selections)


def find_repeats(snapshot: Snapshot, earlier: list[Earlier], suffix: str = "") -> list[Repeat]:
    """Earlier sends sharing recipients with ``snapshot``: same text first (newest first),
    then different texts to the same people. One entry per public number."""
    mine = _selections(snapshot)
    key = text_key(snapshot.message, suffix)
    found: dict[int, Repeat] = {}
    for e in sorted(earlier, key=lambda e: e.at, reverse=True):
        if e.number in found:
            continue
        shared = overlap(mine, _selections(e.snapshot))
        if shared <= 0:
            continue
        same = text_key(e.snapshot.message, suffix) == key
        found[e.number] = Repeat(e, same, shared)
    return sorted(found.values(), key=lambda r: (not r.same_text, -r.earlier.at.timestamp()))


def earlier_of_send(b: Broadcast, now: datetime) -> Earlier:
    """A broadcast row as an earlier send: "scheduled" while its time is ahead."""
    at = send_time_of(b) or b.created_at
    if b.state == BroadcastState.SENT:
        state: EarlierState = "scheduled" if at > now else "sent"
    else:
        state = "unknown"  # unknown, or interrupted while sending
    return Earlier(b.number, b.requester_id, at, state, b.snapshot)


def earlier_of_request(r: ApprovalRequest) -> Earlier:
    """A request still waiting for approval: it may go out any minute."""
    at = r.snapshot.send_time or r.created_at
    return Earlier(r.number, r.requester_id, at, "pending", r.snapshot)
