"""Store: profiles and the encrypted API keys (never in clear on disk, rotation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.domain import Profile
from storage import KeyIntegrityError, Store
from tests.storage_fixtures import API_KEY, _raw, _read_bytes, _selections

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
