"""Store: opening, pragmas, migrations; the append-only audit log; on real files."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime

import pytest

from bot.domain import RequestState, Snapshot, Step, content_hash
from storage import MIGRATIONS, SCHEMA_VERSION, Store, StoreError
from tests.storage_fixtures import _raw

# -- opening, pragmas, migrations ---------------------------------------------------------


async def test_open_creates_private_file_sets_pragmas_and_is_idempotent(db_path, fernet):
    store = Store(db_path, fernet)
    await store.open()
    await store.open()
    await store.ensure_open()
    assert db_path.exists()
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    conn = store._db.conn
    assert (await conn.execute_fetchall("PRAGMA journal_mode"))[0][0] == "wal"
    assert (await conn.execute_fetchall("PRAGMA foreign_keys"))[0][0] == 1
    assert (await conn.execute_fetchall("PRAGMA busy_timeout"))[0][0] == 5000
    assert (await conn.execute_fetchall("PRAGMA user_version"))[0][0] == SCHEMA_VERSION
    await store.close()
    await store.close()
    assert not store.is_open
    with pytest.raises(StoreError):
        await store.get_profile(1)
    async with Store(db_path, fernet) as again:
        assert (await again.get_profile(1)).lang == "fa"


async def test_fresh_database_has_every_migration(db_path, fernet):
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2
    async with Store(db_path, fernet):
        pass
    with _raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"drafts", "approval_requests", "broadcasts", "audit_log", "persistence"} <= names
    assert "requests_one_pending_per_draft" in names


async def test_version_1_database_upgrades_and_keeps_its_data(db_path, fernet):
    db_path.parent.mkdir(parents=True)
    now = "2026-01-01T10:00:00.000000+00:00"
    later = "2026-01-02T10:00:00.000000+00:00"
    with _raw(db_path) as conn:
        conn.executescript(f"BEGIN; {MIGRATIONS[0].script} PRAGMA user_version = 1; COMMIT;")
        conn.execute(
            "INSERT INTO drafts (owner_id, text, step, created_at, updated_at) "
            "VALUES (7, 'سلام', 'text', ?, ?)",
            (now, now),
        )
        # Version 1 did not stop two pending requests for one draft; version 2 does.
        for _ in range(2):
            conn.execute(
                "INSERT INTO approval_requests (draft_id, requester_id, snapshot, content_hash, "
                "state, created_at, expires_at) VALUES (1, 7, '{}', ?, 'pending', ?, ?)",
                (content_hash(Snapshot.from_dict({})), now, later),
            )
        conn.execute("INSERT INTO audit_log (at, actor_id, action) VALUES (?, 7, 'old')", (now,))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "drafts" in tables and "persistence" not in tables

    async with Store(db_path, fernet) as store:
        draft = await store.get_draft(1)
        assert draft is not None and draft.text == "سلام" and draft.step == Step.TEXT
        assert draft.created_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
        first, second = await store.get_request(1), await store.get_request(2)
        assert first.state == RequestState.WITHDRAWN and second.state == RequestState.PENDING
        assert (await store.pending_request_for_draft(1)).id == 2
        assert [e.action for e in await store.list_audit()] == ["old"]
        await store.audit(7, "new")  # tables created by the upgrade work too
        await store._kv_put("bot_data", "", "{}")
    with _raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_database_from_a_newer_version_is_refused(db_path, fernet):
    async with Store(db_path, fernet):
        pass
    with _raw(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        await Store(db_path, fernet).open()


async def test_naive_datetimes_are_refused(store):
    with pytest.raises(ValueError, match="naive"):
        await store.create_draft(1, send_at=datetime(2026, 1, 1, 12))


# -- audit --------------------------------------------------------------------------------


async def test_audit_is_append_only(store, db_path):
    await store.audit(1, "login")
    await store.audit(2, "approved", "request:5", {"reason": "ok"})
    await store.audit(None, "expired", "request:6")
    entries = await store.list_audit()
    assert [e.action for e in entries] == ["expired", "approved", "login"]
    assert entries[1].detail == {"reason": "ok"} and entries[1].subject == "request:5"
    assert entries[0].at.tzinfo is not None
    assert [e.action for e in await store.list_audit(actor_id=2)] == ["approved"]
    assert len(await store.list_audit(limit=1)) == 1

    with _raw(db_path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET action = 'forged'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log")
    conn = store._db.conn
    with pytest.raises(sqlite3.IntegrityError):
        await conn.execute("DELETE FROM audit_log WHERE id = 1")
    assert len(await store.list_audit()) == 3
    assert not hasattr(store, "delete_audit") and not hasattr(store, "update_audit")


async def test_version_9_database_with_sends_upgrades_to_batches_and_keeps_everything(
    db_path, fernet
):
    """Migration 10 rebuilds ``broadcasts`` (UNIQUE(request_id) → UNIQUE(request_id,
    batch_no)): every row, its public number, its claimed outbox ids and the one-send-per-
    approval guard must survive it."""
    db_path.parent.mkdir(parents=True)
    now = "2026-01-01T10:00:00.000000+00:00"
    upto_9 = " ".join(m.script for m in MIGRATIONS if m.version <= 9)
    with _raw(db_path) as conn:
        conn.executescript(f"BEGIN; {upto_9} PRAGMA user_version = 9; COMMIT;")
        conn.execute(
            "INSERT INTO drafts (owner_id, text, step, created_at, updated_at) "
            "VALUES (7, 'سلام', 'review', ?, ?)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO approval_requests (draft_id, requester_id, snapshot, content_hash, "
            "state, created_at, expires_at, public_no) VALUES (1, 7, '{}', ?, 'approved', ?, ?, 5)",
            (content_hash(Snapshot.from_dict({})), now, now),
        )
        conn.execute(
            "INSERT INTO broadcasts (request_id, requester_id, approver_id, snapshot, state, "
            "outbox_ids, created_at, updated_at, public_no) "
            "VALUES (1, 7, 8, '{}', 'sent', '[111]', ?, ?, 5)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO broadcasts (request_id, requester_id, snapshot, state, created_at, "
            "updated_at, direct_key, public_no) "
            "VALUES (NULL, 7, '{}', 'unknown', ?, ?, '1:3', 6)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO outbox_claims (outbox_id, broadcast_id, claimed_at) VALUES (222, 2, ?)",
            (now,),
        )

    async with Store(db_path, fernet) as store:
        first, second = await store.get_broadcast(1), await store.get_broadcast(2)
        assert (first.number, first.outbox_ids, first.batch_no) == (5, [111], 0)
        assert (second.number, second.state) == (6, "unknown")
        assert await store.owned_outbox_ids([222, 333]) == {222}
        # the approval's single send is still unique: a second start gets nothing
        again = await store.start_broadcast(
            request_id=1, requester_id=7, approver_id=8, snapshot=Snapshot.from_dict({})
        )
        assert again is None
    with _raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {r[1] for r in conn.execute("PRAGMA index_list('broadcasts')")}
        assert {"broadcasts_by_public_no", "broadcasts_one_per_direct_key"} <= indexes
