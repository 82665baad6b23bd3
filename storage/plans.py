"""A gradual plan's state, kept with its batch rows and changed in the same transaction.

The states and their moves are the plan machine of :mod:`bot.broadcasts.lifecycle`:
``running`` (batches are being posted), ``stopped`` (a batch failed, is unknown, or its
time passed: a person decides), ``halted`` (a person cancelled the rest: nothing of it is
ever posted again), ``done`` (every batch posted and sent).

Every paid move is gated here: the caller passes a ``check`` that is given a :class:`Gate`
(the unit's, the plan's and the request's state and who approved, read inside the
``BEGIN IMMEDIATE`` transaction) and returns a refusal code or None. Only when it returns
None is the move written, in that same transaction: a compare-and-set, never a read
followed by a write across an await.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from ._base import StoreBase
from .db import Transaction


@dataclass(frozen=True)
class PlanRecord:
    plan_key: str
    state: str  # running, stopped, halted, done
    batches: int
    at_batch: int | None = None  # stopped: the batch that stopped it
    reason: str | None = None  # failed, unknown, cancelled, late, halted
    halted_by: int | None = None
    shift_s: int = 0  # "continue from now": seconds added to unposted batches' times


@dataclass(frozen=True)
class Gate:
    """What the store holds for a paid move, read inside the move's transaction."""

    unit: str | None  # the unit's state (None: no row yet)
    plan: str | None  # the plan's state (None: not a plan, or no batch posted yet)
    request: str | None  # the request's state (None: a direct send, approvals off)
    requester_id: int | None
    approvers: tuple[int, ...]  # everyone who approved, the requester never among them
    needed: int


@dataclass(frozen=True)
class Refused:
    """The gate said no: ``reason`` is the lifecycle's code."""

    reason: str


Check = Callable[[Gate], str | None]  # a refusal code, or None to go ahead


def _plan(row: sqlite3.Row) -> PlanRecord:
    return PlanRecord(
        plan_key=row["plan_key"],
        state=row["state"],
        batches=row["batches"],
        at_batch=row["at_batch"],
        reason=row["reason"],
        halted_by=row["halted_by"],
        shift_s=row["shift_s"],
    )


async def read_plan(tx: Transaction, plan_key: str | None) -> PlanRecord | None:
    if plan_key is None:
        return None
    row = await tx.fetchone("SELECT * FROM plans WHERE plan_key = ?", (plan_key,))
    return _plan(row) if row else None


async def read_gate(
    tx: Transaction, *, unit: str | None, plan_key: str | None, request_id: int | None
) -> Gate:
    """The gate's facts, inside ``tx``."""
    plan = await read_plan(tx, plan_key)
    if request_id is None:
        return Gate(unit, plan.state if plan else None, None, None, (), 0)
    req = await tx.fetchone(
        "SELECT state, requester_id, decided_by, approvals_needed FROM approval_requests "
        "WHERE id = ?",
        (request_id,),
    )
    if req is None:
        return Gate(unit, plan.state if plan else None, "missing", None, (), 1)
    rows = await tx.fetchall(
        "SELECT approver_id FROM approvals WHERE request_id = ? ORDER BY at, approver_id",
        (request_id,),
    )
    who = [r["approver_id"] for r in rows]
    if req["state"] == "approved" and req["decided_by"] is not None and not who:
        who = [req["decided_by"]]  # approved before approval rows existed (v8)
    approvers = tuple(a for a in who if a != req["requester_id"])
    return Gate(
        unit,
        plan.state if plan else None,
        req["state"],
        req["requester_id"],
        approvers,
        int(req["approvals_needed"]),
    )


async def settle_plan(tx: Transaction, plan_key: str | None) -> None:
    """After a batch row changed: a running plan stops at a failed or unknown batch, and is
    done when every batch is posted and none is in doubt. Same transaction as the change."""
    plan = await read_plan(tx, plan_key)
    if plan is None or plan.state != "running":
        return
    doubt = await tx.fetchone(
        "SELECT batch_no, state FROM broadcasts WHERE plan_key = ? "
        "AND state IN ('failed', 'unknown') ORDER BY batch_no LIMIT 1",
        (plan_key,),
    )
    if doubt is not None:
        await _set_state(tx, plan_key, "stopped", doubt["batch_no"], doubt["state"])
        return
    done = await tx.fetchone(
        "SELECT COUNT(*) AS n FROM broadcasts "
        "WHERE plan_key = ? AND state IN ('sent', 'cancelled')",
        (plan_key,),
    )
    if done is not None and done["n"] >= plan.batches:
        await _set_state(tx, plan_key, "done", None, None)


async def _set_state(
    tx: Transaction, plan_key: str | None, state: str, at: int | None, reason: str | None
) -> None:
    await tx.execute(
        "UPDATE plans SET state = ?, at_batch = ?, reason = ?, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000+00:00' "
        "WHERE plan_key = ? AND state <> 'halted'",
        (state, at, reason, plan_key),
    )


def plan_record(conn: sqlite3.Connection, plan_key: str) -> PlanRecord | None:
    row = conn.execute("SELECT * FROM plans WHERE plan_key = ?", (plan_key,)).fetchone()
    return _plan(row) if row else None


class PlanStore(StoreBase):
    async def get_plan(self, plan_key: str) -> PlanRecord | None:
        return await self._db.read(plan_record, plan_key)

    async def halt_plan(self, plan_key: str, actor_id: int | None) -> bool:
        """A person cancelled the rest: no batch of it is ever posted again. True for the
        one call that halted it (a plan halted already stays as it was)."""
        return (
            await self._db.execute(
                "UPDATE plans SET state = 'halted', reason = 'halted', halted_by = ?, "
                "updated_at = ? WHERE plan_key = ? AND state <> 'halted'",
                (actor_id, self._stamp(), plan_key),
            )
            == 1
        )

    async def plan_halted(self, plan_key: str) -> bool:
        plan = await self.get_plan(plan_key)
        return plan is not None and plan.state == "halted"

    async def stop_plan(self, plan_key: str, at_batch: int, reason: str) -> bool:
        """running -> stopped at ``at_batch`` (e.g. "late": its time passed unposted)."""
        return (
            await self._db.execute(
                "UPDATE plans SET state = 'stopped', at_batch = ?, reason = ?, updated_at = ? "
                "WHERE plan_key = ? AND state = 'running'",
                (at_batch, reason, self._stamp(), plan_key),
            )
            == 1
        )

    async def restart_plan(
        self,
        plan_key: str,
        check: Check,
        *,
        request_id: int | None,
        shift_s: int | None = None,
    ) -> PlanRecord | Refused:
        """stopped -> running, when ``check`` agrees on the facts inside the transaction
        (``Gate.unit`` is the stopping batch's state). ``shift_s`` ("continue from now")
        moves the unposted batches' times, in the same transaction. One caller wins."""
        async with self._db.transaction() as tx:
            plan = await read_plan(tx, plan_key)
            if plan is None:
                return Refused("not_found")
            unit = None
            if plan.at_batch is not None:
                row = await tx.fetchone(
                    "SELECT state FROM broadcasts WHERE plan_key = ? AND batch_no = ?",
                    (plan_key, plan.at_batch),
                )
                unit = row["state"] if row else None
            gate = await read_gate(tx, unit=unit, plan_key=plan_key, request_id=request_id)
            refusal = check(gate)
            if refusal is not None:
                return Refused(refusal)
            if plan.state != "stopped":
                return Refused("busy" if plan.state == "running" else plan.state)
            await tx.execute(
                "UPDATE plans SET state = 'running', at_batch = NULL, reason = NULL, "
                "shift_s = COALESCE(?, shift_s), updated_at = ? WHERE plan_key = ?",
                (shift_s, self._stamp(), plan_key),
            )
            fresh = await read_plan(tx, plan_key)
        assert fresh is not None
        return fresh

    async def add_plan_message(self, plan_key: str, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO plan_messages (plan_key, chat_id, message_id) VALUES (?, ?, ?)",
            (plan_key, chat_id, message_id),
        )

    async def list_plan_messages(self, plan_key: str) -> list[tuple[int, int]]:
        """The plan cards people were shown (chat, message), oldest first."""
        rows = await self._db.fetchall(
            "SELECT chat_id, message_id FROM plan_messages WHERE plan_key = ? "
            "ORDER BY message_id, chat_id",
            (plan_key,),
        )
        return [(r["chat_id"], r["message_id"]) for r in rows]
