"""Stage 3b, gradual sending: an approved plan's batches are posted one after another,
each its own broadcast row and one POST with its own ``send_time``, all up front.

Money rules, on top of the single send's:

* Each batch row is unique per plan (UNIQUE(plan_key, batch_no), and UNIQUE(request_id,
  batch_no) for approved plans) and is written ``sending`` before its POST, so a restart
  or a second worker can never post a batch twice.
* Strictly in order: batch k is posted only when every earlier batch is certainly
  ``sent``. A failed, unknown or cancelled batch stops the plan there; the rest wait for
  a person (:meth:`Plans.continue_plan`), who has looked at the panel.
* A batch whose time is less than :data:`POST_LEAD` away is never posted: the provider
  would send it at once (or refuse it), which is not what was approved. The plan stops
  there and says so; nothing is posted "now" silently.
* A person's "cancel the remaining batches" halts the plan for good.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from bot.broadcasts.base import Deps
from bot.broadcasts.model import CANCEL_LEAD, CancelResult, SendOutcome
from bot.broadcasts.post import Poster
from bot.broadcasts.report import Reports
from bot.domain import ApprovalRequest, Broadcast, BroadcastState
from bot.ippanel import IPPanelError
from bot.plans import Plan, plan_of

log = logging.getLogger("bot.broadcasts")

# A batch is posted only this far ahead of its time; otherwise the plan stops ("late").
POST_LEAD = timedelta(minutes=1)

PlanKind = Literal[
    "posted",  # every batch is scheduled at the provider
    "stopped",  # a batch failed, is unknown or was cancelled: the rest are not posted
    "late",  # the next batch's time is (nearly) past: not posted, a person decides
    "halted",  # a person cancelled the rest of the plan
    "busy",  # another worker is posting this plan right now
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

    @property
    def first_id(self) -> int | None:
        return self.batches[0].id if self.batches else None


@dataclass(frozen=True)
class CancelRemaining:
    """What "cancel the remaining batches" did, batch by batch (1-based numbers)."""

    kind: Literal["done", "not_found", "not_allowed"]
    cancelled: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (batch, reason kind)
    unposted: list[int] = field(default_factory=list)  # never posted; now never will be


def request_plan_key(request_id: int) -> str:
    return f"r{request_id}"


def direct_plan_key(draft_id: int, version: int) -> str:
    return f"d{draft_id}:{version}"


class Plans:
    """Stage 3b, gradual sending: post a plan's batches, resume, cancel the rest."""

    def __init__(self, deps: Deps, poster: Poster, reports: Reports) -> None:
        self._deps = deps
        self._poster = poster
        self._reports = reports

    async def post_plan(
        self,
        plan_key: str,
        snapshot: dict,
        *,
        request_id: int | None,
        requester_id: int,
        approver_id: int | None,
    ) -> PlanOutcome:
        """Post every batch not yet posted, in order; stop at the first doubt."""
        plan = plan_of(snapshot)
        if plan is None:
            return PlanOutcome("not_allowed", plan_key)
        if await self._deps.store.plan_halted(plan_key):
            return await self._plan_outcome("halted", plan_key, plan)
        rows = {b.batch_no: b for b in await self._deps.store.list_plan_batches(plan_key)}
        for batch in plan.batches:
            row = rows.get(batch.no)
            if row is None and await self._deps.store.plan_halted(plan_key):
                return await self._plan_outcome("halted", plan_key, plan, at=batch.no)
            if row is not None:
                if row.state != BroadcastState.SENT:
                    return await self._plan_outcome("stopped", plan_key, plan, at=batch.no)
                continue
            if batch.send_at < self._deps.clock() + POST_LEAD:
                await self._deps.audit(None, "plan_late", f"plan:{plan_key}", {"batch": batch.no})
                return await self._plan_outcome("late", plan_key, plan, at=batch.no)
            row = await self._deps.store.start_broadcast(
                request_id=request_id,
                requester_id=requester_id,
                approver_id=approver_id,
                snapshot=snapshot,
                batch_no=batch.no,
                plan_key=plan_key,
            )
            if row is None:  # another worker wrote this batch first: it posts, not us
                return await self._plan_outcome("busy", plan_key, plan, at=batch.no)
            outcome = await self._poster.post(row)
            if outcome.kind != "sent":
                detail = {"batch": batch.no, "outcome": outcome.kind}
                await self._deps.audit(requester_id, "plan_stopped", f"plan:{plan_key}", detail)
                return await self._plan_outcome(
                    "stopped", plan_key, plan, at=batch.no, error=outcome.error, last=outcome
                )
        await self._deps.audit(requester_id, "plan_posted", f"plan:{plan_key}")
        return await self._plan_outcome("posted", plan_key, plan)

    async def _plan_outcome(
        self,
        kind: PlanKind,
        plan_key: str,
        plan: Plan,
        *,
        at: int | None = None,
        error: IPPanelError | None = None,
        last: SendOutcome | None = None,
    ) -> PlanOutcome:
        rows = await self._deps.store.list_plan_batches(plan_key)
        return PlanOutcome(kind, plan_key, plan, rows, at, error, last)

    async def send_approved_plan(self, request: ApprovalRequest) -> PlanOutcome:
        """The approved plan of a request already re-checked by ``send_approved``."""
        assert request.decided_by is not None
        return await self.post_plan(
            request_plan_key(request.id),
            request.snapshot,
            request_id=request.id,
            requester_id=request.requester_id,
            approver_id=request.decided_by,
        )

    async def plan_status(self, broadcast_id: int, actor_id: int) -> PlanOutcome | None:
        """The plan a batch row belongs to, as it stands; None when not a plan or not theirs."""
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None or b.plan_key is None or not self._deps.may_act(b, actor_id):
            return None
        plan = plan_of(b.snapshot)
        if plan is None:
            return None
        rows = await self._deps.store.list_plan_batches(b.plan_key)
        kind: PlanKind = "posted"
        at = None
        if await self._deps.store.plan_halted(b.plan_key):
            kind = "halted"
        elif any(r.state != BroadcastState.SENT for r in rows) or len(rows) < len(plan.batches):
            kind = "stopped"
            at = next((r.batch_no for r in rows if r.state != BroadcastState.SENT), len(rows) + 1)
        return PlanOutcome(kind, b.plan_key, plan, rows, at)

    async def continue_plan(self, broadcast_id: int, actor_id: int) -> PlanOutcome | None:
        """A person looked and asks to post the rest: still only after certain sends."""
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None or b.plan_key is None or not self._deps.may_act(b, actor_id):
            return None
        deps = self._deps
        if not deps.policy.may_request(b.requester_id) or not await deps.still_as_approved(b):
            return PlanOutcome("not_allowed", b.plan_key)
        await self._deps.audit(actor_id, "plan_continue", f"plan:{b.plan_key}")
        return await self.post_plan(
            b.plan_key,
            b.snapshot,
            request_id=b.request_id,
            requester_id=b.requester_id,
            approver_id=b.approver_id,
        )

    async def resume_plans(self) -> list[PlanOutcome]:
        """At start-up, after ``recover_after_restart``: plans cut off between two batches
        are posted on, but only where every batch so far is certainly ``sent`` and the
        approval still holds. A plan with a doubtful batch waits for a person."""
        resumed = []
        for key in await self._deps.store.list_plan_keys():
            rows = await self._deps.store.list_plan_batches(key)
            plan = plan_of(rows[0].snapshot) if rows else None
            if plan is None or len(rows) >= len(plan.batches):
                continue
            if any(r.state != BroadcastState.SENT for r in rows):
                continue
            if await self._deps.store.plan_halted(key):
                continue
            first = rows[0]
            if not self._deps.policy.may_request(first.requester_id):
                continue
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
                )
            )
        return resumed

    async def cancel_remaining(self, broadcast_id: int, actor_id: int) -> CancelRemaining:
        """Cancel every posted batch still at least 5 minutes away, and never post the
        unposted ones. Says which batches could not be cancelled and why."""
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None or b.plan_key is None:
            return CancelRemaining("not_found")
        if not self._deps.may_act(b, actor_id):
            return CancelRemaining("not_allowed")
        plan = plan_of(b.snapshot)
        if plan is None:
            return CancelRemaining("not_found")
        # halt first: a loop still posting stops before its next batch
        await self._deps.store.halt_plan(b.plan_key, actor_id)
        await self._deps.audit(actor_id, "plan_cancel", f"plan:{b.plan_key}")
        rows = {r.batch_no: r for r in await self._deps.store.list_plan_batches(b.plan_key)}
        now = self._deps.clock()
        done = CancelRemaining("done")
        for batch in plan.batches:
            row = rows.get(batch.no)
            if row is None:
                done.unposted.append(batch.no)
                continue
            if batch.send_at <= now or row.state == BroadcastState.CANCELLED:
                continue  # gone out already (or cancelled before): not "remaining"
            if batch.send_at - now < CANCEL_LEAD:
                done.refused.append((batch.no, "too_late"))  # the provider would refuse
                continue
            result: CancelResult = await self._reports.cancel(row.id, actor_id)
            if result.kind == "cancelled":
                done.cancelled.append(batch.no)
            else:
                done.refused.append((batch.no, result.kind))
        return done
