"""Async client for the IPPanel Edge API (see /work/shared/ippanel-edge-api.md).

One :class:`IPPanelClient` per process, over one pooled ``httpx.AsyncClient``.
The API key is passed to every call because each admin has their own; it is
sent as ``Authorization: <key>`` and never logged or put into an error.

Retries: read-only calls are retried once on a :class:`TransportError`; a send
(and a cancel) is never retried, because the API has no idempotency key and a
repeated POST is a second broadcast. Cancelling a call (``asyncio`` task
cancellation) while a send is in flight leaves its outcome unknown: the caller
must treat it like ``outcome_unknown``.

Deadline: every public call, retries and pages included, ends within ``deadline``
seconds. httpx's read timeout restarts with every byte, so a panel trickling its
answer would otherwise hold a call (and the admin waiting for it) for ever. A call cut
at the deadline raises a :class:`TransportError`; for a send it is ``outcome_unknown``
(the POST may have been taken), never retried.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from .bodies import (
    MSG_MESSAGE_REQUIRED,
    MSG_PHONEBOOK_ID,
    MSG_SENDER,
    build_send_body,
    build_webservice_body,
    check_key,
    check_page,
    list_filters,
    sender_given,
)
from .envelope import as_mapping, transport_error, unwrap
from .errors import (
    NotCancellableError,
    NotFoundError,
    ProviderError,
    TransportError,
    ValidationError,
)
from .models import (
    Account,
    BulkReport,
    BulkStats,
    Contact,
    Credit,
    Page,
    Phonebook,
    Price,
    SenderLine,
    SendRecord,
    SendResult,
)

logger = logging.getLogger("bot.ippanel")

T = TypeVar("T")
P = ParamSpec("P")

MAX_LINE_PAGES = 10  # sender-line pages read at most (the list has no pagination meta)
RETRY_DELAY = 0.1  # seconds before the single retry of a read-only call
DEADLINE_TEXT = "پاسخ سامانه پیامک به موقع نرسید"


def _bounded(
    *, send: bool
) -> Callable[
    [Callable[Concatenate[IPPanelClient, P], Awaitable[T]]],
    Callable[Concatenate[IPPanelClient, P], Awaitable[T]],
]:
    """The call as a whole (connect, request, a trickling answer, the retry of a read,
    every page) ends at the client's deadline; ``send``: a call cut there may have been
    taken by the panel, so its outcome is unknown."""

    def wrap(
        call: Callable[Concatenate[IPPanelClient, P], Awaitable[T]],
    ) -> Callable[Concatenate[IPPanelClient, P], Awaitable[T]]:
        @functools.wraps(call)
        async def bounded(self: IPPanelClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
            started = time.monotonic()
            deadline = asyncio.timeout(self.deadline)
            try:
                async with deadline:
                    return await call(self, *args, **kwargs)
            except TimeoutError:
                if not deadline.expired():
                    raise
            # outside the except block: no exception chain back to the httpx request
            logger.warning(
                "ippanel %s cut at its %.0f s deadline after %.0f ms (outcome_unknown=%s)",
                call.__name__,
                self.deadline,
                (time.monotonic() - started) * 1000,
                send,
            )
            error = TransportError(DEADLINE_TEXT, outcome_unknown=send)
            error.cause_type = "DeadlineExceeded"
            raise error

        return bounded

    return wrap


def _wire_trace(on_wire: Callable[[], None]) -> Callable[[str, Any], Awaitable[None]]:
    """An httpcore ``trace`` callback calling ``on_wire`` when the body has been sent."""

    async def trace(event: str, info: Any) -> None:
        if event.endswith("send_request_body.complete"):
            on_wire()

    return trace


class IPPanelClient:
    """Async IPPanel Edge client; safe to share between tasks.

    ``base_url`` is the API root including its version, e.g.
    ``https://edge.ippanel.com/v1`` (or a sandbox's ``http://127.0.0.1:8990/v1``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        deadline: float = 30.0,
        max_connections: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """``verify``: a TLS context to share with other clients (True: httpx makes one)."""
        self.base_url = base_url.rstrip("/")
        self.deadline = deadline
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(
                connect=connect_timeout,
                read=read_timeout,
                write=read_timeout,
                pool=connect_timeout,
            ),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
            ),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "ippanel-broadcast-bot"},
            follow_redirects=False,
            verify=verify,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> IPPanelClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"IPPanelClient(base_url={self.base_url!r})"

    # ------------------------------------------------------------------ send

    @_bounded(send=True)
    async def send_to_phonebooks(
        self,
        api_key: str,
        *,
        sender: str,
        message: str,
        params: list[dict[str, Any]],
        send_at: datetime | None = None,
        on_wire: Callable[[], None] | None = None,
    ) -> SendResult:
        """Send ``message`` to phonebooks (whole, slices, or picked contacts). Never retried.

        On failure the raised :class:`IPPanelError` says, through
        ``outcome_unknown``, whether the broadcast may have gone out anyway. ``on_wire``
        is called once the request's body has been written to the connection (httpcore's
        ``trace`` extension), so a caller can hold other work until the POST has left.
        """
        check_key(api_key)
        body = build_send_body(sender=sender, message=message, params=params, send_at=send_at)
        return await self._send(api_key, body, on_wire)

    @_bounded(send=True)
    async def send_to_numbers(
        self, api_key: str, sender: str, message: str, recipients: list[str]
    ) -> SendResult:
        """Send ``message`` at once to explicit E.164 numbers (``sending_type: "webservice"``,
        for a test to the admin's own phone). Never retried; failures as for phonebooks."""
        check_key(api_key)
        body = build_webservice_body(sender=sender, message=message, recipients=recipients)
        return await self._send(api_key, body)

    async def _send(
        self, api_key: str, body: dict[str, Any], on_wire: Callable[[], None] | None = None
    ) -> SendResult:
        data = await self._call("POST", "/api/send", api_key, json=body, send=True, on_wire=on_wire)
        result = SendResult.from_api(data) if isinstance(data, Mapping) else None
        if result is None or not result.outbox_ids:
            # The provider said OK but gave no outbox id: it may well have queued it.
            raise ProviderError(status=200, outcome_unknown=True)
        return result

    # ------------------------------------------------------------- read-only

    @_bounded(send=False)
    async def sender_lines(self, api_key: str, *, per_page: int = 100) -> Page[SenderLine]:
        """Every sender line of the account, as one page.

        The documented answer carries no pagination ``meta`` (no total, no last
        page), so pages are read until one comes back short, repeats itself (a
        panel that ignores ``page``), or ``MAX_LINE_PAGES`` is reached.
        """
        check_page(1, per_page)
        lines: list[SenderLine] = []
        seen: set[tuple[str, str]] = set()
        for page_no in range(1, MAX_LINE_PAGES + 1):
            data = await self._call(
                "GET",
                "/api/number/numbers",
                api_key,
                params={"page": page_no, "per_page": per_page},
            )
            rows = [r for r in data if isinstance(r, Mapping)] if isinstance(data, list) else []
            fresh = [
                line
                for line in map(SenderLine.from_api, rows)
                if (line.id, line.number) not in seen
            ]
            for line in fresh:
                seen.add((line.id, line.number))
            lines.extend(fresh)
            if len(rows) < per_page or not fresh:
                break
        return Page(items=lines, page=1, last_page=1, per_page=per_page, total=len(lines))

    @_bounded(send=False)
    async def phonebooks(
        self,
        api_key: str,
        *,
        page: int = 1,
        per_page: int = 10,
        title: str | None = None,
    ) -> Page[Phonebook]:
        check_page(page, per_page)
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if title:
            params["title"] = title
        return await self._page(
            "GET",
            "/api/phonebooks/list-new",
            api_key,
            Phonebook.from_api,
            page=page,
            per_page=per_page,
            params=params,
        )

    @_bounded(send=False)
    async def contacts(
        self,
        api_key: str,
        *,
        phonebook_id: str | None = None,
        page: int = 1,
        per_page: int = 10,
        number: str | None = None,
    ) -> Page[Contact]:
        """Contacts, of one phonebook or (the docs make ``phonebook_id`` optional) of all.

        ``number`` is matched by the panel as E.164 (``+98912…``); normalise what
        people type first (``bot.phones.normalize_mobile``).
        """
        check_page(page, per_page)
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if phonebook_id is not None:
            if not str(phonebook_id).strip():
                raise ValidationError(errors={"phonebook_id": [MSG_PHONEBOOK_ID]})
            params["phonebook_id"] = str(phonebook_id)
        if number:
            params["number"] = number
        return await self._page(
            "GET",
            "/api/phonebooks/numbers/contact-list",
            api_key,
            Contact.from_api,
            page=page,
            per_page=per_page,
            params=params,
        )

    @_bounded(send=False)
    async def calculate_price(self, api_key: str, *, sender: str, message: str) -> Price:
        errors: dict[str, list[str]] = {}
        if not sender_given(sender):
            errors["number"] = [MSG_SENDER]
        if not isinstance(message, str) or not message.strip():
            errors["message"] = [MSG_MESSAGE_REQUIRED]
        if errors:
            raise ValidationError(errors=errors)
        data = await self._call(
            "POST",
            "/api/send/calculate-price",
            api_key,
            json={"number": sender, "message": message},
        )
        return Price.from_api(as_mapping(data))

    @_bounded(send=False)
    async def credit(self, api_key: str) -> Credit:
        data = await self._call("GET", "/api/payment/credit/mine", api_key)
        return Credit.from_api(as_mapping(data))

    @_bounded(send=False)
    async def check_credential(self, api_key: str) -> Account:
        """Who this key belongs to; raises AuthError when it is invalid or expired."""
        data = await self._call("POST", "/api/acl/auth/check_token", api_key)
        return Account.from_api(as_mapping(data))

    @_bounded(send=False)
    async def report(self, api_key: str, *, outbox_id: int) -> BulkReport:
        data = await self._call(
            "GET", "/api/report/by_bulk", api_key, params={"messages_outbox_id": str(outbox_id)}
        )
        return BulkReport.from_api(as_mapping(data))

    @_bounded(send=False)
    async def bulk_stats(self, api_key: str, *, bulk_id: int) -> BulkStats:
        data = await self._call(
            "GET", "/api/report/bulk_stats", api_key, params={"bulk_id": str(bulk_id)}
        )
        return BulkStats.from_api(as_mapping(data))

    @_bounded(send=False)
    async def list_sends(
        self,
        api_key: str,
        *,
        page: int = 1,
        limit: int = 20,
        filters: dict[str, Any] | None = None,
    ) -> Page[SendRecord]:
        """Sends of the account, newest first; ``filters`` as the API takes them
        (``messages_outbox_id``, ``number``, ``message``, ``create_from_date`` unix
        seconds, ``state_id``...). Values are sent in the documented types:
        strings, except the two exit counts (integers)."""
        check_page(page, limit)
        body: dict[str, Any] = {"page": page, "limit": limit}
        if filters:
            body["filters"] = list_filters(filters)
        return await self._page(
            "POST",
            "/api/report/new_list",
            api_key,
            SendRecord.from_api,
            page=page,
            per_page=limit,
            json=body,
        )

    # ----------------------------------------------------------------- write

    @_bounded(send=False)
    async def cancel(self, api_key: str, *, outbox_id: int) -> str:
        """Cancel a scheduled send (at least 5 minutes before it); the provider's message.

        Not retried: a lost answer is reported as a TransportError to the caller.
        """
        check_key(api_key)
        envelope_meta: dict[str, Any] = {}
        refused: NotFoundError | None = None
        try:
            # success has ``data: null``: only the envelope's message is of use
            await self._call(
                "POST",
                "/api/send/cancel",
                api_key,
                json={"message_outbox_id": int(outbox_id)},
                retry=False,
                meta_out=envelope_meta,
            )
        except NotFoundError as exc:
            refused = exc
        if refused is not None:
            # One documented 404 for "unknown" and "too late to cancel" (the Persian
            # page: 404-1; the English page shows 400-1 with the same status).
            raise NotCancellableError(status=refused.status, message_code=refused.message_code)
        return str(envelope_meta.get("message") or "ارسال لغو شد")

    # -------------------------------------------------------------- plumbing

    async def _page(
        self,
        method: str,
        path: str,
        api_key: str,
        parse: Callable[[Mapping[str, Any]], T],
        *,
        page: int,
        per_page: int,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Page[T]:
        meta: dict[str, Any] = {}
        data = await self._call(method, path, api_key, params=params, json=json, meta_out=meta)
        return Page.from_api(data, meta, parse, page=page, per_page=per_page)

    async def _call(
        self,
        method: str,
        path: str,
        api_key: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        send: bool = False,
        retry: bool | None = None,
        meta_out: dict[str, Any] | None = None,
        on_wire: Callable[[], None] | None = None,
    ) -> Any:
        check_key(api_key)
        attempts = 1 if send or retry is False else 2
        for attempt in range(1, attempts + 1):
            try:
                return await self._once(
                    method,
                    path,
                    api_key,
                    params=params,
                    json=json,
                    send=send,
                    meta_out=meta_out,
                    on_wire=on_wire,
                )
            except TransportError as exc:
                if attempt >= attempts:
                    raise
                logger.info(
                    "ippanel %s %s: %s, retrying once",
                    method,
                    path,
                    exc.cause_type or "network error",
                )
                await asyncio.sleep(RETRY_DELAY)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        path: str,
        api_key: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        send: bool,
        meta_out: dict[str, Any] | None,
        on_wire: Callable[[], None] | None = None,
    ) -> Any:
        url = path.lstrip("/")
        started = time.monotonic()
        error: TransportError | None = None
        extensions = {"trace": _wire_trace(on_wire)} if on_wire is not None else None
        try:
            response = await self._http.request(
                method,
                url,
                params=params,
                json=json,
                headers={"Authorization": api_key},
                extensions=extensions,
            )
        except httpx.HTTPError as exc:
            error = transport_error(exc, send)
        if error is not None:
            # Raised outside the except block on purpose: no __context__ chain
            # leads back to the httpx request, whose headers hold the key.
            logger.warning(
                "ippanel %s %s failed after %.0f ms: %s (outcome_unknown=%s)",
                method,
                path,
                (time.monotonic() - started) * 1000,
                error.cause_type,
                error.outcome_unknown,
            )
            raise error
        elapsed = (time.monotonic() - started) * 1000
        status = response.status_code
        level = logging.INFO if send or status >= 400 else logging.DEBUG
        logger.log(level, "ippanel %s %s -> %s in %.0f ms", method, path, status, elapsed)
        return unwrap(response, api_key, send=send, meta_out=meta_out)
