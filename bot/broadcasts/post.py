"""Stage 3, one POST: a send unit (an immediate broadcast, or one batch of a plan)
whose row is already ``sending`` goes to the provider once, and what the provider
answered is written back to the row. Nothing here decides whether it may be sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.broadcasts.base import Deps
from bot.broadcasts.model import (
    NoApiKeyError,
    SendKind,
    SendOutcome,
    error_code,
    provider_error_code,
)
from bot.broadcasts.report import Reports
from bot.broadcasts.rules import fix_step_for, scrub_key, send_time_of
from bot.domain import Broadcast, BroadcastState, selections_to_params
from bot.ippanel import InsufficientCreditError, IPPanelError
from bot.no_credit import CreditShortfall

log = logging.getLogger("bot.broadcasts")


class Poster:
    """One POST for one send unit (a broadcast row already ``sending``), and what the
    provider answered written back to the row."""

    def __init__(self, deps: Deps, reports: Reports) -> None:
        self._deps = deps
        self._reports = reports

    async def post(
        self,
        broadcast: Broadcast,
        *,
        api_key: str | None = None,
        on_wire: Callable[[], None] | None = None,
    ) -> SendOutcome:
        """One POST for a row already in state ``sending``, then record what happened.
        ``api_key``: the requester's key when already read (else it is read here);
        ``on_wire``: called once the request has been handed to the connection."""
        b = broadcast
        subject = f"broadcast:{b.id}"
        try:
            if api_key is None:
                api_key = await self._deps.key(b.requester_id)
            snap = b.snapshot
            plan = snap.plan if b.batch_no else None
            if plan is not None:  # a gradual plan's batch: its own rows and its own time
                params = plan.params_for(b.batch_no)
            else:
                params = selections_to_params(list(snap.selections))
            send_at = send_time_of(b)
        except Exception:
            # before the HTTP call: certainly nothing went out
            log.exception("broadcast %s: could not prepare the send", b.id)
            code = error_code("prepare_failed")
            return await self._finish(b, BroadcastState.FAILED, "failed", None, code)
        if api_key is None:
            return await self._fail_no_key(b)

        try:
            try:
                result = await self._deps.client.send_to_phonebooks(
                    api_key,
                    sender=snap.sender or "",
                    message=snap.message,
                    params=params,
                    send_at=send_at,
                    on_wire=on_wire,
                )
            finally:
                # written after the request so that it never delays the POST; the row in
                # state `sending` already records that the send began
                attempt = {"attempt": b.attempts}
                started = self._deps.audit(b.requester_id, "send_started", subject, attempt)
                await asyncio.shield(started)
        except IPPanelError as error:
            said = scrub_key(error.message, api_key)  # the provider's words: audit only
            shortfall = None
            if isinstance(error, InsufficientCreditError):
                shortfall = await self._reports.explain_no_credit(api_key, b)
            code = (
                error_code("no_credit", credit=shortfall.credit, cost=shortfall.cost)
                if shortfall is not None
                else provider_error_code(error)
            )
            if error.outcome_unknown:
                log.warning("broadcast %s: outcome unknown: %r", b.id, error)
                return await self._finish(
                    b, BroadcastState.UNKNOWN, "unknown", error, code, said=said
                )
            log.info("broadcast %s: not sent: %r", b.id, error)
            return await self._finish(
                b, BroadcastState.FAILED, "failed", error, code, said=said, shortfall=shortfall
            )
        except asyncio.CancelledError:
            # shutting down mid-request: it may have gone out; never leave it resendable
            code = error_code("unexpected")
            await asyncio.shield(self._mark(b, BroadcastState.UNKNOWN, None, code))
            raise
        except Exception:
            log.exception("broadcast %s: unexpected error during the send", b.id)
            code = error_code("unexpected")
            return await self._finish(b, BroadcastState.UNKNOWN, "unknown", None, code)

        outcome = await self._finish(
            b, BroadcastState.SENT, "sent", None, None, outbox_ids=result.outbox_ids
        )
        await self._remember_last_used(b)
        return await self._reports.credit_after_send(outcome, api_key)

    async def _fail_no_key(self, b: Broadcast) -> SendOutcome:
        code = error_code("no_key")
        outcome = await self._finish(b, BroadcastState.FAILED, "failed", None, code)
        return SendOutcome("no_key", outcome.broadcast, NoApiKeyError())

    async def _finish(
        self,
        b: Broadcast,
        state: BroadcastState,
        kind: SendKind,
        error: IPPanelError | None,
        code: str | None,
        *,
        outbox_ids: list[int] | None = None,
        said: str | None = None,
        shortfall: CreditShortfall | None = None,
    ) -> SendOutcome:
        """Record the answer (a stored error is a code, see model.error_code) and audit it
        (with the provider's own words, ``said``, for support)."""
        await self._mark(b, state, outbox_ids, code)
        fresh = await self._deps.get_broadcast_or(b)
        detail: dict[str, object] = {"outbox_ids": outbox_ids} if outbox_ids else {"error": code}
        if said:
            detail["provider_said"] = said
        detail["no"] = b.number
        await self._deps.audit(b.requester_id, str(state), f"broadcast:{b.id}", detail)
        fix = fix_step_for(error) if kind == "failed" else None
        return SendOutcome(kind, fresh, error, fix, shortfall)

    async def _mark(
        self, b: Broadcast, state: BroadcastState, outbox_ids: list[int] | None, code: str | None
    ) -> None:
        """Move the row off ``sending``. A lost write leaves it ``sending``, which
        the restart recovery turns into ``unknown``: the safe direction."""
        try:
            done = await self._deps.store.finish_broadcast(
                b.id, state=state, outbox_ids=outbox_ids, error=code
            )
        except Exception:
            log.exception("broadcast %s: could not record state %s", b.id, state)
            return
        if not done:
            log.error("broadcast %s: was no longer sending when marking %s", b.id, state)

    async def _remember_last_used(self, b: Broadcast) -> None:
        snap = b.snapshot
        try:
            await self._deps.store.set_last_used(
                b.requester_id,
                snap.sender or "",
                snap.sender_label,
                list(snap.selections),
            )
        except Exception:  # a convenience; the send itself is recorded
            log.exception("broadcast %s: could not remember last used", b.id)
