"""Store: drafts (compare-and-set saves) and approval requests."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.domain import RequestState, Snapshot, Step, content_hash
from storage import StaleDraftError
from tests.storage_fixtures import TEHRAN, _in, _selections

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
    soon = await store.create_request(d1, 1, Snapshot.from_dict({"draft_id": 1}), _in(1))
    late = await store.create_request(d2, 1, Snapshot.from_dict({"draft_id": 2}), _in(48))
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
    req = await store.create_request(draft, 1, Snapshot.from_dict({"draft_id": 1}), _in(1))
    assert await store.delete_draft(draft.id, owner_id=1)
    assert (await store.get_request(req.id)).state == RequestState.WITHDRAWN


async def test_approvers_of_lists_who_approved_in_order(store):
    draft = await store.create_draft(1, text="hello", selections=_selections())
    first = await store.create_request(draft, 1, draft.snapshot(), _in(24), approvals_needed=3)
    other = await store.create_draft(1, text="other", selections=_selections())
    second = await store.create_request(other, 1, other.snapshot(), _in(24))
    await store.add_approval(first.id, 7, now=_in(0.2))
    await store.add_approval(first.id, 5, now=_in(0.1))
    await store.add_approval(second.id, 9, now=_in(0.1))
    found = await store.approvers_of([first.id, second.id, 999])
    assert found == {first.id: [7, 5], second.id: [9]}  # nobody approved 999: left out
    assert found[first.id] == list((await store.get_request(first.id)).approved_by)
    assert await store.approvers_of([]) == {}
