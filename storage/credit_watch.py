"""The credit watch's memory: what each key owner was last told, and broadcast costs.

Transitions are compare-and-set, so two checks of the same key running at once (the
6-hourly job and the one after a send) tell a crossing or a failure at most once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ._base import StoreBase
from .db import from_db_time, to_db_time


@dataclass(frozen=True)
class WatchState:
    user_id: int
    key_stamp: str
    low_told: bool
    failure: str | None  # "auth" or "error" once told
    credit: float | None
    threshold: float | None
    checked_at: datetime | None


@dataclass(frozen=True)
class BroadcastCost:
    broadcast_id: int
    owner_id: int
    per_recipient: float
    recipients: int
    cost: float
    sent_at: datetime
    public_no: int | None = None  # words: the broadcast's number as people see it


def _state(row: sqlite3.Row) -> WatchState:
    return WatchState(
        user_id=row["user_id"],
        key_stamp=row["key_stamp"],
        low_told=bool(row["low_told"]),
        failure=row["failure"],
        credit=row["credit"],
        threshold=row["threshold"],
        checked_at=from_db_time(row["checked_at"]),
    )


def _cost(row: sqlite3.Row) -> BroadcastCost:
    return BroadcastCost(
        broadcast_id=row["broadcast_id"],
        owner_id=row["owner_id"],
        per_recipient=row["per_recipient"],
        recipients=row["recipients"],
        cost=row["cost"],
        sent_at=from_db_time(row["sent_at"]),  # type: ignore[arg-type]  # sent_at is NOT NULL in the schema
        public_no=row["public_no"] if "public_no" in row.keys() else None,
    )


class CreditWatchStore(StoreBase):
    async def key_owners(self) -> list[tuple[int, str]]:
        """(user id, key stamp) of every stored key; the stamp changes when a key is re-set."""
        rows = await self._db.fetchall("SELECT user_id, updated_at FROM api_keys ORDER BY user_id")
        return [(r["user_id"], r["updated_at"]) for r in rows]

    async def watch_state(self, user_id: int, key_stamp: str) -> WatchState:
        """The owner's record for this key; a new key (other stamp) starts from scratch."""
        await self._db.execute(
            "INSERT INTO credit_watch (user_id, key_stamp) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET key_stamp = excluded.key_stamp, low_told = 0, "
            "failure = NULL, credit = NULL, threshold = NULL, checked_at = NULL "
            "WHERE credit_watch.key_stamp <> excluded.key_stamp",
            (user_id, key_stamp),
        )
        row = await self._db.fetchone("SELECT * FROM credit_watch WHERE user_id = ?", (user_id,))
        assert row is not None
        return _state(row)

    async def record_check(
        self, user_id: int, key_stamp: str, credit: float, threshold: float | None
    ) -> None:
        """A successful check: remember the figures and forget any told failure."""
        await self._db.execute(
            "UPDATE credit_watch SET credit = ?, threshold = ?, checked_at = ?, failure = NULL "
            "WHERE user_id = ? AND key_stamp = ?",
            (credit, threshold, self._stamp(), user_id, key_stamp),
        )

    async def mark_low(self, user_id: int, key_stamp: str, low: bool) -> bool:
        """Set low_told; True only for the caller that changed it (tell exactly once)."""
        return (
            await self._db.execute(
                "UPDATE credit_watch SET low_told = ? WHERE user_id = ? AND key_stamp = ? "
                "AND low_told = ?",
                (int(low), user_id, key_stamp, int(not low)),
            )
            == 1
        )

    async def mark_failure(self, user_id: int, key_stamp: str, failure: str) -> bool:
        """Remember a told failure; True only when it is news (another kind, or none before)."""
        return (
            await self._db.execute(
                "UPDATE credit_watch SET failure = ?, checked_at = ? WHERE user_id = ? "
                "AND key_stamp = ? AND failure IS NOT ?",
                (failure, self._stamp(), user_id, key_stamp, failure),
            )
            == 1
        )

    async def forget_watch(self, keep: list[int]) -> None:
        """Drop records of owners whose key is gone (after /logout)."""
        if not keep:  # NOT IN (NULL) would match nothing
            await self._db.execute("DELETE FROM credit_watch")
            return
        marks = ",".join("?" * len(keep))
        await self._db.execute(f"DELETE FROM credit_watch WHERE user_id NOT IN ({marks})", keep)

    async def record_cost(
        self,
        broadcast_id: int,
        owner_id: int,
        per_recipient: float,
        recipients: int,
        sent_at: datetime,
    ) -> BroadcastCost:
        await self._db.execute(
            "INSERT INTO broadcast_costs (broadcast_id, owner_id, per_recipient, recipients, "
            "cost, sent_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (broadcast_id) DO NOTHING",
            (
                broadcast_id,
                owner_id,
                per_recipient,
                recipients,
                per_recipient * recipients,
                to_db_time(sent_at),
            ),
        )
        cost = await self.get_cost(broadcast_id)
        assert cost is not None
        return cost

    async def get_cost(self, broadcast_id: int) -> BroadcastCost | None:
        row = await self._db.fetchone(
            "SELECT c.*, b.public_no FROM broadcast_costs c "
            "LEFT JOIN broadcasts b ON b.id = c.broadcast_id WHERE c.broadcast_id = ?",
            (broadcast_id,),
        )
        return _cost(row) if row else None

    async def largest_cost_since(self, owner_id: int, since: datetime) -> BroadcastCost | None:
        row = await self._db.fetchone(
            "SELECT * FROM broadcast_costs WHERE owner_id = ? AND sent_at >= ? "
            "ORDER BY cost DESC, broadcast_id DESC LIMIT 1",
            (owner_id, to_db_time(since)),
        )
        return _cost(row) if row else None

    async def last_spent_broadcast(self, owner_id: int) -> int | None:
        """The owner's newest broadcast that may have cost credit (sent, or unknown)."""
        row = await self._db.fetchone(
            "SELECT id FROM broadcasts WHERE requester_id = ? AND state IN ('sent', 'unknown') "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            (owner_id,),
        )
        return row["id"] if row else None

    async def unpriced_broadcasts_since(
        self, owner_id: int, since: datetime, limit: int
    ) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT b.id FROM broadcasts b LEFT JOIN broadcast_costs c ON c.broadcast_id = b.id "
            "WHERE b.requester_id = ? AND b.state IN ('sent', 'unknown') AND b.created_at >= ? "
            "AND c.broadcast_id IS NULL ORDER BY b.created_at DESC, b.id DESC LIMIT ?",
            (owner_id, to_db_time(since), limit),
        )
        return [r["id"] for r in rows]
