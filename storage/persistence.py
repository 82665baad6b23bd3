"""python-telegram-bot persistence in the bot's SQLite file, through the :class:`Store`.

Rows live in the ``persistence`` table: one per user (``user_data``), per chat
(``chat_data``), one for ``bot_data``, one for ``callback_data`` and one per conversation
key (``conversation:<handler name>``). Values are tagged JSON (storage/codec.py), never
pickle, so a tampered database file cannot run code.

Every call writes through at once; nothing is buffered, so :meth:`flush` has nothing left
to do and leaves the store open (the application's ``post_shutdown`` closes it). Inside
:meth:`one_write` (the application wraps each ``update_persistence`` run in it) the rows
that changed are written together by one statement, one small transaction, when the run
ends, and nothing at all when nothing changed. Note that
python-telegram-bot 22 hands conversation states to :meth:`update_conversation` from
``Application.update_persistence()``, which runs every ``update_interval`` seconds and at
shutdown; a handler that must not lose a step to a crash can ``await
context.application.update_persistence()`` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from . import codec
from .store import Store

log = logging.getLogger(__name__)

USER_DATA = "user_data"
CHAT_DATA = "chat_data"
BOT_DATA = "bot_data"
CALLBACK_DATA = "callback_data"
SINGLE_ROW = ""

DataDict = dict[Any, Any]


def _conversation_namespace(name: str) -> str:
    return f"conversation:{name}"


def _conversation_key(key: tuple[int | str, ...]) -> str:
    return json.dumps(list(key), separators=(",", ":"))


class SQLitePersistence(BasePersistence[Any, DataDict, DataDict]):
    """Stores conversations, user/chat/bot data and callback data in the Store's database.

    ``users`` turns each user's data into a plain dict and back (the bot's typed session:
    ``(Session.from_dict, Session.to_dict)``); without it user data are plain dicts. The
    loader also reads rows an earlier release wrote."""

    def __init__(
        self,
        store: Store,
        *,
        update_interval: float = 5.0,
        users: tuple[Callable[[DataDict], Any], Callable[[Any], DataDict]] | None = None,
    ) -> None:
        # The bot keeps its state in user_data and the conversations only; bot_data,
        # chat_data and callback data would be deep-copied and compared on every write
        # (the bot writes after every admin update) for nothing.
        store_data = PersistenceInput(bot_data=False, chat_data=False, callback_data=False)
        super().__init__(store_data=store_data, update_interval=update_interval)
        self._store = store
        plain: tuple[Callable[[DataDict], Any], Callable[[Any], DataDict]] = (
            lambda d: d,
            lambda d: d,
        )
        self._load_user, self._dump_user = users or plain
        # Last text written for each (namespace, key): unchanged values are not rewritten
        # on every periodic update.
        self._written: dict[tuple[str, str], str] = {}
        # ... and the value it was written from, to skip encoding an unchanged one
        self._written_value: dict[tuple[str, str], Any] = {}
        # Inside one_write(): the rows to write when the run ends (None: write at once).
        self._pending: dict[tuple[str, str], tuple[str, Any]] | None = None
        self._one_write = asyncio.Lock()

    @property
    def store(self) -> Store:
        return self._store

    # -- helpers ----------------------------------------------------------------------------

    async def _load(self, namespace: str) -> dict[str, Any]:
        await self._store.ensure_open()
        out: dict[str, Any] = {}
        for key, text in (await self._store._kv_load(namespace)).items():
            try:
                out[key] = codec.loads(text)
            except (ValueError, TypeError, KeyError):
                log.exception("skipping unreadable persisted %s entry %r", namespace, key)
                continue
            self._written[(namespace, key)] = text
        return out

    async def _put(self, namespace: str, key: str, value: Any) -> None:
        row = (namespace, key)
        if row in self._written_value and self._written_value[row] == value:
            return  # unchanged: not even encoded again (PTB hands over a fresh copy)
        text = codec.dumps(value)
        if self._written.get(row) == text:
            self._written_value[row] = value
            return
        if self._pending is not None:
            self._pending[row] = (text, value)
            return
        await self._store.ensure_open()
        await self._store._kv_put_many([(namespace, key, text)])
        self._written[row], self._written_value[row] = text, value

    @contextlib.asynccontextmanager
    async def one_write(self) -> AsyncIterator[None]:
        """Collect the rows every ``update_*`` call of the block changes and write them in
        one statement as it ends (before it returns: the step is on disk when the caller
        goes on). Runs one at a time."""
        async with self._one_write:
            self._pending = {}
            try:
                yield
            finally:
                pending, self._pending = self._pending, None
            if pending:
                await self._store.ensure_open()
                await self._store._kv_put_many([(*row, text) for row, (text, _) in pending.items()])
                for row, (text, value) in pending.items():
                    self._written[row], self._written_value[row] = text, value

    async def _delete(self, namespace: str, key: str) -> None:
        if self._pending is not None:
            self._pending.pop((namespace, key), None)
        await self._store.ensure_open()
        await self._store._kv_delete(namespace, key)
        self._written.pop((namespace, key), None)
        self._written_value.pop((namespace, key), None)

    @staticmethod
    def _by_int_id(rows: dict[str, Any]) -> dict[int, DataDict]:
        return {int(k): v for k, v in rows.items() if isinstance(v, dict)}

    # -- user / chat / bot data -------------------------------------------------------------

    async def get_user_data(self) -> dict[int, Any]:
        loaded = self._by_int_id(await self._load(USER_DATA))
        return {user_id: self._load_user(data) for user_id, data in loaded.items()}

    async def update_user_data(self, user_id: int, data: Any) -> None:
        data = self._dump_user(data)
        if not data and (USER_DATA, str(user_id)) not in self._written:
            return  # nothing to keep: no row for someone who only passed by
        await self._put(USER_DATA, str(user_id), data)

    async def refresh_user_data(self, user_id: int, user_data: Any) -> None:
        """Nothing to do: this process is the only writer of user_data."""

    async def drop_user_data(self, user_id: int) -> None:
        await self._delete(USER_DATA, str(user_id))

    async def get_chat_data(self) -> dict[int, DataDict]:
        return self._by_int_id(await self._load(CHAT_DATA))

    async def update_chat_data(self, chat_id: int, data: DataDict) -> None:
        # the bot keeps nothing per chat (state lives in user_data): no row for an empty dict
        if not data and (CHAT_DATA, str(chat_id)) not in self._written:
            return
        await self._put(CHAT_DATA, str(chat_id), data)

    async def refresh_chat_data(self, chat_id: int, chat_data: DataDict) -> None:
        """Nothing to do: this process is the only writer of chat_data."""

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._delete(CHAT_DATA, str(chat_id))

    async def get_bot_data(self) -> DataDict:
        value = (await self._load(BOT_DATA)).get(SINGLE_ROW)
        return value if isinstance(value, dict) else {}

    async def update_bot_data(self, data: DataDict) -> None:
        await self._put(BOT_DATA, SINGLE_ROW, data)

    async def refresh_bot_data(self, bot_data: DataDict) -> None:
        """Nothing to do: this process is the only writer of bot_data."""

    # -- callback data ----------------------------------------------------------------------

    async def get_callback_data(self) -> Any:
        return (await self._load(CALLBACK_DATA)).get(SINGLE_ROW)

    async def update_callback_data(self, data: Any) -> None:
        await self._put(CALLBACK_DATA, SINGLE_ROW, data)

    # -- conversations ----------------------------------------------------------------------

    async def get_conversations(self, name: str) -> dict[tuple[int | str, ...], object]:
        rows = await self._load(_conversation_namespace(name))
        return {tuple(json.loads(key)): state for key, state in rows.items()}

    async def update_conversation(
        self, name: str, key: tuple[int | str, ...], new_state: object | None
    ) -> None:
        """Write the state through at once; None (conversation ended) deletes the row."""
        namespace, row_key = _conversation_namespace(name), _conversation_key(key)
        if new_state is None:
            await self._delete(namespace, row_key)
        else:
            await self._put(namespace, row_key, new_state)

    async def flush(self) -> None:
        """Everything is already written; the store stays open for post_shutdown to close."""
