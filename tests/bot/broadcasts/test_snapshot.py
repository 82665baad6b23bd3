"""The typed, frozen Snapshot: what the approver approved, read back exactly.

The content hash of a stored request must keep verifying across the change from a plain
dict to :class:`bot.domain.Snapshot`: ``tests/fixtures/release_1ca610e.sqlite3`` was
written by the release before the type existed (``tests/fixtures/make_release_db.py``)
and is opened here, migrations and all, with today's code.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.broadcasts.base import Deps
from bot.broadcasts.model import Policy
from bot.domain import Draft, PhonebookSelection, RequestState, Snapshot, content_hash
from bot.ippanel import IPPanelClient
from storage import Store

RELEASE_DB = Path(__file__).resolve().parents[2] / "fixtures" / "release_1ca610e.sqlite3"


def _stored_rows(path: Path, table: str) -> list[tuple[int, dict, str | None]]:
    conn = sqlite3.connect(path)
    try:
        column = "content_hash" if table == "approval_requests" else "NULL"
        rows = conn.execute(f"SELECT id, snapshot, {column} FROM {table} ORDER BY id").fetchall()
    finally:
        conn.close()
    return [(i, json.loads(snap), digest) for i, snap, digest in rows]


async def test_requests_from_the_last_release_still_verify(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    shutil.copy(RELEASE_DB, db)
    old_requests = _stored_rows(db, "approval_requests")
    assert len(old_requests) == 3 and all(isinstance(s, dict) for _, s, _ in old_requests)
    store = Store(db, MultiFernet([Fernet(Fernet.generate_key())]))
    await store.open()  # today's migrations run on the old file
    client = IPPanelClient("http://127.0.0.1:9")  # never called: the check reads the store
    try:
        policy = Policy(frozenset({1002}), True, timedelta(hours=1))
        deps = Deps(store, client, policy)
        for request_id, raw, digest in old_requests:
            request = await store.get_request(request_id)
            assert request is not None and request.state == RequestState.APPROVED
            assert isinstance(request.snapshot, Snapshot)
            # the stored form reads back exactly, so the old hash verifies
            assert request.snapshot.to_dict() == raw
            assert request.content_hash == digest == content_hash(request.snapshot)
        plain, scheduled, gradual = [Snapshot.from_dict(raw) for _, raw, _ in old_requests]
        assert plain.message == "سلام «دنیا»\nلغو۱۱" and plain.sender_label == "خط اصلی"
        assert [s.mode for s in plain.selections] == ["all", "slice", "contacts"]
        assert plain.recipients == 1222 and plain.send_at is None and plain.plan is None
        assert scheduled.send_time == datetime(2027, 3, 21, 6, 30, tzinfo=UTC)
        assert gradual.plan is not None and [b.size for b in gradual.plan.batches] == [500] * 4
        assert gradual.plan.batches[0].start == 101
        # every broadcast row (single sends and a plan's batches) is still what was approved
        for broadcast_id, raw, _ in _stored_rows(db, "broadcasts"):
            b = await store.get_broadcast(broadcast_id)
            assert b is not None and b.snapshot.to_dict() == raw
            assert await deps.still_as_approved(b)
    finally:
        await client.aclose()
        await store.close()


def _draft(**fields) -> Draft:
    books = [PhonebookSelection("pb-9", "همه", 2500, mode="slice", start=101, size=2000)]
    return Draft(7, 1001, sender="+983000505", selections=books, text="سلام", **fields)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"send_at": datetime(2027, 1, 2, 3, 4, 5, 600, tzinfo=UTC)},
        {"send_at": datetime(2027, 1, 2, 3, 4, tzinfo=UTC), "plan": {"batch": 500, "every": 30}},
        {"send_at": None, "plan": {"batch": 500, "every": 30}},  # a plan that cannot be made
    ],
)
def test_a_snapshot_reads_back_exactly_what_it_wrote(fields: dict) -> None:
    snap = _draft(**fields).snapshot("لغو۱۱")
    costed = dataclasses.replace(snap, cost_low=1234.5, cost_high=2000.0)
    for s in (snap, costed):
        stored = json.loads(json.dumps(s.to_dict(), ensure_ascii=False))
        again = Snapshot.from_dict(stored)
        assert again == s and content_hash(again) == content_hash(s)
    assert content_hash(costed) != content_hash(snap)  # the cost is part of what is approved
    # a key unknown to this code is kept, so the hash of such a row still verifies
    stored = snap.to_dict() | {"later_field": {"x": [1, "ب"]}}
    assert Snapshot.from_dict(stored).to_dict() == stored


def test_a_snapshot_is_frozen() -> None:
    snap = _draft().snapshot()
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.message = "changed"  # type: ignore[misc]
    # and so is every chosen book inside it, contacts and all: what was approved cannot
    # change under the approver through a selection the draft or a card still holds
    picked = Draft(8, 1001, selections=[PhonebookSelection("pb-3", "VIP", 9).toggled("c7")])
    snap = picked.snapshot()
    book = snap.selections[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        book.mode = "all"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        book.contact_ids.append("c9")  # type: ignore[attr-defined]
    picked.put(picked.selections[0].toggled("c9"))  # the draft goes on changing
    assert snap.selections[0].contact_ids == ("c7",) and snap.recipients == 1
    assert picked.snapshot().selections[0].contact_ids == ("c7", "c9")


def test_a_selection_changes_by_copy() -> None:
    given = ["c1", "c2"]
    book = PhonebookSelection("pb-1", "A", 50, mode="contacts", contact_ids=given)
    given.append("c3")  # the caller's list is copied, not kept
    assert book.recipients() == 2
    assert book.toggled("c1").contact_ids == ("c2",)
    assert book.toggled("c3").contact_ids == ("c1", "c2", "c3")
    assert book.contact_ids == ("c1", "c2")  # each change is a new selection
    sliced = book.sliced(11, 20)
    assert (sliced.mode, sliced.start, sliced.size, sliced.contact_ids) == ("slice", 11, 20, ())
    assert sliced.recipients() == 20
    # a slice or a whole book starts an empty pick
    assert sliced.toggled("c9").contact_ids == ("c9",)
    assert sliced.whole() == PhonebookSelection("pb-1", "A", 50)
    # stored as JSON lists, read back equal
    assert book.to_dict()["contact_ids"] == ["c1", "c2"]
    assert PhonebookSelection.from_dict(json.loads(json.dumps(book.to_dict()))) == book
    draft = Draft(1, 2, selections=[PhonebookSelection("pb-0", "Z", 5), book])
    draft.put(book.whole())
    assert [(s.phonebook_id, s.mode) for s in draft.selections] == [
        ("pb-0", "all"),
        ("pb-1", "all"),
    ]
