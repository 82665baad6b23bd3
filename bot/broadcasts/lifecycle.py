"""One lifecycle for every paid send: the states, the legal moves, and the rule of each
action, in one place. Every button and every start-up step asks :func:`allowed` first; the
store asks it again inside the transaction that makes the move (compare-and-set), so two
admins pressing at once, or a press racing a restart, cannot both pass.

Four machines (``python -m bot.broadcasts.diagram`` draws them into docs/lifecycle.md):

* a **request** (what an approver approves),
* a **send unit** (an immediate broadcast, or one batch of a gradual plan: one POST each),
* a **plan** (the batches of one approved gradual send),
* a **test SMS** (one message to the requester's own phone).

The money rules, decided at the moment of the action from the store (:class:`Facts`):

* nothing of a halted plan is ever posted again, whatever card the button is on;
* every POST (first send, retry, continue, resume, "send it now") needs the requester to be
  an admin still and the approvals its rule needs from people who are approvers *now*
  (batch by batch: a removed approver stops counting for what is not posted yet);
* nothing is posted whose time has passed: a late batch waits for "continue from now".

This module is pure: no store, no clock, no language. Results are codes; handlers word them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.broadcasts.model import CANCEL_LEAD  # the provider cancels only this far ahead

# A unit is posted only this far ahead of its time; nearer, the provider would send it at
# once (or refuse it), which is not what was approved.
POST_LEAD = timedelta(minutes=1)


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    SEND = "send"  # the first POST of a unit (after approval, direct, or the next batch)
    RETRY = "retry"
    CONTINUE = "continue"
    CONTINUE_FROM_NOW = "continue_from_now"
    CANCEL = "cancel"
    CANCEL_REMAINING = "cancel_remaining"
    CHECK_STATUS = "check_status"
    RECONCILE = "reconcile"
    CONFIRM_NOT_SENT = "confirm_not_sent"
    RESUME = "resume"  # at start-up, a plan cut off between two batches
    SEND_NOW = "send_now"  # "send it now": an approval that never got its row
    INTERRUPT = "interrupt"  # at start-up, a unit left mid-POST
    SETTLE = "settle"  # the provider answered a POST
    TRIAL_SEND = "trial_send"


class Machine(StrEnum):
    REQUEST = "request"
    UNIT = "unit"
    PLAN = "plan"
    TEST_SMS = "test_sms"


START = "[*]"  # not yet in the store


@dataclass(frozen=True)
class Move:
    source: str
    action: Action
    target: str
    note: str = ""


# fmt: off
TABLE: dict[Machine, tuple[Move, ...]] = {
    Machine.REQUEST: (
        Move(START,      Action.SEND,     "pending",   "submit"),
        Move("pending",  Action.APPROVE,  "approved",  "last approval needed"),
        Move("pending",  Action.REJECT,   "rejected"),
        Move("pending",  Action.WITHDRAW, "withdrawn", "requester, or requester removed"),
        Move("pending",  Action.EXPIRE,   "expired",   "deadline or send time passed"),
    ),
    Machine.UNIT: (
        Move(START,       Action.SEND,             "sending", "row written before the POST"),
        Move(START,       Action.SEND_NOW,         "sending", "approved, never started"),
        Move(START,       Action.RESUME,           "sending", "next batch after a restart"),
        Move(START,       Action.CONTINUE,         "sending", "next batch, a person asked"),
        Move("sending",   Action.SETTLE,           "sent",    "accepted, own outbox id"),
        Move("sending",   Action.SETTLE,           "failed",  "certainly refused"),
        Move("sending",   Action.SETTLE,           "unknown", "no answer"),
        Move("sending",   Action.INTERRUPT,        "unknown", "restart mid-POST"),
        Move("failed",    Action.RETRY,            "sending", "a person; paid again"),
        Move("unknown",   Action.RECONCILE,        "sent",    "a provider row of its own"),
        Move("unknown",   Action.CONFIRM_NOT_SENT, "failed",  "a person checked the panel"),
        Move("sent",      Action.CANCEL,           "cancelled", "5+ minutes ahead"),
        Move("sent",      Action.CANCEL_REMAINING, "cancelled", "5+ minutes ahead"),
    ),
    Machine.PLAN: (
        Move(START,      Action.SEND,              "running", "first batch posted"),
        Move("running",  Action.SETTLE,            "done",    "every batch posted and sent"),
        Move("running",  Action.SETTLE,            "stopped", "a batch failed or is unknown"),
        Move("running",  Action.SEND,              "stopped", "next batch's time passed"),
        Move("stopped",  Action.CONTINUE,          "running", "the stopping batch is settled"),
        Move("stopped",  Action.CONTINUE_FROM_NOW, "running", "new times, confirmed"),
        Move("running",  Action.CANCEL_REMAINING,  "halted",  "a person"),
        Move("stopped",  Action.CANCEL_REMAINING,  "halted",  "a person"),
        Move("done",     Action.CANCEL_REMAINING,  "halted",  "a person"),
    ),
    Machine.TEST_SMS: (
        Move(START,      Action.TRIAL_SEND, "sending", "none in flight; under both limits"),
        Move("sending",  Action.SETTLE,    "sent"),
        Move("sending",  Action.SETTLE,    "failed"),
        Move("sending",  Action.SETTLE,    "unknown"),
    ),
}
# fmt: on

POSTS = frozenset(
    {Action.SEND, Action.RETRY, Action.CONTINUE, Action.RESUME, Action.SEND_NOW}
)  # the actions that pay


@dataclass(frozen=True)
class Facts:
    """What the store says at the moment of the action (read inside its transaction).

    ``unit``/``plan``/``request`` are state names (``None``: no such row, or not a plan /
    a direct send). ``approvals`` counts only people in APPROVER_IDS now, never the
    requester. ``send_at`` is the unit's own time (``None``: at once)."""

    now: datetime
    unit: str | None = None
    plan: str | None = None
    request: str | None = None
    requester_admin: bool = True
    approvals: int = 0
    needed: int = 0
    send_at: datetime | None = None
    actor_may_act: bool = True  # the requester, or an approver now
    unit_late: bool = False  # continue: the stopping unit's own time has passed


@dataclass(frozen=True)
class Verdict:
    """``ok``, or ``reason`` (a code) and ``first`` (the action that must come first)."""

    ok: bool
    reason: str = ""
    first: Action | None = None

    def __bool__(self) -> bool:
        return self.ok


OK = Verdict(True)


def no(reason: str, first: Action | None = None) -> Verdict:
    return Verdict(False, reason, first)


def _may_post(f: Facts) -> Verdict:
    """Every POST: the actor may act; the plan is not halted; the requester is an admin
    still; a request has the approvals it needs from current approvers; the time is ahead."""
    if not f.actor_may_act:
        return no("not_allowed")
    if f.plan == "halted":
        return no("halted")
    if not f.requester_admin:
        return no("requester_removed")
    if f.request is not None and f.request != "approved":
        return no("not_approved")
    if f.request is not None and f.approvals < f.needed:
        return no("approvals_lost")
    if f.send_at is not None and f.send_at < f.now + POST_LEAD:
        return no("late", Action.CONTINUE_FROM_NOW if f.plan else None)
    return OK


def _send(f: Facts) -> Verdict:
    """First POST of a unit (also the next batch of a running plan, resume, "send it now"):
    no row yet, and every POST rule."""
    if f.unit is not None:
        return no("duplicate")
    if f.plan == "stopped":
        return no("stopped", Action.CONTINUE)
    return _may_post(f)


def _retry(f: Facts) -> Verdict:
    """Only a certain failure, never an unknown one (check it, or confirm "not sent" first);
    and every POST rule, the plan's state among them."""
    if f.unit == "unknown":
        return no("unknown", Action.CONFIRM_NOT_SENT)
    if f.unit != "failed":
        return no("not_failed")
    return _may_post(f)


def _continue(f: Facts) -> Verdict:
    """A stopped plan goes on only once its stopping batch is settled: a failed one is
    retried first, an unknown one checked (or confirmed not sent) first; a cancelled or
    sent one is passed. ``unit`` is the stopping batch's state (None: none stopped it)."""
    if not f.actor_may_act:
        return no("not_allowed")
    if f.plan == "halted":
        return no("halted")
    if f.plan == "done":
        return no("done")
    if f.unit == "failed":  # its own time passed: it can only go at a new time
        return no("failed", Action.CONTINUE_FROM_NOW if f.unit_late else Action.RETRY)
    if f.unit in ("unknown", "sending"):
        return no("unknown", Action.CHECK_STATUS)
    return _may_post(f)


def _continue_from_now(f: Facts) -> Verdict:
    """A late plan's batches still to go (a refused one whose time passed among them, paid
    again) move to start now, keeping their spacing; a person sees the new times and
    confirms. ``send_at`` here is the first new time."""
    if f.unit == "failed" and f.unit_late:
        return _continue(Facts(**{**f.__dict__, "unit": None}))
    return _continue(f)


def _cancel(f: Facts) -> Verdict:
    """A scheduled unit (sent to the provider, its time 5+ minutes ahead) is cancelled."""
    if not f.actor_may_act:
        return no("not_allowed")
    if f.unit != "sent":
        return no("not_cancellable")
    if f.send_at is None:
        return no("not_scheduled")
    if f.send_at - f.now < CANCEL_LEAD:
        return no("too_late")
    return OK


def _cancel_remaining(f: Facts) -> Verdict:
    """Any plan not halted already: it is halted first (so nothing more is ever posted),
    then each scheduled batch is cancelled as :func:`_cancel` allows."""
    if not f.actor_may_act:
        return no("not_allowed")
    if f.plan is None:
        return no("not_a_plan")
    if f.plan == "halted":
        return no("halted")
    return OK


def _settle_unknown(f: Facts) -> Verdict:
    """Check status / reconcile / "I checked: not sent": only an ``unknown`` unit; never
    sends."""
    if not f.actor_may_act:
        return no("not_allowed")
    if f.unit != "unknown":
        return no("not_unknown")
    return OK


def _decide(f: Facts) -> Verdict:
    """Approve or reject: a pending request, an approver now, a requester still an admin."""
    if not f.actor_may_act:
        return no("not_allowed")
    if f.request != "pending":
        return no("already_decided")
    if not f.requester_admin:
        return no("requester_removed")
    return OK


def _pending_only(f: Facts) -> Verdict:
    """Withdraw and expire: a pending request only."""
    return OK if f.request == "pending" else no("already_decided")


def _always(f: Facts) -> Verdict:
    """Recorded from what happened (the provider's answer, a restart)."""
    return OK


def _trial_send(f: Facts) -> Verdict:
    """A test SMS: none of this person's in flight (limits are counted by the store)."""
    return no("in_flight") if f.unit == "sending" else OK


RULES: dict[Action, Callable[[Facts], Verdict]] = {
    Action.APPROVE: _decide,
    Action.REJECT: _decide,
    Action.WITHDRAW: _pending_only,
    Action.EXPIRE: _pending_only,
    Action.SEND: _send,
    Action.SEND_NOW: _send,
    Action.RESUME: _send,
    Action.RETRY: _retry,
    Action.CONTINUE: _continue,
    Action.CONTINUE_FROM_NOW: _continue_from_now,
    Action.CANCEL: _cancel,
    Action.CANCEL_REMAINING: _cancel_remaining,
    Action.CHECK_STATUS: _settle_unknown,
    Action.RECONCILE: _settle_unknown,
    Action.CONFIRM_NOT_SENT: _settle_unknown,
    Action.INTERRUPT: _always,
    Action.SETTLE: _always,
    Action.TRIAL_SEND: _trial_send,
}


def allowed(action: Action, facts: Facts) -> Verdict:
    """May ``action`` happen now, given ``facts``? The one question every button asks."""
    return RULES[action](facts)


class Stored(Protocol):
    """What the store reads inside the move's transaction (``storage.plans.Gate``)."""

    # read-only: the store's record is frozen
    @property
    def unit(self) -> str | None: ...
    @property
    def plan(self) -> str | None: ...
    @property
    def request(self) -> str | None: ...
    @property
    def approvers(self) -> tuple[int, ...]: ...
    @property
    def needed(self) -> int: ...


def gate(
    action: Action,
    *,
    now: datetime,
    approvers: Collection[int],
    requester_admin: bool,
    send_at: datetime | None = None,
    actor_may_act: bool = True,
    unit_late: bool = False,
) -> Callable[[Stored], str | None]:
    """The store's ``check`` for ``action``: the facts it reads in its transaction, plus
    the roles as of now (``approvers``: APPROVER_IDS now), judged by :func:`allowed`.
    Returns the refusal code, or None to make the move."""

    def check(stored: Stored) -> str | None:
        facts = Facts(
            now=now,
            unit=stored.unit,
            plan=stored.plan,
            request=stored.request,
            requester_admin=requester_admin,
            approvals=sum(1 for a in stored.approvers if a in approvers),
            needed=stored.needed,
            send_at=send_at,
            actor_may_act=actor_may_act,
            unit_late=unit_late,
        )
        verdict = allowed(action, facts)
        return None if verdict.ok else verdict.reason

    return check


def first_step(action: Action, reason: str, plan: bool = True) -> Action | None:
    """The action a refusal of ``action`` for ``reason`` asks for first (for the button)."""
    if reason == "late" and plan:
        return Action.CONTINUE_FROM_NOW
    if action in (Action.CONTINUE, Action.CONTINUE_FROM_NOW):
        return {"failed": Action.RETRY, "unknown": Action.CHECK_STATUS}.get(reason)
    if reason == "late_failed":
        return Action.CONTINUE_FROM_NOW
    if action == Action.RETRY and reason == "unknown":
        return Action.CONFIRM_NOT_SENT
    return None


def moves(machine: Machine) -> tuple[Move, ...]:
    return TABLE[machine]


def states(machine: Machine) -> list[str]:
    seen = dict.fromkeys(s for m in TABLE[machine] for s in (m.source, m.target))
    return [s for s in seen if s != START]


def legal(machine: Machine, source: str | None, action: Action, target: str) -> bool:
    """Is ``source -action-> target`` a move of ``machine``'s table (None: not stored yet)?"""
    src = START if source is None else source
    return any(
        m.source == src and m.action == action and m.target == target for m in TABLE[machine]
    )


# ------------------------------------------------------------------ the picture


def mermaid() -> str:
    """docs/lifecycle.md: one Mermaid state diagram per machine, drawn from :data:`TABLE`."""
    parts = [
        "# Lifecycle of a paid send",
        "",
        "Generated from `bot/broadcasts/lifecycle.py` by `python -m bot.broadcasts.diagram`;",
        "do not edit by hand (a test fails when this file differs from the table).",
        "",
        "Every POST also needs: the plan not halted, the requester still an admin, the",
        "approvals the rule needs from people in `APPROVER_IDS` now, and its time ahead.",
    ]
    for machine, table in TABLE.items():
        parts += ["", f"## {machine}", "", "```mermaid", "stateDiagram-v2"]
        for m in table:
            label = f"{m.action}" + (f" ({m.note})" if m.note else "")
            parts.append(f"    {m.source} --> {m.target}: {label}")
        parts.append("```")
    return "\n".join(parts) + "\n"
