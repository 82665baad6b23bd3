"""Gradual sending: a 20,000-contact phonebook in 40 batches of 500, planned, submitted,
approved and posted through the real service, store (SQLite file), client and sandbox.

``python -m benchmarks.plan`` prints the time from approval to the last POST, and the
number of POSTs (one per batch, nothing else).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from bot.broadcasts import BroadcastService, PlanOutcome, Policy
from bot.domain import PhonebookSelection, Step
from storage import Store
from tests.sandbox_fixtures import SANDBOX_KEY, running_sandbox, sandbox_client

REQUESTER, APPROVER = 1001, 1002


async def main(rows: int = 20_000, batch: int = 500, every: int = 30) -> None:
    async with running_sandbox() as sandbox, sandbox_client(sandbox) as client:
        book = sandbox.state.add_phonebook("بنچمارک", count=rows)
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "bot.sqlite3", MultiFernet([Fernet(Fernet.generate_key())]))
            await store.open()
            await store.save_api_key(REQUESTER, SANDBOX_KEY, "bench")
            policy = Policy(frozenset({REQUESTER, APPROVER}), True, timedelta(hours=24))
            service = BroadcastService(store, client, policy)
            draft = await store.create_draft(
                REQUESTER,
                sender="+983000505",
                selections=[PhonebookSelection(book.id, book.title, rows)],
                text="سلام",
                send_at=datetime.now(UTC) + timedelta(hours=1),
                step=Step.REVIEW,
                plan={"batch": batch, "every": every},
            )
            submitted = await service.submit(draft, REQUESTER)
            assert submitted.request is not None, submitted.kind
            before = sandbox.state.send_post_count
            started = time.perf_counter()
            # as the approve button does: approve, then the send the handler starts
            decision = await service.approve(submitted.request.id, APPROVER)
            assert decision.request is not None, decision.kind
            outcome = await service.send_approved(decision.request, APPROVER)
            elapsed = time.perf_counter() - started
            posts = sandbox.state.send_post_count - before
            await store.close()
    assert isinstance(outcome, PlanOutcome) and outcome.plan is not None
    print(
        f"gradual: {rows:,} contacts in {len(outcome.plan.batches)} batches of {batch}: "
        f"{outcome.kind}, {posts} POSTs to /api/send, approval to last POST {elapsed:.2f} s "
        f"({elapsed / max(posts, 1) * 1000:.0f} ms per batch)"
    )


if __name__ == "__main__":
    asyncio.run(main())
