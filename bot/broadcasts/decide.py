"""Stage 2, decide: approve, reject, withdraw and expire, each a single-winner
compare-and-set in the store; the requester's role is re-checked at the click.
"""

from __future__ import annotations

import logging

from bot.broadcasts import lifecycle as lc
from bot.broadcasts.base import Deps
from bot.broadcasts.model import REQUESTER_REMOVED_REASON, Decision, DecisionKind
from bot.broadcasts.rules import parse_send_at
from bot.domain import ApprovalRequest, RequestState, content_hash

log = logging.getLogger("bot.broadcasts")


class Decider:
    """Stage 2, decide: approve, reject, withdraw and expire, each a single-winner
    compare-and-set in the store."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def approve(self, request_id: int, approver_id: int) -> Decision:
        """Count this approval; only the press that completes the count is "approved".

        The store counts and flips in one transaction (``approve_and_start``, which also
        writes the send's row; ``add_approval`` when the rules refused it at first), so
        with two approvals needed and two approvers pressing at once exactly one wins and
        sends. Approvals count only from people who are approvers as of this press."""
        at_once = await self._approve_at_once(request_id, approver_id)
        if at_once is not None:
            return at_once
        checked = await self.decidable(request_id, approver_id)
        if isinstance(checked, Decision):
            return checked
        request = checked
        # the store re-checks expiry inside the same transaction, so a press racing the
        # deadline cannot approve a request that expired a moment earlier
        tally = await self._deps.store.add_approval(
            request.id,
            approver_id,
            now=self._deps.clock(),
            eligible=self._deps.policy.approvers - {request.requester_id},
        )
        subject = f"request:{request.id}"
        detail = {"approvals": len(tally.approved_by), "needed": tally.needed}
        if tally.kind == "approved":
            await self._deps.audit(
                approver_id, "approved", subject, detail if tally.needed > 1 else None
            )
            return Decision(
                "approved",
                request,
                RequestState.APPROVED,
                approver_id,
                approved_by=tally.approved_by,
                needed=tally.needed,
            )
        if tally.kind == "counted":
            await self._deps.audit(approver_id, "approval_counted", subject, detail)
            return Decision(
                "approval_counted",
                request,
                RequestState.PENDING,
                approved_by=tally.approved_by,
                needed=tally.needed,
            )
        if tally.kind == "repeat":
            return Decision(
                "approval_repeat",
                request,
                RequestState.PENDING,
                approved_by=tally.approved_by,
                needed=tally.needed,
            )
        if tally.kind == "expired":
            return await self._expire(request)
        if tally.kind == "self":
            return Decision("self_approval", request, request.state)
        return await self._lost_race(request.id)

    async def _approve_at_once(self, request_id: int, approver_id: int) -> Decision | None:
        """The press as one store transaction: the approval, its count, the flip to
        approved, their audit rows, and the send's row ``sending`` when the lifecycle's gate
        allows it (see ``Store.approve_and_start``). None when the rules refuse the press
        (nothing written): :meth:`approve` then decides it the usual way, with its
        side effects (expiry, voiding, the tamper audit)."""
        deps = self._deps
        if approver_id not in deps.policy.approvers:
            return None
        done = await deps.store.approve_and_start(
            request_id,
            approver_id,
            now=deps.clock(),
            eligible=deps.policy.approvers,
            may_decide=lambda r: self._refusal(r, approver_id) is None,
            check=lambda r: deps.gate(lc.Action.SEND, r.requester_id, parse_send_at(r.snapshot)),
        )
        if done is None:
            return None
        tally, request = done.tally, done.request
        kinds: dict[str, DecisionKind] = {
            "approved": "approved",
            "counted": "approval_counted",
            "repeat": "approval_repeat",
        }
        approved = tally.kind == "approved"
        return Decision(
            kinds[tally.kind],
            request,
            RequestState.APPROVED if approved else RequestState.PENDING,
            approver_id if approved else None,
            approved_by=tally.approved_by,
            needed=tally.needed,
            started=done if approved else None,
        )

    async def reject(self, request_id: int, approver_id: int, reason: str | None) -> Decision:
        checked = await self.decidable(request_id, approver_id)
        if isinstance(checked, Decision):
            return checked
        return await self._decide(checked, approver_id, RequestState.REJECTED, reason, "rejected")

    async def withdraw(self, request_id: int, requester_id: int) -> Decision:
        request = await self._deps.store.get_request(request_id)
        if request is None:
            return Decision("not_found")
        if request.requester_id != requester_id:
            return Decision("not_allowed", request, request.state)
        if request.state != RequestState.PENDING:
            return Decision("already_decided", request, request.state, request.decided_by)
        return await self._decide(request, requester_id, RequestState.WITHDRAWN, None, "withdrawn")

    async def decidable(self, request_id: int, approver_id: int) -> ApprovalRequest | Decision:
        """The shared checks of approve and reject, in the order the rules give.

        Returns the request when this approver may decide it now, else the refusal.
        """
        request = await self._deps.store.get_request(request_id)
        if request is None:
            return Decision("not_found")
        refusal = self._refusal(request, approver_id)
        if refusal in ("not_allowed", "self_approval"):
            return Decision(refusal, request, request.state)
        if refusal == "already_decided":
            return Decision("already_decided", request, request.state, request.decided_by)
        if refusal == "requester_removed":
            return await self.void_removed(request)
        if refusal == "expired":
            return await self._expire(request)
        if refusal == "tampered":
            log.error("request %s: snapshot does not match its content hash", request.id)
            await self._deps.audit(approver_id, "tampered", f"request:{request.id}")
            return Decision("tampered", request, request.state)
        return request

    def _refusal(self, request: ApprovalRequest, approver_id: int) -> DecisionKind | None:
        """Why this approver may not decide ``request`` now (None: they may), in the
        order the rules give; pure, so the store may ask it inside its transaction."""
        policy = self._deps.policy  # roles as of this click
        facts = lc.Facts(
            now=self._deps.clock(),
            request=str(request.state),
            requester_admin=policy.may_request(request.requester_id),
            actor_may_act=approver_id in policy.approvers,
        )
        verdict = lc.allowed(lc.Action.APPROVE, facts)  # approve and reject share one rule
        if verdict.reason == "not_allowed":
            return "not_allowed"
        if approver_id == request.requester_id:
            return "self_approval"
        if verdict.reason == "already_decided":
            return "already_decided"
        if verdict.reason == "requester_removed":
            return "requester_removed"
        if self._is_expired(request):
            return "expired"
        if content_hash(request.snapshot) != request.content_hash:
            return "tampered"
        return None

    def _is_expired(self, request: ApprovalRequest) -> bool:
        now = self._deps.clock()
        send_at = parse_send_at(request.snapshot)
        return request.expires_at <= now or (send_at is not None and send_at <= now)

    async def _expire(self, request: ApprovalRequest) -> Decision:
        won = await self._deps.store.decide_request(
            request.id, to_state=RequestState.EXPIRED, decided_by=None
        )
        if won:
            await self._deps.audit(None, "expired", f"request:{request.id}")
            return Decision("expired", request, RequestState.EXPIRED)
        return await self._lost_race(request.id)

    async def _decide(
        self,
        request: ApprovalRequest,
        actor_id: int,
        to_state: RequestState,
        reason: str | None,
        kind: DecisionKind,
    ) -> Decision:
        # the store re-checks expiry inside the same compare-and-set, so a press racing the
        # deadline cannot approve a request that expired a moment earlier
        won = await self._deps.store.decide_request(
            request.id,
            to_state=to_state,
            decided_by=actor_id,
            reason=reason,
            now=self._deps.clock(),
        )
        if not won:
            fresh = await self._deps.store.get_request(request.id)
            if to_state == RequestState.APPROVED and fresh and fresh.state == RequestState.PENDING:
                # still pending yet not approvable: the store judged it expired
                return await self._expire(fresh)
            return await self._lost_race(request.id)
        await self._deps.audit(
            actor_id, kind, f"request:{request.id}", {"reason": reason} if reason else None
        )
        return Decision(kind, request, to_state, actor_id)

    async def void_removed(self, request: ApprovalRequest) -> Decision:
        """The requester lost the admin role: the request is withdrawn, never sent."""
        won = await self._deps.store.decide_request(
            request.id,
            to_state=RequestState.WITHDRAWN,
            decided_by=None,
            reason=REQUESTER_REMOVED_REASON,
            from_state=request.state,
        )
        if not won:
            return await self._lost_race(request.id)
        await self._deps.audit(
            None, "voided", f"request:{request.id}", {"reason": REQUESTER_REMOVED_REASON}
        )
        return Decision("requester_removed", request, RequestState.WITHDRAWN)

    async def _lost_race(self, request_id: int) -> Decision:
        fresh = await self._deps.store.get_request(request_id)
        if fresh is None:
            return Decision("not_found")
        return Decision("already_decided", fresh, fresh.state, fresh.decided_by)

    async def expire_due(self) -> list[ApprovalRequest]:
        expired = await self._deps.store.expire_requests(self._deps.clock())
        for request in expired:
            await self._deps.audit(None, "expired", f"request:{request.id}")
        return expired

    async def void_removed_requesters(self) -> list[ApprovalRequest]:
        """At start-up: pending requests whose requester is no longer an admin are
        withdrawn, so nobody can approve a send that would use a removed admin's key."""
        voided = []
        for request in await self._deps.store.list_pending_requests():
            if self._deps.policy.may_request(request.requester_id):
                continue
            if (await self.void_removed(request)).kind == "requester_removed":
                voided.append(request)
        return voided
