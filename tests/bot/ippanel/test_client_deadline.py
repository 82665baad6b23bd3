"""IPPanelClient: every call has a total deadline (issue #20). A panel that trickles its
answer restarts httpx's read timeout with every byte; only the deadline ends the call."""

from __future__ import annotations

import time

import pytest

from bot.ippanel import TransportError
from sandbox import RunningSandbox
from tests.ippanel_helpers import send
from tests.sandbox_fixtures import SANDBOX_KEY, sandbox_client

DEADLINE = 1.5
TRICKLE = 0.2  # seconds between bytes: far inside the read timeout below
NUMBERS = "/api/number/numbers"


async def test_a_trickling_read_is_cut_at_the_deadline_after_its_retry(
    sandbox: RunningSandbox,
) -> None:
    sandbox.state.fail_next(NUMBERS, "trickle", times=5, delay=TRICKLE)
    async with sandbox_client(sandbox, read_timeout=5.0, deadline=DEADLINE) as client:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            await client.sender_lines(SANDBOX_KEY)
        took = time.monotonic() - started
    assert info.value.cause_type == "DeadlineExceeded" and not info.value.outcome_unknown
    assert SANDBOX_KEY not in repr(info.value)
    # the first try trickled until the deadline: no read timeout fired, no retry was due
    assert len(sandbox.state.requests_to(NUMBERS)) == 1
    assert DEADLINE - 0.1 <= took < DEADLINE + 3, took


async def test_a_read_may_retry_within_its_deadline(sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next(NUMBERS, "drop")  # the first try fails fast; the retry answers
    async with sandbox_client(sandbox, read_timeout=5.0, deadline=DEADLINE) as client:
        lines = await client.sender_lines(SANDBOX_KEY)
    assert lines.items and len(sandbox.state.requests_to(NUMBERS)) == 2


async def test_a_trickling_send_is_unknown_and_never_repeated(sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/send", "trickle", delay=TRICKLE)
    async with sandbox_client(sandbox, read_timeout=5.0, deadline=DEADLINE) as client:
        with pytest.raises(TransportError) as info:
            await send(client)
    assert info.value.outcome_unknown and info.value.cause_type == "DeadlineExceeded"
    assert sandbox.state.send_post_count == 1
    assert len(sandbox.state.sends) == 1  # the panel took it: "unknown" was the truth


async def test_a_call_within_its_deadline_is_untouched(sandbox: RunningSandbox) -> None:
    async with sandbox_client(sandbox, read_timeout=5.0, deadline=DEADLINE) as client:
        result = await send(client)
    assert result.outbox_ids and sandbox.state.send_post_count == 1
