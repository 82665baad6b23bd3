"""Stage 4, reconcile: an ``unknown`` send becomes ``sent`` only on positive evidence,
a provider row claimed one-to-one. Absence proves nothing; only a person who checked the
panel may declare it not sent.

The rule: a row of the provider's list of sends (``POST /api/report/new_list``: outbox
id, line, text, created and send time, recipient count) proves only the one send unit (an
immediate broadcast, or one batch of a plan) it belongs to, and it is evidence only when

* its outbox id is owned by nothing the bot sent: no broadcast, no batch, no test SMS
  (an id the bot already holds belongs to that send), and no earlier claim;
* it has the unit's line and exact text, and was created within ``RECONCILE_SKEW`` of
  the unit's own attempt;
* its recipient count, where the row gives one, is the unit's audience (a batch's rows,
  or the broadcast's recipients), and its send time, where both have one, is the unit's;
* it cannot be a test SMS: while a test SMS of the same line and text has no known
  outbox id (cut off mid-POST), a one-recipient row (or one that gives no count) within
  the window proves nothing, since the panel's list does not tell the two apart.

Anything else proves nothing, and the unit stays ``unknown`` until a person checks.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.broadcasts import lifecycle as lc
from bot.broadcasts.base import Deps
from bot.broadcasts.model import (
    RECONCILE_MAX_PAGES,
    RECONCILE_PAGE_SIZE,
    RECONCILE_SKEW,
    ConfirmResult,
    ReconcileResult,
    error_code,
)
from bot.broadcasts.rules import record_matches, settled_kind
from bot.domain import Broadcast, BroadcastState
from bot.ippanel import IPPanelError

log = logging.getLogger("bot.broadcasts")


class Reconciler:
    """Stage 4, reconcile: an ``unknown`` send becomes ``sent`` only on positive evidence;
    a person may declare it not sent."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def reconcile(self, broadcast_id: int) -> ReconcileResult:
        """Settle an ``unknown`` broadcast from the provider's list of sends. Never sends.

        Only positive evidence moves it: an unowned provider row with our line, our
        text and a time near our send becomes this broadcast's, claimed in the store so
        no other broadcast can take it. No row, however long after, proves nothing: it
        stays ``unknown`` until a person checks the panel (:meth:`confirm_not_sent`).
        """
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None:
            return ReconcileResult("not_found")
        if not lc.allowed(lc.Action.RECONCILE, lc.Facts(self._deps.clock(), unit=str(b.state))):
            return ReconcileResult(settled_kind(b.state), b)  # only an unknown send settles
        api_key = await self._deps.key_or_none(b.requester_id)
        if api_key is None:
            return ReconcileResult("still_unknown", b)
        try:
            candidates = await self._candidates_at_provider(api_key, b)
        except IPPanelError as error:
            log.info("broadcast %s: reconcile could not ask the provider: %r", b.id, error)
            return ReconcileResult("still_unknown", b)
        owned = await self._deps.store.owned_outbox_ids(candidates)  # sends and test SMS
        for outbox_id in candidates:  # oldest first: earlier unknowns take earlier rows
            if outbox_id in owned:
                continue
            if await self._deps.store.claim_outbox(b.id, outbox_id):
                await self._deps.audit(
                    None, "reconciled_sent", f"broadcast:{b.id}", {"outbox_ids": [outbox_id]}
                )
                return ReconcileResult("sent", await self._deps.store.get_broadcast(b.id))
            fresh = await self._deps.store.get_broadcast(b.id)
            if fresh is None or fresh.state != BroadcastState.UNKNOWN:
                return ReconcileResult(settled_kind(fresh.state) if fresh else "not_found", fresh)
            # the row was taken meanwhile, or a send is in flight: try no further now
            break
        return ReconcileResult("still_unknown", b)

    async def _candidates_at_provider(self, api_key: str, b: Broadcast) -> list[int]:
        """Outbox ids of provider rows matching ``b``, oldest first."""
        earliest = b.created_at - RECONCILE_SKEW
        latest = max(b.updated_at, b.created_at) + RECONCILE_SKEW
        doubt = await self._deps.store.trial_in_doubt(
            b.snapshot.sender or "", b.snapshot.message, earliest, latest
        )
        # Only the time filter, as the contract's string: how "number"/"message" filters
        # match is undocumented, and a filter that wrongly hid our row would cost evidence.
        filters = {"create_from_date": str(int(earliest.timestamp()))}
        found: list[tuple[datetime, int]] = []
        for page_no in range(1, RECONCILE_MAX_PAGES + 1):
            page = await self._deps.client.list_sends(
                api_key, page=page_no, limit=RECONCILE_PAGE_SIZE, filters=filters
            )
            found += [
                (r.created_at, r.messages_outbox_id)
                for r in page.items
                if r.messages_outbox_id
                and r.created_at is not None
                and record_matches(r, b, earliest, latest)
                and not (doubt and (r.rcpts_count or 1) == 1)
            ]
            older = [r for r in page.items if r.created_at is not None and r.created_at < earliest]
            if not page.has_next or (page.items and len(older) == len(page.items)):
                break
        return [outbox_id for _, outbox_id in sorted(set(found))]

    async def confirm_not_sent(self, broadcast_id: int, actor_id: int) -> ConfirmResult:
        """A person checked the panel's outbox and says an ``unknown`` send did not go out.

        The only way out of ``unknown`` other than a provider row; audited with who and
        when. Afterwards the broadcast is ``failed``, so a retry (one more POST) is possible.
        """
        b = await self._deps.store.get_broadcast(broadcast_id)
        if b is None:
            return ConfirmResult("not_found")
        facts = lc.Facts(
            now=self._deps.clock(), unit=str(b.state), actor_may_act=self._deps.may_act(b, actor_id)
        )
        verdict = lc.allowed(lc.Action.CONFIRM_NOT_SENT, facts)
        if verdict.reason == "not_allowed":
            return ConfirmResult("not_allowed", b)
        # the compare-and-set below is the lifecycle's move unknown -> failed
        done = await self._deps.store.transition_broadcast(
            b.id, BroadcastState.UNKNOWN, BroadcastState.FAILED, error_code("confirmed_not_sent")
        )
        fresh = await self._deps.store.get_broadcast(b.id)
        if not done:
            return ConfirmResult("not_unknown", fresh)
        await self._deps.audit(actor_id, "confirmed_not_sent", f"broadcast:{b.id}")
        return ConfirmResult("confirmed", fresh)
