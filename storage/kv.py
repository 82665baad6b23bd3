"""The ``persistence`` key/value table behind :class:`storage.persistence.SQLitePersistence`.

Internal to the storage package: values are opaque text, encoded by storage/codec.py.
"""

from __future__ import annotations

from ._base import StoreBase


class KeyValueStore(StoreBase):
    async def _kv_load(self, namespace: str) -> dict[str, str]:
        rows = await self._db.fetchall(
            "SELECT key, value FROM persistence WHERE namespace = ?", (namespace,)
        )
        return {r["key"]: r["value"] for r in rows}

    async def _kv_get(self, namespace: str, key: str) -> str | None:
        row = await self._db.fetchone(
            "SELECT value FROM persistence WHERE namespace = ? AND key = ?", (namespace, key)
        )
        return None if row is None else row["value"]

    async def _kv_put(self, namespace: str, key: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO persistence (namespace, key, value, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (namespace, key, value, self._stamp()),
        )

    async def _kv_delete(self, namespace: str, key: str) -> None:
        await self._db.execute(
            "DELETE FROM persistence WHERE namespace = ? AND key = ?", (namespace, key)
        )
