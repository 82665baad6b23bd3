"""Broadcasts: one row per send, written *before* the HTTP call to the provider."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.domain import Broadcast, BroadcastState, Snapshot, line_and_text_hash

from ._base import StoreBase, dump_json, load_json
from .approvals import NEXT_PUBLIC_NO
from .db import from_db_time, parse_db_time, to_db_time
from .errors import StoreError
from .plans import Check, Refused, read_gate, settle_plan


def broadcast_of(row: sqlite3.Row, snapshot: Snapshot | None = None) -> Broadcast:
    """A row as a record; ``snapshot``: the row's snapshot already read (not parsed again)."""
    return Broadcast(
        id=row["id"],
        request_id=row["request_id"],
        requester_id=row["requester_id"],
        approver_id=row["approver_id"],
        snapshot=snapshot or Snapshot.from_dict(load_json(row["snapshot"], {})),
        state=BroadcastState(row["state"]),
        created_at=parse_db_time(row["created_at"]),
        updated_at=parse_db_time(row["updated_at"]),
        outbox_ids=[int(i) for i in load_json(row["outbox_ids"], [])],
        error=row["error"],
        attempts=row["attempts"],
        public_no=row["public_no"],
        batch_no=row["batch_no"],
        plan_key=row["plan_key"],
        send_at=from_db_time(row["send_at"]),
    )


# A send unit's row in state ``sending`` (attempts=1), written before the POST; nothing
# when its request, direct key or plan batch already has one (RETURNING no row).
INSERT_SENDING = (
    "INSERT INTO broadcasts (request_id, requester_id, approver_id, snapshot, "
    "state, outbox_ids, attempts, created_at, updated_at, direct_key, batch_no, "
    "plan_key, send_at, public_no) "
    "VALUES (?, ?, ?, ?, 'sending', '[]', 1, ?, ?, ?, ?, ?, ?, "
    # a request's broadcast carries its request's number, a plan's batches
    # share their plan's, and a direct single send gets its own
    "COALESCE((SELECT public_no FROM approval_requests WHERE id = ?), "
    "(SELECT public_no FROM broadcasts WHERE plan_key = ? LIMIT 1), "
    f"{NEXT_PUBLIC_NO})) "
    "ON CONFLICT DO NOTHING RETURNING *"
)


def sending_params(
    now: str,
    *,
    request_id: int | None,
    requester_id: int,
    approver_id: int | None,
    snapshot: Snapshot | str,
    direct_key: str | None = None,
    batch_no: int = 0,
    plan_key: str | None = None,
    send_at: datetime | None = None,
) -> tuple[object, ...]:
    """The parameters of :data:`INSERT_SENDING`; ``snapshot`` as stored (JSON text) when
    it is copied from the request that approved it."""
    return (
        request_id,
        requester_id,
        approver_id,
        snapshot if isinstance(snapshot, str) else dump_json(snapshot.to_dict()),
        now,
        now,
        direct_key,
        batch_no,
        plan_key,
        None if send_at is None else to_db_time(send_at),
        request_id,
        plan_key,
    )


def read_history_page(
    conn: sqlite3.Connection,
    user_id: int,
    limit: int,
    older_than: int | None = None,
    newer_than: int | None = None,
) -> list[Broadcast]:
    """A page of an admin's history (requester or approver; a gradual plan once, by its
    first batch), newest first, found by keyset: the ``limit`` rows just older than the
    row ``older_than`` (the first page without it), or just newer than ``newer_than``.
    A cursor row that does not exist gives an empty page.

    Each side (as requester, as approver) walks its own covering index from the cursor
    and stops after ``limit`` entries, so a deep page costs what the first one costs."""
    newer = newer_than is not None
    cursor = newer_than if newer else older_than
    where, params = "", tuple[int, ...]()
    if cursor is not None:
        at = "(SELECT created_at FROM broadcasts WHERE id = ?)"
        op = ">" if newer else "<"
        where = f" AND created_at {op}= {at} AND (created_at {op} {at} OR id {op} ?)"
        params = (cursor, cursor, cursor)
    way = "ASC" if newer else "DESC"
    side = (
        "SELECT * FROM (SELECT id, created_at FROM broadcasts WHERE {who} = ? "
        f"AND batch_no <= 1{where} ORDER BY created_at {way}, id {way} LIMIT ?)"
    )
    rows = conn.execute(
        f"SELECT b.* FROM ({side.format(who='requester_id')} UNION "
        f"{side.format(who='approver_id')} ORDER BY created_at {way}, id {way} LIMIT ?) p "
        f"JOIN broadcasts b ON b.id = p.id ORDER BY p.created_at {way}, p.id {way}",
        (user_id, *params, limit, user_id, *params, limit, limit),
    ).fetchall()
    page = [broadcast_of(r) for r in rows]
    return page[::-1] if newer else page


def read_plan_batches(conn: sqlite3.Connection, plan_key: str) -> list[Broadcast]:
    rows = conn.execute(
        "SELECT * FROM broadcasts WHERE plan_key = ? ORDER BY batch_no", (plan_key,)
    ).fetchall()
    return [broadcast_of(r) for r in rows]


class BroadcastStore(StoreBase):
    async def start_broadcast(
        self,
        *,
        request_id: int | None,
        requester_id: int,
        approver_id: int | None,
        snapshot: Snapshot,
        direct_key: str | None = None,
        batch_no: int = 0,
        plan_key: str | None = None,
        send_at: datetime | None = None,
        check: Check | None = None,
    ) -> Broadcast | Refused | None:
        """Record a send in state ``sending`` (attempts=1) before calling the provider.

        Returns None if a broadcast for this approval request (or, for a direct send, this
        ``direct_key``, or this plan's ``batch_no``) already exists: UNIQUE(request_id,
        batch_no), the unique direct key and UNIQUE(plan_key, batch_no) are the last line
        of defence against a double send, and they survive a restart. ``check`` (the
        lifecycle's rule) sees the plan's and the request's state in the same transaction
        and may refuse (:class:`Refused`). A plan's first batch creates its plan row
        (``running``); ``send_at`` is a batch's own time when it was moved.
        """
        now = self._stamp()
        async with self._db.transaction() as tx:
            if check is not None:
                gate = await read_gate(tx, unit=None, plan_key=plan_key, request_id=request_id)
                refusal = check(gate)
                if refusal is not None:
                    return Refused(refusal)
            if plan_key is not None:
                batches = len(snapshot.plan.batches) if snapshot.plan else 1
                await tx.execute(
                    "INSERT OR IGNORE INTO plans (plan_key, state, batches, updated_at) "
                    "VALUES (?, 'running', ?, ?)",
                    (plan_key, batches, now),
                )
            try:
                row = await tx.fetchone(
                    INSERT_SENDING,
                    sending_params(
                        now,
                        request_id=request_id,
                        requester_id=requester_id,
                        approver_id=approver_id,
                        snapshot=snapshot,
                        direct_key=direct_key,
                        batch_no=batch_no,
                        plan_key=plan_key,
                        send_at=send_at,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" in str(exc):
                    return None
                raise StoreError(
                    f"cannot start a broadcast for request {request_id}: {exc}"
                ) from exc
        return broadcast_of(row) if row else None

    async def finish_broadcast(
        self,
        broadcast_id: int,
        *,
        state: BroadcastState,
        outbox_ids: list[int] | None = None,
        error: str | None = None,
        from_state: BroadcastState = BroadcastState.SENDING,
    ) -> bool:
        """CAS ``from_state`` -> ``state``; outbox_ids are kept when None, error is replaced.
        A plan's batch settles its plan in the same transaction (stopped, or done)."""
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "UPDATE broadcasts SET state = ?, outbox_ids = COALESCE(?, outbox_ids), "
                "error = ?, updated_at = ? WHERE id = ? AND state = ? RETURNING plan_key",
                (
                    BroadcastState(state).value,
                    None if outbox_ids is None else dump_json([int(i) for i in outbox_ids]),
                    error,
                    self._stamp(),
                    broadcast_id,
                    BroadcastState(from_state).value,
                ),
            )
            if row is None:
                return False
            await settle_plan(tx, row["plan_key"])
        return True

    async def retry_broadcast(
        self, broadcast_id: int, check: Check | None = None, send_at: datetime | None = None
    ) -> Broadcast | Refused | None:
        """CAS ``failed`` -> ``sending`` with attempts+1; None if it was not ``failed``.
        ``send_at``: its new time ("continue from now"). ``check`` (the lifecycle's rule)
        sees the unit's, plan's and request's state in the same transaction and may refuse
        (:class:`Refused`)."""
        async with self._db.transaction() as tx:
            if check is not None:
                current = await tx.fetchone(
                    "SELECT state, plan_key, request_id FROM broadcasts WHERE id = ?",
                    (broadcast_id,),
                )
                if current is None:
                    return None
                gate = await read_gate(
                    tx,
                    unit=current["state"],
                    plan_key=current["plan_key"],
                    request_id=current["request_id"],
                )
                refusal = check(gate)
                if refusal is not None:
                    return Refused(refusal)
            row = await tx.fetchone(
                "UPDATE broadcasts SET state = 'sending', attempts = attempts + 1, error = NULL, "
                "send_at = COALESCE(?, send_at), updated_at = ? "
                "WHERE id = ? AND state = 'failed' RETURNING *",
                (None if send_at is None else to_db_time(send_at), self._stamp(), broadcast_id),
            )
        return broadcast_of(row) if row else None

    async def transition_broadcast(
        self,
        broadcast_id: int,
        from_state: BroadcastState,
        to_state: BroadcastState,
        error: str | None = None,
    ) -> bool:
        """CAS ``from_state`` -> ``to_state``; the stored error is kept when error is None.
        A plan's batch settles its plan in the same transaction."""
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "UPDATE broadcasts SET state = ?, error = COALESCE(?, error), updated_at = ? "
                "WHERE id = ? AND state = ? RETURNING plan_key",
                (
                    BroadcastState(to_state).value,
                    error,
                    self._stamp(),
                    broadcast_id,
                    BroadcastState(from_state).value,
                ),
            )
            if row is None:
                return False
            await settle_plan(tx, row["plan_key"])
        return True

    async def get_broadcast(self, broadcast_id: int) -> Broadcast | None:
        row = await self._db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return broadcast_of(row) if row else None

    async def get_broadcast_for_request(self, request_id: int) -> Broadcast | None:
        row = await self._db.fetchone(
            "SELECT * FROM broadcasts WHERE request_id = ? ORDER BY batch_no LIMIT 1",
            (request_id,),
        )
        return broadcast_of(row) if row else None

    async def list_plan_batches(self, plan_key: str) -> list[Broadcast]:
        """A gradual plan's batch rows, in batch order (posted or being posted)."""
        return await self._db.read(read_plan_batches, plan_key)

    async def list_plan_keys(self, state: str | None = None) -> list[str]:
        """Every plan that has at least one batch row (only those in ``state``, when
        given: start-up asks for the running ones), oldest first."""
        where, params = ("p.state = ?", (state,)) if state is not None else ("1", ())
        rows = await self._db.fetchall(
            "SELECT p.plan_key, (SELECT MIN(id) FROM broadcasts b "
            "WHERE b.plan_key = p.plan_key) AS first FROM plans p "
            f"WHERE {where} AND first IS NOT NULL ORDER BY first",
            params,
        )
        return [r["plan_key"] for r in rows]

    async def get_broadcast_by_direct_key(self, direct_key: str) -> Broadcast | None:
        row = await self._db.fetchone(
            "SELECT * FROM broadcasts WHERE direct_key = ?", (direct_key,)
        )
        return broadcast_of(row) if row else None

    async def owned_outbox_ids(self, candidates: list[int]) -> set[int]:
        """Which of ``candidates`` the bot already holds: returned by a send (a broadcast,
        a batch or a test SMS), or claimed by a reconcile. Such a provider row belongs to
        that send and is never evidence for another one. (``broadcast_outbox`` mirrors
        every broadcast's ``outbox_ids``, kept by triggers.)"""
        if not candidates:
            return set()
        marks = ",".join("?" * len(candidates))
        rows = await self._db.fetchall(
            f"SELECT outbox_id AS i FROM outbox_claims WHERE outbox_id IN ({marks}) "
            f"UNION SELECT outbox_id FROM broadcast_outbox WHERE outbox_id IN ({marks}) "
            f"UNION SELECT outbox_id FROM trial_send_outbox WHERE outbox_id IN ({marks})",
            (*candidates, *candidates, *candidates),
        )
        return {int(r[0]) for r in rows}

    async def trial_in_doubt(
        self, sender: str, message: str, earliest: datetime, latest: datetime
    ) -> bool:
        """A test SMS of this line and text, made within [earliest, latest], whose
        outbox id the bot does not know (in flight, or cut off): its provider row
        cannot be told from a one-recipient send's."""
        row = await self._db.fetchone(
            "SELECT 1 FROM trial_sends WHERE content_hash = ? AND created_at >= ? "
            "AND created_at <= ? AND (state IN ('sending', 'unknown') "
            "OR (state = 'sent' AND outbox_ids = '[]')) LIMIT 1",
            (
                line_and_text_hash(sender, message),
                to_db_time(earliest),
                to_db_time(latest),
            ),
        )
        return row is not None

    async def claim_outbox(self, broadcast_id: int, outbox_id: int) -> bool:
        """Settle an ``unknown`` broadcast as ``sent`` with one provider row, atomically.

        False (and nothing written) when the row is already owned by any broadcast or test
        SMS, when the broadcast is no longer ``unknown``, or while any send (a test SMS
        too) is in flight: its row may be the one just listed and its outbox id is not
        recorded yet.
        """
        now = self._stamp()
        async with self._db.transaction() as tx:
            busy = await tx.fetchone(
                "SELECT 1 FROM broadcasts WHERE state = 'sending' "
                "UNION ALL SELECT 1 FROM trial_sends WHERE state = 'sending' "
                "UNION ALL SELECT 1 FROM outbox_claims WHERE outbox_id = ? "
                "UNION ALL SELECT 1 FROM broadcast_outbox WHERE outbox_id = ? "
                "UNION ALL SELECT 1 FROM trial_send_outbox WHERE outbox_id = ? LIMIT 1",
                (outbox_id, outbox_id, outbox_id),
            )
            if busy is not None:
                return False
            moved = await tx.execute(
                "UPDATE broadcasts SET state = 'sent', outbox_ids = ?, error = NULL, "
                "updated_at = ? WHERE id = ? AND state = 'unknown'",
                (dump_json([int(outbox_id)]), now, broadcast_id),
            )
            if moved != 1:
                return False
            await tx.execute(
                "INSERT INTO outbox_claims (outbox_id, broadcast_id, claimed_at) VALUES (?, ?, ?)",
                (int(outbox_id), broadcast_id, now),
            )
        return True

    async def mark_interrupted_sends(self) -> list[Broadcast]:
        """At start-up: every ``sending`` row becomes ``unknown`` (error "interrupted").

        Call it before the application starts sending, and only while no other process
        is using the database.
        """
        async with self._db.transaction() as tx:
            rows = await tx.fetchall(
                "UPDATE broadcasts SET state = 'unknown', error = 'interrupted', updated_at = ? "
                "WHERE state = 'sending' RETURNING *",
                (self._stamp(),),
            )
            for key in dict.fromkeys(r["plan_key"] for r in rows if r["plan_key"]):
                await settle_plan(tx, key)  # its plan stops there: a person decides
        return sorted((broadcast_of(r) for r in rows), key=lambda b: b.id)

    async def list_broadcasts(
        self,
        user_id: int,
        limit: int = 5,
        offset: int = 0,
        *,
        plans_once: bool = False,
        since: datetime | None = None,
    ) -> list[Broadcast]:
        """:func:`read_broadcasts` (see there)."""
        return await self._db.read(read_broadcasts, user_id, limit, offset, plans_once, since)

    async def recent_broadcasts_of(
        self, user_ids: list[int], limit: int, since: datetime
    ) -> dict[int, list[Broadcast]]:
        """Each admin's rows created ``since`` or later, at most ``limit`` each, newest
        first (:func:`read_broadcasts`), all in one trip to SQLite's thread: the
        two-minute credit job asked once per admin."""

        def work(conn: sqlite3.Connection) -> dict[int, list[Broadcast]]:
            return {uid: read_broadcasts(conn, uid, limit, 0, False, since) for uid in user_ids}

        return await self._db.read_in_one_trip(work)

    async def history_page(
        self,
        user_id: int,
        limit: int,
        *,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> list[Broadcast]:
        """:func:`read_history_page` (see there)."""
        return await self._db.read(read_history_page, user_id, limit, older_than, newer_than)

    async def list_unknown_broadcasts(self, *, since: datetime | None = None) -> list[Broadcast]:
        """Unknown sends still being asked about (not given up), created ``since`` or later."""
        rows = await self._db.fetchall(
            # the partial index holds only the unknown sends still polled: the planner would
            # otherwise walk (state, created_at), every unknown send ever given up included
            "SELECT * FROM broadcasts INDEXED BY broadcasts_unknown_polled "
            "WHERE state = 'unknown' AND created_at >= ? AND given_up_at IS NULL ORDER BY id",
            ("" if since is None else to_db_time(since),),
        )
        return [broadcast_of(r) for r in rows]

    async def give_up_unknown(self, before: datetime) -> list[Broadcast]:
        """Unknown sends created before ``before`` are no longer asked about: they stay
        unknown, and each is returned once (to be told to a person)."""
        rows = await self._db.fetchall(
            "UPDATE broadcasts INDEXED BY broadcasts_unknown_polled SET given_up_at = ? "
            "WHERE state = 'unknown' AND created_at < ? AND given_up_at IS NULL RETURNING *",
            (self._stamp(), to_db_time(before)),
        )
        return sorted((broadcast_of(r) for r in rows), key=lambda b: b.id)

    async def list_given_up_unknown(self, user_id: int, limit: int = 5) -> list[Broadcast]:
        """An admin's unknown sends nobody asks the panel about any more, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM broadcasts WHERE state = 'unknown' AND given_up_at IS NOT NULL "
            "AND (requester_id = ? OR approver_id = ?) ORDER BY created_at DESC, id DESC LIMIT ?",
            (user_id, user_id, limit),
        )
        return [broadcast_of(r) for r in rows]


def read_broadcasts(
    conn: sqlite3.Connection,
    user_id: int,
    limit: int,
    offset: int = 0,
    plans_once: bool = False,
    since: datetime | None = None,
) -> list[Broadcast]:
    """An admin's rows (requester or approver), newest first; ``plans_once`` lists a
    gradual plan once, by its first batch; ``since`` keeps only rows created then or later.

    The page is found in the two covering indexes (the admin as requester, and as
    approver) and only its rows are read: a deep page skips index entries, never every
    row with its snapshot."""
    page, params = _history_ids(user_id, plans_once, since)
    rows = conn.execute(
        f"SELECT b.* FROM ({page} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?) p "
        "JOIN broadcasts b ON b.id = p.id ORDER BY p.created_at DESC, p.id DESC",
        (*params, limit, offset),
    ).fetchall()
    return [broadcast_of(r) for r in rows]


def _history_ids(
    user_id: int, plans_once: bool, since: datetime | None
) -> tuple[str, tuple[object, ...]]:
    """The ids and times of an admin's rows (requester or approver), from the indexes."""
    once = " AND batch_no <= 1" if plans_once else ""
    after = "" if since is None else to_db_time(since)
    side = f"SELECT id, created_at FROM broadcasts WHERE {{who}} = ? AND created_at >= ?{once}"
    sql = f"{side.format(who='requester_id')} UNION {side.format(who='approver_id')}"
    return sql, (user_id, after, user_id, after)
