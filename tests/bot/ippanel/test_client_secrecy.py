"""IPPanelClient: the API key never appears in errors or logs."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.ippanel import IPPanelClient, IPPanelError, ValidationError
from sandbox import RunningSandbox
from tests.ippanel_helpers import send
from tests.sandbox_fixtures import SANDBOX_KEY, closed_port_url, sandbox_client

# ------------------------------------------------------------ key secrecy


def _texts(err: BaseException) -> list[str]:
    texts = [str(err), repr(err), *map(str, err.args)]
    for attr in ("message", "message_code", "errors", "cause_type"):
        texts.append(str(getattr(err, attr, "")))
    chained = err.__cause__ or err.__context__
    if chained is not None:
        texts += [str(chained), repr(chained)]
    return texts


async def test_key_never_in_errors_or_logs(
    sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = SANDBOX_KEY  # a valid key: the sandbox answers with data, faults, errors
    errors: list[IPPanelError] = []
    async with sandbox_client(sandbox, read_timeout=0.4) as client:
        await client.credit(secret)
        await send(client)
        for path, mode in [
            ("/api/send", "500"),
            ("/api/send", "accept_then_hang"),
            ("/api/send", "drop"),
            ("/api/send", "not_json"),
            ("/api/send", "422"),
            ("/api/payment/credit/mine", "401"),
        ]:
            sandbox.state.fail_next(path, mode, delay=10)
            try:
                if path == "/api/send":
                    await send(client)
                else:
                    await client.credit(secret)
            except IPPanelError as exc:
                errors.append(exc)
        for bad_call in (
            send(client, sender="bad"),
            client.check_credential("unknown-secret-key-123"),
        ):
            try:
                await bad_call
            except IPPanelError as exc:
                errors.append(exc)
    async with sandbox_client(closed_port_url()) as client:
        try:
            await client.credit(secret)
        except IPPanelError as exc:
            errors.append(exc)
    assert len(errors) == 9
    for err in errors:
        for text in _texts(err):
            assert secret not in text
            assert "unknown-secret-key-123" not in text
    assert caplog.records, "expected some log lines"
    assert secret not in caplog.text
    assert "unknown-secret-key-123" not in caplog.text
    assert any(r.name == "bot.ippanel" for r in caplog.records)


async def test_key_echoed_by_provider_is_scrubbed() -> None:
    secret = "echo-me-secret-42"

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["Authorization"]
        return httpx.Response(
            422,
            json={
                "data": None,
                "meta": {
                    "status": False,
                    "message": f"کلید {key} نامعتبر",
                    "message_code": "400-2",
                    "errors": {"key": [f"bad {key}"]},
                },
            },
        )

    async with IPPanelClient("http://panel.test/v1", transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(ValidationError) as info:
            await c.credit(secret)
    assert all(secret not in text for text in _texts(info.value))
    assert info.value.errors == {"key": ["bad ***"]}
