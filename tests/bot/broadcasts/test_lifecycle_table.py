"""The lifecycle table: its picture is the code, its rules say no where money is at stake,
and a database from the release before it keeps every plan's state (migration 11)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.broadcasts import lifecycle as lc
from bot.broadcasts.lifecycle import Action, Facts, Machine
from bot.domain import Snapshot, content_hash
from storage import MIGRATIONS, Store
from tests.storage_fixtures import _raw

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


def test_committed_diagram_is_drawn_from_the_table() -> None:
    committed = (REPO / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert committed == lc.mermaid(), "run: python -m bot.broadcasts.diagram"
    assert "docs/lifecycle.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_command_draws_the_same_file(tmp_path: Path) -> None:
    out = tmp_path / "lifecycle.md"
    subprocess.run([sys.executable, "-m", "bot.broadcasts.diagram", str(out)], check=True, cwd=REPO)
    assert out.read_text(encoding="utf-8") == lc.mermaid()


def test_every_machine_has_its_states_and_every_action_a_rule() -> None:
    assert lc.states(Machine.PLAN) == ["running", "done", "stopped", "halted"]
    assert set(lc.states(Machine.UNIT)) == {"sending", "sent", "failed", "unknown", "cancelled"}
    assert set(lc.RULES) == set(Action)
    for rule in lc.RULES.values():
        assert rule.__doc__, rule.__name__
    assert lc.legal(Machine.UNIT, "failed", Action.RETRY, "sending")
    assert not lc.legal(Machine.UNIT, "unknown", Action.RETRY, "sending")
    assert not lc.legal(Machine.PLAN, "halted", Action.CONTINUE, "running")


def test_no_post_of_a_halted_plan_whatever_the_button() -> None:
    ahead = NOW + timedelta(hours=1)
    for action in lc.POSTS:
        facts = Facts(
            NOW, unit="failed" if action == Action.RETRY else None, plan="halted",
            request="approved", approvals=1, needed=1, send_at=ahead,
        )  # fmt: skip
        assert lc.allowed(action, facts).reason == "halted", action


def test_a_removed_approvers_approval_no_longer_counts() -> None:
    facts = Facts(NOW, plan="running", request="approved", approvals=0, needed=1)
    assert lc.allowed(Action.RESUME, facts).reason == "approvals_lost"
    assert lc.allowed(Action.SEND_NOW, facts).reason == "approvals_lost"
    assert lc.allowed(Action.RETRY, Facts(**{**facts.__dict__, "unit": "failed"})).reason == (
        "approvals_lost"
    )


def test_a_past_time_is_never_posted_as_now_and_continue_says_what_comes_first() -> None:
    late = Facts(NOW, plan="running", request="approved", approvals=1, needed=1, send_at=NOW)
    verdict = lc.allowed(Action.SEND, late)
    assert (verdict.ok, verdict.reason, verdict.first) == (False, "late", Action.CONTINUE_FROM_NOW)
    failed = Facts(NOW, unit="failed", plan="stopped", request="approved", approvals=1, needed=1)
    assert lc.allowed(Action.CONTINUE, failed).first == Action.RETRY
    unknown = Facts(**{**failed.__dict__, "unit": "unknown"})
    assert lc.allowed(Action.CONTINUE, unknown).first == Action.CHECK_STATUS
    assert lc.allowed(Action.RETRY, unknown).first == Action.CONFIRM_NOT_SENT
    cancelled = Facts(**{**failed.__dict__, "unit": "cancelled"})
    assert lc.allowed(Action.CONTINUE, cancelled).ok


# -- migration 11: a database made by the release before it -----------------------------


def _plan_snapshot(n: int) -> str:
    at = NOW + timedelta(days=30)
    batches = [
        {"no": k, "start": 1 + (k - 1) * 10, "size": 10,
         "send_at": (at + timedelta(minutes=15 * (k - 1))).isoformat()}
        for k in range(1, n + 1)
    ]  # fmt: skip
    plan = {"phonebook_id": "pb-1", "first_row": 1, "rows": 10 * n, "batch": 10, "every": 15}
    return json.dumps({"sender": "3000", "message": "x", "selections": [],
                       "plan": {**plan, "batches": batches}})  # fmt: skip


async def test_version_10_database_keeps_every_plans_state_halted_marks_included(
    db_path, fernet
) -> None:
    db_path.parent.mkdir(parents=True)
    stamp = "2026-01-01T10:00:00.000000+00:00"
    with _raw(db_path) as conn:
        upto_10 = " ".join(m.script for m in MIGRATIONS if m.version <= 10)
        conn.executescript(f"BEGIN; {upto_10} PRAGMA user_version = 10; COMMIT;")
        snap = _plan_snapshot(3)

        def batch(key: str, no: int, state: str) -> None:
            conn.execute(
                "INSERT INTO broadcasts (requester_id, approver_id, snapshot, state, "
                "created_at, updated_at, batch_no, plan_key, public_no) "
                "VALUES (7, 8, ?, ?, ?, ?, ?, ?, 1)",
                (snap, state, stamp, stamp, no, key),
            )

        for no, state in ((1, "cancelled"), (2, "failed")):
            batch("r1", no, state)  # cancelled by a person: halted (kept in persistence)
        conn.execute(
            "INSERT INTO persistence (namespace, key, value, updated_at) "
            "VALUES ('plan_halted', 'r1', '\"cancelled by 1002\"', ?)",
            (stamp,),
        )
        batch("r2", 1, "sent")
        batch("r2", 2, "unknown")  # stopped at batch 2
        batch("r3", 1, "sent")  # cut off between batches: running (resumed at start-up)
        for no in (1, 2, 3):
            batch("r4", no, "sent")  # done
        conn.execute(
            "INSERT INTO approval_requests (draft_id, requester_id, snapshot, content_hash, "
            "state, created_at, expires_at, public_no) VALUES (1, 7, '{}', ?, 'approved', ?, ?, 9)",
            (content_hash(Snapshot.from_dict({})), stamp, stamp),
        )

    async with Store(db_path, fernet) as store:
        halted = await store.get_plan("r1")
        assert halted is not None and (halted.state, halted.halted_by) == ("halted", 1002)
        assert await store.plan_halted("r1")
        stopped = await store.get_plan("r2")
        assert stopped is not None
        assert (stopped.state, stopped.at_batch, stopped.reason) == ("stopped", 2, "unknown")
        assert (await store.get_plan("r3")).state == "running"  # type: ignore[union-attr]
        assert (await store.get_plan("r4")).state == "done"  # type: ignore[union-attr]
        assert all(p.batches == 3 for p in [halted, stopped])
    with _raw(db_path) as conn:
        left = conn.execute("SELECT COUNT(*) FROM persistence WHERE namespace = 'plan_halted'")
        assert left.fetchone()[0] == 0  # the mark lives with the batches now, once
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


# -- the store's compare-and-set: each move judged inside its own transaction ----------------


def _gate(action: Action, *, approvers=frozenset({8}), send_at=None):
    return lc.gate(action, now=NOW, approvers=approvers, requester_admin=True, send_at=send_at)


async def _start(store: Store, no: int, snap: Snapshot, action: Action = Action.SEND):
    return await store.start_broadcast(
        request_id=None, requester_id=7, approver_id=None, snapshot=snap, batch_no=no,
        plan_key="d1:1", check=_gate(action, send_at=NOW + timedelta(days=30)),
    )  # fmt: skip


async def test_plan_state_moves_with_its_batches_in_one_transaction(store: Store) -> None:
    from bot.domain import BroadcastState
    from storage.plans import Refused

    snap = Snapshot.from_dict(json.loads(_plan_snapshot(3)))
    one = await _start(store, 1, snap)
    assert not isinstance(one, Refused) and one is not None
    assert (await store.get_plan("d1:1")).state == "running"  # type: ignore[union-attr]
    await store.finish_broadcast(one.id, state=BroadcastState.SENT, outbox_ids=[1])
    two = await _start(store, 2, snap)
    assert two is not None and not isinstance(two, Refused)
    await store.finish_broadcast(two.id, state=BroadcastState.FAILED, error="422")
    plan = await store.get_plan("d1:1")
    assert plan is not None and (plan.state, plan.at_batch, plan.reason) == ("stopped", 2, "failed")
    # a stopped plan posts no next batch, from any path, until a person continues it
    assert await _start(store, 3, snap, Action.RESUME) == Refused("stopped")
    # halted: the failed batch can never be retried, the rest never posted
    assert await store.halt_plan("d1:1", 1002)
    assert not await store.halt_plan("d1:1", 1003)  # one halt, by one person
    retry = await store.retry_broadcast(two.id, check=_gate(Action.RETRY))
    assert retry == Refused("halted")
    assert (await store.get_broadcast(two.id)).state == BroadcastState.FAILED  # type: ignore[union-attr]
    restart = await store.restart_plan("d1:1", _gate(Action.CONTINUE), request_id=None)
    assert restart == Refused("halted")


async def test_two_admins_continuing_at_once_one_wins(store: Store) -> None:
    import asyncio

    from bot.domain import BroadcastState
    from storage.plans import PlanRecord, Refused

    snap = Snapshot.from_dict(json.loads(_plan_snapshot(3)))
    one = await _start(store, 1, snap)
    assert one is not None and not isinstance(one, Refused)
    await store.finish_broadcast(one.id, state=BroadcastState.UNKNOWN, error="timeout")
    # unknown first: continue refuses (check it first), then "not sent" + retry + continue
    assert await store.restart_plan("d1:1", _gate(Action.CONTINUE), request_id=None) == Refused(
        "unknown"
    )
    await store.transition_broadcast(one.id, BroadcastState.UNKNOWN, BroadcastState.FAILED)
    again = await store.retry_broadcast(one.id, check=_gate(Action.RETRY))
    assert again is not None and not isinstance(again, Refused)
    await store.finish_broadcast(again.id, state=BroadcastState.SENT, outbox_ids=[2])
    results = await asyncio.gather(
        *(store.restart_plan("d1:1", _gate(Action.CONTINUE), request_id=None) for _ in range(5))
    )
    assert sum(isinstance(r, PlanRecord) for r in results) == 1
    assert all(r == Refused("busy") for r in results if not isinstance(r, PlanRecord))


async def test_a_removed_approvers_approval_stops_counting_in_the_store(store: Store) -> None:
    from storage.plans import Refused
    from tests.storage_fixtures import _approved_request

    request = await _approved_request(store, 7)  # approved by 99
    # 99 is no longer an approver: the gate refuses inside the transaction, no row
    refused = await store.start_broadcast(
        request_id=request.id, requester_id=7, approver_id=99, snapshot=request.snapshot,
        check=_gate(Action.SEND_NOW, approvers=frozenset({9})),
    )  # fmt: skip
    assert refused == Refused("approvals_lost")
    assert await store.get_broadcast_for_request(request.id) is None
    row = await store.start_broadcast(
        request_id=request.id, requester_id=7, approver_id=99, snapshot=request.snapshot,
        check=_gate(Action.SEND_NOW, approvers=frozenset({99})),
    )  # fmt: skip
    assert row is not None and not isinstance(row, Refused)
