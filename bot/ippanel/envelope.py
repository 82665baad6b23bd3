"""Answers as the panel sends them: the envelope unwrapped into data or the matching
error (by HTTP status first), transport failures, credit refusals, and keys scrubbed from
every text that could reach a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from .errors import (
    AuthError,
    InsufficientCreditError,
    NotFoundError,
    ProviderError,
    TransportError,
    ValidationError,
)

# A credential is sent as a header: printable ASCII without spaces. Anything
# else is refused before httpx/h11 could echo it back in an exception text.


def as_mapping(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ProviderError(status=200)
    return data


def transport_error(exc: httpx.HTTPError, send: bool) -> TransportError:
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


def scrub(text: Any, api_key: str) -> str | None:
    if text is None:
        return None
    text = str(text)
    return text.replace(api_key, "***") if api_key else text


def unwrap(
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
    message = scrub(meta.get("message"), api_key) or None
    code = scrub(meta.get("message_code"), api_key)
    common: dict[str, Any] = {"status": status, "message_code": code}

    if status >= 500:
        raise ProviderError(message, outcome_unknown=send, **common)
    if status == 401 or status == 403:
        raise AuthError(message, **common)
    if status == 404:
        raise NotFoundError(message, **common)
    if status in (400, 422):
        errors = error_fields(meta.get("errors"), api_key)
        if send and is_credit_refusal(message, errors):
            raise InsufficientCreditError(message, errors=errors, **common)
        raise ValidationError(message, errors=errors, **common)
    if status >= 300:
        raise ProviderError(message, **common)
    if not envelope:
        raise ProviderError(outcome_unknown=send, **common)
    if meta.get("status") is False or meta.get("status") in (0, "false"):
        errors = error_fields(meta.get("errors"), api_key)
        if errors:
            raise ValidationError(message, errors=errors, **common)
        raise ProviderError(message, **common)
    if meta_out is not None:
        meta_out.update(meta)
        if meta_out.get("message") is not None:
            meta_out["message"] = scrub(meta_out["message"], api_key)
    return body.get("data")


CREDIT_FIELDS = frozenset({"credit", "balance", "wallet"})


def is_credit_refusal(message: str | None, errors: Mapping[str, list[str]]) -> bool:
    """Whether a refused send (4xx) says the account lacks credit.

    The docs do not show this refusal; they name the state only in the report
    (state_id 8, "اعتبار ناکافی برای ارسال"). So: conservative, on the words the
    docs use for it, or an error keyed by a credit field. A miss is still a
    ValidationError (failed, nothing sent); it only loses the credit wording.
    """
    if any(name.split(".")[0].lower() in CREDIT_FIELDS for name in errors):
        return True
    texts = [message or "", *(m for msgs in errors.values() for m in msgs)]
    for text in texts:
        low = text.lower()
        if "اعتبار" in text and ("کافی" in text or "کمبود" in text):  # ناکافی / کافی نیست
            return True
        if "credit" in low and ("insufficient" in low or "not enough" in low):
            return True
    return False


def error_fields(raw: Any, api_key: str) -> dict[str, list[str]]:
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for field, messages in raw.items():
        if isinstance(messages, list):
            out[str(field)] = [scrub(m, api_key) or "" for m in messages]
        else:
            out[str(field)] = [scrub(messages, api_key) or ""]
    return out
