"""What the campaign guardrails (#22) read from the store."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from bot.domain import ApprovalRequest, Broadcast, SpendRow

from ._base import StoreBase, load_json
from .approvals import _request, read_pending_requests
from .broadcasts import broadcast_of
from .db import parse_db_time, to_db_time, to_epoch

# A send scheduled this long ago may still be ahead: the same horizon as a scheduled send.
_SCHEDULE_HORIZON = timedelta(days=366)


def read_sends_since(conn: sqlite3.Connection, since: datetime) -> list[Broadcast]:
    """Broadcast rows that went out, may have, or are scheduled to, going out (or gone
    out) since ``since``: a plan's batches at their own times, a scheduled send at its
    time, anything else when it was written. Read from the send-time index (migration
    16), so a card reads the rows of its window, never a year of scheduled ones. The
    caller reads each row's send time (the index keeps whole seconds); certainly failed
    or cancelled rows are left out."""
    rows = conn.execute(
        "SELECT * FROM broadcasts INDEXED BY broadcasts_by_goes_at "
        "WHERE goes_at >= ? "
        "AND state IN ('sent', 'unknown', 'sending') "
        "ORDER BY id",
        (to_epoch(since),),
    ).fetchall()
    return [broadcast_of(r) for r in rows]


class GuardrailStore(StoreBase):
    async def repeat_candidates(
        self, since: datetime
    ) -> tuple[list[Broadcast], list[ApprovalRequest]]:
        """What a repeat check compares a campaign with: :func:`read_sends_since` and every
        pending request, read in one trip (one snapshot of the file)."""
        return await self._db.read_in_one_trip(
            lambda conn: (read_sends_since(conn, since), read_pending_requests(conn))
        )

    async def spend_rows(self, since: datetime) -> list[SpendRow]:
        """The rows of :func:`read_sends_since` as the budget reads them: each row's send time,
        recorded cost (None: not recorded), its request's money check at submit (None: sent
        without a request) and a plan batch's share of its plan. The few snapshot fields
        needed are read in SQL: parsing a month of snapshots in the event loop took ~47 ms
        per card on a year-old store."""
        rows = await self._db.fetchall(
            "SELECT b.id, b.request_id, b.batch_no, b.send_at, b.created_at, "
            "c.cost AS known_cost, r.money AS request_money, "
            "json_extract(b.snapshot, '$.send_at') AS snapshot_at, "
            "json_extract(b.snapshot, '$.plan.rows') AS plan_rows, "
            "CASE WHEN b.batch_no > 0 THEN json_extract(b.snapshot, "
            "'$.plan.batches[' || (b.batch_no - 1) || '].send_at') END AS batch_at, "
            "CASE WHEN b.batch_no > 0 THEN json_extract(b.snapshot, "
            "'$.plan.batches[' || (b.batch_no - 1) || '].size') END AS batch_size "
            "FROM broadcasts b INDEXED BY broadcasts_by_goes_at "
            "LEFT JOIN broadcast_costs c ON c.broadcast_id = b.id "
            "LEFT JOIN approval_requests r ON r.id = b.request_id "
            "WHERE b.goes_at >= ? "
            "AND b.state IN ('sent', 'unknown', 'sending') "
            "ORDER BY b.id",
            (to_epoch(since),),
        )
        return [_spend_row(r) for r in rows]

    async def unposted_plan_batches(
        self, since: datetime
    ) -> list[tuple[ApprovalRequest, set[int]]]:
        """Approved gradual plans still running (or not started), created since ``since``,
        each with the batch numbers that already have a broadcast row. Read from the
        running plans and the approved requests never started (migration 16), never
        from a year of approvals."""
        after = to_db_time(since - _SCHEDULE_HORIZON)
        rows = await self._db.fetchall(
            "SELECT r.* FROM approval_requests r INDEXED BY requests_approved_unstarted "
            "LEFT JOIN plans p ON p.plan_key = 'r' || r.id "  # halted before its first batch
            "WHERE r.state = 'approved' AND r.started = 0 AND r.created_at >= ? "
            "AND json_extract(r.snapshot, '$.plan') IS NOT NULL "
            "AND COALESCE(p.state, 'running') = 'running' "
            "UNION ALL SELECT r.* FROM plans p JOIN approval_requests r "
            "ON r.id = CAST(substr(p.plan_key, 2) AS INTEGER) "
            "WHERE p.state = 'running' AND p.plan_key = 'r' || r.id AND r.state = 'approved' "
            "AND r.created_at >= ? AND json_extract(r.snapshot, '$.plan') IS NOT NULL "
            "ORDER BY 1",
            (after, after),
        )
        found = []
        for row in rows:
            posted = await self._db.fetchall(
                "SELECT batch_no FROM broadcasts WHERE plan_key = ?", (f"r{row['id']}",)
            )
            found.append((_request(row), {int(p["batch_no"]) for p in posted}))
        return found


def _spend_row(row: sqlite3.Row) -> SpendRow:
    """As :func:`bot.domain.send_time_of` reads a row's time (its own, its batch's, its
    snapshot's; else when it was written) and the budget a batch's share of its plan."""
    at = row["send_at"] or row["batch_at"] or row["snapshot_at"] or row["created_at"]
    rows, size = row["plan_rows"], row["batch_size"]
    share = size / rows if isinstance(rows, int) and rows > 0 and size is not None else 1.0
    return SpendRow(
        broadcast_id=row["id"],
        request_id=row["request_id"],
        at=parse_db_time(str(at)),
        known_cost=row["known_cost"],
        request_money=load_json(row["request_money"], None),
        share=share,
    )
