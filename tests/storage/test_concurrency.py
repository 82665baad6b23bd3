"""Races inside one process, between two connections, and a writer killed with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.domain import BroadcastState, RequestState, Snapshot
from storage import SCHEMA_VERSION, StaleDraftError, Store

REPO_ROOT = Path(__file__).resolve().parents[2]
RACERS = 20


@pytest.fixture
def fernet() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


@pytest.fixture
async def store(tmp_path: Path, fernet: MultiFernet):
    async with Store(tmp_path / "bot.sqlite3", fernet) as s:
        yield s


def _count(path: Path, sql: str, params: tuple = ()) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


async def _pending_request(store: Store, owner: int = 1):
    draft = await store.create_draft(owner, text="race")
    expires = datetime.now(UTC) + timedelta(hours=1)
    return await store.create_request(draft, owner, draft.snapshot(), expires)


async def test_twenty_approvers_one_winner(store):
    req = await _pending_request(store)
    results = await asyncio.gather(
        *(
            store.decide_request(req.id, to_state=RequestState.APPROVED, decided_by=100 + i)
            for i in range(RACERS)
        )
    )
    assert results.count(True) == 1
    winner = 100 + results.index(True)
    assert (await store.get_request(req.id)).decided_by == winner


async def test_approve_and_reject_race_has_one_outcome(store):
    req = await _pending_request(store)
    states = [RequestState.APPROVED, RequestState.REJECTED, RequestState.WITHDRAWN] * 7
    results = await asyncio.gather(
        *(
            store.decide_request(req.id, to_state=s, decided_by=100 + i)
            for i, s in enumerate(states)
        )
    )
    assert results.count(True) == 1
    assert (await store.get_request(req.id)).state == states[results.index(True)]


async def test_twenty_senders_one_broadcast_row(store, tmp_path):
    req = await _pending_request(store)
    assert await store.decide_request(req.id, to_state=RequestState.APPROVED, decided_by=2)
    started = await asyncio.gather(
        *(
            store.start_broadcast(
                request_id=req.id, requester_id=1, approver_id=2, snapshot=req.snapshot
            )
            for _ in range(RACERS)
        )
    )
    assert sum(b is not None for b in started) == 1
    sql = "SELECT COUNT(*) FROM broadcasts WHERE request_id = ?"
    assert _count(tmp_path / "bot.sqlite3", sql, (req.id,)) == 1


async def test_two_connections_race_on_the_same_file(tmp_path, fernet):
    """Two Store objects = two SQLite connections: the database itself must pick one."""
    path = tmp_path / "bot.sqlite3"
    async with Store(path, fernet) as a, Store(path, fernet) as b:
        req = await _pending_request(a)
        decided = await asyncio.gather(
            *(
                (a if i % 2 else b).decide_request(
                    req.id, to_state=RequestState.APPROVED, decided_by=100 + i
                )
                for i in range(RACERS)
            )
        )
        assert decided.count(True) == 1
        started = await asyncio.gather(
            *(
                (a if i % 2 else b).start_broadcast(
                    request_id=req.id,
                    requester_id=1,
                    approver_id=2,
                    snapshot=Snapshot.from_dict({}),
                )
                for i in range(RACERS)
            )
        )
        assert sum(x is not None for x in started) == 1
        winner = next(x for x in started if x is not None)
        finished = await asyncio.gather(
            a.finish_broadcast(winner.id, state=BroadcastState.SENT, outbox_ids=[1]),
            b.finish_broadcast(winner.id, state=BroadcastState.FAILED, error="x"),
        )
        assert finished.count(True) == 1


async def test_concurrent_saves_of_one_draft_version(store):
    draft = await store.create_draft(1, text="v1")
    copies = [await store.get_draft(draft.id) for _ in range(RACERS)]
    for i, copy in enumerate(copies):
        copy.text = f"writer {i}"
    results = await asyncio.gather(*(store.save_draft(c) for c in copies), return_exceptions=True)
    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1 and wins[0].version == 2
    assert all(isinstance(r, StaleDraftError) for r in results if r is not wins[0])
    assert (await store.get_draft(draft.id)).text == wins[0].text


async def test_concurrent_requests_for_one_draft_leave_one_pending(tmp_path, fernet):
    path = tmp_path / "bot.sqlite3"
    async with Store(path, fernet) as a, Store(path, fernet) as b:
        draft = await a.create_draft(1, text="x")
        expires = datetime.now(UTC) + timedelta(hours=1)
        made = await asyncio.gather(
            *(
                (a if i % 2 else b).create_request(
                    draft, 1, Snapshot.from_dict({"draft_id": i}), expires
                )
                for i in range(RACERS)
            )
        )
        assert len({r.id for r in made}) == RACERS
        pending = await a.list_pending_requests()
        assert len(pending) == 1 and pending[0].id == max(r.id for r in made)


async def test_two_stores_opening_a_new_file_at_once_migrate_it_once(tmp_path, fernet):
    path = tmp_path / "fresh" / "bot.sqlite3"
    stores = [Store(path, fernet) for _ in range(4)]
    try:
        await asyncio.gather(*(s.open() for s in stores))
        assert _count(path, "PRAGMA user_version") == SCHEMA_VERSION
        await stores[0].audit(1, "ok")
        assert len(await stores[3].list_audit()) == 1
    finally:
        for s in stores:
            await s.close()


_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from cryptography.fernet import Fernet, MultiFernet
    from bot.domain import Snapshot
    from storage import Store

    async def main():
        fernet = MultiFernet([Fernet(sys.argv[2].encode())])
        async with Store(Path(sys.argv[1]), fernet) as store:
            for i in range(100_000):
                draft = await store.create_draft(7, text=f"draft {i}" * 20)
                print("draft", draft.id, flush=True)
                req = await store.create_request(
                    draft,
                    7,
                    Snapshot.from_dict({"draft_id": i}),
                    datetime.now(UTC) + timedelta(hours=1),
                )
                print("request", req.id, flush=True)
                await store.audit(7, "written", f"draft:{draft.id}", {"i": i})
                print("audit", i, flush=True)

    asyncio.run(main())
    """
)


async def test_sigkill_mid_writes_loses_nothing_committed(tmp_path):
    path = tmp_path / "bot.sqlite3"
    key = Fernet.generate_key()
    script = tmp_path / "writer.py"
    script.write_text(_CHILD)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        str(path),
        key.decode(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    reported: list[tuple[str, int]] = []
    try:
        while len(reported) < 240:
            line = await asyncio.wait_for(child.stdout.readline(), timeout=20)
            if not line:
                stderr = await child.stderr.read() if child.stderr else b""
                pytest.fail(f"writer exited early: {stderr.decode(errors='replace')}")
            kind, value = line.split()
            reported.append((kind.decode(), int(value)))
    finally:
        child.send_signal(signal.SIGKILL)
        rest, _ = await child.communicate()
    assert child.returncode == -signal.SIGKILL
    # Whole lines printed between our last read and the kill (a torn last line is dropped).
    for line in rest.split(b"\n")[:-1]:
        kind, value = line.split()
        reported.append((kind.decode(), int(value)))

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        drafts = {r[0] for r in conn.execute("SELECT id FROM drafts")}
        requests = {r[0] for r in conn.execute("SELECT id FROM approval_requests")}
        audited = {r[0] for r in conn.execute("SELECT json_extract(detail, '$.i') FROM audit_log")}
        one_pending = conn.execute(
            "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM approval_requests "
            "WHERE state = 'pending' GROUP BY draft_id)"
        ).fetchone()[0]
    finally:
        conn.close()
    assert {v for k, v in reported if k == "draft"} <= drafts
    assert {v for k, v in reported if k == "request"} <= requests
    assert {v for k, v in reported if k == "audit"} <= audited
    assert one_pending == 1

    fernet = MultiFernet([Fernet(key)])
    async with Store(path, fernet) as store:  # reopens (and recovers the WAL) cleanly
        last = max(v for k, v in reported if k == "draft")
        assert (await store.get_draft(last)).text.startswith("draft")


async def test_a_page_read_sees_one_snapshot_and_a_failed_one_leaves_nothing_open(
    store: Store, tmp_path: Path
) -> None:
    """/history's reads run in one read transaction: another connection's commit between
    two of them is not seen half; a read that fails ends its transaction, so the next
    write is not refused as "cannot start a transaction within a transaction"."""
    db = store._db
    await db.execute("CREATE TABLE t (n INTEGER)")
    other = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None, check_same_thread=False)

    def two_reads(conn: sqlite3.Connection) -> tuple[int, int]:
        first = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
        other.execute("INSERT INTO t VALUES (1)")  # committed between the two reads
        return first, conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]

    try:
        assert await db.read_in_one_trip(two_reads) == (0, 0)

        def broken(conn: sqlite3.Connection) -> None:
            conn.execute("SELECT * FROM no_such_table")

        with pytest.raises(sqlite3.OperationalError):
            await db.read_in_one_trip(broken)
        await db.execute("INSERT INTO t VALUES (2)")
        assert _count(tmp_path / "bot.sqlite3", "SELECT COUNT(*) FROM t") == 2
    finally:
        other.close()
