"""Stage 5, after the send: cancel a scheduled send, the delivery report, the credit,
and telling when the panel failed a send for lack of credit.

No words here: results carry kinds and figures (a :class:`~bot.no_credit.CreditShortfall`),
stored errors are codes (:func:`~bot.broadcasts.model.error_code`); the handlers render
them in the reader's language.
"""

from __future__ import annotations

import logging

from bot import no_credit
from bot.broadcasts import lifecycle as lc
from bot.broadcasts.base import Deps
from bot.broadcasts.model import (
    CREDIT_WATCH_LIMIT,
    CREDIT_WATCH_WINDOW,
    CancelResult,
    DeliveryReport,
    NoApiKeyError,
    SendOutcome,
    error_code,
)
from bot.broadcasts.rules import (
    aggregate_stats,
    audience_of,
    cancel_refusal_kind,
    parse_send_at,
    scrub_key,
    send_time_of,
)
from bot.domain import Broadcast, BroadcastState
from bot.ippanel import Credit, InsufficientCreditError, IPPanelError
from bot.no_credit import CreditShortfall

log = logging.getLogger("bot.broadcasts")


class Reports:
    """Stage 5, after the send: cancel a scheduled send, the delivery report, the credit,
    and a send the panel failed for lack of credit."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        # broadcasts whose credit question is answered (final report state, or told)
        self._credit_settled: set[int] = set()

    async def cancel(self, broadcast_id: int, actor_id: int) -> CancelResult:
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None:
            return CancelResult("not_found")
        facts = lc.Facts(
            now=self._deps.clock(),
            unit=str(b.state) if b.outbox_ids else "sending",  # no outbox id: nothing to cancel
            send_at=send_time_of(b),
            actor_may_act=self._deps.may_act(b, actor_id),
        )
        verdict = lc.allowed(lc.Action.CANCEL, facts)
        if not verdict.ok:  # not_allowed, not_cancellable, not_scheduled, too_late
            return CancelResult(verdict.reason, b)  # type: ignore[arg-type]  # the lifecycle's refusal codes are CancelResult kinds
        api_key = await self._deps.key_or_none(b.requester_id)
        if api_key is None:
            return CancelResult("no_key", b)
        return await self._cancel_at_provider(b, api_key, actor_id)

    async def _cancel_at_provider(self, b: Broadcast, api_key: str, actor_id: int) -> CancelResult:
        done: list[int] = []
        message: str | None = None
        refusal: str | None = None
        errors: list[IPPanelError] = []
        for outbox_id in b.outbox_ids:
            try:
                message = await self._deps.client.cancel(api_key, outbox_id=outbox_id)
                done.append(outbox_id)
            except IPPanelError as error:
                refusal = scrub_key(error.message, api_key)
                errors.append(error)
        subject = f"broadcast:{b.id}"
        if refusal is None:
            await self._deps.store.transition_broadcast(
                b.id, BroadcastState.SENT, BroadcastState.CANCELLED
            )
            detail = {"no": b.number, "message": message}
            await self._deps.audit(actor_id, "cancelled", subject, detail)
            return CancelResult("cancelled", await self._deps.store.get_broadcast(b.id), message)
        await self._deps.audit(
            actor_id, "cancel_refused", subject, {"error": refusal, "cancelled": done}
        )
        return CancelResult(cancel_refusal_kind(errors, done), b, refusal, errors[-1])

    async def delivery_report(self, broadcast_id: int, actor_id: int) -> DeliveryReport:
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None:
            return DeliveryReport("not_found")
        if not self._deps.may_act(b, actor_id):
            return DeliveryReport("not_allowed", b)
        if not b.outbox_ids:
            return DeliveryReport("no_outbox", b)
        api_key = await self._deps.key_or_none(b.requester_id)
        if api_key is None:
            return DeliveryReport("no_key", b)
        try:
            client = self._deps.client
            reports = [await client.report(api_key, outbox_id=i) for i in b.outbox_ids]
            stats = [(await client.bulk_stats(api_key, bulk_id=i)).operators for i in b.outbox_ids]
        except IPPanelError as error:
            return DeliveryReport("error", b, error=error)
        return DeliveryReport("ok", b, reports, aggregate_stats(stats))

    async def credit(self, user_id: int) -> Credit:
        """The account credit; raises NoApiKeyError (an AuthError) without a usable key."""
        api_key = await self._deps.key_or_none(user_id)
        if api_key is None:
            raise NoApiKeyError()
        return await self._deps.client.credit(api_key)

    async def explain_no_credit(self, api_key: str, b: Broadcast) -> CreditShortfall | None:
        """The figures of a 422 credit refusal: the credit now and the send unit's cost
        (None when they could not be asked; the refusal is recorded all the same)."""
        try:
            client = self._deps.client
            return await no_credit.shortfall(client, api_key, b.snapshot, audience_of(b))
        except Exception:
            log.exception("could not look up the credit after a credit refusal")
            return None

    async def credit_after_send(self, outcome: SendOutcome, api_key: str) -> SendOutcome:
        """An immediate send the panel accepted may already be failed for credit (state 8):
        then the outcome is that failure, not "sent". Asked once; the watch asks later."""
        b = outcome.broadcast
        if b is None or b.state != BroadcastState.SENT or parse_send_at(b.snapshot) is not None:
            return outcome
        try:
            hit = await self._no_credit(b, api_key)
        except Exception:  # the send is recorded; a failed look-up must not hide it
            log.exception("broadcast %s: credit check after the send failed", b.id)
            return outcome
        if hit is None:
            return outcome
        fresh, found = hit
        return SendOutcome("failed", fresh, InsufficientCreditError(), shortfall=found)

    async def credit_ran_out(self, user_ids: list[int]) -> list[tuple[Broadcast, CreditShortfall]]:
        """Recent sends the panel accepted and then failed for lack of credit (report
        state 8), each returned once so both admins can be told. Never sends."""
        now = self._deps.clock()
        seen: set[int] = set()
        found: list[tuple[Broadcast, CreditShortfall]] = []
        by_admin = await self._deps.store.recent_broadcasts_of(
            user_ids, CREDIT_WATCH_LIMIT, now - CREDIT_WATCH_WINDOW
        )
        for user_id in user_ids:
            for b in by_admin[user_id]:
                if b.id in seen or b.id in self._credit_settled:
                    continue
                seen.add(b.id)
                if b.state != BroadcastState.SENT or not b.outbox_ids:
                    continue
                send_at = send_time_of(b)
                if now - b.created_at > CREDIT_WATCH_WINDOW or (send_at and send_at > now):
                    continue
                api_key = await self._deps.key_or_none(b.requester_id)
                hit = await self._no_credit(b, api_key) if api_key else None
                if hit is not None:
                    found.append(hit)
        return found

    async def _no_credit(
        self, b: Broadcast, api_key: str
    ) -> tuple[Broadcast, CreditShortfall] | None:
        """When the panel's reports say ``b`` failed for credit: record it once and
        return it with the amounts; None otherwise (or when someone recorded it first)."""
        reports = await no_credit.reports_of(self._deps.client, api_key, b.outbox_ids)
        if not reports or not no_credit.ran_out(reports):
            if reports and no_credit.settled(reports):
                self._credit_settled.add(b.id)
            return None
        if b.id in self._credit_settled:  # the watch and a send's own check raced
            return None
        self._credit_settled.add(b.id)
        found = await no_credit.shortfall(
            self._deps.client, api_key, b.snapshot, audience_of(b), reports
        )
        if no_credit.nothing_went_out(reports):
            # nothing left the panel: a person may resend it after topping up
            won = await self._deps.store.transition_broadcast(
                b.id,
                BroadcastState.SENT,
                BroadcastState.FAILED,
                error_code("no_credit", credit=found.credit, cost=found.cost),
            )
            if not won:
                return None
        # else part went out: it stays sent, so nobody can resend it to everyone
        detail = {"credit": found.credit, "cost": found.cost}
        await self._deps.audit(None, "no_credit", f"broadcast:{b.id}", detail)
        return await self._deps.get_broadcast_or(b), found
