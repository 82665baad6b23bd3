"""A year of use (#23): what is pruned and what is kept forever, owned outbox ids, the
history's pages, and an unknown send that stops being polled (told once, still unknown)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import (
    Broadcast,
    BroadcastState,
    PhonebookSelection,
    RequestState,
    send_time_of,
)
from handlers.jobs import maintain_store, reconcile_unknown
from handlers.session import CustomContext
from storage import MIGRATIONS, SCHEMA_VERSION, Store
from tests.flows import unknown_send
from tests.harness import bot_world, count_rows, until_text
from tests.storage_fixtures import _raw

GIVEN_UP = "ربات دیگر خودش از IPPanel نمی‌پرسد"  # bot/texts.py unknown_given_up


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def _sent(store: Store, owner: int, approver: int, outbox: list[int]):
    draft = await store.create_draft(owner, text="سلام")
    req = await store.create_request(draft, owner, draft.snapshot(), store._now() + timedelta(1))
    assert await store.decide_request(req.id, to_state=RequestState.APPROVED, decided_by=approver)
    b = await store.start_broadcast(
        request_id=req.id, requester_id=owner, approver_id=approver, snapshot=req.snapshot
    )
    await store.finish_broadcast(b.id, state=BroadcastState.SENT, outbox_ids=outbox)
    await store.add_request_message(req.id, approver, 50 + req.id)
    return draft, req, b


async def test_pruning_drops_working_rows_and_keeps_the_record(db_path, fernet):
    clock = Clock()
    async with Store(db_path, fernet, clock=clock) as store:
        old_draft, old_req, old_b = await _sent(store, 1, 2, [11])
        await store.audit(2, "approved", f"request:{old_req.id}")
        trial = await store.reserve_trial(
            owner_id=1,
            draft_id=old_draft.id,
            draft_version=1,
            content_hash="h",
            sender="s",
            recipient="+989121234567",
            message="m",
            limit=3,
        )
        await store.finish_trial(trial.id, "sent", outbox_ids=[5])
        waiting = await store.create_draft(1, text="منتظر تأیید")
        await store.create_request(waiting, 1, waiting.snapshot(), clock.now + timedelta(days=999))
        clock.now += timedelta(days=100)
        new_draft, new_req, _ = await _sent(store, 1, 2, [12])

        pruned = await store.prune(clock.now)

        assert (pruned.drafts, pruned.request_messages, pruned.trial_sends) == (1, 1, 1)
        assert await store.get_draft(old_draft.id) is None
        assert await store.get_draft(waiting.id) is not None  # its request is pending
        assert await store.get_draft(new_draft.id) is not None
        assert await store.list_request_messages(old_req.id) == []
        assert await store.list_request_messages(new_req.id) != []
        assert await store.list_trials(1) == []
        # kept forever: who approved what, when, and what was sent
        assert (await store.get_request(old_req.id)).state == RequestState.APPROVED
        assert (await store.get_broadcast(old_b.id)).outbox_ids == [11]
        assert await store.last_audit(f"request:{old_req.id}", "approved") is not None
        assert await store.owned_outbox_ids([11, 12]) == {11, 12}
        assert (await store.prune(clock.now)).total == 0


async def test_a_new_file_gives_freed_pages_back_in_steps(db_path, fernet):
    async with Store(db_path, fernet) as store:
        for i in range(300):
            await store.create_draft(1, text="x" * 3000 + str(i))
        await store.prune(datetime.now(UTC) + timedelta(days=91))
        free = (await store._db.fetchone("PRAGMA freelist_count"))[0]
        assert free > 100
        left = await store.vacuum_step(50)
        assert left == free - 50
        await store.checkpoint()
    with _raw(db_path) as raw:
        assert raw.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental


async def test_owned_outbox_ids_follow_every_write(store):
    _, _, b = await _sent(store, 1, 2, [101, 102])
    assert await store.owned_outbox_ids([101, 102, 103]) == {101, 102}
    assert not await store.claim_outbox(b.id, 101)  # owned: never evidence for another
    draft = await store.create_draft(3, text="x")
    req = await store.create_request(draft, 3, draft.snapshot(), store._now() + timedelta(1))
    await store.decide_request(req.id, to_state=RequestState.APPROVED, decided_by=2)
    lost = await store.start_broadcast(
        request_id=req.id, requester_id=3, approver_id=2, snapshot=req.snapshot
    )
    await store.finish_broadcast(lost.id, state=BroadcastState.UNKNOWN)
    assert await store.claim_outbox(lost.id, 103)
    assert await store.owned_outbox_ids([103]) == {103}
    assert not await store.claim_outbox(lost.id, 104)  # settled already


async def test_history_pages_read_the_same_rows_newest_first(db_path, fernet):
    clock = Clock()
    async with Store(db_path, fernet, clock=clock) as store:
        ids = []
        for i in range(13):
            clock.now += timedelta(minutes=1)
            requester, approver = (1, 2) if i % 2 else (2, 1)
            ids.append((await _sent(store, requester, approver, [200 + i]))[2].id)
        await _sent(store, 3, 4, [300])  # someone else's
        pages = [await store.list_broadcasts(1, limit=5, offset=o) for o in (0, 5, 10)]
        assert [b.id for page in pages for b in page] == ids[::-1]
        # /history's keyset pages: each from the last row of the one before, and back
        first = await store.history_page(1, 5)
        second = await store.history_page(1, 5, older_than=first[-1].id)
        third = await store.history_page(1, 5, older_than=second[-1].id)
        keyset = [first, second, third]
        assert [[b.id for b in p] for p in keyset] == [[b.id for b in p] for p in pages]
        back = await store.history_page(1, 5, newer_than=third[0].id)
        assert [b.id for b in back] == [b.id for b in second]
        assert await store.history_page(1, 5, older_than=third[-1].id) == []
        assert await store.history_page(1, 5, older_than=10_000) == []  # no such row
        recent = await store.list_broadcasts(1, limit=20, since=clock.now - timedelta(minutes=2))
        assert [b.id for b in recent] == ids[:-4:-1]  # the last three minutes


async def test_an_unknown_send_is_given_up_after_two_days_and_told_once(tmp_path: Path):
    async with bot_world(tmp_path) as w:
        alice, bob, _ = await unknown_send(w)
        service = w.app.services.broadcasts
        later = service.deps.clock() + timedelta(days=2, minutes=1)
        service.deps.clock = lambda: later
        asked = len(w.sandbox.state.requests)

        await reconcile_unknown(CustomContext(w.app))

        for person in (alice, bob):
            note = await until_text(w, person, GIVEN_UP)
            assert "صندوق ارسال" in note.text  # how to check in the panel
            assert not any("ارسال دوباره" in b for b in note.button_texts)
        assert len(w.sandbox.state.requests) == asked  # the panel was not asked again
        await reconcile_unknown(CustomContext(w.app))
        await maintain_store(CustomContext(w.app))
        assert len(w.sandbox.state.requests) == asked
        for person in (alice, bob):
            notes = [m for m in person.messages() if GIVEN_UP in (m.text or "")]
            assert len(notes) == 1
        assert count_rows(w, "broadcasts", "state = 'unknown'") == 1
        assert w.sends == 1


async def test_sends_since_reads_the_rows_going_out_in_the_window(db_path, fernet):
    """A card's repeat and budget checks read the rows going out since a moment by their
    send time (migration 16): a send scheduled long ago for a time inside the window is
    in, a plan's batch counts at its own time, a retry moved later at its new time, and
    nothing else of the year behind is read."""
    clock = Clock()
    day = timedelta(days=1)
    start = clock.now
    async with Store(db_path, fernet, clock=clock) as store:

        async def direct(key: str, **fields: object) -> Broadcast:
            draft = await store.create_draft(1, text="سلام", **fields)
            b = await store.start_broadcast(
                request_id=None,
                requester_id=1,
                approver_id=None,
                snapshot=draft.snapshot(),
                direct_key=key,
            )
            assert isinstance(b, Broadcast)
            return b

        old = await direct("1:1")  # day 0, at once
        ahead = await direct("2:1", send_at=start + 40 * day)  # day 0, for day 40
        books = [PhonebookSelection("pb-7", "مشتریان", 2000)]
        planned = await store.create_draft(
            1,
            text="سلام",
            selections=books,
            send_at=start + 39 * day,
            plan={"batch": 400, "every": 30},
        )
        snapshot = planned.snapshot()
        assert snapshot.plan is not None and len(snapshot.plan.batches) == 5
        batch = await store.start_broadcast(  # batch 5: day 39, two hours after the first
            request_id=None,
            requester_id=1,
            approver_id=None,
            snapshot=snapshot,
            batch_no=5,
            plan_key="d9:1",
        )
        clock.now = start + 30 * day
        recent = await direct("3:1")  # day 30, at once
        clock.now = start + 35 * day
        moved = await direct("4:1", send_at=start + 36 * day)
        await store.finish_broadcast(moved.id, state=BroadcastState.FAILED, error="x")
        failed = await direct("5:1")  # certainly not sent: never counted
        await store.finish_broadcast(failed.id, state=BroadcastState.FAILED, error="x")
        clock.now = start + 39 * day

        async def ids(since: datetime) -> list[int]:
            return [b.id for b in (await store.repeat_candidates(since))[0]]

        assert await ids(start + 38 * day) == [ahead.id, batch.id]
        assert await ids(start + 29 * day) == [ahead.id, batch.id, recent.id]
        assert await ids(start - day) == [old.id, ahead.id, batch.id, recent.id]
        again = await store.retry_broadcast(moved.id, send_at=start + 41 * day)
        assert isinstance(again, Broadcast)
        assert await ids(start + 38 * day) == [ahead.id, batch.id, moved.id]
        spent = [r.broadcast_id for r in await store.spend_rows(start + 38 * day)]
        assert spent == [ahead.id, batch.id, moved.id]
        # the budget's reading of each row, from a few snapshot fields in SQL, is what the
        # whole row says: its send time (else its creation) and a batch's share of its plan
        full = {b.id: b for b in (await store.repeat_candidates(start - day))[0]}
        rows = await store.spend_rows(start - day)
        assert [r.broadcast_id for r in rows] == [old.id, ahead.id, batch.id, recent.id, moved.id]
        for r in rows:
            b = full[r.broadcast_id]
            assert r.at == (send_time_of(b) or b.created_at)
        assert [r.share for r in rows] == [1.0, 1.0, 400 / 2000, 1.0, 1.0]
        assert rows[2].at == snapshot.plan.batches[4].send_at != snapshot.send_time


async def test_version_15_database_upgrades_with_send_times_and_started_requests(db_path, fernet):
    """Migration 16 on a file with history: every row gets its send time (its own, its
    batch's, its snapshot's, else when it was written) and every request with a row is
    marked started, so start-up's "approved, never started" finds only the one without."""
    db_path.parent.mkdir(parents=True)
    upto_15 = " ".join(m.script for m in MIGRATIONS if m.version <= 15)
    t0 = "2026-01-01T10:00:00.000000+00:00"
    plan = {
        "batches": [
            {"send_at": "2026-02-01T00:00:00+00:00"},
            {"send_at": "2026-02-02T00:00:00+00:00"},
        ]
    }
    with _raw(db_path) as conn:
        conn.executescript(f"BEGIN; {upto_15} PRAGMA user_version = 15; COMMIT;")
        conn.execute(
            "INSERT INTO drafts (owner_id, text, step, created_at, updated_at) "
            "VALUES (7, 'سلام', 'review', ?, ?)",
            (t0, t0),
        )
        for no in (1, 2):
            conn.execute(
                "INSERT INTO approval_requests (draft_id, requester_id, snapshot, content_hash, "
                "state, created_at, expires_at, decided_at, public_no) "
                "VALUES (1, 7, '{}', 'h', 'approved', ?, ?, ?, ?)",
                (t0, t0, t0, no),
            )
        rows = [
            (1, "{}", None, 0, None, None),  # request 1's send, at once
            (None, json.dumps({"send_at": "2026-03-01T08:30:00+00:00"}), None, 0, "k:1", None),
            (None, json.dumps({"plan": plan}), None, 2, None, "p1"),  # a plan's batch 2
            (None, json.dumps({"plan": plan}), "2026-04-01T00:00:00.000000+00:00", 1, None, "p1"),
        ]
        for request_id, snapshot, send_at, batch_no, key, plan_key in rows:
            conn.execute(
                "INSERT INTO broadcasts (request_id, requester_id, snapshot, state, created_at, "
                "updated_at, send_at, batch_no, direct_key, plan_key, public_no) "
                "VALUES (?, 7, ?, 'sent', ?, ?, ?, ?, ?, ?, 9)",
                (request_id, snapshot, t0, t0, send_at, batch_no, key, plan_key),
            )

    async with Store(db_path, fernet) as store:
        assert [r.id for r in await store.list_approved_without_broadcast()] == [2]

    def epoch(text: str) -> int:
        return int(datetime.fromisoformat(text).timestamp())

    with _raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        got = dict(conn.execute("SELECT id, goes_at FROM broadcasts ORDER BY id").fetchall())
        assert got == {
            1: epoch(t0),
            2: epoch("2026-03-01T08:30:00+00:00"),
            3: epoch("2026-02-02T00:00:00+00:00"),
            4: epoch("2026-04-01T00:00:00+00:00"),
        }
        # a new row of request 2 marks it started: nothing is stranded any more
        conn.execute(
            "INSERT INTO broadcasts (request_id, requester_id, snapshot, state, created_at, "
            "updated_at, public_no) VALUES (2, 7, '{}', 'sending', ?, ?, 2)",
            (t0, t0),
        )
        assert conn.execute("SELECT started FROM approval_requests WHERE id = 2").fetchone() == (1,)


async def test_history_pages_by_cursor_and_old_page_buttons_open_the_first(tmp_path: Path):
    """/history's arrows carry the cursor row of the next page (keyset), not a page
    number into the whole history; a page button from before (``hs:3``) and a forged
    cursor open the first page."""
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        sent = [(await _sent(w.store, 1001, 1002, [400 + i]))[2] for i in range(7)]
        newest, oldest = [f"#{b.number} ·" for b in sent[-5:]], [f"#{b.number} ·" for b in sent[:2]]

        def shows(message, wanted: list[str], page: str) -> bool:
            text = message.text
            number = f"\u2068{page}\u2069"  # a number is isolated (bot/render.py num)
            return f"(صفحهٔ {number})" in text and all(n in text for n in wanted)

        await alice.send("/history")
        page = await until_text(w, alice, "سابقهٔ ارسال‌ها")
        assert shows(page, newest, "۱") and not any(n in page.text for n in oldest)
        await alice.press(page, "بعدی")
        await w.until(lambda: shows(page, oldest, "۲"))
        assert not any(n in page.text for n in newest)
        assert not any("بعدی" in b for b in page.button_texts)  # nothing older
        await alice.press(page, "قبلی")
        await w.until(lambda: shows(page, newest, "۱"))
        # a cursor as a button carries it: the page just older than that row
        await alice.press_data(page.message_id, f"hs:o:2:{sent[-1].id}")
        await w.until(lambda: shows(page, [f"#{b.number} ·" for b in sent[1:6]], "۲"))
        await alice.press(page, "قبلی")
        await w.until(lambda: shows(page, newest, "۱"))
        for data in ("hs:3", "hs:o:9:99999", "hs:n:4:99999"):
            await alice.press(page, "بعدی")
            await w.until(lambda: shows(page, oldest, "۲"))
            await alice.press_data(page.message_id, data)
            await w.fake.wait_until(lambda: shows(page, newest, "۱"), 8.0, f"{data}: page 1")
        assert w.sends == 0
