"""The approve press in one transaction: count the approval, flip the request, audit it,
and (when the lifecycle allows the send) write its broadcast row ``sending``, all in one
``BEGIN IMMEDIATE`` and one trip to the connection's thread.

What the press decides is what :meth:`ApprovalStore.add_approval` and
:meth:`BroadcastStore.start_broadcast` decide one after the other; here nothing awaits
between them, so the POST can follow the press at once, and the row that makes a crash
mid-POST "unknown" (never resent) is committed before the POST as before.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from bot.domain import ApprovalRequest, ApprovalTally, Broadcast, RequestState

from ._base import StoreBase
from .approvals import _WITH_APPROVERS, _request
from .audit import INSERT_AUDIT, audit_params
from .broadcasts import INSERT_SENDING, broadcast_of, sending_params
from .db import to_db_time
from .plans import Check, Gate, Refused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApprovedSend:
    """One approve press, decided in one transaction."""

    tally: ApprovalTally
    request: ApprovalRequest  # as read in the transaction, before this press
    # the send unit now ``sending``, or the lifecycle's refusal; None: no unit was started
    # (not approved yet, a gradual plan, which posts batch by batch, or a duplicate)
    unit: Broadcast | Refused | None = None
    not_started: bool = False  # approved, but the row could not be written: nothing sent
    token: str | None = None  # the requester's sealed key, read in the same trip


class ApproveSendStore(StoreBase):
    async def approve_and_start(
        self,
        request_id: int,
        approver_id: int,
        *,
        now: datetime,
        eligible: Collection[int],
        may_decide: Callable[[ApprovalRequest], bool],
        check: Callable[[ApprovalRequest], Check],
    ) -> ApprovedSend | None:
        """Count this approval and, when it completes the count, approve and start the send.

        None, with nothing written, when the request is missing, not pending, expired
        (``now``) or ``may_decide`` (the caller's pure rules: roles, expiry, the content
        hash) refuses it: the caller then decides the press its usual way. Otherwise, in
        one transaction: the approval row (one per person), the count of approvals of
        people in ``eligible`` (never the requester), and when it reaches the request's
        ``approvals_needed`` the flip to approved with its audit row; then, unless the
        request is a gradual plan, ``check(request)`` (the lifecycle's gate) judges the
        send on what the transaction holds, and the broadcast row is written ``sending``.
        Of simultaneous presses exactly one sees "approved" (``BEGIN IMMEDIATE``).

        A row that cannot be written (not a duplicate) leaves the approval standing and
        ``not_started`` set, as when the two were separate transactions: nothing was sent,
        start-up lists it as stranded."""
        limit = to_db_time(now)
        stamp = self._stamp()
        eligible = frozenset(eligible)

        def work(conn: sqlite3.Connection) -> ApprovedSend | None:
            rows = conn.execute(f"{_WITH_APPROVERS} WHERE r.id = ?", (request_id,)).fetchall()
            row = rows[0] if rows else None
            if row is None or row["state"] != RequestState.PENDING.value:
                return None
            request = _request(row)
            if request.requester_id == approver_id or row["expires_at"] <= limit:
                return None
            if not may_decide(request):
                return None
            added = conn.execute(
                "INSERT OR IGNORE INTO approvals (request_id, approver_id, at) VALUES (?, ?, ?)",
                (request_id, approver_id, stamp),
            ).rowcount
            who = [
                r[0]
                for r in conn.execute(
                    "SELECT approver_id FROM approvals WHERE request_id = ? "
                    "ORDER BY at, approver_id",
                    (request_id,),
                )
            ]
            others = tuple(a for a in who if a != request.requester_id)
            counted = tuple(a for a in others if a in eligible)
            needed = request.approvals_needed
            subject = f"request:{request_id}"
            detail = {"approvals": len(counted), "needed": needed}
            if added != 1:
                return ApprovedSend(ApprovalTally("repeat", counted, needed), request)
            if len(counted) < needed:
                audit = audit_params(stamp, approver_id, "approval_counted", subject, detail)
                conn.execute(INSERT_AUDIT, audit)
                return ApprovedSend(ApprovalTally("counted", counted, needed), request)
            conn.execute(
                "UPDATE approval_requests SET state = 'approved', decided_by = ?, "
                "decided_at = ?, reason = NULL WHERE id = ? AND state = 'pending'",
                (approver_id, stamp, request_id),
            )
            shown = detail if needed > 1 else None
            conn.execute(INSERT_AUDIT, audit_params(stamp, approver_id, "approved", subject, shown))
            tally = ApprovalTally("approved", counted, needed)
            if request.snapshot.plan is not None:  # batch by batch, through the plan's path
                return ApprovedSend(tally, request)
            gate = Gate(None, None, "approved", request.requester_id, others, needed)
            refusal = check(request)(gate)
            if refusal is not None:
                return ApprovedSend(tally, request, Refused(refusal))
            return _start(conn, stamp, request, row["snapshot"], approver_id, tally)

        return await self._db.in_one_trip(work)


def _start(
    conn: sqlite3.Connection,
    stamp: str,
    request: ApprovalRequest,
    stored: str,
    approver_id: int,
    tally: ApprovalTally,
) -> ApprovedSend:
    """The approved request's broadcast row, ``sending``, with the snapshot exactly as the
    request stored it (``stored``), and the requester's sealed key."""
    params = sending_params(
        stamp,
        request_id=request.id,
        requester_id=request.requester_id,
        approver_id=approver_id,
        snapshot=stored,
    )
    conn.execute("SAVEPOINT unit")
    try:
        rows = conn.execute(INSERT_SENDING, params).fetchall()
    except sqlite3.Error:
        # the approval stands, the row does not: certainly nothing was sent
        log.exception("request %s: approved but the broadcast could not start", request.id)
        conn.execute("ROLLBACK TO unit")
        conn.execute("RELEASE unit")
        return ApprovedSend(tally, request, not_started=True)
    conn.execute("RELEASE unit")
    if not rows:  # the request already has its row (cannot happen after the flip)
        return ApprovedSend(tally, request)
    sealed = conn.execute(
        "SELECT token FROM api_keys WHERE user_id = ?", (request.requester_id,)
    ).fetchall()
    token = sealed[0][0] if sealed else None
    return ApprovedSend(tally, request, broadcast_of(rows[0], request.snapshot), token=token)
