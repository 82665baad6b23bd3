"""Store: schema and migrations, encrypted keys, and every record kind, on real files."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.domain import (
    BroadcastState,
    PhonebookSelection,
    Profile,
    RequestState,
    Step,
    content_hash,
)
from storage import (
    MIGRATIONS,
    SCHEMA_VERSION,
    KeyIntegrityError,
    StaleDraftError,
    Store,
    StoreError,
)

API_KEY = "OWM2ZjE1NDEtYzE3Ny00YzQ1LWI0ZTItsecretKEY9f3a"
TEHRAN = ZoneInfo("Asia/Tehran")


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def fernet() -> MultiFernet:
    return _fernet()


@pytest.fixture
async def store(db_path: Path, fernet: MultiFernet):
    s = Store(db_path, fernet)
    await s.open()
    yield s
    await s.close()


def _selections() -> list[PhonebookSelection]:
    return [
        PhonebookSelection("pb-1", "مشتریان", 1200),
        PhonebookSelection("pb-2", "Staff", 40, mode="slice", start=11, size=20),
        PhonebookSelection("pb-3", "VIP", 9, mode="contacts", contact_ids=["c7", "c9"]),
    ]


@contextlib.contextmanager
def _raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A second, plain sqlite3 connection to the same file (autocommit), closed after use."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _read_bytes(path: Path) -> bytes | None:
    """The raw file as SQLite left it, or None if it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


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
                (content_hash({}), now, later),
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


# -- profiles -----------------------------------------------------------------------------


async def test_profile_defaults_language_and_last_used(store):
    assert await store.get_profile(5) == Profile(user_id=5, lang="fa")
    await store.set_language(5, "en")
    await store.set_last_used(5, "+983000505", "Shop", _selections())
    profile = await store.get_profile(5)
    assert profile.lang == "en"
    assert profile.last_sender == "+983000505" and profile.last_sender_label == "Shop"
    assert profile.last_selections == _selections()
    await store.set_language(5, "fa")
    assert (await store.get_profile(5)).last_selections == _selections()


# -- API keys -----------------------------------------------------------------------------


async def test_api_key_round_trip_hint_and_delete(store):
    info = await store.save_api_key(1, f"  {API_KEY} ", "Acme")
    assert info.hint == "••••" + API_KEY[-4:]
    assert info.account_name == "Acme" and info.updated_at.tzinfo is not None
    assert await store.get_key_info(1) == info
    assert await store.get_api_key(1) == API_KEY
    assert await store.get_api_key(2) is None and await store.get_key_info(2) is None
    await store.save_api_key(1, "another-key-1234", None)
    assert await store.get_api_key(1) == "another-key-1234"
    assert await store.delete_api_key(1) is True
    assert await store.delete_api_key(1) is False
    assert await store.get_api_key(1) is None


async def test_key_never_reaches_the_database_or_wal_in_clear(store, db_path):
    await store.save_api_key(1, API_KEY, "Acme")
    await store.audit(1, "key_saved", "user:1", {"hint": "••••"})
    wal = Path(f"{db_path}-wal")
    needle = API_KEY.encode()
    before = {path: _read_bytes(path) for path in (db_path, wal)}
    assert before[wal]  # the write sits in the WAL until the close-time checkpoint
    assert all(needle not in data for data in before.values() if data is not None)
    await store.close()
    after = {path: _read_bytes(path) for path in (db_path, wal)}
    assert after[db_path]
    assert all(needle not in data for data in after.values() if data is not None)


async def test_ciphertext_swapped_between_users_is_refused(store, db_path):
    await store.save_api_key(1, API_KEY, "Acme")
    await store.save_api_key(2, "the-other-users-key-0000", "Other")
    with _raw(db_path) as conn:
        tokens = dict(conn.execute("SELECT user_id, token FROM api_keys").fetchall())
        conn.execute("UPDATE api_keys SET token = ? WHERE user_id = 2", (tokens[1],))
        conn.execute("UPDATE api_keys SET token = ? WHERE user_id = 1", (tokens[2],))
    for user in (1, 2):
        with pytest.raises(KeyIntegrityError) as err:
            await store.get_api_key(user)
        assert API_KEY not in str(err.value) and tokens[1] not in str(err.value)
    with _raw(db_path) as conn:
        conn.execute("UPDATE api_keys SET token = 'garbage' WHERE user_id = 1")
    with pytest.raises(KeyIntegrityError):
        await store.get_api_key(1)


async def test_rotation_moves_keys_to_the_new_primary(db_path):
    old = Fernet(Fernet.generate_key())
    new = Fernet(Fernet.generate_key())
    async with Store(db_path, MultiFernet([old])) as store:
        await store.save_api_key(1, API_KEY, "Acme")
        await store.save_api_key(2, "second-key-5678", None)
    async with Store(db_path, MultiFernet([new, old])) as store:
        assert await store.get_api_key(1) == API_KEY  # readable before rotation too
        assert await store.rotate_keys() == 2
    async with Store(db_path, MultiFernet([new])) as store:  # the old key is retired
        assert await store.get_api_key(1) == API_KEY
        assert await store.get_api_key(2) == "second-key-5678"
    async with Store(db_path, MultiFernet([old])) as store:
        with pytest.raises(KeyIntegrityError):
            await store.get_api_key(1)


async def test_rotation_is_all_or_nothing(db_path):
    old, stranger = Fernet(Fernet.generate_key()), Fernet(Fernet.generate_key())
    async with Store(db_path, MultiFernet([stranger])) as store:
        await store.save_api_key(9, "sealed-by-a-lost-key", None)
    new = Fernet(Fernet.generate_key())
    async with Store(db_path, MultiFernet([old])) as store:
        await store.save_api_key(1, API_KEY, None)
    async with Store(db_path, MultiFernet([new, old])) as store:
        with pytest.raises(KeyIntegrityError, match=r"\[9\]"):
            await store.rotate_keys()
    async with Store(db_path, MultiFernet([old])) as store:
        assert await store.get_api_key(1) == API_KEY  # untouched


# -- drafts -------------------------------------------------------------------------------


async def test_draft_create_save_and_exact_round_trip(store):
    send_at = datetime(2026, 12, 1, 18, 30, 15, 123456, tzinfo=TEHRAN)
    draft = await store.create_draft(
        3, sender="+983000505", sender_label="Shop", selections=_selections(),
        text="تخفیف ویژه\nline 2", send_at=send_at, step=Step.TIME,
    )  # fmt: skip
    assert draft.id > 0 and draft.version == 1 and draft.created_at == draft.updated_at
    loaded = await store.get_draft(draft.id)
    assert loaded == draft
    assert loaded.selections == _selections()
    assert loaded.send_at == send_at and loaded.send_at.utcoffset() == timedelta(0)
    assert loaded.step is Step.TIME

    loaded.text = "edited"
    loaded.step = Step.REVIEW
    loaded.send_at = None
    saved = await store.save_draft(loaded)
    assert saved.version == 2 and saved.updated_at >= draft.updated_at
    assert loaded.version == 1  # the argument is not modified
    again = await store.get_draft(draft.id)
    assert again == saved and again.text == "edited" and again.send_at is None


async def test_create_draft_refuses_unknown_fields(store):
    with pytest.raises(TypeError):
        await store.create_draft(1, version=9)


async def test_save_draft_compare_and_set(store):
    draft = await store.create_draft(1, text="a")
    first = await store.get_draft(draft.id)
    second = await store.get_draft(draft.id)
    first.text = "first wins"
    await store.save_draft(first)
    second.text = "second loses"
    with pytest.raises(StaleDraftError):
        await store.save_draft(second)
    assert (await store.get_draft(draft.id)).text == "first wins"
    assert await store.delete_draft(draft.id, owner_id=1) is True
    with pytest.raises(StaleDraftError):
        await store.save_draft(first)


async def test_list_and_delete_drafts(store):
    a = await store.create_draft(1, text="a")
    b = await store.create_draft(1, text="b")
    await store.create_draft(2, text="other owner")
    a.text = "a2"
    await store.save_draft(a)  # most recently updated comes first
    assert [d.text for d in await store.list_drafts(1)] == ["a2", "b"]
    assert [d.text for d in await store.list_drafts(1, limit=1)] == ["a2"]
    assert await store.delete_draft(b.id, owner_id=2) is False  # not the owner's
    assert await store.delete_draft(b.id, owner_id=1) is True
    assert await store.get_draft(b.id) is None
    assert [d.text for d in await store.list_drafts(1)] == ["a2"]


# -- approval requests --------------------------------------------------------------------


def _in(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


async def test_request_snapshot_hash_and_supersede(store):
    draft = await store.create_draft(1, text="hello", selections=_selections())
    snapshot = draft.snapshot("لغو۱۱")
    first = await store.create_request(draft, 1, snapshot, _in(24))
    assert first.state == RequestState.PENDING
    assert first.snapshot == snapshot and first.content_hash == content_hash(snapshot)
    second = await store.create_request(draft, 1, snapshot, _in(24))
    assert (await store.get_request(first.id)).state == RequestState.WITHDRAWN
    assert (await store.pending_request_for_draft(draft.id)).id == second.id
    assert [r.id for r in await store.list_pending_requests()] == [second.id]
    assert await store.withdraw_requests_for_draft(draft.id) == [second.id]
    assert await store.withdraw_requests_for_draft(draft.id) == []
    assert await store.pending_request_for_draft(draft.id) is None
    assert await store.get_request(999) is None


async def test_decide_request_rules(store):
    draft = await store.create_draft(1)
    req = await store.create_request(draft, 1, draft.snapshot(), _in(1))
    approve = RequestState.APPROVED
    assert not await store.decide_request(req.id, to_state=approve, decided_by=1)  # self
    assert not await store.decide_request(
        req.id, to_state=approve, decided_by=2, now=_in(2)
    )  # expired by the caller's clock
    assert await store.decide_request(req.id, to_state=approve, decided_by=2, reason="ok")
    assert not await store.decide_request(req.id, to_state=RequestState.REJECTED, decided_by=3)
    got = await store.get_request(req.id)
    assert (got.state, got.decided_by, got.reason) == (approve, 2, "ok")
    assert got.decided_at is not None
    assert [r.id for r in await store.list_decided_requests(2, limit=10, offset=0)] == [req.id]
    assert await store.list_decided_requests(2, limit=10, offset=1) == []


async def test_expire_requests_and_request_messages(store):
    d1, d2 = await store.create_draft(1), await store.create_draft(1)
    soon = await store.create_request(d1, 1, {"n": 1}, _in(1))
    late = await store.create_request(d2, 1, {"n": 2}, _in(48))
    expired = await store.expire_requests(_in(2))
    assert [r.id for r in expired] == [soon.id]
    assert expired[0].state == RequestState.EXPIRED
    assert await store.expire_requests(_in(2)) == []
    assert [r.id for r in await store.list_pending_requests()] == [late.id]

    await store.add_request_message(late.id, 100, 5)
    await store.add_request_message(late.id, 200, 6)
    await store.add_request_message(late.id, 100, 5)  # repeated: stored once
    assert await store.list_request_messages(late.id) == [(100, 5), (200, 6)]


async def test_deleting_a_draft_withdraws_its_pending_request(store):
    draft = await store.create_draft(1)
    req = await store.create_request(draft, 1, {"x": 1}, _in(1))
    assert await store.delete_draft(draft.id, owner_id=1)
    assert (await store.get_request(req.id)).state == RequestState.WITHDRAWN


# -- broadcasts ---------------------------------------------------------------------------


async def _approved_request(store, owner=1):
    draft = await store.create_draft(owner)
    req = await store.create_request(draft, owner, draft.snapshot(), _in(1))
    assert await store.decide_request(req.id, to_state=RequestState.APPROVED, decided_by=99)
    return req


async def test_broadcast_lifecycle(store):
    req = await _approved_request(store)
    b = await store.start_broadcast(
        request_id=req.id, requester_id=1, approver_id=99, snapshot=req.snapshot
    )
    assert b.state == BroadcastState.SENDING and b.attempts == 1 and b.outbox_ids == []
    assert (
        await store.start_broadcast(
            request_id=req.id, requester_id=1, approver_id=99, snapshot=req.snapshot
        )
        is None
    )
    assert await store.get_broadcast_for_request(req.id) == b

    assert await store.finish_broadcast(b.id, state=BroadcastState.FAILED, error="HTTP 503")
    assert not await store.finish_broadcast(b.id, state=BroadcastState.SENT)  # not sending
    retried = await store.retry_broadcast(b.id)
    assert retried.state == BroadcastState.SENDING and retried.attempts == 2
    assert retried.error is None
    assert await store.retry_broadcast(b.id) is None
    assert await store.finish_broadcast(b.id, state=BroadcastState.SENT, outbox_ids=[11, 12])
    assert await store.transition_broadcast(b.id, BroadcastState.SENT, BroadcastState.CANCELLED)
    assert not await store.transition_broadcast(b.id, BroadcastState.SENT, BroadcastState.CANCELLED)
    got = await store.get_broadcast(b.id)
    assert got.state == BroadcastState.CANCELLED and got.outbox_ids == [11, 12]
    assert got.snapshot == req.snapshot
    assert await store.get_broadcast(12345) is None


async def test_broadcasts_without_request_lists_and_counts(store):
    ids = []
    for i in range(3):  # approvals off: request_id is NULL, never a conflict
        b = await store.start_broadcast(
            request_id=None, requester_id=1, approver_id=None, snapshot={"i": i}
        )
        ids.append(b.id)
    req = await _approved_request(store, owner=2)
    other = await store.start_broadcast(
        request_id=req.id, requester_id=2, approver_id=1, snapshot={}
    )
    assert await store.count_broadcasts(1) == 4
    assert await store.count_broadcasts(2) == 1
    assert [b.id for b in await store.list_broadcasts(1)] == [other.id, *reversed(ids)]
    assert [b.id for b in await store.list_broadcasts(1, limit=2, offset=2)] == ids[1::-1]
    with pytest.raises(StoreError):  # no such request
        await store.start_broadcast(request_id=777, requester_id=1, approver_id=2, snapshot={})


async def test_mark_interrupted_sends(store):
    a = await store.start_broadcast(request_id=None, requester_id=1, approver_id=None, snapshot={})
    b = await store.start_broadcast(request_id=None, requester_id=1, approver_id=None, snapshot={})
    await store.finish_broadcast(b.id, state=BroadcastState.SENT, outbox_ids=[1])
    interrupted = await store.mark_interrupted_sends()
    assert [x.id for x in interrupted] == [a.id]
    assert interrupted[0].state == BroadcastState.UNKNOWN and interrupted[0].error == "interrupted"
    assert [x.id for x in await store.list_unknown_broadcasts()] == [a.id]
    assert await store.mark_interrupted_sends() == []


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
