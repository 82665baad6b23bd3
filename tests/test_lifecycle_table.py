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
from bot.domain import content_hash
from storage import MIGRATIONS, Store
from tests.storage_fixtures import _raw

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


def test_committed_diagram_is_drawn_from_the_table() -> None:
    committed = (REPO / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert committed == lc.mermaid(), "run: python -m bot.broadcasts.lifecycle"
    assert "docs/lifecycle.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_command_draws_the_same_file(tmp_path: Path) -> None:
    out = tmp_path / "lifecycle.md"
    subprocess.run(
        [sys.executable, "-m", "bot.broadcasts.lifecycle", str(out)], check=True, cwd=REPO
    )
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
            (content_hash({}), stamp, stamp),
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
