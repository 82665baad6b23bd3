"""IPPanelClient: error statuses and transport outcomes (unknown is never retried)."""

from __future__ import annotations

import pytest

from bot.ippanel import (
    AuthError,
    IPPanelClient,
    NotFoundError,
    ProviderError,
    TransportError,
    ValidationError,
)
from sandbox import RunningSandbox
from tests.ippanel_helpers import send
from tests.sandbox_fixtures import SANDBOX_KEY, closed_port_url, sandbox_client

# --------------------------------------------------------- error statuses


@pytest.mark.parametrize(
    ("mode", "status", "error_type"),
    [
        ("401", 401, AuthError),
        ("404", 404, NotFoundError),
        ("422", 422, ValidationError),
        ("500", 500, ProviderError),
        ("not_json", 200, ProviderError),
    ],
)
async def test_error_statuses_on_read(
    ippanel: IPPanelClient, sandbox: RunningSandbox, mode: str, status: int, error_type: type
) -> None:
    sandbox.state.fail_next("/api/phonebooks/list-new", mode)
    with pytest.raises(error_type) as info:
        await ippanel.phonebooks(SANDBOX_KEY)
    err = info.value
    assert err.status == status and err.message and not err.outcome_unknown
    if mode == "422":
        assert err.errors == {"message": ["تکمیل گزینه پیام الزامی است"]}
    # HTTP error answers are not retried
    assert len(sandbox.state.requests_to("/api/phonebooks/list-new")) == 1


@pytest.mark.parametrize(
    ("mode", "status", "error_type", "unknown"),
    [
        ("401", None, AuthError, False),
        ("404", None, NotFoundError, False),
        ("422", None, ValidationError, False),
        ("500", None, ProviderError, True),
        ("not_json", 200, ProviderError, True),
        ("not_json", 500, ProviderError, True),
    ],
)
async def test_send_error_outcomes(
    ippanel: IPPanelClient,
    sandbox: RunningSandbox,
    mode: str,
    status: int | None,
    error_type: type,
    unknown: bool,
) -> None:
    sandbox.state.fail_next("/api/send", mode, status=status)
    with pytest.raises(error_type) as info:
        await send(ippanel)
    assert info.value.outcome_unknown is unknown
    assert info.value.certainly_not_sent is (not unknown)
    assert sandbox.state.send_post_count == 1


# ----------------------------------------------------- transport outcomes


async def test_accept_then_hang_is_unknown_and_not_retried(sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/send", "accept_then_hang", delay=30)
    async with sandbox_client(sandbox, read_timeout=0.5) as client:
        with pytest.raises(TransportError) as info:
            await send(client)
    assert info.value.outcome_unknown is True and not info.value.certainly_not_sent
    assert sandbox.state.send_post_count == 1
    assert len(sandbox.state.sends) == 1  # it did go out


@pytest.mark.parametrize("mode", ["drop", "accept_then_drop"])
async def test_dropped_send_is_unknown_and_not_retried(
    ippanel: IPPanelClient, sandbox: RunningSandbox, mode: str
) -> None:
    sandbox.state.fail_next("/api/send", mode)
    with pytest.raises(TransportError) as info:
        await send(ippanel)
    assert info.value.outcome_unknown is True
    assert sandbox.state.send_post_count == 1
    assert len(sandbox.state.sends) == (1 if mode == "accept_then_drop" else 0)


async def test_connection_refused_is_certainly_not_sent() -> None:
    async with sandbox_client(closed_port_url(), connect_timeout=1.0) as client:
        with pytest.raises(TransportError) as info:
            await send(client)
        assert info.value.certainly_not_sent and info.value.status is None
        with pytest.raises(TransportError) as read_info:
            await client.credit(SANDBOX_KEY)
        assert read_info.value.outcome_unknown is False


async def test_read_only_call_retried_once_on_drop(
    ippanel: IPPanelClient, sandbox: RunningSandbox
) -> None:
    sandbox.state.fail_next("/api/payment/credit/mine", "drop")
    credit = await ippanel.credit(SANDBOX_KEY)
    assert credit.credit == 50_000_000
    assert len(sandbox.state.requests_to("/api/payment/credit/mine")) == 2

    sandbox.state.fail_next("/api/payment/credit/mine", "drop", times=2)
    with pytest.raises(TransportError) as info:
        await ippanel.credit(SANDBOX_KEY)
    assert info.value.outcome_unknown is False
    assert len(sandbox.state.requests_to("/api/payment/credit/mine")) == 4


async def test_read_only_call_retried_once_on_timeout(sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/number/numbers", "hang", delay=30)
    async with sandbox_client(sandbox, read_timeout=0.3) as client:
        page = await client.sender_lines(SANDBOX_KEY)
    assert page.total == 3
    assert len(sandbox.state.requests_to("/api/number/numbers")) == 2


async def test_send_not_retried_on_drop(ippanel: IPPanelClient, sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/send", "drop")
    with pytest.raises(TransportError):
        await send(ippanel)
    assert sandbox.state.send_post_count == 1
    assert len(sandbox.state.requests_to("/api/send", "POST")) == 1


async def test_cancel_not_retried(ippanel: IPPanelClient, sandbox: RunningSandbox) -> None:
    sandbox.state.fail_next("/api/send/cancel", "drop")
    with pytest.raises(TransportError):
        await ippanel.cancel(SANDBOX_KEY, outbox_id=1)
    assert len(sandbox.state.requests_to("/api/send/cancel")) == 1
