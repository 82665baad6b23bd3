"""Errors raised by :class:`bot.ippanel.IPPanelClient`.

One tree; callers usually catch the base class and look at ``outcome_unknown``
(only meaningful for a send) and ``message`` (Persian, safe to show people)::

    IPPanelError                 base: message, status, outcome_unknown, message_code
    ├── ValidationError          HTTP 422 and the client's own pre-network checks; .errors
    │   └── InsufficientCreditError  a send refused for lack of credit (nothing sent)
    ├── AuthError                HTTP 401: invalid or expired credential
    ├── NotFoundError            HTTP 404: phonebook / message not found
    │   └── NotCancellableError  cancel: not found or no longer cancellable (404-1)
    ├── ProviderError            HTTP 5xx, a body that is not the JSON envelope, meta.status false
    └── TransportError           connect error, timeouts, connection dropped

For a send, ``outcome_unknown`` is True when the broadcast may have gone out
(read/write timeout, connection lost after the request was written, 5xx, a
non-JSON answer) and False when it certainly did not (connection refused,
connect or pool timeout, any 4xx). ``certainly_not_sent`` is its negation.
For read-only calls it is always False.

No credential ever appears in an error: the client never puts headers or keys
into messages, and scrubs the key from any text the provider echoes back.
"""

from __future__ import annotations


class IPPanelError(Exception):
    """Base of every IPPanel client error."""

    default_message = "خطا در ارتباط با سامانه پیامک"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        outcome_unknown: bool = False,
        message_code: str | None = None,
    ) -> None:
        self.message: str = message or self.default_message
        self.status: int | None = status
        self.outcome_unknown: bool = outcome_unknown
        self.message_code: str | None = message_code
        super().__init__(self.message)

    @property
    def certainly_not_sent(self) -> bool:
        """True when a send certainly did not reach the provider's queue."""
        return not self.outcome_unknown

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"outcome_unknown={self.outcome_unknown!r}, message_code={self.message_code!r})"
        )


class ValidationError(IPPanelError):
    """The request was refused as invalid (HTTP 422 or a local check).

    ``errors`` maps a field name to Persian messages, as in ``meta.errors``.
    """

    default_message = "اطلاعات ارسالی معتبر نیست"

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        status: int | None = None,
        outcome_unknown: bool = False,
        message_code: str | None = None,
    ) -> None:
        self.errors: dict[str, list[str]] = dict(errors or {})
        if message is None and self.errors:
            first = next((m for msgs in self.errors.values() for m in msgs), None)
            message = first
        super().__init__(
            message, status=status, outcome_unknown=outcome_unknown, message_code=message_code
        )

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, errors={self.errors!r})"


class InsufficientCreditError(ValidationError):
    """A send the panel refused (HTTP 422) because the account's credit is too low.

    The docs do not word this refusal; the client recognises it conservatively
    (see ``bot.ippanel.envelope.is_credit_refusal``). Certainly nothing was sent.
    """

    default_message = "اعتبار حساب برای این ارسال کافی نیست"


class AuthError(IPPanelError):
    """HTTP 401: the API key is invalid or expired."""

    default_message = "کلید دسترسی نامعتبر است یا منقضی شده است"


class NotFoundError(IPPanelError):
    """HTTP 404: the phonebook or message does not exist."""

    default_message = "مورد درخواستی یافت نشد"


class NotCancellableError(NotFoundError):
    """Cancel answered 404: the message is unknown or can no longer be cancelled.

    The docs give one answer for both (Persian page: 404, ``404-1``,
    "پیام یافت نشد یا قابل لغو نیست"), so the two cannot be told apart.
    """

    default_message = "پیام یافت نشد یا قابل لغو نیست"


class ProviderError(IPPanelError):
    """The provider failed: 5xx, a body that is not the envelope, or meta.status false."""

    default_message = "سامانه پیامک پاسخ معتبری نداد"


class TransportError(IPPanelError):
    """The network failed: connection refused, timed out or dropped."""

    default_message = "ارتباط با سامانه پیامک برقرار نشد"

    #: name of the underlying httpx exception class, e.g. ``"ReadTimeout"`` (no details).
    cause_type: str | None = None


__all__ = [
    "AuthError",
    "IPPanelError",
    "InsufficientCreditError",
    "NotCancellableError",
    "NotFoundError",
    "ProviderError",
    "TransportError",
    "ValidationError",
]
