"""Provider errors in plain words: what IPPanel's answer means, from the catalogue.

IPPanel's own texts are not fit to show as they are: a 5xx says "Server Error", a refused
field says ``params.0.number_ids.0``, and its Persian messages reach an English reader
untranslated. :func:`explain` maps the documented cases (401, 404, 422 by field, 5xx,
unreadable answers, the documented Persian messages) to a short catalogue sentence in the
reader's language; the raw text, escaped, is kept only as a small detail line for support.
"""

from __future__ import annotations

from bot.broadcasts.model import read_error
from bot.ippanel import (
    AuthError,
    InsufficientCreditError,
    IPPanelError,
    NotCancellableError,
    NotFoundError,
    ProviderError,
    TransportError,
    ValidationError,
)
from bot.no_credit import CreditShortfall
from bot.render import clip, esc, num
from bot.texts import t

DETAIL_SHOWN = 200  # characters of the raw provider text kept in the detail line

# The documented Persian messages (docs' error table; the sandbox uses the same words).
_KNOWN: dict[str, str] = {
    "اطلاعات وارد شده صحیح نمی باشد": "pw_key",
    "دفترچه تلفن یافت نشد": "pw_phonebook_missing",
    "پیام یافت نشد یا قابل لغو نیست": "pw_not_cancellable",
    "پیام مورد نظر یافت نشد": "pw_not_found",
    "اعتبار ناکافی برای ارسال": "pw_no_credit",
    "خطای داخلی سرور": "pw_server",
    "server error": "pw_server",
    "internal server error": "pw_server",
}

# A refused field, by the first part of its path ("params.0.number_ids.0" → "params").
_FIELDS: dict[str, str] = {
    "from_number": "pw_field_sender",
    "sender": "pw_field_sender",
    "number": "pw_field_sender",
    "message": "pw_field_text",
    "params": "pw_field_recipients",
    "phonebook": "pw_field_recipients",
    "phonebook_id": "pw_field_recipients",
    "phonebook_ids": "pw_field_recipients",
    "number_ids": "pw_field_recipients",
    "recipients": "pw_field_recipients",
    "send_time": "pw_field_time",
}


def _raw(error: IPPanelError) -> str:
    """Everything the provider said, as one line: its message and each field's messages."""
    fields: dict[str, list[str]] = getattr(error, "errors", {})
    said = [m for messages in fields.values() for m in messages]
    own = error.message == type(error).default_message or error.message in said
    parts = [] if own else [error.message]
    parts += [f"{name}: {'; '.join(msgs)}" if msgs else name for name, msgs in fields.items()]
    return " · ".join(p for p in parts if p)


def _field_key(errors: dict[str, list[str]]) -> str:
    for name in errors:
        key = _FIELDS.get(name.split(".")[0].lower())
        if key:
            return key
    return "pw_field_other"


def plain_key(error: IPPanelError) -> tuple[str, dict[str, str]]:
    """The catalogue key (and its values, as keys) for what ``error`` means."""
    known = _KNOWN.get(error.message.strip().lower()) or _KNOWN.get(error.message.strip())
    if isinstance(error, TransportError):
        return "pw_unreachable", {}
    if isinstance(error, AuthError):
        return "pw_key", {}
    if isinstance(error, NotCancellableError):
        return "pw_not_cancellable", {}
    if isinstance(error, NotFoundError):
        return known if known in ("pw_phonebook_missing", "pw_not_found") else "pw_not_found", {}
    if isinstance(error, InsufficientCreditError):
        return "pw_no_credit", {}
    if isinstance(error, ValidationError):
        if error.errors:
            return "pw_invalid", {"field": _field_key(error.errors)}
        return known or "pw_refused", {}
    if isinstance(error, ProviderError):
        if error.status is not None and error.status >= 500:
            return "pw_server", {}
        if error.message == ProviderError.default_message:
            return "pw_bad_answer", {}
        return known or "pw_refused", {}
    return known or "pw_refused", {}


def plain(lang: str, error: IPPanelError) -> str:
    """The short sentence alone (no detail line): what IPPanel's answer means."""
    key, values = plain_key(error)
    return t(lang, key, **{name: t(lang, value) for name, value in values.items()})


def detail(lang: str, error: IPPanelError) -> str:
    """The raw provider text as a small escaped line, or "" when it adds nothing."""
    if isinstance(error, TransportError | InsufficientCreditError):
        return ""
    raw = _raw(error)
    return t(lang, "pw_detail", raw=esc(clip(raw, DETAIL_SHOWN))) if raw else ""


def explain(lang: str, error: IPPanelError) -> str:
    """Plain sentence plus the raw detail line: ready to put in a message."""
    return plain(lang, error) + detail(lang, error)


def amount(value: float | None, lang: str) -> str:
    return "—" if value is None else num(value, lang)


def shortfall_text(lang: str, key: str, shortfall: CreditShortfall, **values: object) -> str:
    """A credit shortfall's figures in a catalogue sentence (``credit``, ``cost``)."""
    credit, cost = amount(shortfall.credit, lang), amount(shortfall.cost, lang)
    return t(lang, key, credit=credit, cost=cost, **values)


_ERROR_CLASSES: dict[str, type[IPPanelError]] = {
    cls.__name__: cls
    for cls in (
        AuthError,
        InsufficientCreditError,
        IPPanelError,
        NotCancellableError,
        NotFoundError,
        ProviderError,
        TransportError,
        ValidationError,
    )
}


def stored_error(lang: str, stored: str | None) -> str:
    """A broadcast row's stored error (a code and figures, see
    ``bot.broadcasts.model.error_code``) as a sentence in the reader's language."""
    found = read_error(stored)
    if found is None:
        return "—"
    code, figures = found
    if code == "no_credit":
        shortfall = CreditShortfall(figures.get("credit"), figures.get("cost"))
        return shortfall_text(lang, "credit_ran_out_reason", shortfall)
    if code == "provider":
        cls = _ERROR_CLASSES.get(str(figures.get("kind")), IPPanelError)
        status, message_code = figures.get("status"), figures.get("message_code")
        error: IPPanelError
        if issubclass(cls, ValidationError):
            fields: dict[str, list[str]] = {str(n): [] for n in figures.get("fields") or ()}
            error = cls(status=status, message_code=message_code, errors=fields)
        else:
            error = cls(status=status, message_code=message_code)
        return plain(lang, error)
    if code == "legacy":
        # written before codes: its words may be Persian, so only a Persian reader sees them
        text = str(figures.get("text", ""))
        return esc(clip(text, DETAIL_SHOWN)) if lang == "fa" else t(lang, "err_legacy")
    return t(lang, f"err_{code}")
