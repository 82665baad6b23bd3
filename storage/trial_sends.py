"""Test SMS to one's own phone: the registered number and the test sends themselves.

The limit per text is enforced here, in one ``INSERT … SELECT … WHERE count < limit``:
SQLite runs the statement atomically, so neither a double tap nor a restart between two
taps can get past it. The row is written before the POST (state ``sending``).
"""

from __future__ import annotations

import sqlite3

from bot.domain import TrialSend

from ._base import StoreBase, dump_json, load_json
from .db import from_db_time

# states that count against the limit: it may have gone out
COUNTED = "state IN ('sending', 'sent', 'unknown')"


def _trial(row: sqlite3.Row) -> TrialSend:
    return TrialSend(
        id=row["id"],
        owner_id=row["owner_id"],
        draft_id=row["draft_id"],
        draft_version=row["draft_version"],
        content_hash=row["content_hash"],
        sender=row["sender"],
        recipient=row["recipient"],
        message=row["message"],
        state=row["state"],
        outbox_ids=[int(i) for i in load_json(row["outbox_ids"], [])],
        error=row["error"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
    )


class TrialSendStore(StoreBase):
    # ------------------------------------------------------------- the number

    async def set_test_phone(self, user_id: int, phone: str) -> None:
        await self._db.execute(
            "INSERT INTO profiles (user_id, test_phone, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET test_phone = excluded.test_phone, "
            "updated_at = excluded.updated_at",
            (user_id, phone, self._stamp()),
        )

    async def forget_test_phone(self, user_id: int) -> bool:
        """Forget the number; False when none was registered."""
        changed = await self._db.execute(
            "UPDATE profiles SET test_phone = NULL, updated_at = ? "
            "WHERE user_id = ? AND test_phone IS NOT NULL",
            (self._stamp(), user_id),
        )
        return changed > 0

    async def get_test_phone(self, user_id: int) -> str | None:
        row = await self._db.fetchone(
            "SELECT test_phone FROM profiles WHERE user_id = ?", (user_id,)
        )
        return row["test_phone"] if row else None

    # ------------------------------------------------------------ the sends

    async def reserve_trial(
        self,
        *,
        owner_id: int,
        draft_id: int,
        draft_version: int,
        content_hash: str,
        sender: str,
        recipient: str,
        message: str,
        limit: int,
    ) -> TrialSend | None:
        """Write a ``sending`` row if fewer than ``limit`` counted ones exist for this
        draft and text; None when the limit is reached. One statement: atomic."""
        now = self._stamp()
        row = await self._db.fetchone(
            "INSERT INTO test_sends (owner_id, draft_id, draft_version, content_hash, sender, "
            "recipient, message, state, created_at, updated_at) "
            "SELECT ?, ?, ?, ?, ?, ?, ?, 'sending', ?, ? "
            f"WHERE (SELECT COUNT(*) FROM test_sends WHERE draft_id = ? AND content_hash = ? "
            f"AND {COUNTED}) < ? RETURNING *",
            (
                owner_id,
                draft_id,
                draft_version,
                content_hash,
                sender,
                recipient,
                message,
                now,
                now,
                draft_id,
                content_hash,
                limit,
            ),
        )
        return _trial(row) if row else None

    async def finish_trial(
        self,
        trial_id: int,
        state: str,
        *,
        outbox_ids: list[int] | None = None,
        error: str | None = None,
    ) -> TrialSend | None:
        """Record the outcome of a ``sending`` row (once: a finished row stays as it is)."""
        row = await self._db.fetchone(
            "UPDATE test_sends SET state = ?, outbox_ids = ?, error = ?, updated_at = ? "
            "WHERE id = ? AND state = 'sending' RETURNING *",
            (state, dump_json(outbox_ids or []), error, self._stamp(), trial_id),
        )
        return _trial(row) if row else None

    async def settle_interrupted_trials(self) -> int:
        """At start-up: rows still ``sending`` were cut off mid-POST by the last stop. They
        may have gone out, so they become ``unknown`` (still counted, never sent again)."""
        return await self._db.execute(
            "UPDATE test_sends SET state = 'unknown', error = 'interrupted', updated_at = ? "
            "WHERE state = 'sending'",
            (self._stamp(),),
        )

    async def count_trials(self, draft_id: int, content_hash: str) -> int:
        """Test sends of this draft and text that count against the limit."""
        row = await self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM test_sends WHERE draft_id = ? AND content_hash = ? "
            f"AND {COUNTED}",
            (draft_id, content_hash),
        )
        return int(row["n"]) if row else 0

    async def list_trials(self, owner_id: int, limit: int = 5) -> list[TrialSend]:
        rows = await self._db.fetchall(
            "SELECT * FROM test_sends WHERE owner_id = ? ORDER BY id DESC LIMIT ?",
            (owner_id, limit),
        )
        return [_trial(r) for r in rows]
