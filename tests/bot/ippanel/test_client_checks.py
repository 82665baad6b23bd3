"""IPPanelClient: checks made before any request leaves the machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.ippanel import AuthError, IPPanelClient, ValidationError
from sandbox import RunningSandbox
from tests.ippanel_helpers import FIRST_BOOK, send, whole
from tests.sandbox_fixtures import SANDBOX_KEY

# ------------------------------------------------------ pre-network checks

LONG_GSM = "a" * 1401
LONG_UCS2 = "س" * (67 * 20 + 1)  # 1341 characters but 21 parts


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sender": ""}, "from_number"),
        ({"sender": "   "}, "from_number"),
        ({"sender": None}, "from_number"),
        ({"message": ""}, "message"),
        ({"message": "  \n "}, "message"),
        ({"message": LONG_GSM}, "message"),
        ({"message": LONG_UCS2}, "message"),
        ({"params": []}, "params"),
        ({"params": whole(FIRST_BOOK) * 101}, "params"),
        ({"params": [{"type": "all", "phonebook_ids": []}]}, "params.0.phonebook_ids"),
        (
            {"params": [{"type": "detail", "phonebook_id": FIRST_BOOK, "number_ids": []}]},
            "params.0.number_ids",
        ),
        (
            {"params": [{"type": "all", "phonebook_ids": [FIRST_BOOK], "start": "0", "size": "5"}]},
            "params.0.start",
        ),
        (
            {"params": [{"type": "all", "phonebook_ids": [FIRST_BOOK], "start": 1, "size": -3}]},
            "params.0.size",
        ),
        ({"params": [{"type": "some"}]}, "params.0.type"),
        ({"send_at": datetime(2099, 1, 1, 10, 0)}, "send_time"),
        ({"send_at": datetime.now(UTC) - timedelta(minutes=1)}, "send_time"),
    ],
)
async def test_pre_network_checks_make_no_request(
    ippanel: IPPanelClient, sandbox: RunningSandbox, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await send(ippanel, **overrides)
    assert field in info.value.errors
    assert info.value.errors[field][0]  # a Persian message
    assert info.value.certainly_not_sent and info.value.status is None
    assert sandbox.state.requests == []


async def test_exactly_100_params_and_1400_gsm_chars_pass_checks(
    ippanel: IPPanelClient, sandbox: RunningSandbox
) -> None:
    result = await send(ippanel, message="a" * 1400, params=whole(FIRST_BOOK) * 100)
    assert result.outbox_ids


@pytest.mark.parametrize("key", ["", "key with space", "کلید-مخفی۱۲۳", "abc\r\nX-Evil: 1"])
async def test_malformed_key_refused_locally(
    ippanel: IPPanelClient, sandbox: RunningSandbox, key: str
) -> None:
    with pytest.raises(AuthError) as info:
        await ippanel.credit(key)
    assert sandbox.state.requests == []
    if key:
        assert key not in str(info.value) and key not in repr(info.value)


async def test_read_only_local_checks(ippanel: IPPanelClient, sandbox: RunningSandbox) -> None:
    with pytest.raises(ValidationError):
        await ippanel.phonebooks(SANDBOX_KEY, page=0)
    with pytest.raises(ValidationError):
        await ippanel.contacts(SANDBOX_KEY, phonebook_id=" ")
    with pytest.raises(ValidationError):
        await ippanel.calculate_price(SANDBOX_KEY, sender="", message="x")
    assert sandbox.state.requests == []
