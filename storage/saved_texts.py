"""Saved texts: SMS texts the team keeps under short names, newest first.

Every admin sees every saved text; the saver's id and first name (as it was at save
time) are kept so the list can say who saved each. Names are unique, compared
casefolded, so "Yalda" and "yalda" cannot both exist.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ._base import StoreBase
from .db import parse_db_time


@dataclass(frozen=True)
class SavedText:
    id: int
    name: str
    text: str
    saved_by: int
    saved_name: str | None
    created_at: datetime
    updated_at: datetime


def name_key(name: str) -> str:
    return name.casefold()


def _saved(row: sqlite3.Row) -> SavedText:
    return SavedText(
        id=row["id"],
        name=row["name"],
        text=row["text"],
        saved_by=row["saved_by"],
        saved_name=row["saved_name"],
        created_at=parse_db_time(row["created_at"]),
        updated_at=parse_db_time(row["updated_at"]),
    )


class SavedTextStore(StoreBase):
    async def save_text(
        self, name: str, text: str, saved_by: int, saved_name: str | None
    ) -> SavedText | None:
        """Store a text under a new name; None when the name is already taken."""
        now = self._stamp()
        row = await self._db.fetchone(
            "INSERT INTO saved_texts (name, name_key, text, saved_by, saved_name, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name_key) DO NOTHING "
            "RETURNING *",
            (name, name_key(name), text, saved_by, saved_name, now, now),
        )
        self._saved_text_count = None
        return _saved(row) if row else None

    async def get_saved_text(self, text_id: int) -> SavedText | None:
        row = await self._db.fetchone("SELECT * FROM saved_texts WHERE id = ?", (text_id,))
        return _saved(row) if row else None

    async def list_saved_texts(self, limit: int, offset: int = 0) -> list[SavedText]:
        rows = await self._db.fetchall(
            "SELECT * FROM saved_texts ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [_saved(r) for r in rows]

    async def count_saved_texts(self) -> int:
        """Read at every text step (is there a saved text to offer?): counted once, then
        kept until a text is saved or deleted (see :mod:`storage.recent`)."""
        if self._saved_text_count is None:
            row = await self._db.fetchone("SELECT COUNT(*) AS n FROM saved_texts")
            self._saved_text_count = int(row["n"]) if row else 0
        return self._saved_text_count

    async def rename_saved_text(self, text_id: int, name: str) -> bool | None:
        """True when renamed, False when the text is gone, None when the name is taken."""
        try:
            changed = await self._db.execute(
                "UPDATE saved_texts SET name = ?, name_key = ?, updated_at = ? WHERE id = ?",
                (name, name_key(name), self._stamp(), text_id),
            )
        except sqlite3.IntegrityError:
            return None
        return changed > 0

    async def delete_saved_text(self, text_id: int) -> bool:
        deleted = await self._db.execute("DELETE FROM saved_texts WHERE id = ?", (text_id,))
        self._saved_text_count = None
        return deleted > 0
