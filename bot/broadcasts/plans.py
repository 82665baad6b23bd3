"""Stage 3b, gradual sending: an approved plan's batches are posted one after another,
each its own broadcast row and one POST with its own ``send_time``, all up front.

Every move is a move of :mod:`bot.broadcasts.lifecycle`, gated by the store in the same
transaction that writes it (``storage.plans``). Money rules, on top of the single send's:

* Each batch row is unique per plan (UNIQUE(plan_key, batch_no), and UNIQUE(request_id,
  batch_no) for approved plans) and is written ``sending`` before its POST, so a restart
  or a second worker can never post a batch twice.
* Strictly in order: a failed or unknown batch stops the plan there (state ``stopped``,
  written with the batch's own state); the rest wait for a person, who settles that batch
  first (retry, check, "not sent") and then continues. A batch cancelled alone is passed.
* A batch whose time is less than :data:`POST_LEAD` away is never posted: the plan stops
  ("late") and a person may continue from now, with new times shown and confirmed.
* Every batch's POST needs the requester an admin still and the approvals its rule needs
  from people who are approvers now; a halted plan (a person cancelled the rest) never
  posts again, whatever card the press came from.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.broadcasts import lifecycle as lc
from bot.broadcasts.base import Deps
from bot.broadcasts.lifecycle import CANCEL_LEAD, POST_LEAD, Action
from bot.broadcasts.model import CancelResult, SendOutcome
from bot.broadcasts.post import Poster
from bot.broadcasts.report import Reports
from bot.domain import ApprovalRequest, Broadcast, BroadcastState, Snapshot
from bot.ippanel import IPPanelError
from bot.plans import Batch, Plan
from storage.plans import PlanRecord, Refused

log = logging.getLogger("bot.broadcasts")

# cancel the remaining: how often to look at a batch already mid-POST, and how long past
# the provider call's own deadline to wait for it at most
SETTLE_POLL = 0.1
SETTLE_MARGIN = 5.0

PlanKind = Literal[
    "posted",  # every batch is scheduled at the provider
    "stopped",  # a batch failed or is unknown: the rest are not posted
    "late",  # the next batch's time is (nearly) past: not posted, a person decides
    "halted",  # a person cancelled the rest of the plan
    "busy",  # another worker is posting this plan right now
    "continuing",  # a person continued it: running again, post_rest posts the rest
    "refused",  # the lifecycle said no: see ``reason`` and ``first``
    "not_allowed",
]


@dataclass(frozen=True)
class PlanOutcome:
    kind: PlanKind
    plan_key: str
    plan: Plan | None = None
    batches: list[Broadcast] = field(default_factory=list)  # rows, in batch order
    at: int | None = None  # the batch where it stopped (1-based)
    error: IPPanelError | None = None
    last: SendOutcome | None = None  # the outcome of the batch that stopped it
    reason: str = ""  # refused: the lifecycle's code (approvals_lost, failed, unknown, ...)
    first: Action | None = None  # refused: what must be done first
    shift_s: int = 0  # "continue from now": seconds added to the unposted batches' times

    @property
    def first_id(self) -> int | None:
        return self.batches[0].id if self.batches else None

    def time_of(self, batch: Batch) -> datetime:
        """A batch's own time: as posted, or as it will be posted (moved by ``shift_s``)."""
        row = next((r for r in self.batches if r.batch_no == batch.no), None)
        if row is not None:
            return row.send_at or batch.send_at
        return batch.send_at + timedelta(seconds=self.shift_s)


@dataclass(frozen=True)
class CancelRemaining:
    """What "cancel the remaining batches" did, batch by batch (1-based numbers)."""

    kind: Literal["done", "already", "not_found", "not_allowed"]
    cancelled: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (batch, reason kind)
    failed: list[int] = field(default_factory=list)  # refused by the provider: not sent
    unknown: list[int] = field(default_factory=list)  # may have gone out: check the panel
    unposted: list[int] = field(default_factory=list)  # never posted; now never will be


@dataclass(frozen=True)
class FromNow:
    """ "Continue from now": the batches still to post and their new times (not yet
    confirmed), or why not."""

    kind: Literal["ask", "refused", "not_found"]
    plan_key: str = ""
    times: list[tuple[Batch, datetime]] = field(default_factory=list)
    reason: str = ""
    first: Action | None = None

    @property
    def stamp(self) -> int:
        """The first new time in whole minutes: what the confirm button carries."""
        return int(self.times[0][1].timestamp() // 60) if self.times else 0


def request_plan_key(request_id: int) -> str:
    return f"r{request_id}"


def direct_plan_key(draft_id: int, version: int) -> str:
    return f"d{draft_id}:{version}"


def from_now_start(now: datetime) -> datetime:
    """The first new time of "continue from now": far enough ahead that the provider
    still lets a person cancel it, on a whole minute."""
    start = now + CANCEL_LEAD + timedelta(minutes=1)
    return start.replace(second=0, microsecond=0) + timedelta(minutes=1)


class Plans:
    """Stage 3b, gradual sending: post a plan's batches, continue, resume, cancel the rest."""

    def __init__(self, deps: Deps, poster: Poster, reports: Reports) -> None:
        self._deps = deps
        self._poster = poster
        self._reports = reports

    async def post_plan(
        self,
        plan_key: str,
        snapshot: Snapshot,
        *,
        request_id: int | None,
        requester_id: int,
        approver_id: int | None,
        action: Action = Action.SEND,
    ) -> PlanOutcome:
        """Post every batch not yet posted, in order; stop at the first doubt. Each batch's
        row is written only if the lifecycle allows ``action`` inside that transaction."""
        plan = snapshot.plan
        if plan is None:
            return PlanOutcome("not_allowed", plan_key)
        store = self._deps.store
        record = await store.get_plan(plan_key)
        shift = timedelta(seconds=record.shift_s if record else 0)
        rows = {b.batch_no: b for b in await store.list_plan_batches(plan_key)}
        for batch in plan.batches:
            row = rows.get(batch.no)
            when = batch.send_at + shift
            if row is not None and row.state in (BroadcastState.SENT, BroadcastState.CANCELLED):
                continue  # scheduled, or cancelled alone by a person: passed
            if row is not None and not (
                row.state == BroadcastState.FAILED and shift and self._late(row, batch)
            ):
                return await self._outcome("stopped", plan_key, plan, at=batch.no)
            if row is not None:  # refused, its time passed, moved by "continue from now"
                if when < self._deps.clock() + POST_LEAD:
                    await store.stop_plan(plan_key, batch.no, "late")
                    return await self._outcome("late", plan_key, plan, at=batch.no)
                again = await store.retry_broadcast(
                    row.id, check=self._deps.gate(Action.RETRY, requester_id, when), send_at=when
                )
                if isinstance(again, Refused):
                    return await self._refused(plan_key, plan, batch.no, action, again.reason)
                if again is None:
                    return await self._outcome("busy", plan_key, plan, at=batch.no)
                await self._deps.audit(None, "retry", f"broadcast:{row.id}", {"send_at": str(when)})
                outcome = await self._poster.post(again)
                if outcome.kind != "sent":
                    return await self._outcome(
                        "stopped", plan_key, plan, at=batch.no, error=outcome.error, last=outcome
                    )
                continue
            if when < self._deps.clock() + POST_LEAD:
                await store.stop_plan(plan_key, batch.no, "late")
                await self._deps.audit(None, "plan_late", f"plan:{plan_key}", {"batch": batch.no})
                return await self._outcome("late", plan_key, plan, at=batch.no)
            started = await store.start_broadcast(
                request_id=request_id,
                requester_id=requester_id,
                approver_id=approver_id,
                snapshot=snapshot,
                batch_no=batch.no,
                plan_key=plan_key,
                send_at=when if shift else None,
                check=self._deps.gate(action, requester_id, when),
            )
            if isinstance(started, Refused):
                return await self._refused(plan_key, plan, batch.no, action, started.reason)
            if started is None:  # another worker wrote this batch first: it posts, not us
                return await self._outcome("busy", plan_key, plan, at=batch.no)
            outcome = await self._poster.post(started)
            if outcome.kind != "sent":
                detail = {"batch": batch.no, "outcome": outcome.kind}
                await self._deps.audit(requester_id, "plan_stopped", f"plan:{plan_key}", detail)
                return await self._outcome(
                    "stopped", plan_key, plan, at=batch.no, error=outcome.error, last=outcome
                )
        await self._deps.audit(requester_id, "plan_posted", f"plan:{plan_key}")
        return await self._outcome("posted", plan_key, plan)

    def _late(self, row: Broadcast, batch: Batch) -> bool:
        """A posted batch's own time is (nearly) past: it can only go at a new time."""
        return (row.send_at or batch.send_at) < self._deps.clock() + POST_LEAD

    def _to_go(self, plan: Plan, rows: list[Broadcast], record: PlanRecord) -> list[Batch]:
        """What "continue" would post, in order: the stopping batch when it was refused and
        its time has passed (again, at a new time, paid again), then every unposted one."""
        by_no = {r.batch_no: r for r in rows}
        stop = by_no.get(record.at_batch or 0)
        left = [b for b in plan.batches if b.no not in by_no]
        if stop is not None and stop.state == BroadcastState.FAILED:
            batch = plan.batches[stop.batch_no - 1]
            if self._late(stop, batch):
                left.insert(0, batch)
        return left

    async def _refused(
        self, plan_key: str, plan: Plan, at: int, action: Action, reason: str
    ) -> PlanOutcome:
        """The gate said no to batch ``at``: halted and stopped plans say so; a lost role
        stops the plan there, so nothing retries it by itself."""
        if reason == "halted":
            return await self._outcome("halted", plan_key, plan, at=at)
        if reason == "stopped":
            return await self._outcome("stopped", plan_key, plan, at=at)
        if reason == "late":
            await self._deps.store.stop_plan(plan_key, at, "late")
            return await self._outcome("late", plan_key, plan, at=at)
        if reason in ("approvals_lost", "requester_removed", "not_approved"):
            await self._deps.store.stop_plan(plan_key, at, reason)
        detail = {"batch": at, "reason": reason}
        await self._deps.audit(None, "plan_refused", f"plan:{plan_key}", detail)
        return await self._outcome(
            "refused", plan_key, plan, at=at, reason=reason, first=lc.first_step(action, reason)
        )

    async def _outcome(
        self,
        kind: PlanKind,
        plan_key: str,
        plan: Plan,
        *,
        at: int | None = None,
        error: IPPanelError | None = None,
        last: SendOutcome | None = None,
        reason: str = "",
        first: Action | None = None,
    ) -> PlanOutcome:
        rows = await self._deps.store.list_plan_batches(plan_key)
        record = await self._deps.store.get_plan(plan_key)
        shift = record.shift_s if record else 0
        return PlanOutcome(kind, plan_key, plan, rows, at, error, last, reason, first, shift)

    async def send_approved_plan(
        self, request: ApprovalRequest, action: Action = Action.SEND
    ) -> PlanOutcome:
        """The approved plan of a request already re-checked by ``send_approved``."""
        assert request.decided_by is not None
        return await self.post_plan(
            request_plan_key(request.id),
            request.snapshot,
            request_id=request.id,
            requester_id=request.requester_id,
            approver_id=request.decided_by,
            action=action,
        )

    async def plan_status(self, broadcast_id: int, actor_id: int) -> PlanOutcome | None:
        """The plan a batch row belongs to, as the store has it; None when not a plan or
        not theirs."""
        return await self.status_of(await self._deps.store.get_broadcast(broadcast_id), actor_id)

    async def status_of(self, b: Broadcast | None, actor_id: int) -> PlanOutcome | None:
        """:meth:`plan_status` of a batch row the caller has just read."""
        found = self._plan_of(b, actor_id)
        if found is None:
            return None
        key, plan = found
        return await self._status(key, plan, await self._deps.store.get_plan(key))

    def status_from(
        self, b: Broadcast, actor_id: int, record: PlanRecord | None, rows: list[Broadcast]
    ) -> PlanOutcome | None:
        """:meth:`status_of` from the plan's record and batch rows the caller read with
        ``b`` (/history reads a page and its plans in one trip)."""
        found = self._plan_of(b, actor_id)
        return None if found is None else _outcome(*found, record, rows)

    def _plan_of(self, b: Broadcast | None, actor_id: int) -> tuple[str, Plan] | None:
        """The plan key and plan of a batch row the actor may act on; None when ``b`` is
        no batch of a plan, or not theirs."""
        if b is None or b.plan_key is None or not self._deps.may_act(b, actor_id):
            return None
        plan = b.snapshot.plan
        return None if plan is None else (b.plan_key, plan)

    async def _status(self, plan_key: str, plan: Plan, record: PlanRecord | None) -> PlanOutcome:
        """What the store holds of a plan, read once: its record (given) and its batch rows
        (a status changes nothing, so nothing is read twice)."""
        return _outcome(plan_key, plan, record, await self._deps.store.list_plan_batches(plan_key))

    async def begin_continue(
        self, broadcast_id: int, actor_id: int, *, from_now_stamp: int | None = None
    ) -> PlanOutcome | None:
        """A person asks to post the rest of a stopped plan: the plan moves back to
        ``running`` (one caller wins) only when the lifecycle allows it now, e.g. not
        while its stopping batch is failed (retry it first) or unknown (check it first).
        No POST here: :meth:`post_rest` does them (in the background, for a handler).

        ``from_now_stamp`` ("continue from now", confirmed): the first new time, in whole
        minutes, as shown to the person; the unposted batches move by the same amount."""
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None or b.plan_key is None or not self._deps.may_act(b, actor_id):
            return None
        plan = b.snapshot.plan
        record = await self._deps.store.get_plan(b.plan_key)
        if plan is None or record is None:
            return None
        if not await self._deps.still_as_approved(b):
            return PlanOutcome("not_allowed", b.plan_key)
        action = Action.CONTINUE if from_now_stamp is None else Action.CONTINUE_FROM_NOW
        rows = await self._deps.store.list_plan_batches(b.plan_key)
        to_go = self._to_go(plan, rows, record)
        nxt = to_go[0] if to_go else None
        stop = next((r for r in rows if r.batch_no == record.at_batch), None)
        unit_late = (
            stop is not None
            and stop.state == BroadcastState.FAILED
            and self._late(stop, plan.batches[stop.batch_no - 1])
        )
        shift_s: int | None = None
        when = None
        if nxt is not None:
            when = nxt.send_at + timedelta(seconds=record.shift_s)
            if from_now_stamp is not None:
                new_first = datetime.fromtimestamp(from_now_stamp * 60, tz=when.tzinfo)
                shift_s = int((new_first - nxt.send_at).total_seconds())
                when = new_first
        restarted = await self._deps.store.restart_plan(
            b.plan_key,
            self._deps.gate(action, b.requester_id, when, unit_late=unit_late),
            request_id=b.request_id,
            shift_s=shift_s,
        )
        if isinstance(restarted, Refused):
            reason = restarted.reason
            if reason == "failed" and unit_late:
                reason = "late"  # refused, and too late to retry as it was: from now
            kind: PlanKind = "halted" if reason == "halted" else "refused"
            if reason == "busy":
                kind = "busy"
            return await self._outcome(
                kind,
                b.plan_key,
                plan,
                at=record.at_batch or (nxt.no if nxt else None),
                reason=reason,
                first=lc.first_step(action, reason),
            )
        await self._deps.audit(actor_id, str(action), f"plan:{b.plan_key}", {"shift_s": shift_s})
        return await self._outcome("continuing", b.plan_key, plan, at=nxt.no if nxt else None)

    async def post_rest(self, plan_key: str) -> PlanOutcome:
        """Post what is left of a running plan (after :meth:`begin_continue`)."""
        rows = await self._deps.store.list_plan_batches(plan_key)
        if not rows:
            return PlanOutcome("not_allowed", plan_key)
        first = rows[0]
        return await self.post_plan(
            plan_key,
            first.snapshot,
            request_id=first.request_id,
            requester_id=first.requester_id,
            approver_id=first.approver_id,
            action=Action.CONTINUE,
        )

    async def continue_plan(self, broadcast_id: int, actor_id: int) -> PlanOutcome | None:
        """:meth:`begin_continue`, then :meth:`post_rest` in line (for callers that wait)."""
        started = await self.begin_continue(broadcast_id, actor_id)
        if started is None or started.kind != "continuing":
            return started
        return await self.post_rest(started.plan_key)

    async def from_now(self, broadcast_id: int, actor_id: int) -> FromNow:
        """ "Continue from now", first step: the batches not posted yet and their new
        times (the first one soon, the same spacing), to show before anything is posted."""
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None or b.plan_key is None or not self._deps.may_act(b, actor_id):
            return FromNow("not_found")
        plan = b.snapshot.plan
        record = await self._deps.store.get_plan(b.plan_key)
        if plan is None or record is None:
            return FromNow("not_found")
        rows = await self._deps.store.list_plan_batches(b.plan_key)
        stopping = next((r for r in rows if r.batch_no == record.at_batch), None)
        late_refused = (
            stopping is not None
            and stopping.state == BroadcastState.FAILED
            and self._late(stopping, plan.batches[stopping.batch_no - 1])
        )
        facts = lc.Facts(
            now=self._deps.clock(),
            unit=str(stopping.state) if stopping else None,
            plan=record.state,
            actor_may_act=True,
            requester_admin=self._deps.policy.may_request(b.requester_id),
            unit_late=late_refused,
        )
        verdict = lc.allowed(Action.CONTINUE_FROM_NOW, facts)
        if not verdict.ok and verdict.reason != "late":
            return FromNow("refused", b.plan_key, reason=verdict.reason, first=verdict.first)
        left = self._to_go(plan, rows, record)
        if not left:
            return FromNow("refused", b.plan_key, reason="done")
        start = from_now_start(self._deps.clock())
        shift = start - left[0].send_at
        return FromNow("ask", b.plan_key, [(x, x.send_at + shift) for x in left])

    async def resume_plans(self) -> list[PlanOutcome]:
        """At start-up, after ``recover_after_restart``: running plans cut off between two
        batches are posted on, each batch through the lifecycle's gate (the approval must
        still hold from current approvers; a late batch stops the plan, never goes "now").
        A stopped or halted plan waits for a person."""
        resumed = []
        for key in await self._deps.store.list_plan_keys("running"):
            record = await self._deps.store.get_plan(key)
            if record is None or record.state != "running":
                continue
            rows = await self._deps.store.list_plan_batches(key)
            plan = rows[0].snapshot.plan if rows else None
            if plan is None or len(rows) >= len(plan.batches):
                continue
            first = rows[0]
            if not await self._deps.still_as_approved(first):
                continue
            await self._deps.audit(None, "plan_resumed", f"plan:{key}", {"after": len(rows)})
            resumed.append(
                await self.post_plan(
                    key,
                    first.snapshot,
                    request_id=first.request_id,
                    requester_id=first.requester_id,
                    approver_id=first.approver_id,
                    action=Action.RESUME,
                )
            )
        return resumed

    async def _settled_rows(self, plan_key: str) -> list[Broadcast]:
        """The plan's rows once no batch is mid-POST: a POST that began before the halt
        (a continue racing this cancel) is waited for, so that its batch is cancelled
        too rather than left scheduled. Bounded by the provider call's own deadline."""
        waited, limit = 0.0, float(getattr(self._deps.client, "deadline", 30.0)) + SETTLE_MARGIN
        while True:
            rows = await self._deps.store.list_plan_batches(plan_key)
            if waited >= limit or all(r.state != BroadcastState.SENDING for r in rows):
                return rows
            await asyncio.sleep(SETTLE_POLL)
            waited += SETTLE_POLL

    async def cancel_remaining(self, broadcast_id: int, actor_id: int) -> CancelRemaining:
        """Halt the plan (nothing of it is ever posted again), then cancel every posted
        batch still at least 5 minutes away. Says batch by batch what became of the rest:
        cancelled, could not be cancelled (and why), refused by the provider (never sent),
        unknown (check the panel), never posted."""
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None or b.plan_key is None:
            return CancelRemaining("not_found")
        if not self._deps.may_act(b, actor_id):
            return CancelRemaining("not_allowed")
        plan = b.snapshot.plan
        if plan is None:
            return CancelRemaining("not_found")
        # halt first, in the store: a loop still posting, or any stale button, stops there
        if not await self._deps.store.halt_plan(b.plan_key, actor_id):
            return CancelRemaining("already")
        await self._deps.audit(actor_id, "plan_cancel", f"plan:{b.plan_key}")
        rows = {r.batch_no: r for r in await self._settled_rows(b.plan_key)}
        now = self._deps.clock()
        done = CancelRemaining("done")
        for batch in plan.batches:
            row = rows.get(batch.no)
            if row is None:
                done.unposted.append(batch.no)
                continue
            if row.state == BroadcastState.FAILED:
                done.failed.append(batch.no)
                continue
            if row.state in (BroadcastState.UNKNOWN, BroadcastState.SENDING):
                done.unknown.append(batch.no)
                continue
            when = row.send_at or batch.send_at
            if when <= now or row.state == BroadcastState.CANCELLED:
                continue  # gone out already (or cancelled before): not "remaining"
            if when - now < CANCEL_LEAD:
                done.refused.append((batch.no, "too_late"))  # the provider would refuse
                continue
            result: CancelResult = await self._reports.cancel(row.id, actor_id)
            if result.kind == "cancelled":
                done.cancelled.append(batch.no)
            else:
                done.refused.append((batch.no, result.kind))
        return done


def _outcome(
    plan_key: str, plan: Plan, record: PlanRecord | None, rows: list[Broadcast]
) -> PlanOutcome:
    """A plan's status from its record and batch rows."""
    shift = record.shift_s if record else 0

    def outcome(kind: PlanKind, at: int | None = None, reason: str = "") -> PlanOutcome:
        return PlanOutcome(kind, plan_key, plan, rows, at, reason=reason, shift_s=shift)

    state = record.state if record else "running"
    if state == "halted":
        return outcome("halted")
    if state == "done":
        return outcome("posted")
    if state == "stopped" and record is not None:
        if record.reason == "late":
            return outcome("late", at=record.at_batch)
        if record.reason in ("approvals_lost", "requester_removed", "not_approved"):
            return outcome("refused", at=record.at_batch, reason=record.reason)
        return outcome("stopped", at=record.at_batch)
    if len(rows) < len(plan.batches):
        return outcome("busy", at=len(rows) + 1)
    return outcome("posted")
