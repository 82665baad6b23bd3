"""Drafts: saved at every compose step, guarded by an optimistic ``version``."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from bot.domain import Draft, PhonebookSelection, Step

from ._base import StoreBase, dump_json, load_json
from .approvals import WITHDRAW_FOR_DRAFT
from .db import from_db_time, to_db_time
from .errors import StaleDraftError, StoreError

_EDITABLE = ("sender", "sender_label", "selections", "text", "send_at", "step", "plan")


def _draft(row: sqlite3.Row) -> Draft:
    return Draft(
        id=row["id"],
        owner_id=row["owner_id"],
        sender=row["sender"],
        sender_label=row["sender_label"],
        selections=[PhonebookSelection.from_dict(d) for d in load_json(row["selections"], [])],
        text=row["text"],
        send_at=from_db_time(row["send_at"]),
        step=Step(row["step"]),
        version=row["version"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        plan=load_json(row["plan"], None),
    )


def _selections_json(selections: list[Any]) -> str:
    return dump_json(
        [
            (s if isinstance(s, PhonebookSelection) else PhonebookSelection.from_dict(s)).to_dict()
            for s in selections
        ]
    )


def _columns(values: dict[str, Any]) -> tuple[Any, ...]:
    send_at: datetime | None = values["send_at"]
    return (
        values["sender"],
        values["sender_label"],
        _selections_json(values["selections"]),
        values["text"],
        to_db_time(send_at) if send_at is not None else None,
        Step(values["step"]).value,
        dump_json(values["plan"]) if values["plan"] else None,
    )


# An abandoned start: nothing typed or chosen (a sender alone is picked automatically) and
# nothing waiting for approval.
_EMPTY = (
    "COALESCE(text, '') = '' AND COALESCE(selections, '[]') = '[]' "
    "AND NOT EXISTS (SELECT 1 FROM approval_requests r "
    "WHERE r.draft_id = drafts.id AND r.state = 'pending')"
)


_SAVE = (
    "UPDATE drafts SET sender = ?, sender_label = ?, selections = ?, text = ?, "
    "send_at = ?, step = ?, plan = ?, version = version + 1, updated_at = ? "
    "WHERE id = ? AND owner_id = ? AND version = ? RETURNING *"
)


class DraftStore(StoreBase):
    async def create_draft(self, owner_id: int, **fields: Any) -> Draft:
        unknown = set(fields) - set(_EDITABLE)
        if unknown:
            raise TypeError(f"create_draft() got unexpected fields: {sorted(unknown)}")
        defaults = Draft(id=0, owner_id=owner_id)
        values = {name: fields.get(name, getattr(defaults, name)) for name in _EDITABLE}
        now = self._stamp()
        row = await self._db.fetchone(
            "INSERT INTO drafts (owner_id, sender, sender_label, selections, text, send_at, "
            "step, plan, version, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
            "RETURNING *",
            (owner_id, *_columns(values), now, now),
        )
        if row is None:  # INSERT … RETURNING always yields the row
            raise StoreError("insert returned no row")
        self._draft_rows.put(row["id"], row)
        return _draft(row)

    async def get_draft(self, draft_id: int) -> Draft | None:
        """The draft as last written: every compose step reads it, so the row this process
        wrote or read last is answered from memory (see :mod:`storage.recent`)."""
        row = self._draft_rows.get(draft_id)
        if row is None:
            row = await self._db.fetchone("SELECT * FROM drafts WHERE id = ?", (draft_id,))
            if row is None:
                return None
            self._draft_rows.put(draft_id, row)
        return _draft(row)

    async def list_drafts(self, owner_id: int, limit: int = 20, offset: int = 0) -> list[Draft]:
        rows = await self._db.fetchall(
            "SELECT * FROM drafts WHERE owner_id = ? ORDER BY updated_at DESC, id DESC "
            "LIMIT ? OFFSET ?",
            (owner_id, limit, offset),
        )
        return [_draft(r) for r in rows]

    async def count_drafts(self, owner_id: int) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) AS n FROM drafts WHERE owner_id = ?", (owner_id,)
        )
        return int(row["n"]) if row else 0

    async def count_empty_drafts(self, owner_id: int, keep: int | None = None) -> int:
        """Drafts with no text, no phonebooks and no pending request (``keep`` excepted)."""
        row = await self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM drafts WHERE owner_id = ? AND id IS NOT ? AND {_EMPTY}",
            (owner_id, keep),
        )
        return int(row["n"]) if row else 0

    async def delete_empty_drafts(
        self, owner_id: int, keep: int | None = None, only: int | None = None
    ) -> int:
        """Delete an owner's empty drafts (see :meth:`count_empty_drafts`), or just the draft
        ``only`` if it is empty; returns how many went. Checked in the same statement, so a
        draft that gained a text or a request meanwhile stays."""
        rows = await self._db.fetchall(
            f"DELETE FROM drafts WHERE owner_id = ? AND id IS NOT ? AND {_EMPTY} "
            "AND (? IS NULL OR id = ?) RETURNING id",
            (owner_id, keep, only, only),
        )
        for row in rows:
            self._draft_rows.forget(row["id"])
        return len(rows)

    async def save_draft(self, draft: Draft) -> Draft:
        """Write every editable field if nobody saved since ``draft.version`` was read.

        Returns the draft as stored (next version, new updated_at, send_at in UTC); the
        argument is not modified. Raises :class:`StaleDraftError` if the version moved or
        the draft is gone.
        """
        row = await self._db.fetchone(_SAVE, self._save_params(draft))
        return self._saved(draft, row)

    async def save_draft_voiding(self, draft: Draft) -> tuple[Draft, list[int]]:
        """:meth:`save_draft`, and withdraw the draft's pending approval requests in the same
        transaction (an edit voids them), in one trip to SQLite's thread: a compose step's
        save. Returns the stored draft and the withdrawn requests' ids."""
        draft_params = self._save_params(draft)
        withdraw_params = (self._stamp(), draft.id)

        def work(conn: sqlite3.Connection) -> tuple[sqlite3.Row | None, list[int]]:
            row = conn.execute(_SAVE, draft_params).fetchone()
            if row is None:
                return None, []  # nothing written: the caller raises
            withdrawn = conn.execute(WITHDRAW_FOR_DRAFT, withdraw_params).fetchall()
            return row, sorted(r["id"] for r in withdrawn)

        row, withdrawn = await self._db.in_one_trip(work)
        return self._saved(draft, row), withdrawn

    def _save_params(self, draft: Draft) -> tuple[Any, ...]:
        values = {name: getattr(draft, name) for name in _EDITABLE}
        return (*_columns(values), self._stamp(), draft.id, draft.owner_id, draft.version)

    def _saved(self, draft: Draft, row: sqlite3.Row | None) -> Draft:
        if row is None:
            self._draft_rows.forget(draft.id)  # the next read sees what is stored
            raise StaleDraftError(
                f"draft {draft.id} was changed elsewhere or deleted (had version {draft.version})"
            )
        self._draft_rows.put(draft.id, row)
        return _draft(row)

    async def delete_draft(self, draft_id: int, owner_id: int) -> bool:
        """Delete an owner's draft; its pending approval request, if any, is withdrawn."""
        now = self._stamp()
        async with self._db.transaction() as tx:
            deleted = await tx.execute(
                "DELETE FROM drafts WHERE id = ? AND owner_id = ?", (draft_id, owner_id)
            )
            if deleted:
                await tx.execute(
                    "UPDATE approval_requests SET state = 'withdrawn', decided_at = ?, "
                    "reason = 'draft deleted' WHERE draft_id = ? AND state = 'pending'",
                    (now, draft_id),
                )
        self._draft_rows.forget(draft_id)
        return deleted > 0
