"""Follow-ups after a send (#22): scheduled in the store, claimed once by compare-and-set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import Broadcast

from ._base import StoreBase
from .broadcasts import broadcast_of
from .db import parse_db_time, to_db_time, to_epoch


@dataclass(frozen=True)
class FollowUp:
    send_key: str  # "b<broadcast id>" for a single send, the plan key for a plan
    public_no: int
    due_at: datetime
    state: str  # due, sent, skipped


class FollowUpStore(StoreBase):
    async def schedule_follow_up(self, send_key: str, public_no: int, due_at: datetime) -> bool:
        """Schedule a send's follow-up once; False when it was already scheduled (or done)."""
        return bool(
            await self._db.execute(
                "INSERT INTO follow_ups (send_key, public_no, due_at) VALUES (?, ?, ?) "
                "ON CONFLICT (send_key) DO NOTHING",
                (send_key, public_no, to_db_time(due_at)),
            )
        )

    async def sends_to_follow_up(self, since: datetime) -> list[Broadcast]:
        """Rows going out since ``since`` (by the send-time index) whose send has no
        follow-up yet: a sent single send with its outbox ids, or a batch of a plan (its
        plan's follow-up comes when the plan is done). Each tick of the job reads the sends
        still to schedule, not two days of sends scheduled long ago."""
        rows = await self._db.fetchall(
            "SELECT * FROM broadcasts b INDEXED BY broadcasts_by_goes_at "
            "WHERE b.goes_at >= ? AND (b.plan_key IS NOT NULL "
            "OR (b.state = 'sent' AND b.outbox_ids <> '[]')) "
            # the send's key: a plan's, else "b<id>" (bot/guardrails/follow_up.py single_key)
            "AND NOT EXISTS (SELECT 1 FROM follow_ups f "
            "WHERE f.send_key = COALESCE(b.plan_key, 'b' || b.id)) ORDER BY b.id",
            (to_epoch(since),),
        )
        return [broadcast_of(r) for r in rows]

    async def due_follow_ups(self, now: datetime) -> list[FollowUp]:
        rows = await self._db.fetchall(
            "SELECT * FROM follow_ups WHERE state = 'due' AND due_at <= ? ORDER BY due_at",
            (to_db_time(now),),
        )
        return [
            FollowUp(r["send_key"], r["public_no"], parse_db_time(r["due_at"]), r["state"])
            for r in rows
        ]

    async def settle_follow_up(self, send_key: str, state: str) -> bool:
        """'due' → ``state`` ('sent' or 'skipped'); True for the one caller that moved it."""
        return bool(
            await self._db.execute(
                "UPDATE follow_ups SET state = ?, done_at = ? WHERE send_key = ? AND state = 'due'",
                (state, self._stamp(), send_key),
            )
        )
