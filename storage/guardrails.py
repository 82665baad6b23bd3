"""What the campaign guardrails (#22) read from the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.domain import ApprovalRequest, Broadcast

from ._base import StoreBase, load_json
from .approvals import _request
from .broadcasts import broadcast_of
from .db import to_db_time

# A send scheduled this long ago may still be ahead: the same horizon as a scheduled send.
_SCHEDULE_HORIZON = timedelta(days=366)


class GuardrailStore(StoreBase):
    async def sends_since(self, since: datetime) -> list[Broadcast]:
        """Broadcast rows that went out, may have, or are scheduled to, created since
        ``since`` or scheduled (a plan's batches included) before it for a later time.
        The caller reads each row's send time; certainly failed or cancelled rows are left out."""
        rows = await self._db.fetchall(
            "SELECT * FROM broadcasts WHERE state IN ('sent', 'unknown', 'sending') AND "
            "(created_at >= ? OR (created_at >= ? AND (batch_no > 0 OR send_at IS NOT NULL "
            "OR json_extract(snapshot, '$.send_at') IS NOT NULL))) ORDER BY id",
            (to_db_time(since), to_db_time(since - _SCHEDULE_HORIZON)),
        )
        return [broadcast_of(r) for r in rows]

    async def spend_rows(
        self, since: datetime
    ) -> list[tuple[Broadcast, float | None, dict[str, Any] | None]]:
        """Broadcast rows that went out, may have, or are scheduled to, created since
        ``since`` or scheduled earlier (within a year) for a later time: each with its
        recorded cost (None: not recorded) and its request's money check at submit (None:
        sent without a request). The caller reads each row's send time."""
        rows = await self._db.fetchall(
            "SELECT b.*, c.cost AS known_cost, r.money AS request_money FROM broadcasts b "
            "LEFT JOIN broadcast_costs c ON c.broadcast_id = b.id "
            "LEFT JOIN approval_requests r ON r.id = b.request_id "
            "WHERE b.state IN ('sent', 'unknown', 'sending') AND (b.created_at >= ? OR "
            "(b.created_at >= ? AND (b.batch_no > 0 OR b.send_at IS NOT NULL "
            "OR json_extract(b.snapshot, '$.send_at') IS NOT NULL))) ORDER BY b.id",
            (to_db_time(since), to_db_time(since - _SCHEDULE_HORIZON)),
        )
        return [
            (broadcast_of(r), r["known_cost"], load_json(r["request_money"], None)) for r in rows
        ]

    async def unposted_plan_batches(
        self, since: datetime
    ) -> list[tuple[ApprovalRequest, set[int]]]:
        """Approved gradual plans still running (or not started), created since ``since``,
        each with the batch numbers that already have a broadcast row."""
        rows = await self._db.fetchall(
            "SELECT r.* FROM approval_requests r INDEXED BY requests_by_decided_at "
            "LEFT JOIN plans p ON p.plan_key = 'r' || r.id "
            "WHERE r.state = 'approved' AND json_extract(r.snapshot, '$.plan') IS NOT NULL "
            # decided_at >= created_at for every approved request: the same rows, read from
            # the decided_at index instead of the whole table (#23)
            "AND r.created_at >= ? AND r.decided_at >= ? "
            "AND COALESCE(p.state, 'running') = 'running' ORDER BY r.id",
            (to_db_time(since - _SCHEDULE_HORIZON), to_db_time(since - _SCHEDULE_HORIZON)),
        )
        found = []
        for row in rows:
            posted = await self._db.fetchall(
                "SELECT batch_no FROM broadcasts WHERE plan_key = ?", (f"r{row['id']}",)
            )
            found.append((_request(row), {int(p["batch_no"]) for p in posted}))
        return found
