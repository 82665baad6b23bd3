"""/history's page, read in one trip to the connection's thread.

A page shows rows of six tables (broadcasts, approvals, profiles, plans, test sends,
requests); read one by one, each waited for its own hand-off to SQLite's thread and back
(a trip queues behind whatever the event loop has ready: the first page of a used store
made eight). The same reads, run together in one read transaction, also see one snapshot
of the file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from bot.domain import ApprovalRequest, Broadcast, Profile, TrialSend

from ._base import StoreBase
from .approvals import read_approvers_of, read_decided_requests, read_pending_requests
from .broadcasts import read_history_page, read_plan_batches
from .plans import PlanRecord, plan_record
from .profiles import read_profiles
from .trial_sends import read_trials

# what the first page lists under the broadcasts
TRIALS_SHOWN = 5
DECIDED_SHOWN = 5


@dataclass(frozen=True)
class PlanRows:
    """A gradual plan as the store holds it: its record (None before its first batch was
    claimed) and its batch rows, in batch order."""

    record: PlanRecord | None
    batches: list[Broadcast]


@dataclass(frozen=True)
class HistoryView:
    """Everything one /history page shows, as the store held it at one moment."""

    items: list[Broadcast]  # the keyset page, newest first (see read_history_page)
    approvers: dict[int, list[int]]  # request id -> who approved it, in order
    plans: dict[str, PlanRows]  # plan key -> the plan of a batch on the page
    profiles: dict[int, Profile]  # everyone the page names, who has a stored profile
    # the first page only (empty on the others)
    pending: list[ApprovalRequest] = field(default_factory=list)  # every pending request
    trials: list[TrialSend] = field(default_factory=list)  # the admin's latest test SMS
    decided: list[ApprovalRequest] = field(default_factory=list)  # the approver's decisions


def read_history_view(
    conn: sqlite3.Connection,
    user_id: int,
    limit: int,
    older_than: int | None,
    newer_than: int | None,
    first_page: bool,
    approver: bool,
) -> HistoryView:
    items = read_history_page(conn, user_id, limit, older_than, newer_than)
    approvers = read_approvers_of(conn, [b.request_id for b in items if b.request_id])
    plans = {
        key: PlanRows(plan_record(conn, key), read_plan_batches(conn, key))
        for key in dict.fromkeys(b.plan_key for b in items if b.plan_key)
    }
    pending = read_pending_requests(conn) if first_page else []
    trials = read_trials(conn, user_id, TRIALS_SHOWN) if first_page else []
    decided = (
        read_decided_requests(conn, user_id, DECIDED_SHOWN, 0) if first_page and approver else []
    )
    people = {p for b in items for p in (b.requester_id, b.approver_id) if p is not None}
    people.update(p for ids in approvers.values() for p in ids)
    people.update(r.requester_id for r in pending)
    return HistoryView(
        items, approvers, plans, read_profiles(conn, people), pending, trials, decided
    )


class HistoryStore(StoreBase):
    async def history_view(
        self,
        user_id: int,
        limit: int,
        *,
        older_than: int | None = None,
        newer_than: int | None = None,
        first_page: bool = False,
        approver: bool = False,
    ) -> HistoryView:
        """A /history page of ``limit`` rows (:func:`~storage.broadcasts.read_history_page`)
        with what it shows of them; the ``first_page`` also lists pending requests, test
        SMS and, for an ``approver``, their latest decisions."""
        return await self._db.read_in_one_trip(
            lambda conn: read_history_view(
                conn, user_id, limit, older_than, newer_than, first_page, approver
            )
        )
