"""Approval requests: an immutable snapshot a second admin approves or rejects."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from datetime import datetime
from typing import Any

from bot.domain import (
    ApprovalRequest,
    ApprovalTally,
    Draft,
    RequestState,
    Snapshot,
    content_hash,
)

from ._base import StoreBase, dump_json, load_json
from .db import from_db_time, parse_db_time, to_db_time
from .errors import StoreError

# Who approved so far, in order, as one JSON column (ordered subquery: group_concat's order
# is not guaranteed). Reads that show a card use it; RETURNING rows leave it empty.
_WITH_APPROVERS = (
    "SELECT r.*, (SELECT json_group_array(approver_id) FROM (SELECT approver_id FROM approvals "
    "WHERE request_id = r.id ORDER BY at, approver_id)) AS approved_by FROM approval_requests r"
)


def _request(row: sqlite3.Row) -> ApprovalRequest:
    keys = row.keys()
    return ApprovalRequest(
        id=row["id"],
        draft_id=row["draft_id"],
        requester_id=row["requester_id"],
        snapshot=Snapshot.from_dict(load_json(row["snapshot"], {})),
        content_hash=row["content_hash"],
        state=RequestState(row["state"]),
        created_at=parse_db_time(row["created_at"]),
        expires_at=parse_db_time(row["expires_at"]),
        decided_by=row["decided_by"],
        decided_at=from_db_time(row["decided_at"]),
        reason=row["reason"],
        approvals_needed=row["approvals_needed"],
        approval_rule=row["approval_rule"],
        cost_unknown=bool(row["cost_unknown"]),
        money=load_json(row["money"], None),
        approved_by=tuple(load_json(row["approved_by"], [])) if "approved_by" in keys else (),
        public_no=row["public_no"],
    )


def read_approvers_of(
    conn: sqlite3.Connection, request_ids: Collection[int]
) -> dict[int, list[int]]:
    """Who approved each of these requests, in the order they approved (requests nobody
    approved are left out): what /history shows of them, without their snapshots."""
    ids = sorted(set(request_ids))
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT request_id, approver_id FROM approvals WHERE request_id IN ({marks}) "
        "ORDER BY request_id, at, approver_id",
        ids,
    )
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(row["request_id"], []).append(row["approver_id"])
    return found


def read_pending_requests(conn: sqlite3.Connection) -> list[ApprovalRequest]:
    rows = conn.execute(
        f"{_WITH_APPROVERS} WHERE r.state = 'pending' ORDER BY r.created_at, r.id"
    ).fetchall()
    return [_request(r) for r in rows]


def read_decided_requests(
    conn: sqlite3.Connection, decided_by: int, limit: int, offset: int
) -> list[ApprovalRequest]:
    rows = conn.execute(
        "SELECT * FROM approval_requests WHERE decided_by = ? "
        "ORDER BY decided_at DESC, id DESC LIMIT ? OFFSET ?",
        (decided_by, limit, offset),
    ).fetchall()
    return [_request(r) for r in rows]


# The next public number: past every request's and every direct broadcast's. One statement
# under SQLite's write lock, so two submits never get the same number (and the UNIQUE index
# on approval_requests.public_no would refuse it anyway).
NEXT_PUBLIC_NO = (
    "(SELECT MAX(COALESCE((SELECT MAX(public_no) FROM approval_requests), 0), "
    "COALESCE((SELECT MAX(public_no) FROM broadcasts), 0)) + 1)"
)


# A draft that changed (or went) voids its pending requests: (decided_at, draft id).
WITHDRAW_FOR_DRAFT = (
    "UPDATE approval_requests SET state = 'withdrawn', decided_at = ?, "
    "reason = COALESCE(reason, 'draft changed') "
    "WHERE draft_id = ? AND state = 'pending' RETURNING id"
)


class ApprovalStore(StoreBase):
    async def create_request(
        self,
        draft: Draft,
        requester_id: int,
        snapshot: Snapshot,
        expires_at: datetime,
        *,
        approvals_needed: int = 1,
        approval_rule: str | None = None,
        cost_unknown: bool = False,
        money: dict[str, float | None] | None = None,
    ) -> ApprovalRequest:
        """Store a pending request; any other pending request for the draft is withdrawn.

        The snapshot is stored as JSON and hashed in the form it will be read back, so
        ``content_hash(request.snapshot) == request.content_hash`` always holds. The number
        of approvals it needs is fixed here, for its whole life.
        """
        if approvals_needed < 1:
            raise ValueError("a request needs at least one approval")
        snapshot_json = dump_json(snapshot.to_dict())
        digest = content_hash(Snapshot.from_dict(json.loads(snapshot_json)))
        now = self._stamp()
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE approval_requests SET state = 'withdrawn', decided_at = ?, "
                "reason = 'superseded' WHERE draft_id = ? AND state = 'pending'",
                (now, draft.id),
            )
            row = await tx.fetchone(
                "INSERT INTO approval_requests (draft_id, requester_id, snapshot, content_hash, "
                "state, created_at, expires_at, approvals_needed, approval_rule, cost_unknown, "
                "money, public_no) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, "
                f"{NEXT_PUBLIC_NO}) RETURNING *",
                (
                    draft.id,
                    requester_id,
                    snapshot_json,
                    digest,
                    now,
                    to_db_time(expires_at),
                    approvals_needed,
                    approval_rule,
                    int(cost_unknown),
                    None if money is None else dump_json(money),
                ),
            )
        if row is None:  # INSERT … RETURNING always yields the row
            raise StoreError("insert returned no row")
        return _request(row)

    async def get_request(self, request_id: int) -> ApprovalRequest | None:
        row = await self._db.fetchone(f"{_WITH_APPROVERS} WHERE r.id = ?", (request_id,))
        return _request(row) if row else None

    async def approvers_of(self, request_ids: Collection[int]) -> dict[int, list[int]]:
        """:func:`read_approvers_of` (see there)."""
        return await self._db.read(read_approvers_of, request_ids)

    async def add_approval(
        self,
        request_id: int,
        approver_id: int,
        *,
        now: datetime,
        eligible: Collection[int] | None = None,
    ) -> ApprovalTally:
        """Count one approval; approve the request when it was the last one needed.

        One ``BEGIN IMMEDIATE`` transaction: record this person's approval (the primary key
        keeps one per person), count the approvals of people still ``eligible`` (None: all),
        and when the count reaches the request's ``approvals_needed`` while it is still
        pending and not expired, flip it to approved. Of any number of simultaneous presses,
        exactly one sees ``"approved"``: only that caller sends. The requester never counts.
        """
        stamp = to_db_time(now)
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT state, requester_id, expires_at, approvals_needed "
                "FROM approval_requests WHERE id = ?",
                (request_id,),
            )
            if row is None or row["state"] != RequestState.PENDING.value:
                return ApprovalTally("not_pending")
            needed = int(row["approvals_needed"])
            if row["requester_id"] == approver_id:
                return ApprovalTally("self", needed=needed)
            if row["expires_at"] <= stamp:
                return ApprovalTally("expired", needed=needed)
            added = await tx.execute(
                "INSERT OR IGNORE INTO approvals (request_id, approver_id, at) VALUES (?, ?, ?)",
                (request_id, approver_id, self._stamp()),
            )
            rows = await tx.fetchall(
                "SELECT approver_id FROM approvals WHERE request_id = ? ORDER BY at, approver_id",
                (request_id,),
            )
            counted = tuple(
                r["approver_id"]
                for r in rows
                if r["approver_id"] != row["requester_id"]
                and (eligible is None or r["approver_id"] in eligible)
            )
            if added != 1:
                return ApprovalTally("repeat", counted, needed)
            if len(counted) < needed:
                return ApprovalTally("counted", counted, needed)
            flipped = await tx.execute(
                "UPDATE approval_requests SET state = 'approved', decided_by = ?, "
                "decided_at = ?, reason = NULL WHERE id = ? AND state = 'pending'",
                (approver_id, self._stamp(), request_id),
            )
            # always 1 here (the state was read in this transaction); checked all the same
            return ApprovalTally("approved" if flipped == 1 else "not_pending", counted, needed)

    async def decide_request(
        self,
        request_id: int,
        *,
        to_state: RequestState,
        decided_by: int | None,
        reason: str | None = None,
        from_state: RequestState = RequestState.PENDING,
        now: datetime | None = None,
    ) -> bool:
        """Move a request from ``from_state`` to ``to_state`` in one compare-and-set.

        True only for the single caller that made the change. An approval also needs an
        approver other than the requester and, when ``now`` is given, a request whose
        ``expires_at`` is still after ``now`` (even if :meth:`expire_requests` has not run).
        """
        to_state = RequestState(to_state)
        from_state = RequestState(from_state)
        if to_state == from_state:
            raise ValueError(f"request transition {from_state} -> {to_state} changes nothing")
        sql = (
            "UPDATE approval_requests SET state = ?, decided_by = ?, decided_at = ?, reason = ? "
            "WHERE id = ? AND state = ?"
        )
        params: list[Any] = [
            to_state.value,
            decided_by,
            self._stamp(),
            reason,
            request_id,
            from_state.value,
        ]
        if to_state == RequestState.APPROVED:
            if decided_by is None:
                raise ValueError("an approval needs the approver's id")
            sql += " AND requester_id <> ?"
            params.append(decided_by)
            if now is not None:
                sql += " AND expires_at > ?"
                params.append(to_db_time(now))
        return await self._db.execute(sql, params) == 1

    async def pending_request_for_draft(self, draft_id: int) -> ApprovalRequest | None:
        row = await self._db.fetchone(
            f"{_WITH_APPROVERS} WHERE r.draft_id = ? AND r.state = 'pending' "
            "ORDER BY r.id DESC LIMIT 1",
            (draft_id,),
        )
        return _request(row) if row else None

    async def withdraw_requests_for_draft(self, draft_id: int) -> list[int]:
        rows = await self._db.fetchall(WITHDRAW_FOR_DRAFT, (self._stamp(), draft_id))
        return sorted(r["id"] for r in rows)

    async def expire_requests(self, now: datetime) -> list[ApprovalRequest]:
        rows = await self._db.fetchall(
            "UPDATE approval_requests SET state = 'expired', decided_at = ? "
            "WHERE state = 'pending' AND expires_at <= ? RETURNING *",
            (to_db_time(now), to_db_time(now)),
        )
        return sorted((_request(r) for r in rows), key=lambda r: r.id)

    async def list_pending_requests(self) -> list[ApprovalRequest]:
        return await self._db.read(read_pending_requests)

    async def add_request_message(self, request_id: int, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO request_messages (request_id, chat_id, message_id) "
            "VALUES (?, ?, ?)",
            (request_id, chat_id, message_id),
        )

    async def list_request_messages(self, request_id: int) -> list[tuple[int, int]]:
        rows = await self._db.fetchall(
            "SELECT chat_id, message_id FROM request_messages WHERE request_id = ? "
            "ORDER BY chat_id, message_id",
            (request_id,),
        )
        return [(r["chat_id"], r["message_id"]) for r in rows]

    async def list_decided_requests(
        self, decided_by: int, limit: int, offset: int
    ) -> list[ApprovalRequest]:
        return await self._db.read(read_decided_requests, decided_by, limit, offset)

    async def list_approved_without_broadcast(
        self, since: datetime | None = None
    ) -> list[ApprovalRequest]:
        """Approved requests that never got a broadcast row: certainly nothing was sent
        (the row is written before any POST). Call at start-up, when no send is starting.
        ``since``: only those approved then or later. Read from the partial index of the
        approved requests never started (``started`` is set by a trigger when a request's
        first row is written, migration 16): start-up reads those few, not a month of
        approvals."""
        recent, params = (
            ("", ()) if since is None else (" AND decided_at >= ?", (to_db_time(since),))
        )
        rows = await self._db.fetchall(
            "SELECT * FROM approval_requests INDEXED BY requests_approved_unstarted "
            f"WHERE state = 'approved' AND started = 0{recent} ORDER BY id",
            params,
        )
        return [_request(r) for r in rows]
