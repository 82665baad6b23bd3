"""Per-user preferences: language, the last sender/phonebooks used, and the name
and @username Telegram last showed."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

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
        first_name=row["first_name"],
        username=row["username"],
        trial_phone=row["trial_phone"],
    )


def read_profiles(conn: sqlite3.Connection, user_ids: Collection[int]) -> dict[int, Profile]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(f"SELECT * FROM profiles WHERE user_id IN ({marks})", ids)
    return {row["user_id"]: _profile(row) for row in rows}


class ProfileStore(StoreBase):
    async def get_profile(self, user_id: int) -> Profile:
        """From the store's memory when read before (compose steps read it at the sender
        and phonebook screens; storage/recent.py); every write below forgets it."""
        if user_id in self._profile_rows:
            row = self._profile_rows.get(user_id)
        else:
            row = await self._db.fetchone("SELECT * FROM profiles WHERE user_id = ?", (user_id,))
            self._profile_rows.put(user_id, row)
        return _profile(row) if row else Profile(user_id=user_id)

    async def set_language(self, user_id: int, lang: str) -> None:
        await self._db.execute(
            "INSERT INTO profiles (user_id, lang, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, "
            "updated_at = excluded.updated_at",
            (user_id, lang, self._stamp()),
        )
        self._profile_rows.forget(user_id)

    async def set_identity(self, user_id: int, first_name: str, username: str | None) -> None:
        """Remember how Telegram names a user (first name, @username without the "@")."""
        await self._db.execute(
            "INSERT INTO profiles (user_id, first_name, username, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name, "
            "username = excluded.username, updated_at = excluded.updated_at",
            (user_id, first_name, username, self._stamp()),
        )
        self._profile_rows.forget(user_id)

    async def get_profiles(self, user_ids: list[int]) -> dict[int, Profile]:
        """The stored profiles of these users (those without a row are left out)."""
        if not user_ids:
            return {}
        return await self._db.read(read_profiles, user_ids)

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
        self._profile_rows.forget(user_id)
