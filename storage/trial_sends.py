"""Test SMS to one's own phone: the registered number and the test sends themselves.

Every rule on a test send is checked here, in one ``INSERT … SELECT … WHERE …``: SQLite
runs the statement atomically, so neither a double tap, two devices nor a restart between
two taps can get past it. The row is written before the POST (state ``sending``). The
rules, per person: no second test while one is in flight; at most ``limit`` per line and
text (whatever the draft); at most ``daily_cap`` in 24 hours; and none within
:data:`DUPLICATE_WINDOW` of an identical one (the panel refuses it, 429).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.domain import TrialSend

from ._base import StoreBase, dump_json, load_json
from .db import from_db_time, parse_db_time, to_db_time

# states that count against the limits: it may have gone out
COUNTED = "state IN ('sending', 'sent', 'unknown')"
# the panel refuses an identical SMS (line, text, number) this soon after another (429)
DUPLICATE_WINDOW = timedelta(seconds=40)
DUPLICATE_ERROR = "duplicate (429)"  # the error of a test the panel refused as a duplicate
# what starts (or restarts) the duplicate window: an identical SMS that may have gone out,
# or the panel's own duplicate refusal (its window began at an SMS we may not know of)
NEAR_DUPLICATE = f"({COUNTED} OR (state = 'failed' AND error = '{DUPLICATE_ERROR}'))"
DAY = timedelta(hours=24)
DEFAULT_DAILY_CAP = 10  # test sends per person in 24 hours (TEST_SMS_DAILY_CAP's default)

BlockKind = Literal["in_flight", "duplicate", "limit", "daily_cap"]


@dataclass(frozen=True)
class TrialBlock:
    """Why a test send was not reserved; ``wait`` in whole seconds, for "duplicate"."""

    kind: BlockKind
    wait: int = 0


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


def read_trials(conn: sqlite3.Connection, owner_id: int, limit: int) -> list[TrialSend]:
    """The owner's latest test sends, newest first."""
    rows = conn.execute(
        "SELECT * FROM trial_sends WHERE owner_id = ? ORDER BY id DESC LIMIT ?",
        (owner_id, limit),
    ).fetchall()
    return [_trial(r) for r in rows]


class TrialSendStore(StoreBase):
    # ------------------------------------------------------------- the number

    async def set_trial_phone(self, user_id: int, phone: str) -> None:
        await self._db.execute(
            "INSERT INTO profiles (user_id, trial_phone, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET trial_phone = excluded.trial_phone, "
            "updated_at = excluded.updated_at",
            (user_id, phone, self._stamp()),
        )
        self._profile_rows.forget(user_id)  # the profile row holds the number

    async def forget_trial_phone(self, user_id: int) -> bool:
        """Forget the number; False when none was registered."""
        changed = await self._db.execute(
            "UPDATE profiles SET trial_phone = NULL, updated_at = ? "
            "WHERE user_id = ? AND trial_phone IS NOT NULL",
            (self._stamp(), user_id),
        )
        self._profile_rows.forget(user_id)
        return changed > 0

    async def get_trial_phone(self, user_id: int) -> str | None:
        row = await self._db.fetchone(
            "SELECT trial_phone FROM profiles WHERE user_id = ?", (user_id,)
        )
        return row["trial_phone"] if row else None

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
        daily_cap: int = DEFAULT_DAILY_CAP,
    ) -> TrialSend | TrialBlock:
        """Write a ``sending`` row when every rule allows it (see the module), else say
        which rule refused. One statement: atomic."""
        now = self._clock()
        stamp = to_db_time(now)
        row = await self._db.fetchone(
            "INSERT INTO trial_sends (owner_id, draft_id, draft_version, content_hash, sender, "
            "recipient, message, state, created_at, updated_at) "
            "SELECT ?, ?, ?, ?, ?, ?, ?, 'sending', ?, ? WHERE "
            "NOT EXISTS (SELECT 1 FROM trial_sends WHERE owner_id = ? AND state = 'sending') "
            "AND NOT EXISTS (SELECT 1 FROM trial_sends WHERE owner_id = ? AND content_hash = ? "
            f"AND recipient = ? AND created_at > ? AND {NEAR_DUPLICATE}) "
            "AND (SELECT COUNT(*) FROM trial_sends WHERE owner_id = ? AND content_hash = ? "
            f"AND {COUNTED}) < ? "
            "AND (SELECT COUNT(*) FROM trial_sends WHERE owner_id = ? AND created_at > ? "
            f"AND {COUNTED}) < ? RETURNING *",
            (
                owner_id,
                draft_id,
                draft_version,
                content_hash,
                sender,
                recipient,
                message,
                stamp,
                stamp,
                owner_id,
                owner_id,
                content_hash,
                recipient,
                to_db_time(now - DUPLICATE_WINDOW),
                owner_id,
                content_hash,
                limit,
                owner_id,
                to_db_time(now - DAY),
                daily_cap,
            ),
        )
        if row is not None:
            return _trial(row)
        return await self._why_blocked(owner_id, content_hash, recipient, limit, now)

    async def _why_blocked(
        self, owner_id: int, content_hash: str, recipient: str, limit: int, now: datetime
    ) -> TrialBlock:
        """Which rule refused (read after the refusal: it only words the answer)."""
        if await self._db.fetchone(
            "SELECT 1 FROM trial_sends WHERE owner_id = ? AND state = 'sending'", (owner_id,)
        ):
            return TrialBlock("in_flight")
        wait = await self.duplicate_wait(owner_id, content_hash, recipient)
        if wait:
            return TrialBlock("duplicate", wait)
        if await self.count_trials(owner_id, content_hash) >= limit:
            return TrialBlock("limit")
        return TrialBlock("daily_cap")

    async def duplicate_wait(self, owner_id: int, content_hash: str, recipient: str) -> int:
        """Whole seconds until an identical test SMS is no longer refused as a duplicate
        (0: not now). Counted from the last identical one that may have gone out, or
        that the panel refused as a duplicate."""
        now = self._clock()
        row = await self._db.fetchone(
            "SELECT MAX(created_at) AS at FROM trial_sends WHERE owner_id = ? "
            f"AND content_hash = ? AND recipient = ? AND {NEAR_DUPLICATE}",
            (owner_id, content_hash, recipient),
        )
        if row is None or row["at"] is None:
            return 0
        left = parse_db_time(row["at"]) + DUPLICATE_WINDOW - now
        return max(0, -int(-left.total_seconds() // 1))

    async def count_today(self, owner_id: int) -> int:
        """Test sends of this person in the last 24 hours that count against the cap."""
        since = to_db_time(self._clock() - DAY)
        row = await self._db.fetchone(
            "SELECT COUNT(*) AS n FROM trial_sends WHERE owner_id = ? AND created_at > ? "
            f"AND {COUNTED}",
            (owner_id, since),
        )
        return int(row["n"]) if row else 0

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
            "UPDATE trial_sends SET state = ?, outbox_ids = ?, error = ?, updated_at = ? "
            "WHERE id = ? AND state = 'sending' RETURNING *",
            (state, dump_json(outbox_ids or []), error, self._stamp(), trial_id),
        )
        return _trial(row) if row else None

    async def settle_interrupted_trials(self) -> int:
        """At start-up: rows still ``sending`` were cut off mid-POST by the last stop. They
        may have gone out, so they become ``unknown`` (still counted, never sent again)."""
        return await self._db.execute(
            "UPDATE trial_sends SET state = 'unknown', error = 'interrupted', updated_at = ? "
            "WHERE state = 'sending'",
            (self._stamp(),),
        )

    async def count_trials(self, owner_id: int, content_hash: str) -> int:
        """This person's test sends of this line and text (any draft) that count
        against the limit per text."""
        row = await self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM trial_sends WHERE owner_id = ? AND content_hash = ? "
            f"AND {COUNTED}",
            (owner_id, content_hash),
        )
        return int(row["n"]) if row else 0

    async def list_trials(self, owner_id: int, limit: int = 5) -> list[TrialSend]:
        return await self._db.read(read_trials, owner_id, limit)
