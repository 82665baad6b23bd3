"""The credit watch, the logic: check a key's credit, compare it with a threshold, and
decide what is news. No Telegram here; handlers/credit_watch.py tells people.

* Threshold: ``CREDIT_ALERT_RIALS`` when set, else the cost of the key's largest broadcast
  of the last 30 days (none in 30 days: no low-credit alert, failures are still told).
* The cost of a broadcast is the provider's price per recipient (the larger of the two
  operator prices, as the review shows it) times its recipients. It is asked once per
  broadcast after the send and kept in ``broadcast_costs``; broadcasts from before that
  table existed are priced the same way when first needed (a few per check).
* Once per crossing: the owner and the approvers are told when credit goes from at or
  above the threshold to below it; again only after it has been back at or above it.
* A failed check, or a key the provider refuses, is told to the owner once, until a
  check succeeds again. The state is in SQLite, so a restart does not repeat anything.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.ippanel import AuthError, IPPanelClient, IPPanelError
from storage import KeyIntegrityError, Store
from storage.credit_watch import BroadcastCost

log = logging.getLogger(__name__)

WINDOW = timedelta(days=30)  # "the largest broadcast of the last 30 days"
BACKFILL_LIMIT = 10  # unpriced old broadcasts priced per check, to bound provider calls


def covers(credit: float, cost: float | None) -> int | None:
    """How many broadcasts of ``cost`` the credit pays for, rounded down."""
    if cost is None or cost <= 0:
        return None
    return max(0, math.floor(credit / cost))


def is_low(credit: float, threshold: float | None) -> bool | None:
    """Below the threshold; None when there is no threshold to compare with."""
    return None if threshold is None else credit < threshold


@dataclass(frozen=True)
class Estimate:
    """What the credit pays for, as /credit and the alert say it."""

    credit: float
    threshold: float | None
    fixed_threshold: bool  # True: CREDIT_ALERT_RIALS; False: the largest recent broadcast
    last: BroadcastCost | None  # the owner's last broadcast that cost credit, priced
    last_id: int | None = None  # that broadcast, even when it could not be priced

    @property
    def covers(self) -> int | None:
        return covers(self.credit, self.last.cost if self.last else None)

    @property
    def low(self) -> bool:
        return bool(is_low(self.credit, self.threshold))


CheckKind = Literal["ok", "low", "auth", "error", "gone"]


@dataclass(frozen=True)
class CheckResult:
    kind: CheckKind  # "low": below the threshold; "auth": key refused; "gone": no key
    news: bool  # True only when this result must be told now (first of its kind)
    estimate: Estimate | None = None
    reason: str | None = None  # the provider's words, for "error"
    error: IPPanelError | None = None  # the error itself, told in plain words (words)


class CreditWatch:
    def __init__(
        self,
        store: Store,
        client: IPPanelClient,
        *,
        fixed_threshold: float | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._client = client
        self._fixed = fixed_threshold
        self._clock = clock
        # the periodic sweep and an after-send check may overlap: one check at a time
        # keeps provider calls down (the store's compare-and-set keeps telling exact)
        self._lock = asyncio.Lock()

    async def price(self, api_key: str, broadcast_id: int) -> BroadcastCost | None:
        """The broadcast's cost, asked of the provider once and then kept."""
        known = await self._store.get_cost(broadcast_id)
        if known is not None:
            return known
        b = await self._store.get_broadcast(broadcast_id)
        if b is None:
            return None
        snap = b.snapshot
        price = await self._client.calculate_price(
            api_key, sender=snap.sender or "", message=snap.message or ""
        )
        per = max(price.mci_price, price.other_price)
        recipients = snap.recipients
        return await self._store.record_cost(b.id, b.requester_id, per, recipients, b.created_at)

    async def after_send(self, owner_id: int, broadcast_id: int) -> None:
        """Record what a send cost (before the estimate needs it); a failure only logs."""
        try:
            api_key = await self._store.get_api_key(owner_id)
            if api_key is not None:
                await self.price(api_key, broadcast_id)
        except (IPPanelError, KeyIntegrityError) as exc:
            log.info("broadcast %s: could not price it: %s", broadcast_id, type(exc).__name__)

    async def threshold(self, owner_id: int, api_key: str) -> float | None:
        if self._fixed is not None:
            return self._fixed
        since = self._clock() - WINDOW
        try:
            for bid in await self._store.unpriced_broadcasts_since(owner_id, since, BACKFILL_LIMIT):
                await self.price(api_key, bid)
        except IPPanelError as exc:  # priced ones are kept; the rest wait for the next check
            log.info("user %s: pricing past broadcasts failed: %s", owner_id, type(exc).__name__)
        largest = await self._store.largest_cost_since(owner_id, since)
        return largest.cost if largest is not None and largest.cost > 0 else None

    async def estimate(self, owner_id: int, api_key: str, credit: float) -> Estimate:
        """Threshold and "covers N broadcasts like the last"; a pricing failure only
        leaves the count out."""
        threshold = await self.threshold(owner_id, api_key)
        last_id = await self._store.last_spent_broadcast(owner_id)
        last = None
        if last_id is not None:
            try:
                last = await self.price(api_key, last_id)
            except IPPanelError as exc:
                log.info("broadcast %s: could not price it: %s", last_id, type(exc).__name__)
        return Estimate(credit, threshold, self._fixed is not None, last, last_id)

    async def check(self, owner_id: int, key_stamp: str) -> CheckResult:
        async with self._lock:
            return await self._check(owner_id, key_stamp)

    async def _check(self, owner_id: int, key_stamp: str) -> CheckResult:
        store = self._store
        await store.watch_state(owner_id, key_stamp)  # a re-set key starts a fresh record
        try:
            api_key = await store.get_api_key(owner_id)
        except KeyIntegrityError:
            # cannot be opened: to the owner it is the same as a refused key (/token)
            return await self._failed(owner_id, key_stamp, "auth", None)
        if api_key is None:
            return CheckResult("gone", news=False)
        try:
            credit = (await self._client.credit(api_key)).credit
        except AuthError:
            return await self._failed(owner_id, key_stamp, "auth", None)
        except IPPanelError as exc:
            return await self._failed(owner_id, key_stamp, "error", exc.message, exc)
        estimate = await self.estimate(owner_id, api_key, credit)
        await store.record_check(owner_id, key_stamp, credit, estimate.threshold)
        low = is_low(credit, estimate.threshold)
        if low is None:  # nothing to compare with: keep what was told
            return CheckResult("ok", news=False, estimate=estimate)
        if low:
            news = await store.mark_low(owner_id, key_stamp, True)
            return CheckResult("low", news=news, estimate=estimate)
        await store.mark_low(owner_id, key_stamp, False)  # back above: the next fall is news
        return CheckResult("ok", news=False, estimate=estimate)

    async def _failed(
        self,
        owner_id: int,
        key_stamp: str,
        kind: Literal["auth", "error"],
        reason: str | None,
        error: IPPanelError | None = None,
    ) -> CheckResult:
        news = await self._store.mark_failure(owner_id, key_stamp, kind)
        return CheckResult(kind, news=news, reason=reason, error=error)

    async def sweep(self, people: frozenset[int]) -> list[tuple[int, CheckResult]]:
        """Check the stored key of everyone in ``people`` (the admins and approvers; a key
        left by someone no longer on the list sends nothing); forget removed keys."""
        owners = await self._store.key_owners()
        await self._store.forget_watch([owner for owner, _ in owners])
        results = []
        for owner, stamp in owners:
            if owner not in people:
                continue
            try:
                results.append((owner, await self.check(owner, stamp)))
            except Exception:  # one owner's trouble must not stop the others' checks
                log.exception("credit check of user %s failed", owner)
        return results

    async def check_owner(self, owner_id: int) -> CheckResult | None:
        """Check one owner's key now (after a send); None when they have no key."""
        stamp = dict(await self._store.key_owners()).get(owner_id)
        return None if stamp is None else await self.check(owner_id, stamp)
