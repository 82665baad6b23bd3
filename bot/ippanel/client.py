"""Async client for the IPPanel Edge API (see /work/shared/ippanel-edge-api.md).

One :class:`IPPanelClient` per process, over one pooled ``httpx.AsyncClient``.
The API key is passed to every call because each admin has their own; it is
sent as ``Authorization: <key>`` and never logged or put into an error.

Retries: read-only calls are retried once on a :class:`TransportError`; a send
(and a cancel) is never retried, because the API has no idempotency key and a
repeated POST is a second broadcast. Cancelling a call (``asyncio`` task
cancellation) while a send is in flight leaves its outcome unknown: the caller
must treat it like ``outcome_unknown``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from bot.sms import measure

from .errors import (
    AuthError,
    InsufficientCreditError,
    IPPanelError,
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

MAX_PARAMS = 100
MAX_LINE_PAGES = 10  # sender-line pages read at most (the list has no pagination meta)
RETRY_DELAY = 0.1  # seconds before the single retry of a read-only call

# A credential is sent as a header: printable ASCII without spaces. Anything
# else is refused before httpx/h11 could echo it back in an exception text.
_KEY_OK = re.compile(r"^[\x21-\x7e]{1,512}$")

MSG_SENDER = "شماره خط فرستنده مشخص نشده است"
MSG_MESSAGE_REQUIRED = "تکمیل گزینه پیام الزامی است"
MSG_MESSAGE_TOO_LONG = "متن پیام حداکثر ۱۴۰۰ نویسه و ۲۰ بخش می‌تواند باشد"
MSG_PARAMS_EMPTY = "دست‌کم یک دفترچه تلفن باید انتخاب شود"
MSG_PARAMS_TOO_MANY = "در هر ارسال حداکثر ۱۰۰ انتخاب مجاز است"
MSG_PARAM_TYPE = "نوع انتخاب باید all یا detail باشد"
MSG_PHONEBOOK_IDS_EMPTY = "فهرست دفترچه‌های تلفن خالی است"
MSG_PHONEBOOK_ID = "شناسه دفترچه تلفن مشخص نشده است"
MSG_NUMBER_IDS_EMPTY = "هیچ مخاطبی انتخاب نشده است"
MSG_START_SIZE = "شروع و تعداد باید عدد صحیح مثبت باشند"
MSG_SEND_AT_NAIVE = "زمان ارسال باید همراه با منطقه زمانی باشد"
MSG_SEND_AT_PAST = "زمان ارسال باید در آینده باشد"
MSG_BAD_KEY = "کلید دسترسی معتبر نیست"
MSG_PAGE = "شماره صفحه و تعداد در صفحه باید عدد مثبت باشند"


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
        max_connections: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
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

    async def send_to_phonebooks(
        self,
        api_key: str,
        *,
        sender: str,
        message: str,
        params: list[dict[str, Any]],
        send_at: datetime | None = None,
    ) -> SendResult:
        """Send ``message`` to phonebooks (whole, slices, or picked contacts). Never retried.

        On failure the raised :class:`IPPanelError` says, through
        ``outcome_unknown``, whether the broadcast may have gone out anyway.
        """
        _check_key(api_key)
        body = build_send_body(sender=sender, message=message, params=params, send_at=send_at)
        data = await self._call("POST", "/api/send", api_key, json=body, send=True)
        result = SendResult.from_api(data) if isinstance(data, Mapping) else None
        if result is None or not result.outbox_ids:
            # The provider said OK but gave no outbox id: it may well have queued it.
            raise ProviderError(status=200, outcome_unknown=True)
        return result

    # ------------------------------------------------------------- read-only

    async def sender_lines(self, api_key: str, *, per_page: int = 100) -> Page[SenderLine]:
        """Every sender line of the account, as one page.

        The documented answer carries no pagination ``meta`` (no total, no last
        page), so pages are read until one comes back short, repeats itself (a
        panel that ignores ``page``), or ``MAX_LINE_PAGES`` is reached.
        """
        _check_page(1, per_page)
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

    async def phonebooks(
        self,
        api_key: str,
        *,
        page: int = 1,
        per_page: int = 10,
        title: str | None = None,
    ) -> Page[Phonebook]:
        _check_page(page, per_page)
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
        _check_page(page, per_page)
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

    async def calculate_price(self, api_key: str, *, sender: str, message: str) -> Price:
        errors: dict[str, list[str]] = {}
        if not _sender_given(sender):
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
        return Price.from_api(_mapping(data))

    async def credit(self, api_key: str) -> Credit:
        data = await self._call("GET", "/api/payment/credit/mine", api_key)
        return Credit.from_api(_mapping(data))

    async def check_credential(self, api_key: str) -> Account:
        """Who this key belongs to; raises AuthError when it is invalid or expired."""
        data = await self._call("POST", "/api/acl/auth/check_token", api_key)
        return Account.from_api(_mapping(data))

    async def report(self, api_key: str, *, outbox_id: int) -> BulkReport:
        data = await self._call(
            "GET", "/api/report/by_bulk", api_key, params={"messages_outbox_id": str(outbox_id)}
        )
        return BulkReport.from_api(_mapping(data))

    async def bulk_stats(self, api_key: str, *, bulk_id: int) -> BulkStats:
        data = await self._call(
            "GET", "/api/report/bulk_stats", api_key, params={"bulk_id": str(bulk_id)}
        )
        return BulkStats.from_api(_mapping(data))

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
        _check_page(page, limit)
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

    async def cancel(self, api_key: str, *, outbox_id: int) -> str:
        """Cancel a scheduled send (at least 5 minutes before it); the provider's message.

        Not retried: a lost answer is reported as a TransportError to the caller.
        """
        _check_key(api_key)
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
    ) -> Any:
        _check_key(api_key)
        attempts = 1 if send or retry is False else 2
        for attempt in range(1, attempts + 1):
            try:
                return await self._once(
                    method, path, api_key, params=params, json=json, send=send, meta_out=meta_out
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
    ) -> Any:
        url = path.lstrip("/")
        started = time.monotonic()
        error: TransportError | None = None
        try:
            response = await self._http.request(
                method, url, params=params, json=json, headers={"Authorization": api_key}
            )
        except httpx.HTTPError as exc:
            error = _transport_error(exc, send)
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
        return _unwrap(response, api_key, send=send, meta_out=meta_out)


# ---------------------------------------------------------------- helpers


def build_send_body(
    *,
    sender: str,
    message: str,
    params: list[dict[str, Any]],
    send_at: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Check a send locally and build its JSON body; raises ValidationError."""
    errors: dict[str, list[str]] = {}
    if not _sender_given(sender):
        errors["from_number"] = [MSG_SENDER]
    if not isinstance(message, str) or not message.strip():
        errors["message"] = [MSG_MESSAGE_REQUIRED]
    else:
        length = measure(message)
        if length.too_long:
            errors["message"] = [MSG_MESSAGE_TOO_LONG]
    clean_params = _check_params(params, errors)
    send_time: str | None = None
    if send_at is not None:
        if send_at.tzinfo is None or send_at.utcoffset() is None:
            errors["send_time"] = [MSG_SEND_AT_NAIVE]
        elif send_at <= (now or datetime.now(UTC)):
            errors["send_time"] = [MSG_SEND_AT_PAST]
        else:
            send_time = send_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if errors:
        raise ValidationError(errors=errors)
    body: dict[str, Any] = {
        "sending_type": "phonebook",
        "from_number": sender,
        "message": message,
        "params": clean_params,
    }
    if send_time is not None:
        body["send_time"] = send_time
    return body


# report/new_list: the docs type every filter as a string (dates are unix seconds
# written as a string, e.g. "1744102007") except these two integers.
_INT_FILTERS = frozenset({"from_exit_count", "to_exit_count"})


def list_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """``filters`` for ``report/new_list`` in the documented types; None values dropped.

    A datetime becomes unix seconds; ints given for string filters become strings.
    """
    out: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = int(value.timestamp())
        if name in _INT_FILTERS:
            out[name] = int(value)
        elif isinstance(value, bool):
            out[name] = str(int(value))
        elif isinstance(value, float) and value.is_integer():
            out[name] = str(int(value))
        else:
            out[name] = str(value)
    return out


def _check_params(params: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    if not isinstance(params, list) or not params:
        errors["params"] = [MSG_PARAMS_EMPTY]
        return []
    if len(params) > MAX_PARAMS:
        errors["params"] = [MSG_PARAMS_TOO_MANY]
        return []
    clean: list[dict[str, Any]] = []
    for i, entry in enumerate(params):
        key = f"params.{i}"
        if not isinstance(entry, Mapping) or entry.get("type") not in ("all", "detail"):
            errors[f"{key}.type"] = [MSG_PARAM_TYPE]
            continue
        out = dict(entry)
        if entry["type"] == "all":
            ids = entry.get("phonebook_ids")
            if not isinstance(ids, list) or not ids or any(not str(x).strip() for x in ids):
                errors[f"{key}.phonebook_ids"] = [MSG_PHONEBOOK_IDS_EMPTY]
            else:
                out["phonebook_ids"] = [str(x) for x in ids]
            for name in ("start", "size"):
                if entry.get(name) is None:
                    out.pop(name, None)
                    continue
                value = _positive_int(entry[name])
                if value is None:
                    errors[f"{key}.{name}"] = [MSG_START_SIZE]
                else:
                    out[name] = str(value)
        else:
            book = entry.get("phonebook_id")
            if book is None or not str(book).strip():
                errors[f"{key}.phonebook_id"] = [MSG_PHONEBOOK_ID]
            else:
                out["phonebook_id"] = str(book)
            ids = entry.get("number_ids")
            if not isinstance(ids, list) or not ids or any(not str(x).strip() for x in ids):
                errors[f"{key}.number_ids"] = [MSG_NUMBER_IDS_EMPTY]
            else:
                out["number_ids"] = [str(x) for x in ids]
        clean.append(out)
    return clean


def _sender_given(sender: Any) -> bool:
    """The only sender check the docs state: it is required. Lines may be short
    (the docs list ``+981000``) and the panel itself decides whether a line is
    the account's, so no length or shape rule is applied here."""
    return isinstance(sender, str) and bool(sender.strip())


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _check_key(api_key: Any) -> None:
    if not isinstance(api_key, str) or not _KEY_OK.match(api_key):
        raise AuthError(MSG_BAD_KEY)


def _check_page(page: int, per_page: int) -> None:
    if not isinstance(page, int) or not isinstance(per_page, int) or page < 1 or per_page < 1:
        raise ValidationError(errors={"page": [MSG_PAGE]})


def _mapping(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ProviderError(status=200)
    return data


def _transport_error(exc: httpx.HTTPError, send: bool) -> TransportError:
    """Map an httpx failure; for a send, say whether it may have gone out."""
    certainly_before_request = (
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.ProxyError,
        httpx.UnsupportedProtocol,
        httpx.LocalProtocolError,
        httpx.InvalidURL,
    )
    unknown = send and not isinstance(exc, certainly_before_request)
    if isinstance(exc, httpx.TimeoutException):
        message = "پاسخ سامانه پیامک به موقع نرسید"
    elif isinstance(exc, httpx.ConnectError):
        message = "اتصال به سامانه پیامک برقرار نشد"
    else:
        message = "ارتباط با سامانه پیامک قطع شد"
    error = TransportError(message, outcome_unknown=unknown)
    error.cause_type = type(exc).__name__
    return error


def _scrub(text: Any, api_key: str) -> str | None:
    if text is None:
        return None
    text = str(text)
    return text.replace(api_key, "***") if api_key else text


def _unwrap(
    response: httpx.Response,
    api_key: str,
    *,
    send: bool,
    meta_out: dict[str, Any] | None,
) -> Any:
    """Return ``data`` from a good envelope; raise the matching error otherwise."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    envelope = isinstance(body, dict) and isinstance(body.get("meta"), dict)
    meta: dict[str, Any] = body["meta"] if envelope else {}
    message = _scrub(meta.get("message"), api_key) or None
    code = _scrub(meta.get("message_code"), api_key)
    common: dict[str, Any] = {"status": status, "message_code": code}

    if status >= 500:
        raise ProviderError(message, outcome_unknown=send, **common)
    if status == 401 or status == 403:
        raise AuthError(message, **common)
    if status == 404:
        raise NotFoundError(message, **common)
    if status in (400, 422):
        errors = _errors(meta.get("errors"), api_key)
        if send and is_credit_refusal(message, errors):
            raise InsufficientCreditError(message, errors=errors, **common)
        raise ValidationError(message, errors=errors, **common)
    if status >= 300:
        raise ProviderError(message, **common)
    if not envelope:
        raise ProviderError(outcome_unknown=send, **common)
    if meta.get("status") is False or meta.get("status") in (0, "false"):
        errors = _errors(meta.get("errors"), api_key)
        if errors:
            raise ValidationError(message, errors=errors, **common)
        raise ProviderError(message, **common)
    if meta_out is not None:
        meta_out.update(meta)
        if meta_out.get("message") is not None:
            meta_out["message"] = _scrub(meta_out["message"], api_key)
    return body.get("data")


_CREDIT_FIELDS = frozenset({"credit", "balance", "wallet"})


def is_credit_refusal(message: str | None, errors: Mapping[str, list[str]]) -> bool:
    """Whether a refused send (4xx) says the account lacks credit.

    The docs do not show this refusal; they name the state only in the report
    (state_id 8, "اعتبار ناکافی برای ارسال"). So: conservative, on the words the
    docs use for it, or an error keyed by a credit field. A miss is still a
    ValidationError (failed, nothing sent); it only loses the credit wording.
    """
    if any(name.split(".")[0].lower() in _CREDIT_FIELDS for name in errors):
        return True
    texts = [message or "", *(m for msgs in errors.values() for m in msgs)]
    for text in texts:
        low = text.lower()
        if "اعتبار" in text and ("کافی" in text or "کمبود" in text):  # ناکافی / کافی نیست
            return True
        if "credit" in low and ("insufficient" in low or "not enough" in low):
            return True
    return False


def _errors(raw: Any, api_key: str) -> dict[str, list[str]]:
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for field, messages in raw.items():
        if isinstance(messages, list):
            out[str(field)] = [_scrub(m, api_key) or "" for m in messages]
        else:
            out[str(field)] = [_scrub(messages, api_key) or ""]
    return out


__all__ = [
    "IPPanelClient",
    "IPPanelError",
    "build_send_body",
    "is_credit_refusal",
    "list_filters",
]
