"""Migration 15 renames the test SMS tables and columns to "trial" and ``drafts.gradual`` to
``drafts.plan``: a database written at version 14 upgrades and its rows read with the new
code, and the outbox mirror's trigger still keeps the mirror."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
from cryptography.fernet import Fernet, MultiFernet

from storage import Store
from storage.db import migrate, to_db_time
from storage.migrations import SCHEMA_VERSION

OWNER = 11
AT = to_db_time(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
_TRIAL_ROW = (
    "INSERT INTO test_sends (owner_id, draft_id, draft_version, content_hash, sender, "
    "recipient, message, state, outbox_ids, created_at, updated_at) "
    "VALUES (?, 1, 2, 'h', '+983000505', '+989121234567', 'سلام', ?, ?, ?, ?)"
)


async def _write_version_14(path: Path) -> None:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        assert await migrate(conn, target=14) == 14
        await conn.execute(
            "INSERT INTO drafts (owner_id, step, gradual, created_at, updated_at) "
            "VALUES (?, 'review', ?, ?, ?)",
            (OWNER, '{"batch": 500, "every": 30}', AT, AT),
        )
        await conn.execute(
            "INSERT INTO profiles (user_id, test_phone, updated_at) VALUES (?, ?, ?)",
            (OWNER, "+989121234567", AT),
        )
        await conn.execute(_TRIAL_ROW, (OWNER, "sending", "[]", AT, AT))
        await conn.execute(_TRIAL_ROW, (OWNER, "sent", "[]", AT, AT))
        # the version 14 trigger fills the mirror from the update, as a finished send does
        await conn.execute("UPDATE test_sends SET outbox_ids = '[901]' WHERE id = 2")
    finally:
        await conn.close()


async def test_version_14_rows_read_after_the_renames(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    await _write_version_14(path)
    store = Store(path, MultiFernet([Fernet(Fernet.generate_key())]))
    await store.open()
    try:
        draft = await store.get_draft(1)
        assert draft is not None and draft.plan == {"batch": 500, "every": 30}
        assert await store.get_trial_phone(OWNER) == "+989121234567"
        trials = await store.list_trials(OWNER)
        assert [(t.id, t.state, t.outbox_ids) for t in trials] == [
            (2, "sent", [901]),
            (1, "sending", []),
        ]
        # the mirror kept its row, and the renamed trigger mirrors a send finished now
        await store.finish_trial(1, "sent", outbox_ids=[902])
        assert await store.owned_outbox_ids([901, 902, 903]) == {901, 902}
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        # no table, index or trigger keeps an old name, in its own name or in its body
        old_names = db.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE '%test%' "
            "OR sql LIKE '%test_s%' OR sql LIKE '%test_phone%' OR sql LIKE '%gradual%'"
        ).fetchall()
        assert old_names == []
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 15
