"""Stage 3, send: exactly one POST per approved request (or per direct draft
version), with the row written ``sending`` before the call; retries only from ``failed``;
recovery of sends cut off by a restart and of approvals that never started.
"""

from __future__ import annotations

import asyncio
import logging

from bot.broadcasts.base import ServiceBase
from bot.broadcasts.model import (
    NO_KEY_TEXT,
    PREPARE_FAILED_TEXT,
    UNEXPECTED_TEXT,
    NoApiKeyError,
    SendKind,
    SendOutcome,
    Stranded,
)
from bot.broadcasts.plans import PlanOutcome, direct_plan_key
from bot.broadcasts.rules import fix_step_for, parse_send_at, scrub_key, send_time_of
from bot.domain import (
    ApprovalRequest,
    Broadcast,
    BroadcastState,
    Draft,
    PhonebookSelection,
    RequestState,
    content_hash,
    selections_to_params,
)
from bot.ippanel import InsufficientCreditError, IPPanelError
from bot.plans import plan_of

log = logging.getLogger("bot.broadcasts")


class SendStage(ServiceBase):
    """Stage 3, send: exactly one POST per approved request (or per direct draft"""

    async def send_approved(
        self, request: ApprovalRequest, approver_id: int
    ) -> SendOutcome | PlanOutcome:
        """Send what was approved. Re-reads the request: the caller's copy is not proof."""
        fresh = await self._store.get_request(request.id)
        if fresh is None:
            return SendOutcome("not_found")
        if fresh.state != RequestState.APPROVED or fresh.decided_by != approver_id:
            return SendOutcome("not_allowed")
        if content_hash(fresh.snapshot) != fresh.content_hash:
            log.error("request %s: snapshot does not match its content hash", fresh.id)
            return SendOutcome("not_allowed")
        if not self.policy.may_request(fresh.requester_id):
            return SendOutcome("not_allowed")
        if plan_of(fresh.snapshot) is not None:  # gradual: one row and one POST per batch
            return await self.send_approved_plan(fresh)  # type: ignore[attr-defined]
        try:
            broadcast = await self._store.start_broadcast(
                request_id=fresh.id,
                requester_id=fresh.requester_id,
                approver_id=approver_id,
                snapshot=fresh.snapshot,
            )
        except Exception:
            # the INSERT did not commit, so no row and no POST: certainly nothing was sent
            log.exception("request %s: approved but the broadcast could not start", fresh.id)
            return SendOutcome("not_started")
        if broadcast is None:
            return SendOutcome("duplicate", await self._store.get_broadcast_for_request(fresh.id))
        return await self._send(broadcast)

    async def send_direct(self, draft: Draft, requester_id: int) -> SendOutcome | PlanOutcome:
        """Approvals off: send the draft as it is now, without a request row."""
        if self.policy.approvals_required or draft.owner_id != requester_id:
            return SendOutcome("not_allowed")
        step = self._check_ready(draft, self._clock())
        if step is not None:
            return SendOutcome("incomplete", fix_step=step)
        snapshot = draft.snapshot(self.policy.message_suffix)
        if plan_of(snapshot) is not None:  # gradual: the plan key keeps each batch single
            return await self.post_plan(  # type: ignore[attr-defined]
                direct_plan_key(draft.id, draft.version),
                snapshot,
                request_id=None,
                requester_id=requester_id,
                approver_id=None,
            )
        # One send per draft version, kept in the store: a second tap, even after a
        # restart, finds the first row. Editing the draft makes a new version.
        key = f"{draft.id}:{draft.version}"
        broadcast = await self._store.start_broadcast(
            request_id=None,
            requester_id=requester_id,
            approver_id=None,
            snapshot=snapshot,
            direct_key=key,
        )
        if broadcast is None:
            earlier = await self._store.get_broadcast_by_direct_key(key)
            if earlier is None or earlier.state != BroadcastState.FAILED:
                return SendOutcome("duplicate", earlier)
            # a certain failure sent nothing: the same single-winner CAS as a retry
            broadcast = await self._store.retry_broadcast(earlier.id)
            if broadcast is None:
                return SendOutcome("duplicate", await self._store.get_broadcast(earlier.id))
            await self._audit(
                requester_id, "retry", f"broadcast:{earlier.id}", {"attempt": broadcast.attempts}
            )
        return await self._send(broadcast)

    async def _send(self, broadcast: Broadcast) -> SendOutcome:
        """One POST for a row already in state ``sending``, then record what happened."""
        b = broadcast
        subject = f"broadcast:{b.id}"
        try:
            api_key = await self._key(b.requester_id)
            snap = b.snapshot
            plan = plan_of(snap) if b.batch_no else None
            if plan is not None:  # a gradual plan's batch: its own rows and its own time
                params = plan.params_for(b.batch_no)
            else:
                params = selections_to_params(
                    [PhonebookSelection.from_dict(s) for s in snap["selections"]]
                )
            send_at = send_time_of(b)
        except Exception:
            # before the HTTP call: certainly nothing went out
            log.exception("broadcast %s: could not prepare the send", b.id)
            return await self._finish(b, BroadcastState.FAILED, "failed", None, PREPARE_FAILED_TEXT)
        if api_key is None:
            return await self._fail_no_key(b)

        try:
            try:
                result = await self._client.send_to_phonebooks(
                    api_key,
                    sender=snap["sender"],
                    message=snap["message"],
                    params=params,
                    send_at=send_at,
                )
            finally:
                # written after the request so that it never delays the POST; the row in
                # state `sending` already records that the send began
                attempt = {"attempt": b.attempts}
                await asyncio.shield(self._audit(b.requester_id, "send_started", subject, attempt))
        except IPPanelError as error:
            if isinstance(error, InsufficientCreditError):
                error = await self._explain_no_credit(error, api_key, snap)
            text = scrub_key(error.message, api_key)
            if error.outcome_unknown:
                log.warning("broadcast %s: outcome unknown: %r", b.id, error)
                return await self._finish(b, BroadcastState.UNKNOWN, "unknown", error, text)
            log.info("broadcast %s: not sent: %r", b.id, error)
            return await self._finish(b, BroadcastState.FAILED, "failed", error, text)
        except asyncio.CancelledError:
            # shutting down mid-request: it may have gone out; never leave it resendable
            await asyncio.shield(self._mark(b, BroadcastState.UNKNOWN, None, UNEXPECTED_TEXT))
            raise
        except Exception:
            log.exception("broadcast %s: unexpected error during the send", b.id)
            return await self._finish(b, BroadcastState.UNKNOWN, "unknown", None, UNEXPECTED_TEXT)

        outcome = await self._finish(
            b, BroadcastState.SENT, "sent", None, None, outbox_ids=result.outbox_ids
        )
        await self._remember_last_used(b)
        return await self._credit_after_send(outcome, api_key)

    async def _fail_no_key(self, b: Broadcast) -> SendOutcome:
        outcome = await self._finish(b, BroadcastState.FAILED, "failed", None, NO_KEY_TEXT)
        return SendOutcome("no_key", outcome.broadcast, NoApiKeyError())

    async def _finish(
        self,
        b: Broadcast,
        state: BroadcastState,
        kind: SendKind,
        error: IPPanelError | None,
        text: str | None,
        *,
        outbox_ids: list[int] | None = None,
    ) -> SendOutcome:
        await self._mark(b, state, outbox_ids, text)
        fresh = await self._safe_get_broadcast(b)
        detail: dict[str, object] = {"outbox_ids": outbox_ids} if outbox_ids else {"error": text}
        detail["no"] = b.number
        await self._audit(b.requester_id, str(state), f"broadcast:{b.id}", detail)
        fix = fix_step_for(error) if kind == "failed" else None
        return SendOutcome(kind, fresh, error, fix)

    async def _mark(
        self, b: Broadcast, state: BroadcastState, outbox_ids: list[int] | None, text: str | None
    ) -> None:
        """Move the row off ``sending``. A lost write leaves it ``sending``, which
        the restart recovery turns into ``unknown``: the safe direction."""
        try:
            done = await self._store.finish_broadcast(
                b.id, state=state, outbox_ids=outbox_ids, error=text
            )
        except Exception:
            log.exception("broadcast %s: could not record state %s", b.id, state)
            return
        if not done:
            log.error("broadcast %s: was no longer sending when marking %s", b.id, state)

    async def _safe_get_broadcast(self, b: Broadcast) -> Broadcast:
        try:
            return await self._store.get_broadcast(b.id) or b
        except Exception:
            log.exception("broadcast %s: could not re-read", b.id)
            return b

    async def _remember_last_used(self, b: Broadcast) -> None:
        snap = b.snapshot
        try:
            await self._store.set_last_used(
                b.requester_id,
                snap["sender"],
                snap.get("sender_label"),
                [PhonebookSelection.from_dict(s) for s in snap["selections"]],
            )
        except Exception:  # a convenience; the send itself is recorded
            log.exception("broadcast %s: could not remember last used", b.id)

    async def retry(self, broadcast_id: int, actor_id: int) -> SendOutcome:
        """Resend a certain failure. Never an unknown one: it may have gone out."""
        b = await self._store.get_broadcast(broadcast_id)
        if b is None:
            return SendOutcome("not_found")
        if not self._may_act(b, actor_id):
            return SendOutcome("not_allowed", b)
        if b.state in (BroadcastState.SENT, BroadcastState.CANCELLED):
            return SendOutcome("duplicate", b)
        if b.state != BroadcastState.FAILED:
            return SendOutcome("refused", b)
        if not self.policy.may_request(b.requester_id) or not await self._still_as_approved(b):
            return SendOutcome("not_allowed", b)
        send_at = send_time_of(b)
        if send_at is not None and send_at <= self._clock():
            return SendOutcome("too_late", b)
        again = await self._store.retry_broadcast(b.id)
        if again is None:  # someone else retried first, or the state moved
            return SendOutcome("refused", await self._store.get_broadcast(b.id))
        await self._audit(actor_id, "retry", f"broadcast:{b.id}", {"attempt": again.attempts})
        return await self._send(again)

    async def _still_as_approved(self, b: Broadcast) -> bool:
        """The broadcast's snapshot is still exactly what its request approved."""
        if b.request_id is None:
            return True
        request = await self._store.get_request(b.request_id)
        return (
            request is not None
            and request.state == RequestState.APPROVED
            and content_hash(b.snapshot) == request.content_hash
        )

    def _may_act(self, b: Broadcast, actor_id: int) -> bool:
        return actor_id == b.requester_id or actor_id in self.policy.approvers

    async def recover_after_restart(self) -> list[Broadcast]:
        """Rows left ``sending`` by a crash may have gone out: make them ``unknown``."""
        interrupted = await self._store.mark_interrupted_sends()
        for b in interrupted:
            await self._audit(None, "unknown", f"broadcast:{b.id}", {"reason": "interrupted"})
        return interrupted

    async def stranded_approvals(self) -> list[Stranded]:
        """At start-up: approved requests that never got a broadcast row (the process
        died, or the store failed, between the approval and the row). Nothing was sent.
        Those of removed admins are voided; the others may be sent by a person."""
        found = []
        for request in await self._store.list_approved_without_broadcast():
            voided = not self.policy.may_request(request.requester_id)
            if voided:
                voided = (await self._void_removed(request)).kind == "requester_removed"
            found.append(Stranded(request, voided))
        return found

    async def start_stranded(self, request_id: int, actor_id: int) -> SendOutcome | PlanOutcome:
        """A person's tap sends an approved request that never started. Still the
        single-winner path: the UNIQUE row decides, a second tap gets "duplicate"."""
        request = await self._store.get_request(request_id)
        if request is None:
            return SendOutcome("not_found")
        if actor_id not in (request.requester_id, request.decided_by):
            return SendOutcome("not_allowed")
        send_at = parse_send_at(request.snapshot)
        if send_at is not None and send_at <= self._clock():
            return SendOutcome("too_late")
        if request.decided_by is None:
            return SendOutcome("not_allowed")
        await self._audit(actor_id, "start_stranded", f"request:{request.id}")
        return await self.send_approved(request, request.decided_by)
