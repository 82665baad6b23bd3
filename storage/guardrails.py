"""What the campaign guardrails (#22) read from the store."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain import Broadcast

from ._base import StoreBase
from .broadcasts import _broadcast
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
        return [_broadcast(r) for r in rows]
