"""A year of use (#23): what is pruned and what is kept forever, owned outbox ids, the
history's pages, and an unknown send that stops being polled (told once, still unknown)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import BroadcastState, RequestState
from handlers.jobs import maintain_store, reconcile_unknown
from handlers.session import CustomContext
from storage import Store
from tests.handlers.test_flow_money import unknown_send
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
        assert await store.count_broadcasts(1) == 13
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
