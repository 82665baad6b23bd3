"""Rows the store remembers between reads (storage.recent): a draft, a profile, whether a
user has a key, and the team's saved-text count are answered from memory, and never differ from the
database after any sequence of the store's own writes; a write from elsewhere is caught by
the draft's version, never silently overwritten."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import RequestState
from storage import StaleDraftError, Store
from tests.storage_fixtures import _in, _selections

OWNERS = (1, 2)

# one operation on drafts: (name, owner or draft index, a number)
draft_ops = st.lists(
    st.tuples(
        st.sampled_from(
            ["create", "save", "stale_save", "delete", "delete_empty", "prune", "submit"]
        ),
        st.integers(0, 5),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=25,
)


async def _stored(reader: Store, draft_id: int):
    reader._forget_all()  # the database's answer, not the reader's memory
    return await reader.get_draft(draft_id)


async def _run_drafts(ops: list[tuple[str, int, int]], directory: Path) -> None:
    fernet = MultiFernet([Fernet(Fernet.generate_key())])
    path = directory / "bot.sqlite3"
    async with Store(path, fernet) as store, Store(path, fernet) as reader:
        ids: list[int] = []
        for name, pick, n in ops:
            draft_id = ids[pick % len(ids)] if ids else None
            draft = await store.get_draft(draft_id) if draft_id is not None else None
            if name == "create" or draft_id is None:
                made = await store.create_draft(OWNERS[pick % 2], text="x" * (n % 2))
                ids.append(made.id)
            elif draft is None:
                continue  # deleted earlier: nothing to do with it
            elif name == "save":
                draft.text = f"text {n}" if n else ""
                draft.selections = _selections() if n == 3 else []
                saved, _ = await store.save_draft_voiding(draft)
                assert saved.version == draft.version + 1
            elif name == "stale_save":
                draft.version -= 1
                with pytest.raises(StaleDraftError):
                    await store.save_draft(draft)
            elif name == "delete":
                await store.delete_draft(draft.id, draft.owner_id)
            elif name == "delete_empty":
                keep = draft.id if n % 2 else None
                await store.delete_empty_drafts(draft.owner_id, keep=keep)
            elif name == "prune":
                await store.prune(datetime.now(UTC) + timedelta(days=400))
            elif name == "submit":
                await store.create_request(draft, draft.owner_id, draft.snapshot(), _in(24))
            for known in ids:
                assert await store.get_draft(known) == await _stored(reader, known)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draft_ops)
def test_a_remembered_draft_is_always_the_stored_one(ops):
    with tempfile.TemporaryDirectory() as raw:
        asyncio.run(_run_drafts(ops, Path(raw)))


key_ops = st.lists(
    st.tuples(st.sampled_from(["save", "delete", "read"]), st.integers(1, 3)),
    min_size=1,
    max_size=15,
)


async def _run_keys(ops: list[tuple[str, int]], directory: Path) -> None:
    fernet = MultiFernet([Fernet(Fernet.generate_key())])
    path = directory / "bot.sqlite3"
    async with Store(path, fernet) as store, Store(path, fernet) as reader:
        for i, (name, user) in enumerate(ops):
            if name == "save":
                await store.save_api_key(user, f"key-{i}-{user}", None)
            elif name == "delete":
                await store.delete_api_key(user)
            for u in (1, 2, 3):
                reader._forget_all()
                stored = await reader.get_api_key(u)
                assert await store.has_api_key(u) == (stored is not None)
                assert await store.get_api_key(u) == stored


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key_ops)
def test_whether_a_user_has_a_key_is_always_what_is_stored(ops):
    with tempfile.TemporaryDirectory() as raw:
        asyncio.run(_run_keys(ops, Path(raw)))


profile_ops = st.lists(
    st.tuples(
        st.sampled_from(
            ["language", "identity", "last_used", "trial_phone", "forget_phone", "read"]
        ),
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=15,
)


async def _run_profiles(ops: list[tuple[str, int]], directory: Path) -> None:
    fernet = MultiFernet([Fernet(Fernet.generate_key())])
    path = directory / "bot.sqlite3"
    async with Store(path, fernet) as store, Store(path, fernet) as reader:
        for i, (name, user) in enumerate(ops):
            if name == "language":
                await store.set_language(user, ("fa", "en")[i % 2])
            elif name == "identity":
                await store.set_identity(user, f"name {i}", f"user{i}" if i % 2 else None)
            elif name == "last_used":
                await store.set_last_used(user, f"+98{i}", f"line {i}", _selections())
            elif name == "trial_phone":
                await store.set_trial_phone(user, f"+98912000000{i % 10}")
            elif name == "forget_phone":
                await store.forget_trial_phone(user)
            for u in (1, 2, 3):
                reader._forget_all()
                assert await store.get_profile(u) == await reader.get_profile(u)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile_ops)
def test_a_remembered_profile_is_always_the_stored_one(ops):
    with tempfile.TemporaryDirectory() as raw:
        asyncio.run(_run_profiles(ops, Path(raw)))


async def test_a_draft_changed_elsewhere_is_refused_then_read_anew(store, db_path, fernet):
    """Only this process writes (DATA_DIR is locked), but if another writer did, the
    remembered version would be refused on save, and the next read is the stored draft."""
    draft = await store.create_draft(1, text="mine")
    async with Store(db_path, fernet) as elsewhere:
        theirs = await elsewhere.get_draft(draft.id)
        theirs.text = "theirs"
        await elsewhere.save_draft(theirs)
    remembered = await store.get_draft(draft.id)
    assert remembered.text == "mine"  # answered from memory
    remembered.text = "mine again"
    with pytest.raises(StaleDraftError):
        await store.save_draft(remembered)
    assert (await store.get_draft(draft.id)).text == "theirs"  # nothing overwritten


async def test_a_caller_changing_its_draft_does_not_change_the_memory(store):
    draft = await store.create_draft(1, text="as saved", selections=_selections())
    got = await store.get_draft(draft.id)
    got.text = "changed in hand"
    got.selections.clear()
    again = await store.get_draft(draft.id)
    assert again.text == "as saved" and again.selections == _selections()


async def test_saving_a_step_withdraws_the_pending_request_in_the_same_transaction(store):
    draft = await store.create_draft(1, text="hello", selections=_selections())
    request = await store.create_request(draft, 1, draft.snapshot(), _in(24))
    draft.text = "edited"
    saved, withdrawn = await store.save_draft_voiding(draft)
    assert saved.text == "edited" and withdrawn == [request.id]
    assert (await store.get_request(request.id)).state == RequestState.WITHDRAWN

    again = await store.create_request(saved, 1, saved.snapshot(), _in(24))
    with pytest.raises(StaleDraftError):
        await store.save_draft_voiding(draft)  # the old version: nothing written at all
    assert (await store.get_request(again.id)).state == RequestState.PENDING
    assert (await store.get_draft(draft.id)).text == "edited"


async def test_the_saved_text_count_follows_saves_and_deletes(store, db_path, fernet):
    assert await store.count_saved_texts() == 0
    first = await store.save_text("welcome", "hello", 1, "Ali")
    await store.save_text("promo", "sale", 1, "Ali")
    assert await store.save_text("Welcome", "dup", 1, "Ali") is None  # name taken
    assert await store.count_saved_texts() == 2
    await store.delete_saved_text(first.id)
    assert await store.count_saved_texts() == 1
    async with Store(db_path, fernet) as reader:
        assert await reader.count_saved_texts() == 1
