"""Store: broadcast rows, their lifecycle and interrupted sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import BroadcastState, Snapshot
from storage import StoreError
from tests.storage_fixtures import _approved_request

# -- broadcasts ---------------------------------------------------------------------------


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
            request_id=None,
            requester_id=1,
            approver_id=None,
            snapshot=Snapshot.from_dict({"draft_id": i}),
        )
        ids.append(b.id)
    req = await _approved_request(store, owner=2)
    other = await store.start_broadcast(
        request_id=req.id, requester_id=2, approver_id=1, snapshot=Snapshot.from_dict({})
    )
    assert len(await store.history_page(1, 10)) == 4
    assert len(await store.history_page(2, 10)) == 1
    assert [b.id for b in await store.list_broadcasts(1)] == [other.id, *reversed(ids)]
    assert [b.id for b in await store.list_broadcasts(1, limit=2, offset=2)] == ids[1::-1]
    # the credit job's read: every admin's newest, in one trip, as list_broadcasts gives them
    long_ago, later = datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1)
    recent = await store.recent_broadcasts_of([1, 2, 3], 2, long_ago)
    assert {uid: [b.id for b in rows] for uid, rows in recent.items()} == {
        1: [other.id, ids[2]],  # newest first, at most two; admin 1 approved the other
        2: [other.id],
        3: [],
    }
    assert recent[1][0] == (await store.list_broadcasts(1, limit=2, since=long_ago))[0]
    assert await store.recent_broadcasts_of([1, 2], 2, later) == {1: [], 2: []}
    with pytest.raises(StoreError):  # no such request
        await store.start_broadcast(
            request_id=777, requester_id=1, approver_id=2, snapshot=Snapshot.from_dict({})
        )


async def test_mark_interrupted_sends(store):
    a = await store.start_broadcast(
        request_id=None, requester_id=1, approver_id=None, snapshot=Snapshot.from_dict({})
    )
    b = await store.start_broadcast(
        request_id=None, requester_id=1, approver_id=None, snapshot=Snapshot.from_dict({})
    )
    await store.finish_broadcast(b.id, state=BroadcastState.SENT, outbox_ids=[1])
    interrupted = await store.mark_interrupted_sends()
    assert [x.id for x in interrupted] == [a.id]
    assert interrupted[0].state == BroadcastState.UNKNOWN and interrupted[0].error == "interrupted"
    assert [x.id for x in await store.list_unknown_broadcasts()] == [a.id]
    assert await store.mark_interrupted_sends() == []
