"""A local fake IPPanel Edge panel speaking the same contract as the real one.

Use it in tests (``start_sandbox`` inside the test's event loop) or by hand
(``python -m sandbox --port 8990``). Everything lives in one
:class:`SandboxState`: accounts and their API keys, sender lines, phonebooks
(contacts are generated lazily and deterministically from the seed, so 10,000
phonebooks with 100,000 contacts cost almost nothing), accepted sends, a
request log, and fault switches.

All accounts see the same phonebooks; each has its own name, sender lines,
credit and sends.

Control endpoints (no auth), for tests that run the bot as a subprocess:

* ``POST /__sandbox/faults``  ``{"path": "/api/send", "mode": "500", "times": 1,
  "delay": 60, "status": 200}``
* ``POST /__sandbox/reset``   back to the seeded state (data, sends, log, faults)
* ``GET  /__sandbox/requests`` the request log and the number of send POSTs
* ``GET  /__sandbox/sends``    accepted sends
* ``POST /__sandbox/credit``   ``{"key": "sandbox-key", "credit": 1000, "when_short": "refuse"}``
  (``when_short``: ``refuse`` answers a send the credit cannot pay with a 422;
  ``accept_then_fail`` accepts it and its report shows state 8 "insufficient credit",
  at once or, with ``"fail_after": 60``, after 60 s of state 2 "sending")
* ``POST /__sandbox/clock``    ``{"advance": 600}`` moves the sandbox clock on

Fault modes: ``500``, ``401``, ``404``, ``422``, ``not_json`` (HTML body, status
200 unless ``status`` says otherwise), ``hang`` (sleep ``delay`` seconds without
doing the work), ``drop`` (close the connection before the work),
``accept_then_hang`` and ``accept_then_drop`` (do the work, then hang or drop),
``trickle`` (do the work, then send the answer one byte every ``delay`` seconds: an
HTTP client's read timeout restarts with each byte, so only a total deadline ends it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.accounts import AccountsApi
from sandbox.control import ControlApi
from sandbox.http import (
    STATE_KEY,
    ApiFailure,
    Area,
    Handler,
    failure_response,
    invalid,
    parse_json,
)
from sandbox.phonebooks import PhonebooksApi
from sandbox.reports import ReportsApi
from sandbox.seed import (
    DEFAULT_KEY,
    FAULT_MODES,
    MSG_AUTH,
    MSG_MESSAGE_REQUIRED,
    MSG_PHONEBOOK_NOT_FOUND,
    MSG_SERVER,
    PREFIX,
    SHORT_KEY,
    AccountInfo,
    Fault,
    PhonebookInfo,
    RequestRecord,
    SandboxSend,
)
from sandbox.sending import SendingApi
from sandbox.state import SandboxState


def create_app(state: SandboxState) -> web.Application:
    """The aiohttp application serving ``state`` under ``/v1`` and ``/__sandbox``."""
    base = Area(state)
    drop = base.drop

    @web.middleware
    async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(PREFIX + "/"):
            return await handler(request)
        parsed = parse_json(await request.read())
        record = RequestRecord(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            json=parsed,
            authorization=request.headers.get("Authorization"),
            time=datetime.now(UTC),
        )
        state.requests.append(record)
        if request.method == "POST" and request.path.rstrip("/") == PREFIX + "/api/send":
            state.send_posts.append(record)

        fault = state.take_fault(request.path)
        if fault is not None:
            canned = await _apply_fault_before(fault, request)
            if canned is not None:
                return canned
        try:
            response = await handler(request)
        except ApiFailure as failure:
            response = failure_response(failure)
        if fault is not None and fault.mode == "trickle" and isinstance(response, web.Response):
            return await _trickle(request, response, fault.delay)
        if fault is not None and fault.mode == "accept_then_hang":
            await state.sleep(fault.delay)
        elif fault is not None and fault.mode == "accept_then_drop":
            drop(request)
        return response

    async def _trickle(
        request: web.Request, response: web.Response, every: float
    ) -> web.StreamResponse:
        body = response.body if isinstance(response.body, bytes) else b""
        slow = web.StreamResponse(status=response.status)
        slow.content_type = response.content_type
        slow.content_length = len(body)
        try:
            await slow.prepare(request)
            for i in range(len(body)):
                await slow.write(body[i : i + 1])
                if not await state.sleep(every):
                    break  # the sandbox is stopping
        except ConnectionResetError:
            pass  # the client gave up: what a deadline is for
        return slow

    async def _apply_fault_before(fault: Fault, request: web.Request) -> web.StreamResponse | None:
        mode = fault.mode
        if mode == "500":
            return failure_response(ApiFailure(fault.status or 500, MSG_SERVER, "500-1"))
        if mode == "401":
            return failure_response(ApiFailure(401, MSG_AUTH, "400-1"))
        if mode == "404":
            return failure_response(ApiFailure(404, MSG_PHONEBOOK_NOT_FOUND, "404-1"))
        if mode == "422":
            return failure_response(invalid("message", MSG_MESSAGE_REQUIRED))
        if mode == "not_json":
            html = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
            return web.Response(text=html, status=fault.status or 200, content_type="text/html")
        if mode == "hang":
            await state.sleep(fault.delay)
            return failure_response(ApiFailure(504, MSG_SERVER, "500-1"))
        if mode == "drop":
            drop(request)
            return web.Response(status=500)
        return None  # accept_then_*: do the work first

    app = web.Application(middlewares=[api_middleware])
    app[STATE_KEY] = state
    r = app.router
    accounts, phonebooks = AccountsApi(state), PhonebooksApi(state)
    sending, reports, control = SendingApi(state), ReportsApi(state), ControlApi(state)

    def api(handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except ApiFailure as failure:
                return failure_response(failure)

        return wrapped

    r.add_post(PREFIX + "/api/acl/auth/check_token", api(accounts.check_token))
    r.add_get(PREFIX + "/api/number/numbers", api(accounts.numbers))
    r.add_get(PREFIX + "/api/phonebooks/list-new", api(phonebooks.phonebooks))
    r.add_post(PREFIX + "/api/phonebooks/list-new", api(phonebooks.phonebooks))
    r.add_get(PREFIX + "/api/phonebooks/numbers/contact-list", api(phonebooks.contact_list))
    r.add_post(PREFIX + "/api/send/calculate-price", api(sending.calculate_price))
    r.add_get(PREFIX + "/api/payment/credit/mine", api(accounts.credit_mine))
    r.add_post(PREFIX + "/api/send", api(sending.send))
    r.add_post(PREFIX + "/api/send/cancel", api(sending.cancel))
    r.add_get(PREFIX + "/api/report/by_bulk", api(reports.by_bulk))
    r.add_get(PREFIX + "/api/report/bulk_stats", api(reports.bulk_stats))
    r.add_post(PREFIX + "/api/report/new_list", api(reports.new_list))
    r.add_post("/__sandbox/faults", control.ctl_faults)
    r.add_post("/__sandbox/reset", control.ctl_reset)
    r.add_get("/__sandbox/requests", control.ctl_requests)
    r.add_get("/__sandbox/sends", control.ctl_sends)
    r.add_post("/__sandbox/credit", control.ctl_credit)
    r.add_post("/__sandbox/clock", control.ctl_clock)
    return app


@dataclass
class RunningSandbox:
    """A sandbox served on a real loopback port inside the current event loop."""

    state: SandboxState
    runner: web.AppRunner
    host: str
    port: int
    _stopped: bool = field(default=False, repr=False)

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give ``IPPanelClient`` (the contract's paths are appended to it)."""
        return f"{self.root_url}{PREFIX}"

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.state._stopping.set()  # release hanging handlers
        await self.runner.cleanup()


async def start_sandbox(
    state: SandboxState | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    access_log: bool = False,
) -> RunningSandbox:
    """Serve ``state`` on ``host:port`` (0 = any free port) until ``stop()``."""
    state = state or SandboxState()
    state._stopping = asyncio.Event()
    app = create_app(state)
    kwargs: dict[str, Any] = {} if access_log else {"access_log": None}
    runner = web.AppRunner(app, shutdown_timeout=2.0, **kwargs)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    actual_port = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            actual_port = int(address[1])
            break
    return RunningSandbox(state=state, runner=runner, host=host, port=actual_port)


__all__ = [
    "DEFAULT_KEY",
    "FAULT_MODES",
    "SHORT_KEY",
    "AccountInfo",
    "PhonebookInfo",
    "RunningSandbox",
    "SandboxSend",
    "SandboxState",
    "create_app",
    "start_sandbox",
]
