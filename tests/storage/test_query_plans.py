"""No query the bot runs reads a growing table from end to end (#23).

Every statement the store sends to SQLite is recorded (the one :class:`Transaction`
every access goes through is wrapped) while a store is filled as a year of use would fill
it (benchmarks/year_fill.py, scaled down: the planner decides without statistics, so the
plans are the ones the full-size file gets) and then while every public store method is
called once. Each distinct statement is then run under ``EXPLAIN QUERY PLAN`` on the
filled file; a ``SCAN`` of a table that grows with use fails the test. A public method
that the tour below does not call fails it too, so a new query cannot slip past.
"""

from __future__ import annotations

import inspect
import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks.year_fill import Clock, admins, fill, now_utc
from bot.domain import BroadcastState, RequestState, Snapshot, TrialSend
from storage import Store
from storage.db import Database, Transaction
from storage.persistence import SQLitePersistence

# Tables that grow with every broadcast, forever (or until pruning, for the dated ones).
GROWING = {
    "audit_log",
    "broadcasts",
    "approval_requests",
    "approvals",
    "request_messages",
    "drafts",
    "trial_sends",
    "broadcast_costs",
    "broadcast_outbox",
    "outbox_claims",
    "plans",
    "plan_messages",
    "follow_ups",
}
# Scans that read a bounded number of rows: the newest rows by rowid, with a LIMIT.
BOUNDED = {
    "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?": "the newest rows of the log",
}
# Partial indexes that hold only rows in flight (pending, sending, still polled): walking
# one reads what is waiting, never the history.
IN_FLIGHT = {
    "requests_one_pending_per_draft",
    "requests_by_expiry",
    "broadcasts_unknown_polled",
    "trial_sends_in_flight",
    # approved requests with no broadcast row: a plan before its first batch, an approval
    # stranded by a failing store or refused by the lifecycle (a handful, ever)
    "requests_approved_unstarted",
}
# Public methods not called by the tour, and why.
NOT_TOURED = {
    "open": "no query",
    "ensure_open": "no query",
    "close": "a checkpoint",
    "rotate_keys": "reads every key once, at a start-up with two SECRET_KEYs (20 rows)",
}


@pytest.fixture
async def recorded(tmp_path: Path, fernet, monkeypatch):
    seen: dict[str, tuple[Any, ...]] = {}

    def record(sql: str, params: Any) -> None:
        seen.setdefault(sql, tuple(params))

    execute, fetchall = Transaction.execute, Transaction.fetchall

    async def rec_execute(self, sql, params=()):
        record(sql, params)
        return await execute(self, sql, params)

    async def rec_fetchall(self, sql, params=()):
        record(sql, params)
        return await fetchall(self, sql, params)

    monkeypatch.setattr(Transaction, "execute", rec_execute)
    monkeypatch.setattr(Transaction, "fetchall", rec_fetchall)

    class Recording:
        """The connection a one-trip transaction's work is given, recording too."""

        def __init__(self, conn: sqlite3.Connection) -> None:
            self._conn = conn

        def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
            record(sql, params)
            return self._conn.execute(sql, params)

    in_one_trip, read_in_one_trip, read = (
        Database.in_one_trip,
        Database.read_in_one_trip,
        Database.read,
    )

    async def rec_in_one_trip(self, work):
        return await in_one_trip(self, lambda conn: work(Recording(conn)))

    async def rec_read_in_one_trip(self, work):
        return await read_in_one_trip(self, lambda conn: work(Recording(conn)))

    async def rec_read(self, work, *args):
        return await read(self, lambda conn, *a: work(Recording(conn), *a), *args)

    monkeypatch.setattr(Database, "in_one_trip", rec_in_one_trip)
    monkeypatch.setattr(Database, "read_in_one_trip", rec_read_in_one_trip)
    monkeypatch.setattr(Database, "read", rec_read)
    clock = Clock(now_utc())
    store = Store(tmp_path / "year.sqlite3", fernet, clock=clock)
    await store.open()
    await fill(store, clock, scale=0.005)
    called: set[str] = set()
    for name, _ in inspect.getmembers(Store, inspect.iscoroutinefunction):
        if name.startswith("_"):
            continue
        original = getattr(store, name)

        async def wrapped(*a, __name=name, __orig=original, **kw):
            called.add(__name)
            return await __orig(*a, **kw)

        setattr(store, name, wrapped)
    try:
        yield store, clock, seen, called
    finally:
        await store.close()


async def tour(store: Store, clock: Clock) -> None:
    """Every public store method once, as the bot calls them."""
    now = clock.now
    a, b = admins()[0], admins()[1]
    newest = (await store.list_broadcasts(a, limit=1))[0]
    await store.list_broadcasts(a, limit=5, offset=40, plans_once=True)
    await store.list_broadcasts(a, limit=20, since=now - timedelta(hours=6))
    await store.recent_broadcasts_of([a, b], 20, now - timedelta(hours=6))
    first = await store.history_page(a, 6)
    await store.history_page(a, 6, older_than=first[-1].id)
    await store.history_page(a, 6, newer_than=first[-1].id)
    await store.history_view(a, 6, first_page=True, approver=True)
    await store.history_view(a, 6, older_than=first[-1].id)
    await store.get_broadcast(newest.id)
    await store.get_broadcast_for_request(newest.request_id or 0)
    await store.get_broadcast_by_direct_key("d1:1")
    await store.owned_outbox_ids([1, 2, 10_000_001])
    await store.claim_outbox(newest.id, 99)
    await store.list_unknown_broadcasts(since=now - timedelta(days=2))
    await store.give_up_unknown(now - timedelta(days=2))
    await store.list_given_up_unknown(a)
    await store.list_plan_keys("running")  # the bot asks for running plans only
    await store.list_plan_batches("r1")
    await store.mark_interrupted_sends()
    await store.retry_broadcast(newest.id)
    await store.transition_broadcast(newest.id, BroadcastState.FAILED, BroadcastState.SENT)
    await store.finish_broadcast(newest.id, state=BroadcastState.SENT)
    await store.last_audit(f"broadcast:{newest.id}", "cancelled")
    await store.list_audit(limit=5)
    await store.list_audit(limit=5, actor_id=a)
    await store.count_strangers({(5, now.date().isoformat()): (1, "message")})
    await store.stranger_count(5, now.date().isoformat())
    draft = await store.create_draft(a, text="x")
    store._forget_all()  # the reads below are answered by SQLite, not the store's memory
    await store.has_api_key(a)
    draft = await store.save_draft(draft)
    draft, _ = await store.save_draft_voiding(draft)
    store._forget_all()  # the read below is answered by SQLite, not the store's memory
    await store.get_draft(draft.id)
    await store.list_drafts(a)
    await store.count_drafts(a)
    await store.count_empty_drafts(a)
    await store.delete_empty_drafts(a, keep=draft.id)
    request = await store.create_request(draft, a, draft.snapshot(), now + timedelta(hours=1))
    await store.get_request(request.id)
    await store.approvers_of([request.id, newest.request_id or 0])
    await store.pending_request_for_draft(draft.id)
    await store.add_request_message(request.id, b, 5)
    await store.list_request_messages(request.id)
    await store.list_pending_requests()
    await store.add_approval(request.id, b, now=now)
    await store.decide_request(request.id, to_state=RequestState.WITHDRAWN, decided_by=a)
    await store.withdraw_requests_for_draft(draft.id)
    await store.expire_requests(now)
    await store.list_decided_requests(b, limit=5, offset=0)
    await store.list_approved_without_broadcast(now - timedelta(days=30))
    pressed = await store.create_request(draft, a, draft.snapshot(), now + timedelta(hours=1))
    started = await store.approve_and_start(
        pressed.id,
        b,
        now=now,
        eligible={b},
        may_decide=lambda r: True,
        check=lambda r: lambda gate: None,
    )
    assert started is not None and started.unit is not None  # every statement of it ran
    await store.delete_draft(draft.id, a)
    await store.get_plan("r1")
    await store.plan_halted("r1")
    await store.halt_plan("r1", a)
    await store.stop_plan("r1", 2, "late")
    await store.restart_plan("r1", lambda gate: None, request_id=None)
    await store.add_plan_message("r1", a, 7)
    await store.list_plan_messages("r1")
    await store.start_broadcast(
        request_id=None,
        requester_id=a,
        approver_id=None,
        snapshot=Snapshot.from_dict({}),
        direct_key="d1:1",
    )
    await store.key_owners()
    state = await store.watch_state(a, "stamp")
    await store.record_check(a, state.key_stamp, 10.0, 5.0)
    await store.mark_low(a, state.key_stamp, True)
    await store.mark_failure(a, state.key_stamp, "auth")
    await store.forget_watch([a])
    await store.record_cost(newest.id, a, 1.0, 10, now)
    await store.get_cost(newest.id)
    await store.largest_cost_since(a, now - timedelta(days=1))
    await store.last_spent_broadcast(a)
    await store.unpriced_broadcasts_since(a, now - timedelta(days=1), 20)
    trial = await store.reserve_trial(
        owner_id=a,
        draft_id=1,
        draft_version=1,
        content_hash="h",
        sender="s",
        recipient="r",
        message="m",
        limit=3,
    )
    assert isinstance(trial, TrialSend)
    await store.finish_trial(trial.id, "sent", outbox_ids=[1])
    await store.duplicate_wait(a, "h", "r")
    await store.count_today(a)
    await store.trial_in_doubt("s", "m", now - timedelta(minutes=10), now)
    await store.settle_interrupted_trials()
    await store.count_trials(1, "h")
    await store.list_trials(a)
    await store.set_trial_phone(a, "+989121234567")
    await store.get_trial_phone(a)
    await store.forget_trial_phone(a)
    await store.save_api_key(a, "k", None)
    await store.get_api_key(a)
    await store.get_key_info(a)
    await store.delete_api_key(b)
    store._forget_all()  # the read below is answered by SQLite, not the store's memory
    await store.get_profile(a)
    await store.get_profiles([a, b])
    await store.set_identity(a, "n", "u")
    await store.set_language(a, "en")
    await store.set_last_used(a, "+98300", "line", [])
    saved = await store.save_text("نام", "متن", a, "n")
    await store.get_saved_text(saved.id)
    await store.list_saved_texts(5, 0)
    await store.count_saved_texts()
    await store.rename_saved_text(saved.id, "نام دیگر")
    await store.delete_saved_text(saved.id)
    await store.audit(a, "x", "broadcast:1")
    await store.schedule_follow_up("b1", 1, now)
    await store.due_follow_ups(now)
    await store.sends_to_follow_up(now - timedelta(days=2))
    await store.settle_follow_up("b1", "sent")
    await store.repeat_candidates(now - timedelta(days=1))
    await store.spend_rows(now - timedelta(days=31))
    await store.unposted_plan_batches(now - timedelta(days=31))
    await store.prune(now)
    await store.vacuum_step()
    await store.checkpoint()
    persistence = SQLitePersistence(store)
    await persistence.get_user_data()
    await persistence.update_user_data(a, {"x": 1})
    await persistence.update_conversation("c", (a, a), 1)
    await persistence.get_conversations("c")
    await persistence.drop_user_data(a)


_NOT_ALIAS = {"WHERE", "ON", "LEFT", "JOIN", "INNER", "ORDER", "GROUP", "INDEXED", "SET", "USING"}


def aliases(sql: str) -> dict[str, str]:
    """``FROM broadcasts b`` / ``JOIN approval_requests AS r``: the plan names ``b``, ``r``."""
    found = {}
    for table, alias in re.findall(r"(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        if alias and alias.upper() not in _NOT_ALIAS:
            found[alias] = table
    return found


def scans(plan: list[Any], sql: str = "") -> list[str]:
    named = aliases(sql)
    out = []
    for row in plan:
        detail = str(row[3])
        found = re.match(r"SCAN (\w+)", detail)
        index = re.search(r"USING (?:COVERING )?INDEX (\w+)", detail)
        if index and index.group(1) in IN_FLIGHT:
            continue
        if found and named.get(found.group(1), found.group(1)) in GROWING:
            out.append(detail)
    return out


async def test_no_query_scans_a_growing_table(recorded):
    store, clock, seen, called = recorded
    await tour(store, clock)
    public = {
        n
        for n, _ in inspect.getmembers(Store, inspect.iscoroutinefunction)
        if not n.startswith("_")
    }
    assert public - called - set(NOT_TOURED) == set(), "add the new store method to the tour"
    assert len(seen) > 80
    bad = {}
    for sql, params in list(seen.items()):
        if sql in BOUNDED or not re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)", sql, re.I):
            continue
        plan = await store._db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
        if found := scans(plan, sql):
            bad[sql] = found
    assert bad == {}, "\n".join(f"{v}: {k}" for k, v in bad.items())


async def test_the_check_catches_a_scan(recorded):
    """The test above can fail: an audit look-up by action alone is a full scan."""
    store, *_ = recorded
    plan = await store._db.fetchall(
        "EXPLAIN QUERY PLAN SELECT * FROM audit_log WHERE action = ?", ("x",)
    )
    assert scans(plan) == ["SCAN audit_log"]
    plan = await store._db.fetchall(
        "EXPLAIN QUERY PLAN SELECT r.id FROM approval_requests r WHERE r.reason = ?", ("x",)
    )
    assert len(scans(plan, "SELECT r.id FROM approval_requests r WHERE")) == 1  # by alias
