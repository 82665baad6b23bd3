"""A small bounded memory of rows this process wrote or read, so that a hot read (the
draft of every compose step, the admin's profile at the sender and phonebook screens)
costs no trip to SQLite's thread.

Sound because this process is the only writer: ``DATA_DIR`` is locked to one bot process
(:mod:`bot.lock`), and every statement that changes a remembered table goes through the
store method that updates or forgets the memory in the same call; a draft changed from
outside anyway is caught by its version when saved, never overwritten. What it remembers is
what the database returned (rows), never decoded objects: each read builds fresh ones, so a
caller that changes what it got cannot change the memory. A read that misses goes to
SQLite under the store's lock (storage/db.py) and is remembered before any other task runs,
so no write can fall between a read and its remembering.

API keys are not remembered, only whether a user has one: each use reads and checks the
sealed key, so a key row changed under the running bot is refused at once
(tests/storage/test_keys.py).
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most ``size`` entries; the oldest written goes first when it is full."""

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int) -> None:
        self._entries: dict[K, V] = {}
        self._size = size

    def __contains__(self, key: K) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        self._entries.pop(key, None)  # a rewrite counts as the newest
        self._entries[key] = value
        if len(self._entries) > self._size:
            del self._entries[next(iter(self._entries))]

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
