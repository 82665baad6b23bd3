"""The append-only audit log (SQLite triggers refuse UPDATE and DELETE of its rows)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ._base import StoreBase, dump_json, load_json
from .db import parse_db_time


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    subject: str | None = None
    detail: dict[str, Any] | None = field(default=None, hash=False)


INSERT_AUDIT = (
    "INSERT INTO audit_log (at, actor_id, action, subject, detail) VALUES (?, ?, ?, ?, ?)"
)


def audit_params(
    at: str,
    actor_id: int | None,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> tuple[object, ...]:
    """The parameters of :data:`INSERT_AUDIT` (also written inside other transactions,
    with the state change a row describes)."""
    return (at, actor_id, action, subject, None if detail is None else dump_json(detail))


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=parse_db_time(row["at"]),
        actor_id=row["actor_id"],
        action=row["action"],
        subject=row["subject"],
        detail=load_json(row["detail"]),
    )


class AuditStore(StoreBase):
    async def audit(
        self,
        actor_id: int | None,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self._db.execute(
            INSERT_AUDIT, audit_params(self._stamp(), actor_id, action, subject, detail)
        )

    async def last_audit(self, subject: str, action: str) -> AuditEntry | None:
        """The newest entry of ``action`` on ``subject`` (who cancelled a send, and when)."""
        row = await self._db.fetchone(
            "SELECT * FROM audit_log WHERE subject = ? AND action = ? ORDER BY id DESC LIMIT 1",
            (subject, action),
        )
        return _entry(row) if row else None

    async def list_audit(self, limit: int = 50, actor_id: int | None = None) -> list[AuditEntry]:
        if actor_id is None:
            rows = await self._db.fetchall(
                "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
            )
        else:
            rows = await self._db.fetchall(
                "SELECT * FROM audit_log WHERE actor_id = ? ORDER BY id DESC LIMIT ?",
                (actor_id, limit),
            )
        return [_entry(r) for r in rows]

    async def count_strangers(
        self, seen: dict[tuple[int, str], tuple[int, str]], keep_days: int = 90
    ) -> None:
        """Add stranger contacts, ``{(user_id, UTC day): (count, first kind)}``, in one
        transaction: the strangers' audit is one row per stranger per day with a count.

        It lives in ``stranger_days``, not in the append-only ``audit_log``: anyone can write
        to the bot, and rows nobody may delete would let them grow the database for good.
        Days older than ``keep_days`` are dropped."""
        oldest = (self._now().date() - timedelta(days=keep_days)).isoformat()
        async with self._db.transaction() as tx:
            for (user_id, day), (count, kind) in seen.items():
                await tx.execute(
                    "INSERT INTO stranger_days (user_id, day, count, first_kind) "
                    "VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (user_id, day) DO UPDATE SET count = count + excluded.count",
                    (user_id, day, count, kind),
                )
            await tx.execute("DELETE FROM stranger_days WHERE day < ?", (oldest,))

    async def stranger_count(self, user_id: int, day: str) -> int:
        row = await self._db.fetchone(
            "SELECT count FROM stranger_days WHERE user_id = ? AND day = ?", (user_id, day)
        )
        return int(row["count"]) if row else 0
