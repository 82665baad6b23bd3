"""SQLitePersistence: PTB data survives closing and reopening the database."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet
from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain import BroadcastState, PhonebookSelection, Snapshot, Step
from storage import SQLitePersistence, Store
from tests.fakes import FakeTelegram
from tests.fakes.ptb import application_builder, running


@pytest.fixture
def fernet() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


def _rows(path: Path, namespace: str) -> list[tuple[str, str]]:
    """What another connection sees right now (i.e. what is committed)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT key, value FROM persistence WHERE namespace = ? ORDER BY key", (namespace,)
        ).fetchall()
    finally:
        conn.close()


async def test_get_methods_open_the_store_themselves(db_path, fernet):
    store = Store(db_path, fernet)
    persistence = SQLitePersistence(store)
    assert persistence.update_interval == 5.0
    # only what the bot uses is written through on every update: user_data (and the
    # conversations, always); bot_data, chat_data and callback data are not kept
    wanted = persistence.store_data
    assert wanted.user_data and not (wanted.bot_data or wanted.chat_data or wanted.callback_data)
    assert await persistence.get_user_data() == {}  # PTB calls this before post_init
    assert store.is_open
    assert await persistence.get_chat_data() == {}
    assert await persistence.get_bot_data() == {}
    assert await persistence.get_callback_data() is None
    assert await persistence.get_conversations("compose") == {}
    await persistence.flush()
    assert store.is_open  # flush leaves closing to post_shutdown
    await store.close()


async def test_everything_survives_a_restart(db_path, fernet):
    when = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    user_data = {
        "draft_id": 12,
        "page": (2, 5),
        "picked": {"pb-1", "pb-2"},
        "by_id": {5: "five", -1001: "group"},
        "when": when,
        "pick": PhonebookSelection("pb-1", "A", 10, mode="slice", start=1, size=5),
        "step": Step.TEXT,
        "nested": [{"a": [1, 2.5, None, True]}],
    }
    callback_data = ([("uuid-1", 1767225600.5, {"k": ("approve", 5)})], {"q-1": "uuid-1"})

    async with Store(db_path, fernet) as store:
        p = SQLitePersistence(store, update_interval=1)
        await p.update_user_data(1001, user_data)
        await p.update_user_data(1002, {"lang": "en"})
        await p.update_chat_data(-1000, {"topic": "x"})
        await p.update_bot_data({"started": when, "admins": [1001, 1002]})
        await p.update_callback_data(callback_data)
        await p.update_conversation("compose", (1001, 1001), "text")
        await p.update_conversation("compose", (1002, 1002), 3)
        await p.update_conversation("compose", (1003, 1003), 4)
        await p.update_conversation("compose", (1003, 1003), None)  # ended
        await p.update_conversation("other", (7,), 1)
        await p.drop_user_data(1002)
        draft = await store.create_draft(1001, text="سلام", step=Step.TEXT)
        sending = await store.start_broadcast(
            request_id=None,
            requester_id=1001,
            approver_id=None,
            snapshot=Snapshot.from_dict({"draft_id": draft.id}),
        )
        await p.flush()

    async with Store(db_path, fernet) as store:
        p = SQLitePersistence(store)
        restored = await p.get_user_data()
        assert restored == {1001: user_data}
        assert restored[1001]["page"] == (2, 5) and isinstance(restored[1001]["picked"], set)
        assert await p.get_chat_data() == {-1000: {"topic": "x"}}
        assert await p.get_bot_data() == {"started": when, "admins": [1001, 1002]}
        assert await p.get_callback_data() == callback_data
        assert await p.get_conversations("compose") == {(1001, 1001): "text", (1002, 1002): 3}
        assert await p.get_conversations("other") == {(7,): 1}
        assert (await store.get_draft(draft.id)).text == "سلام"

        interrupted = await store.mark_interrupted_sends()
        assert [b.id for b in interrupted] == [sending.id]
        got = await store.get_broadcast(sending.id)
        assert got.state == BroadcastState.UNKNOWN and got.error == "interrupted"


async def test_conversation_state_is_written_through_at_once(db_path, fernet):
    async with Store(db_path, fernet) as store:
        p = SQLitePersistence(store)
        await p.update_conversation("compose", (5, 5), 2)
        assert _rows(db_path, "conversation:compose") == [("[5,5]", "2")]
        await p.update_conversation("compose", (5, 5), None)
        assert _rows(db_path, "conversation:compose") == []


async def test_unchanged_data_is_not_rewritten(db_path, fernet):
    async with Store(db_path, fernet) as store:
        p = SQLitePersistence(store)
        await p.update_bot_data({"a": 1})
        conn = store._db.conn
        before = conn.total_changes
        await p.update_bot_data({"a": 1})
        assert conn.total_changes == before
        await p.update_bot_data({"a": 2})
        assert conn.total_changes == before + 1


async def test_unpersistable_values_raise_type_error(db_path, fernet):
    async with Store(db_path, fernet) as store:
        p = SQLitePersistence(store)
        with pytest.raises(TypeError, match="object"):
            await p.update_user_data(1, {"x": object()})
        assert await p.get_user_data() == {}


# -- a real Application against the fake Bot API -----------------------------------------------

ASK_TEXT, ASK_TIME = range(2)


async def compose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["draft"] = {"id": 41, "at": datetime(2026, 1, 1, tzinfo=UTC)}
    await update.effective_message.reply_text("send the text")
    return ASK_TEXT


async def got_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    draft = context.user_data["draft"]
    await update.effective_message.reply_text(f"draft {draft['id']}: {update.message.text}")
    return ASK_TIME


async def got_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.effective_message.reply_text("scheduled")
    return ConversationHandler.END


def _build(fake: FakeTelegram, store: Store) -> Application:
    app = (
        application_builder(fake).persistence(SQLitePersistence(store, update_interval=0.2)).build()
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("compose", compose)],
            states={
                ASK_TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_text)],
                ASK_TIME: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_time)],
            },
            fallbacks=[],
            name="compose",
            persistent=True,
        )
    )
    return app


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_application_resumes_the_conversation_after_restart(db_path, fernet, fake):
    admin = fake.user(1001)
    store = Store(db_path, fernet)
    async with running(_build(fake, store)):
        await admin.send("/compose")
        assert (await admin.reply()).text == "send the text"
    # Application.shutdown() updated and flushed the persistence; the store is still open
    # for post_shutdown (run by run_polling, not by shutdown) to close.
    assert store.is_open
    await store.close()

    store = Store(db_path, fernet)  # a new process, as far as the data is concerned
    async with running(_build(fake, store)) as app:
        assert app.user_data[1001]["draft"]["at"] == datetime(2026, 1, 1, tzinfo=UTC)
        await admin.send("hello")
        assert (await admin.reply()).text == "draft 41: hello"
        await admin.send("tomorrow")
        assert (await admin.reply()).text == "scheduled"
        # The reply reaches the fake before the handler returns END: wait for the state.
        for _ in range(100):
            await app.update_persistence()
            if _rows(db_path, "conversation:compose") == []:
                break
            await asyncio.sleep(0.02)
        assert _rows(db_path, "conversation:compose") == []  # the conversation ended
    await store.close()


async def test_one_run_writes_what_changed_in_one_statement_and_nothing_else(
    db_path: Path, fernet: MultiFernet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the application does after every admin update (bot/services.py): the user's
    data and the conversation state go in one statement; an unchanged run writes nothing."""
    from storage.db import Transaction

    statements: list[str] = []
    execute = Transaction.execute

    async def counting(self, sql, params=()):
        statements.append(sql)
        return await execute(self, sql, params)

    async with Store(db_path, fernet) as store:
        persistence = SQLitePersistence(store)
        monkeypatch.setattr(Transaction, "execute", counting)

        async def run(state: int, menu: int) -> None:
            async with persistence.one_write():
                await asyncio.gather(
                    persistence.update_user_data(7, {"menu": menu}),
                    persistence.update_conversation("compose", (7, 7), state),
                )

        await run(1, 100)
        assert len(statements) == 1 and statements[0].startswith("INSERT INTO persistence")
        assert _rows(db_path, "user_data") == [("7", '{"menu":100}')]
        assert _rows(db_path, "conversation:compose") == [("[7,7]", "1")]
        await run(1, 100)
        assert len(statements) == 1  # nothing changed: nothing written
        await run(2, 100)
        assert len(statements) == 2
        assert _rows(db_path, "conversation:compose") == [("[7,7]", "2")]
