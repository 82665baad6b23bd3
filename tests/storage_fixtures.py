"""Shared by tests/storage/test_*.py (their fixtures are in conftest.py): sample rows, and
helpers to look at the file behind the Store's back."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet, MultiFernet

from bot.domain import PhonebookSelection, RequestState

API_KEY = "OWM2ZjE1NDEtYzE3Ny00YzQ1LWI0ZTItsecretKEY9f3a"
TEHRAN = ZoneInfo("Asia/Tehran")


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


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


def _in(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


async def _approved_request(store, owner=1):
    draft = await store.create_draft(owner)
    req = await store.create_request(draft, owner, draft.snapshot(), _in(1))
    assert await store.decide_request(req.id, to_state=RequestState.APPROVED, decided_by=99)
    return req


async def break_broadcast_rows(store, error: str = "disk I/O error") -> None:
    """From now on no broadcast row can be written: a TEMP trigger on the store's own
    connection makes every INSERT fail, as a failing disk would, inside whichever
    transaction writes it (the approve press's own, or a plan batch's)."""
    await store._db.execute(
        "CREATE TEMP TRIGGER broken_broadcast_rows BEFORE INSERT ON broadcasts "
        f"BEGIN SELECT RAISE(ABORT, '{error}'); END"
    )


async def mend_broadcast_rows(store) -> None:
    await store._db.execute("DROP TRIGGER IF EXISTS temp.broken_broadcast_rows")
