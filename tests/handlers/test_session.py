"""The typed per-user session: what the release before it persisted still loads and still
means the same after the upgrade.

``tests/fixtures/release_sessions.sqlite3`` was written by that release's own code (see
``tests/fixtures/make_release_sessions.py``): six admins, each left mid-way in one of the
situations a session must survive. The bot is started on a copy of that file, over the
real stack (PTB, fake Bot API, sandbox panel, SQLite).
"""

from __future__ import annotations

import asyncio
import copy
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.domain import RequestState
from handlers.session import (
    KeyWait,
    OwnContact,
    PlanValue,
    PriceQuote,
    RejectReason,
    Search,
    Session,
    TextName,
)
from storage import codec
from tests.fixtures.make_release_sessions import ADMIN_IDS, APPROVER_IDS, SECRET
from tests.harness import bot_world, fa_prefix, until_text

T = TypeVar("T")
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "release_sessions.sqlite3"


def release_rows() -> dict[int, dict]:
    # immutable: a WAL file opened read-only would otherwise get -shm/-wal files beside it
    conn = sqlite3.connect(f"file:{FIXTURE}?mode=ro&immutable=1", uri=True)
    try:
        rows = conn.execute("SELECT key, value FROM persistence WHERE namespace = 'user_data'")
        return {int(k): codec.loads(v) for k, v in rows}
    finally:
        conn.close()


def test_every_release_session_loads_typed() -> None:
    sessions = {uid: Session.from_dict(data) for uid, data in release_rows().items()}
    assert set(sessions) == {1001, 1002, 1003, 1004, 1005, 1006}
    alice = sessions[1001]
    assert (alice.lang, alice.name, alice.identity_saved) == (
        "fa",
        "Admin1001",
        ("Admin1001", None),
    )
    assert alice.draft == 2 and alice.menu == 13 and alice.books_filter == "مشتریان"
    assert alice.books_view[0] == ("120000", "مشتریان تهران", 25)
    assert alice.senders[0] == ("+983000505", "خط خدماتی")
    assert isinstance(alice.price, PriceQuote) and alice.price.per == 1250
    assert alice.awaiting is None  # the release had no flag for a search
    assert sessions[1002].awaiting == RejectReason(1)
    assert sessions[1003].awaiting == KeyWait()  # await_key and token_wait: one wait
    assert sessions[1004].awaiting == OwnContact()
    assert sessions[1005].awaiting == TextName("save", "متن ذخیره‌شدنی", back="review")
    assert sessions[1006].awaiting == PlanValue("b")


@pytest.mark.parametrize("uid", [1001, 1002, 1003, 1004, 1005, 1006])
def test_a_session_survives_its_own_round_trip(uid: int) -> None:
    session = Session.from_dict(release_rows()[uid])
    assert Session.from_dict(codec.loads(codec.dumps(session.to_dict()))) == session


@pytest.mark.parametrize("uid", [1001, 1002, 1003, 1004, 1005, 1006])
def test_a_deep_copy_is_equal_and_shares_nothing_mutable(uid: int) -> None:
    """PTB writes a deep copy of the session: later changes must not reach the copy."""
    session = Session.from_dict(release_rows()[uid])
    session.senders.append(("+98100", None))  # every list field holds something
    session.books_view.append(("1", "a", 1))
    session.contacts_view.append(("1", "+98912", "b"))
    copied = copy.deepcopy(session)
    assert copied == session and copied.to_dict() == session.to_dict()
    session.books_view.append(("2", "b", 2))
    session.senders.clear()
    session.contacts_view[0] = ("9", "+98913", "c")
    session.menu = (session.menu or 0) + 1
    assert copied != session
    assert copied == Session.from_dict(codec.loads(codec.dumps(copied.to_dict())))
    assert len(copied.books_view) == len(session.books_view) - 1 and copied.senders
    assert copied.contacts_view[0] != ("9", "+98913", "c")


def test_a_fresh_session_writes_nothing_and_odd_values_are_dropped() -> None:
    assert Session().to_dict() == {}
    odd = {"lang": 3, "menu": "x", "reject_for": True, "books_view": [[1]], "price": {"a": 1}}
    assert Session.from_dict(odd) == Session()
    assert Session.from_dict({"awaiting": {"type": "search", "what": "books"}}).awaiting == Search(
        "books"
    )
    assert Session.from_dict({"awaiting": {"type": "text_name", "nope": 1}}).awaiting is None


async def test_sessions_from_the_release_carry_on_after_the_upgrade(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "bot.sqlite3")
    async with bot_world(
        tmp_path, admin_ids=ADMIN_IDS, approver_ids=APPROVER_IDS, secret_key=SECRET
    ) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        dave, erin, frank = w.user(1004), w.user(1005), w.user(1006)
        assert isinstance(w.app.user_data[1001], Session)
        assert w.app.user_data[1002].awaiting == RejectReason(1)

        # alice's phonebook menu is still the live one: a press on it picks a book
        query = await alice.press_data(13, "b:t:120003", chat_id=alice.user_id)
        assert not (await alice.answer_of(query)).show_alert
        await until_text(w, alice, "دفترچه‌های تلفن")
        assert "✓ مشتریان اصفهان" in str(alice.last().buttons)
        draft = await w.store.get_draft(2)
        assert draft is not None and [s.phonebook_id for s in draft.selections] == ["120003"]

        # bob's pending reason is still a reason (the request may have expired since)
        await bob.send("متن ایراد دارد")
        request = await eventually(w.store.get_request, 1, lambda r: r.state != "pending")
        if request.state == RequestState.REJECTED:
            assert request.reason == "متن ایراد دارد"
        else:
            assert request.state == RequestState.EXPIRED  # ran out between fixture and test

        # carol's /token wait still takes the key
        await carol.send("sandbox-key-3")
        await until_text(w, carol, "✅")
        assert await w.store.get_key_info(1003) is not None

        # dave's share-my-number keyboard still refuses a typed number
        await dave.send("09121234567")
        await until_text(w, dave, fa_prefix("trial_phone_typed"))

        # erin's name prompt still saves the text under the name typed
        await erin.send("تخفیف پاییز")
        await until_text(w, erin, "تخفیف پاییز")
        assert [s.name for s in await w.store.list_saved_texts(10, 0)] == ["تخفیف پاییز"]

        # frank's typed batch size still sets the plan
        await frank.send("700")
        frank_draft = await eventually(w.store.get_draft, 4, lambda d: d.plan is not None)
        assert frank_draft.plan == {"batch": 700, "every": 30}
        assert w.app.user_data[1006].awaiting is None

        # and what is written back is the typed session's shape
        await w.app.update_persistence()
        rows = release_rows_of(w.settings.database_path)
        assert rows[1003].get("awaiting") is None and "await_key" not in rows[1003]
        assert rows[1001]["draft"] == 2


async def eventually(
    read: Callable[[int], Awaitable[T | None]], row: int, done: Callable[[T], bool]
) -> T:
    """The row once ``done`` holds for it (the bot answers asynchronously)."""
    for _ in range(200):
        value = await read(row)
        if value is not None and done(value):
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"row {row} never reached the expected state: {value!r}")


def release_rows_of(path: Path) -> dict[int, dict]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT key, value FROM persistence WHERE namespace = 'user_data'")
        return {int(k): codec.loads(v) for k, v in rows}
    finally:
        conn.close()
