"""What is kept forever, what is pruned and when, and how the file gives space back.

Kept forever (what the team must be able to prove: who approved what, when, and what was
sent): ``audit_log`` (append-only by trigger), ``approval_requests``, ``approvals``,
``broadcasts`` with their snapshots, ``broadcast_costs``, ``outbox_claims``,
``broadcast_outbox``, ``plans``, and the team's own records (keys, profiles, saved texts).

Pruned by :meth:`MaintenanceStore.prune` (a periodic job), each in its own short
statement: working rows nobody needs once their business is over (see :class:`Policy`).

Space: a new database file is created with ``auto_vacuum = INCREMENTAL``; freed pages are
handed back a few at a time (:meth:`MaintenanceStore.vacuum_step`), never by a full
``VACUUM`` (which would hold the file for seconds). The WAL is checkpointed ``PASSIVE``:
it copies what it can and never waits for, or blocks, a reader or the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ._base import StoreBase
from .db import parse_db_time, to_db_time

# where the pruning job remembers how far it got (the persistence table's own namespace)
_NAMESPACE = "maintenance"
_CARDS_DONE_TO = "cards_pruned_before"


@dataclass(frozen=True)
class Policy:
    drafts: timedelta = timedelta(days=90)  # untouched, with no pending request
    card_messages: timedelta = timedelta(days=30)  # after the request or plan was settled
    trial_sends: timedelta = timedelta(days=90)  # finished test SMS rows
    vacuum_pages: int = 256  # pages handed back per step (1 MiB at 4 KiB pages)


POLICY = Policy()


@dataclass(frozen=True)
class Pruned:
    drafts: int = 0
    request_messages: int = 0
    plan_messages: int = 0
    trial_sends: int = 0
    follow_ups: int = 0

    @property
    def total(self) -> int:
        return (
            self.drafts
            + self.request_messages
            + self.plan_messages
            + self.trial_sends
            + self.follow_ups
        )


class MaintenanceStore(StoreBase):
    async def prune(self, now: datetime, policy: Policy = POLICY) -> Pruned:
        """Delete the working rows the policy lets go; each kind in one statement."""
        drafts = await self._db.execute(
            "DELETE FROM drafts WHERE updated_at < ? AND NOT EXISTS (SELECT 1 FROM "
            "approval_requests r WHERE r.draft_id = drafts.id AND r.state = 'pending')",
            (to_db_time(now - policy.drafts),),
        )
        if drafts:
            self._draft_rows.clear()  # which ones went is not returned: read them anew
        # Card message ids of requests and plans settled before ``cards``: only those settled
        # since the last run's cut-off (less a day, for a clock that stepped back) are
        # looked at, so an hourly run reads an hour of requests, not a year of them.
        cards = to_db_time(now - policy.card_messages)
        row = await self._db.fetchone(
            "SELECT value FROM persistence WHERE namespace = ? AND key = ?",
            (_NAMESPACE, _CARDS_DONE_TO),
        )
        floor = "" if row is None else to_db_time(parse_db_time(row[0]) - timedelta(days=1))
        request_messages = await self._db.execute(
            "DELETE FROM request_messages WHERE request_id IN (SELECT id FROM "
            "approval_requests WHERE decided_at >= ? AND decided_at < ? AND state <> 'pending')",
            (floor, cards),
        )
        plan_messages = follow_ups = 0
        for state in ("done", "halted"):
            plan_messages += await self._db.execute(
                "DELETE FROM plan_messages WHERE plan_key IN (SELECT plan_key FROM plans "
                "WHERE state = ? AND updated_at >= ? AND updated_at < ?)",
                (state, floor, cards),
            )
        await self._db.execute(
            "INSERT INTO persistence (namespace, key, value, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (_NAMESPACE, _CARDS_DONE_TO, cards, self._stamp()),
        )
        for state in ("sent", "skipped"):  # a follow-up done with (#22)
            follow_ups += await self._db.execute(
                "DELETE FROM follow_ups WHERE state = ? AND due_at < ?", (state, cards)
            )
        trial_sends = await self._db.execute(
            "DELETE FROM trial_sends WHERE created_at < ? AND state <> 'sending'",
            (to_db_time(now - policy.trial_sends),),
        )
        return Pruned(drafts, request_messages, plan_messages, trial_sends, follow_ups)

    async def vacuum_step(self, pages: int = POLICY.vacuum_pages) -> int:
        """Hand back at most ``pages`` free pages to the file system (a no-op for a file
        made before auto_vacuum was set); returns the free pages left."""
        # sqlite3's execute() steps this pragma once (one page); a script runs it to the end
        async with self._db.lock:
            await self._db.conn.executescript(f"PRAGMA incremental_vacuum({int(pages)});")
        row = await self._db.fetchone("PRAGMA freelist_count")
        return int(row[0]) if row else 0

    async def checkpoint(self) -> None:
        """Copy the WAL into the file as far as nobody is reading it; never waits."""
        await self._db.fetchall("PRAGMA wal_checkpoint(PASSIVE)")
