"""Per-user preferences: language and the last sender/phonebooks used."""

from __future__ import annotations

import sqlite3

from bot.domain import PhonebookSelection, Profile

from ._base import StoreBase, dump_json, load_json


def _profile(row: sqlite3.Row) -> Profile:
    return Profile(
        user_id=row["user_id"],
        lang=row["lang"],
        last_sender=row["last_sender"],
        last_sender_label=row["last_sender_label"],
        last_selections=[
            PhonebookSelection.from_dict(d) for d in load_json(row["last_selections"], [])
        ],
        test_phone=row["test_phone"],
    )


class ProfileStore(StoreBase):
    async def get_profile(self, user_id: int) -> Profile:
        row = await self._db.fetchone("SELECT * FROM profiles WHERE user_id = ?", (user_id,))
        return _profile(row) if row else Profile(user_id=user_id)

    async def set_language(self, user_id: int, lang: str) -> None:
        await self._db.execute(
            "INSERT INTO profiles (user_id, lang, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, "
            "updated_at = excluded.updated_at",
            (user_id, lang, self._stamp()),
        )

    async def set_last_used(
        self,
        user_id: int,
        sender: str,
        sender_label: str | None,
        selections: list[PhonebookSelection],
    ) -> None:
        await self._db.execute(
            "INSERT INTO profiles "
            "(user_id, last_sender, last_sender_label, last_selections, updated_at) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET last_sender = excluded.last_sender, "
            "last_sender_label = excluded.last_sender_label, "
            "last_selections = excluded.last_selections, updated_at = excluded.updated_at",
            (
                user_id,
                sender,
                sender_label,
                dump_json([s.to_dict() for s in selections]),
                self._stamp(),
            ),
        )
