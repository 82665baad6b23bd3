"""Pure rules of the broadcast service: no store, no provider, no clock of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from bot.broadcasts.model import MIN_LEAD, MoneyCheck
from bot.domain import (
    Broadcast,
    BroadcastState,
    Draft,
    Snapshot,
    Step,
    send_time_of,
)
from bot.ippanel import (
    IPPanelError,
    NotCancellableError,
    NotFoundError,
    OperatorStats,
    SendRecord,
    ValidationError,
)
from bot.plans import PlanError, plan_for
from bot.sms import measure


def recipients_total(snapshot: Snapshot) -> int:
    """Recipients of a snapshot, recomputed from its selections."""
    return snapshot.recipients_total()


def parse_send_at(snapshot: Snapshot) -> datetime | None:
    """The approved send time, timezone-aware (a naive one is UTC, like the store's)."""
    return snapshot.send_time


def missing_step(draft: Draft, now: datetime) -> Step | None:
    """The first step a draft still needs, or None when it can be submitted."""
    if not draft.sender:
        return Step.SENDER
    if not draft.selections or draft.recipients() <= 0:
        return Step.PHONEBOOKS
    if not draft.text.strip():
        return Step.TEXT
    if draft.send_at is not None and draft.send_at < now + MIN_LEAD:
        return Step.TIME
    if draft.plan:
        # gradual sending needs one book (or one slice) and a first send time
        try:
            plan_for(draft.selections, draft.plan["batch"], draft.plan["every"], now)
        except PlanError as error:
            return Step.TIME if error.reason == "too_long" else Step.PHONEBOOKS
        if draft.send_at is None:
            return Step.TIME
        try:
            plan_for(draft.selections, draft.plan["batch"], draft.plan["every"], draft.send_at)
        except PlanError:
            return Step.TIME
    return None


def message_too_long(message: str) -> bool:
    return measure(message).too_long


def fix_step_for(error: IPPanelError | None) -> Step | None:
    """Which compose step fixes a refused send (422 fields, 404 phonebook)."""
    if isinstance(error, NotFoundError):
        return Step.PHONEBOOKS
    if not isinstance(error, ValidationError):
        return None
    for name in error.errors:
        if name.startswith("from_number"):
            return Step.SENDER
        if name.startswith("message"):
            return Step.TEXT
        if name.startswith(("params", "phonebook", "number_ids")):
            return Step.PHONEBOOKS
        if name.startswith("send_time"):
            return Step.TIME
    return None


def cancel_refusal_kind(
    errors: list[IPPanelError], done: list[int]
) -> Literal["partial", "gone", "refused"]:
    """How a cancel the provider refused (for some outbox ids) is reported."""
    if done:
        return "partial"
    if errors and all(isinstance(e, NotCancellableError) for e in errors):
        return "gone"  # the documented 404: unknown, or too late to cancel
    return "refused"


def aggregate_stats(stats: list[dict[str, OperatorStats]]) -> dict[str, OperatorStats]:
    totals: dict[str, dict[str, int]] = {}
    for per_operator in stats:
        for op, s in per_operator.items():
            t = totals.setdefault(op, dict.fromkeys(OperatorStats.__dataclass_fields__, 0))
            for name in t:
                t[name] += getattr(s, name)
    return {op: OperatorStats(**t) for op, t in totals.items()}


def audience_of(b: Broadcast) -> int:
    """How many recipients one send unit was for: its batch's rows, or the whole
    snapshot's recipients (recomputed from its selections)."""
    plan = b.snapshot.plan
    if b.batch_no and plan is not None and 0 < b.batch_no <= len(plan.batches):
        return plan.batches[b.batch_no - 1].size
    return b.snapshot.recipients_total()


def record_matches(record: SendRecord, b: Broadcast, earliest: datetime, latest: datetime) -> bool:
    """A provider row could be positive evidence of the send unit ``b`` (see
    :mod:`bot.broadcasts.reconcile` for the whole rule): same line, same text (line
    endings and surrounding blanks aside), stamped within [earliest, latest], for as many
    recipients as ``b`` was (when the row gives a count), and due when ``b`` was (when
    ``b`` was scheduled and the row gives its time)."""
    snapshot = b.snapshot
    if line_digits(record.from_number) != line_digits(snapshot.sender or ""):
        return False
    if same_text(record.message) != same_text(snapshot.message):
        return False
    if record.rcpts_count is not None and record.rcpts_count != audience_of(b):
        return False
    due = send_time_of(b)
    if due is not None and record.send_time is not None:
        if abs((record.send_time - due).total_seconds()) >= 1:
            return False
    return record.created_at is not None and earliest <= record.created_at <= latest


def same_text(text: str) -> str:
    return "\n".join(line.strip() for line in text.replace("\r\n", "\n").strip().split("\n"))


def line_digits(number: str) -> str:
    """+983000505, 983000505 and 03000505 are one line."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return digits.removeprefix("98") if digits.startswith("98") else digits.lstrip("0")


def settled_kind(state: BroadcastState) -> Literal["sent", "not_sent", "still_unknown"]:
    if state in (BroadcastState.SENT, BroadcastState.CANCELLED):
        return "sent"
    if state == BroadcastState.FAILED:
        return "not_sent"
    return "still_unknown"


def scrub_key(text: str, api_key: str | None) -> str:
    """Belt and braces: the client scrubs too, but a key must never reach a row."""
    return text.replace(api_key, "***") if api_key else text


def money_detail(money: MoneyCheck) -> dict[str, Any]:
    return {"cost_low": money.cost_low, "cost_high": money.cost_high, "credit": money.credit}


def brief_of(snapshot: Snapshot) -> dict[str, Any]:
    send_at = snapshot.send_at.isoformat() if snapshot.send_at else None
    return {
        "draft_id": snapshot.draft_id,
        "sender": snapshot.sender,
        "recipients": snapshot.recipients,
        "send_at": send_at,
    }
