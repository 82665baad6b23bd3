"""The append-only audit log (SQLite triggers refuse UPDATE and DELETE of its rows)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
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
            "INSERT INTO audit_log (at, actor_id, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (
                self._stamp(),
                actor_id,
                action,
                subject,
                None if detail is None else dump_json(detail),
            ),
        )

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
