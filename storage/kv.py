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
        await self._kv_put_many([(namespace, key, value)])

    async def _kv_put_many(self, rows: list[tuple[str, str, str]]) -> None:
        """Upsert ``(namespace, key, value)`` rows in one statement (one transaction)."""
        stamp = self._stamp()
        marks = ", ".join(["(?, ?, ?, ?)"] * len(rows))
        await self._db.execute(
            f"INSERT INTO persistence (namespace, key, value, updated_at) VALUES {marks} "
            "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            [v for row in rows for v in (*row, stamp)],
        )

    async def _kv_delete(self, namespace: str, key: str) -> None:
        await self._db.execute(
            "DELETE FROM persistence WHERE namespace = ? AND key = ?", (namespace, key)
        )
