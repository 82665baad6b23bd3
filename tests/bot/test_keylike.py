"""What looks like an IPPanel key, and the migration that scrubs keys stored as reasons."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.keylike import looks_like_key, sql_keylike
from storage import Store
from storage.migrations import MIGRATIONS

KEY = "Zq7vK2mP9xR4tW8yB3nC6dF1gH5jL0sA"
SAMPLES = {
    KEY: True,
    f"  {KEY}\n": True,
    f"/token {KEY}": True,
    "a1b2c3d4e5f6g7h8i9j0k1l2m3-_.=": True,
    "abc123": False,  # too short
    "-" * 40: False,  # no letters, no digits
    "a" * 40: False,  # letters only: an SMS word, not a key
    f"{KEY} please": False,  # a sentence mentioning something
    f"{KEY}!": False,
    "لطفاً متن را اصلاح کنید1234567890": False,
    "": False,
}


@pytest.mark.parametrize(("text", "expected"), SAMPLES.items())
def test_looks_like_key(text: str, expected: bool) -> None:
    assert looks_like_key(text) is expected


@pytest.mark.parametrize("text", [t for t in SAMPLES if not t.startswith("/token")])
def test_sql_form_agrees_with_python(text: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (r TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (text,))
    (found,) = conn.execute(f"SELECT {sql_keylike('r')} FROM t").fetchone()
    assert bool(found) is looks_like_key(text)


async def test_migration_redacts_key_reasons_in_requests_and_the_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    now = "2026-01-01T10:00:00.000000+00:00"
    conn = sqlite3.connect(path, isolation_level=None)
    for m in MIGRATIONS[:2]:
        conn.executescript(f"BEGIN; {m.script} PRAGMA user_version = {m.version}; COMMIT;")
    for reason in (KEY, "متن اشتباه است", None):
        conn.execute(
            "INSERT INTO approval_requests (draft_id, requester_id, snapshot, content_hash, "
            "state, created_at, expires_at, reason) VALUES (1, 7, '{}', 'h', 'rejected', ?, ?, ?)",
            (now, now, reason),
        )
        detail = json.dumps({"reason": reason}) if reason else None
        conn.execute(
            "INSERT INTO audit_log (at, actor_id, action, subject, detail) "
            "VALUES (?, 8, 'rejected', 'request:1', ?)",
            (now, detail),
        )
    conn.close()

    async with Store(path, MultiFernet([Fernet(Fernet.generate_key())])) as store:
        reasons = [(await store.get_request(i)).reason for i in (1, 2, 3)]
        assert reasons == ["[redacted]", "متن اشتباه است", None]
        audit = await store.list_audit()
        assert audit[0].action == "key_like_reasons_redacted"
        details = [a.detail for a in reversed(audit[1:])]
        assert details == [{"reason": "[redacted]"}, {"reason": "متن اشتباه است"}, None]
    raw = path.read_bytes()
    assert KEY.encode() not in raw  # secure_delete: not even in freed pages
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_log SET action = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    conn.close()
