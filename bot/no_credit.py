"""A broadcast the account's credit could not pay for.

The panel may refuse such a send (HTTP 422, ``InsufficientCreditError``), or
accept it and fail it later: the docs list this only as a report state,
``state_id`` 8 "insufficient credit" (report/outbox-report.md). Either way the
admins must read "credit ran out" with the amounts, never a plain "sent".

Kept apart from ``bot.broadcasts`` on purpose: the service calls these small
functions and stays the only place that changes a broadcast's state. No words here:
the amounts go to the handlers, which say them in the reader's language
(:func:`bot.provider_words.shortfall_text`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain import Snapshot
from bot.ippanel import BulkReport, IPPanelClient, IPPanelError

log = logging.getLogger(__name__)

NO_CREDIT_STATE = 8  # report state_id: "insufficient credit for sending"
# States after which a send will not change any more (sent, cancelled, rejected,
# invalid recipients, system error, no credit): no need to ask again.
FINAL_STATES = frozenset({3, 4, 6, 7, 8, 9})


@dataclass(frozen=True)
class CreditShortfall:
    """The amounts to show, in rials; None when the panel could not tell."""

    credit: float | None
    cost: float | None


def ran_out(reports: Iterable[BulkReport]) -> bool:
    """Whether any part of a send failed for lack of credit."""
    return any(r.state_id == NO_CREDIT_STATE for r in reports)


def nothing_went_out(reports: Sequence[BulkReport]) -> bool:
    """Every part failed for credit and no message left: resending sends nothing twice."""
    return bool(reports) and all(
        r.state_id == NO_CREDIT_STATE and r.exit_count == 0 for r in reports
    )


def settled(reports: Iterable[BulkReport]) -> bool:
    return all(r.state_id in FINAL_STATES for r in reports)


async def reports_of(
    client: IPPanelClient, api_key: str, outbox_ids: Iterable[int]
) -> list[BulkReport] | None:
    """One report per outbox id; None when the panel could not be asked."""
    try:
        return [await client.report(api_key, outbox_id=i) for i in outbox_ids]
    except IPPanelError as error:
        log.info("credit check: report unavailable: %r", error)
        return None


async def shortfall(
    client: IPPanelClient,
    api_key: str,
    snapshot: Snapshot,
    recipients: int,
    reports: Sequence[BulkReport] = (),
) -> CreditShortfall:
    """The account's credit now and what the broadcast costs.

    The cost is the panel's own ``cost`` from the report when it gave one, else
    an estimate: calculate-price's dearer per-recipient price times recipients.
    """
    credit: float | None = None
    try:
        credit = (await client.credit(api_key)).credit
    except IPPanelError as error:
        log.info("credit check: credit unavailable: %r", error)
    cost: float | None = sum(r.cost for r in reports) or None
    if cost is None and recipients > 0:
        try:
            price = await client.calculate_price(
                api_key, sender=snapshot.sender or "", message=snapshot.message
            )
            cost = max(price.mci_price, price.other_price) * recipients or None
        except (IPPanelError, KeyError) as error:
            log.info("credit check: price unavailable: %r", error)
    return CreditShortfall(credit, cost)


__all__ = [
    "FINAL_STATES",
    "NO_CREDIT_STATE",
    "CreditShortfall",
    "nothing_went_out",
    "ran_out",
    "reports_of",
    "settled",
    "shortfall",
]
