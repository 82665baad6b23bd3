"""Stage 3, send: exactly one POST per approved request (or per direct draft
version), with the row written ``sending`` before the call; retries only from ``failed``;
recovery of sends cut off by a restart and of approvals that never started.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.broadcasts.base import Deps
from bot.broadcasts.decide import Decider
from bot.broadcasts.lifecycle import Action
from bot.broadcasts.model import (
    STRANDED_WINDOW,
    Decision,
    SendKind,
    SendOutcome,
    Stranded,
)
from bot.broadcasts.plans import PlanOutcome, Plans, direct_plan_key
from bot.broadcasts.post import Poster
from bot.broadcasts.rules import parse_send_at, send_time_of
from bot.broadcasts.submit import Submitter
from bot.domain import (
    ApprovalRequest,
    Broadcast,
    BroadcastState,
    Draft,
    RequestState,
    content_hash,
)
from storage.plans import Refused

log = logging.getLogger("bot.broadcasts")

# a refusal of the lifecycle's gate, as a send's outcome
REFUSED_AS: dict[str, SendKind] = {
    "halted": "halted",
    "approvals_lost": "approvals_lost",
    "requester_removed": "requester_removed",
    "late": "too_late",
    "duplicate": "duplicate",
    "unknown": "refused",
    "not_failed": "refused",
}


class Sender:
    """Stage 3, send: what was approved (or a direct draft) goes to the provider, one
    POST per send unit through the :class:`Poster`; a plan through :class:`Plans`."""

    def __init__(
        self, deps: Deps, poster: Poster, plans: Plans, decider: Decider, submitter: Submitter
    ) -> None:
        self._deps = deps
        self._poster = poster
        self._plans = plans
        self._decider = decider
        self._submitter = submitter

    async def send_decision(
        self, decision: Decision, on_wire: Callable[[], None] | None = None
    ) -> SendOutcome | PlanOutcome:
        """The send of an "approved" press: the unit its own transaction wrote ``sending``
        goes to the provider (``on_wire``: called once the POST has left). A gradual plan,
        or an approval decided the slow way, is sent as :meth:`send_approved` sends."""
        request, started = decision.request, decision.started
        if request is None or decision.kind != "approved" or decision.decided_by is None:
            return SendOutcome("not_allowed")
        if started is None or (started.unit is None and not started.not_started):
            return await self.send_approved(request, decision.decided_by)
        if started.not_started:
            return SendOutcome("not_started")
        unit = started.unit
        if isinstance(unit, Refused):
            return SendOutcome(REFUSED_AS.get(unit.reason, "not_allowed"))
        assert unit is not None
        key = self._deps.open_key(unit.requester_id, started.token)
        return await self._poster.post(unit, api_key=key, on_wire=on_wire)

    async def send_approved(
        self, request: ApprovalRequest, approver_id: int, action: Action = Action.SEND
    ) -> SendOutcome | PlanOutcome:
        """Send what was approved. Re-reads the request: the caller's copy is not proof.
        The row is written only if the lifecycle allows ``action`` in that transaction
        (approvals from current approvers, the requester an admin, the time ahead)."""
        fresh = await self._deps.store.get_request(request.id)
        if fresh is None:
            return SendOutcome("not_found")
        if fresh.state != RequestState.APPROVED or fresh.decided_by != approver_id:
            return SendOutcome("not_allowed")
        if content_hash(fresh.snapshot) != fresh.content_hash:
            log.error("request %s: snapshot does not match its content hash", fresh.id)
            return SendOutcome("not_allowed")
        if not self._deps.policy.may_request(fresh.requester_id):
            return SendOutcome("not_allowed")
        if fresh.snapshot.plan is not None:  # gradual: one row and one POST per batch
            return await self._plans.send_approved_plan(fresh, action)
        try:
            broadcast = await self._deps.store.start_broadcast(
                request_id=fresh.id,
                requester_id=fresh.requester_id,
                approver_id=approver_id,
                snapshot=fresh.snapshot,
                check=self._deps.gate(action, fresh.requester_id, parse_send_at(fresh.snapshot)),
            )
        except Exception:
            # the INSERT did not commit, so no row and no POST: certainly nothing was sent
            log.exception("request %s: approved but the broadcast could not start", fresh.id)
            return SendOutcome("not_started")
        if isinstance(broadcast, Refused):
            return SendOutcome(REFUSED_AS.get(broadcast.reason, "not_allowed"))
        if broadcast is None:
            earlier = await self._deps.store.get_broadcast_for_request(fresh.id)
            return SendOutcome("duplicate", earlier)
        return await self._poster.post(broadcast)

    async def send_direct(self, draft: Draft, requester_id: int) -> SendOutcome | PlanOutcome:
        """Approvals off: send the draft as it is now, without a request row."""
        if self._deps.policy.approvals_required or draft.owner_id != requester_id:
            return SendOutcome("not_allowed")
        step = self._submitter.check_ready(draft, self._deps.clock())
        if step is not None:
            return SendOutcome("incomplete", fix_step=step)
        snapshot = draft.snapshot(self._deps.policy.message_suffix)
        if snapshot.plan is not None:  # gradual: the plan key keeps each batch single
            return await self._plans.post_plan(
                direct_plan_key(draft.id, draft.version),
                snapshot,
                request_id=None,
                requester_id=requester_id,
                approver_id=None,
            )
        # One send per draft version, kept in the store: a second tap, even after a
        # restart, finds the first row. Editing the draft makes a new version.
        key = f"{draft.id}:{draft.version}"
        send_at = parse_send_at(snapshot)
        # the lifecycle judges a direct send too (requester an admin, time ahead), in the CAS
        broadcast = await self._deps.store.start_broadcast(
            request_id=None,
            requester_id=requester_id,
            approver_id=None,
            snapshot=snapshot,
            direct_key=key,
            check=self._deps.gate(Action.SEND, requester_id, send_at),
        )
        if isinstance(broadcast, Refused):
            return SendOutcome(REFUSED_AS.get(broadcast.reason, "not_allowed"))
        if broadcast is None:
            earlier = await self._deps.store.get_broadcast_by_direct_key(key)
            if earlier is None or earlier.state != BroadcastState.FAILED:
                return SendOutcome("duplicate", earlier)
            # a certain failure sent nothing: the same single-winner CAS as a retry
            broadcast = await self._deps.store.retry_broadcast(
                earlier.id, check=self._deps.gate(Action.RETRY, requester_id, send_at)
            )
            if isinstance(broadcast, Refused):
                kind = REFUSED_AS.get(broadcast.reason, "not_allowed")
                return SendOutcome(kind, await self._deps.store.get_broadcast(earlier.id))
            if broadcast is None:
                return SendOutcome("duplicate", await self._deps.store.get_broadcast(earlier.id))
            await self._deps.audit(
                requester_id, "retry", f"broadcast:{earlier.id}", {"attempt": broadcast.attempts}
            )
        return await self._poster.post(broadcast)

    async def retry(self, broadcast_id: int, actor_id: int) -> SendOutcome:
        """Resend a certain failure; never an unknown one (it may have gone out), never a
        batch of a halted plan, never on approvals from people who are no longer
        approvers, never after its time. The store judges it in the CAS itself."""
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None:
            return SendOutcome("not_found")
        if not self._deps.may_act(b, actor_id):
            return SendOutcome("not_allowed", b)
        if b.state in (BroadcastState.SENT, BroadcastState.CANCELLED):
            return SendOutcome("duplicate", b)
        if not await self._deps.still_as_approved(b):
            return SendOutcome("not_allowed", b)
        again = await self._deps.store.retry_broadcast(
            b.id, check=self._deps.gate(Action.RETRY, b.requester_id, send_time_of(b))
        )
        if isinstance(again, Refused):
            kind = REFUSED_AS.get(again.reason, "not_allowed")
            return SendOutcome(kind, await self._deps.store.get_broadcast(b.id))
        if again is None:  # someone else retried first, or the state moved
            return SendOutcome("refused", await self._deps.store.get_broadcast(b.id))
        await self._deps.audit(actor_id, "retry", f"broadcast:{b.id}", {"attempt": again.attempts})
        return await self._poster.post(again)

    async def recover_after_restart(self) -> list[Broadcast]:
        """Rows left ``sending`` by a crash may have gone out: make them ``unknown``."""
        interrupted = await self._deps.store.mark_interrupted_sends()
        for b in interrupted:
            await self._deps.audit(None, "unknown", f"broadcast:{b.id}", {"reason": "interrupted"})
        return interrupted

    async def stranded_approvals(self) -> list[Stranded]:
        """At start-up: approved requests that never got a broadcast row (the process
        died, or the store failed, between the approval and the row). Nothing was sent.
        Those of removed admins are voided; the others may be sent by a person."""
        found = []
        since = self._deps.clock() - STRANDED_WINDOW
        for request in await self._deps.store.list_approved_without_broadcast(since):
            voided = not self._deps.policy.may_request(request.requester_id)
            if voided:
                voided = (await self._decider.void_removed(request)).kind == "requester_removed"
            found.append(Stranded(request, voided))
        return found

    async def start_stranded(self, request_id: int, actor_id: int) -> SendOutcome | PlanOutcome:
        """A person's tap sends an approved request that never started. Still the
        single-winner path: the UNIQUE row decides, a second tap gets "duplicate"."""
        request = await self._deps.store.get_request(request_id)
        if request is None:
            return SendOutcome("not_found")
        if actor_id not in (request.requester_id, request.decided_by):
            return SendOutcome("not_allowed")
        send_at = parse_send_at(request.snapshot)
        if send_at is not None and send_at <= self._deps.clock():
            return SendOutcome("too_late")
        if request.decided_by is None:
            return SendOutcome("not_allowed")
        await self._deps.audit(actor_id, "start_stranded", f"request:{request.id}")
        return await self.send_approved(request, request.decided_by, Action.SEND_NOW)
