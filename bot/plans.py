"""Gradual sending: a plan spreads one phonebook (or one slice of it) over time.

Pure arithmetic, no I/O and no clock of its own. Given the approved rows (first row and
how many), a batch size, an interval and the first send time, a plan is the list of
batches (start, size, send time). The plan is part of the approved snapshot, so the
content hash covers every batch and the approver approves exactly these rows and times.

Rules kept here and tested hard:

* the batches cover exactly the approved rows, in order, without overlap; the last
  batch's ``size`` is what is left of the approved range, never more (if the phonebook
  grows, the extra rows are not sent; if it shrinks, the provider sends fewer);
* send times are timezone-aware and stored in UTC; the provider's ``send_time`` is
  ``YYYY-MM-DD HH:MM:SS`` in UTC (:func:`provider_time`);
* only one phonebook (whole, or one slice) can be sent gradually: several books would
  make "batch k" ambiguous, so the compose step refuses them with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # an annotation only: bot.domain imports this module
    from bot.domain import PhonebookSelection

BATCH_CHOICES = (500, 1000, 2000)  # the quick buttons
EVERY_CHOICES = (15, 30, 60)  # minutes, the quick buttons
MIN_BATCH = 10
MAX_BATCH = 100_000
MIN_EVERY = 5  # minutes; the provider cancels only 5 minutes ahead
MAX_EVERY = 7 * 24 * 60  # a week between batches
MAX_BATCHES = 200  # more is a typo, and a card that cannot list the plan
MAX_SPAN = timedelta(days=365)  # the same horizon as a scheduled send


class PlanError(ValueError):
    """``reason``: "several" (more than one book / picked contacts), "no_time",
    "batch" (size out of range), "every" (interval out of range), "too_many" (batches),
    "too_long" (last batch past the horizon), "empty"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Batch:
    no: int  # 1-based
    start: int  # 1-based first row in the phonebook
    size: int
    send_at: datetime  # aware, UTC

    @property
    def last(self) -> int:
        return self.start + self.size - 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "no": self.no,
            "start": self.start,
            "size": self.size,
            "send_at": self.send_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Batch:
        when = datetime.fromisoformat(str(data["send_at"]))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return cls(int(data["no"]), int(data["start"]), int(data["size"]), when)


@dataclass(frozen=True)
class Plan:
    phonebook_id: str
    first_row: int
    rows: int  # approved rows in total
    batch: int  # batch size asked for
    every: int  # minutes between batches
    batches: tuple[Batch, ...]

    @property
    def first_at(self) -> datetime:
        return self.batches[0].send_at

    @property
    def last_at(self) -> datetime:
        return self.batches[-1].send_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "phonebook_id": self.phonebook_id,
            "first_row": self.first_row,
            "rows": self.rows,
            "batch": self.batch,
            "every": self.every,
            "batches": [b.to_dict() for b in self.batches],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            phonebook_id=str(data["phonebook_id"]),
            first_row=int(data["first_row"]),
            rows=int(data["rows"]),
            batch=int(data["batch"]),
            every=int(data["every"]),
            batches=tuple(Batch.from_dict(b) for b in data["batches"]),
        )

    def params_for(self, no: int) -> list[dict[str, Any]]:
        """The ``params`` of batch ``no``: one ``all`` entry with its start and size."""
        b = self.batches[no - 1]
        return [
            {
                "type": "all",
                "phonebook_ids": [self.phonebook_id],
                "start": str(b.start),
                "size": str(b.size),
            }
        ]


def check_choice(batch: int, every: int) -> None:
    if not MIN_BATCH <= batch <= MAX_BATCH:
        raise PlanError("batch")
    if not MIN_EVERY <= every <= MAX_EVERY:
        raise PlanError("every")


def make_plan(
    phonebook_id: str, first_row: int, rows: int, batch: int, every: int, first_at: datetime
) -> Plan:
    """Split ``rows`` rows from ``first_row`` into batches of ``batch``, ``every`` minutes
    apart from ``first_at``. The last batch holds the remainder, never more."""
    check_choice(batch, every)
    if rows < 1 or first_row < 1:
        raise PlanError("empty")
    if first_at.tzinfo is None or first_at.utcoffset() is None:
        raise ValueError("first_at must be timezone-aware")
    count = -(-rows // batch)
    if count > MAX_BATCHES:
        raise PlanError("too_many")
    first = first_at.astimezone(UTC).replace(microsecond=0)
    step = timedelta(minutes=every)
    if step * (count - 1) > MAX_SPAN:
        raise PlanError("too_long")
    end = first_row + rows  # one past the last approved row
    batches = tuple(
        Batch(
            no=k + 1,
            start=first_row + k * batch,
            size=min(batch, end - (first_row + k * batch)),
            send_at=first + step * k,
        )
        for k in range(count)
    )
    return Plan(phonebook_id, first_row, rows, batch, every, batches)


def plan_for(
    selections: list[PhonebookSelection], batch: int, every: int, first_at: datetime | None
) -> Plan:
    """The plan of a draft's selection: one whole book or one slice of one book."""
    if len(selections) != 1 or selections[0].mode == "contacts":
        raise PlanError("several")
    if first_at is None:
        raise PlanError("no_time")
    sel = selections[0]
    first_row = sel.start if sel.mode == "slice" and sel.start else 1
    return make_plan(sel.phonebook_id, first_row, sel.recipients(), batch, every, first_at)


def provider_time(when: datetime) -> str:
    """The contract's ``send_time``: ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
