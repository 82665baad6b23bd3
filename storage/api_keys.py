"""Encrypted IPPanel API keys, one per user."""

from __future__ import annotations

from cryptography.fernet import InvalidToken

from bot.domain import KeyInfo

from ._base import StoreBase
from .db import parse_db_time
from .errors import KeyIntegrityError
from .keys import mask_key


class ApiKeyStore(StoreBase):
    async def save_api_key(self, user_id: int, api_key: str, account_name: str | None) -> KeyInfo:
        api_key = api_key.strip()
        if not api_key:
            raise ValueError("empty API key")
        token = self._cipher.encrypt(user_id, api_key)
        hint = mask_key(api_key)
        now = self._stamp()
        await self._db.execute(
            "INSERT INTO api_keys (user_id, token, hint, account_name, updated_at) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET token = excluded.token, hint = excluded.hint, "
            "account_name = excluded.account_name, updated_at = excluded.updated_at",
            (user_id, token, hint, account_name, now),
        )
        self._has_key.put(user_id, True)
        return KeyInfo(hint=hint, account_name=account_name, updated_at=parse_db_time(now))

    async def get_api_key(self, user_id: int) -> str | None:
        row = await self._db.fetchone("SELECT token FROM api_keys WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        return self._cipher.decrypt(user_id, row["token"])

    async def has_api_key(self, user_id: int) -> bool:
        """Whether the user has stored a key (/send asks before its first reply): read once,
        then kept with every save and delete (see :mod:`storage.recent`). The key itself is
        read and checked at each use (:meth:`get_api_key`)."""
        known = self._has_key.get(user_id)
        if known is None:
            row = await self._db.fetchone("SELECT 1 FROM api_keys WHERE user_id = ?", (user_id,))
            known = row is not None
            self._has_key.put(user_id, known)
        return known

    def open_api_key(self, user_id: int, token: str) -> str:
        """A sealed key read with other rows (the approve press reads it in its own
        transaction): decrypted and checked as :meth:`get_api_key` does."""
        return self._cipher.decrypt(user_id, token)

    async def get_key_info(self, user_id: int) -> KeyInfo | None:
        row = await self._db.fetchone(
            "SELECT hint, account_name, updated_at FROM api_keys WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return None
        return KeyInfo(
            hint=row["hint"],
            account_name=row["account_name"],
            updated_at=parse_db_time(row["updated_at"]),
        )

    async def delete_api_key(self, user_id: int) -> bool:
        deleted = await self._db.execute("DELETE FROM api_keys WHERE user_id = ?", (user_id,))
        self._has_key.put(user_id, False)
        return deleted > 0

    async def rotate_keys(self) -> int:
        """Re-encrypt every stored key under the MultiFernet's primary key, all or nothing.

        If any token cannot be opened by any of the configured keys nothing is changed and
        :class:`KeyIntegrityError` names the affected users, so no key is stranded on an old
        encryption key that is about to be retired.
        """
        async with self._db.transaction() as tx:
            rows = await tx.fetchall("SELECT user_id, token FROM api_keys ORDER BY user_id")
            rotated: list[tuple[str, int]] = []
            broken: list[int] = []
            for row in rows:
                try:
                    rotated.append((self._cipher.rotate(row["token"]), row["user_id"]))
                except InvalidToken:
                    broken.append(row["user_id"])
            if broken:
                raise KeyIntegrityError(
                    f"cannot decrypt the stored API keys of users {broken}; nothing rotated"
                )
            for token, user_id in rotated:
                await tx.execute(
                    "UPDATE api_keys SET token = ? WHERE user_id = ?", (token, user_id)
                )
        return len(rotated)
