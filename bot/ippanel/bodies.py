"""Request bodies as the panel documents them, checked before anything leaves: the send
body (params, slices, send time in UTC), list filters as strings, keys and paging.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.sms import measure

from .errors import AuthError, ValidationError

MAX_PARAMS = 100

# A credential is sent as a header: printable ASCII without spaces. Anything
# else is refused before httpx/h11 could echo it back in an exception text.
KEY_OK = re.compile(r"^[\x21-\x7e]{1,512}$")

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
MSG_RECIPIENTS_EMPTY = "دست‌کم یک گیرنده لازم است"
MSG_RECIPIENTS_TOO_MANY = "در هر ارسال آزمایشی حداکثر ۱۰ گیرنده مجاز است"
MSG_RECIPIENT_E164 = "شمارهٔ گیرنده باید به شکل بین‌المللی باشد، مثل +989121234567"

MAX_RECIPIENTS = 10  # the bot sends tests to one number; a cap keeps a bug from a broadcast
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


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
    if not sender_given(sender):
        errors["from_number"] = [MSG_SENDER]
    if not isinstance(message, str) or not message.strip():
        errors["message"] = [MSG_MESSAGE_REQUIRED]
    else:
        length = measure(message)
        if length.too_long:
            errors["message"] = [MSG_MESSAGE_TOO_LONG]
    clean_params = check_params(params, errors)
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


def build_webservice_body(*, sender: str, message: str, recipients: list[str]) -> dict[str, Any]:
    """The documented ``sending_type: "webservice"`` body: explicit E.164 recipients, sent
    at once. Checked locally like a phonebook send; raises ValidationError."""
    errors: dict[str, list[str]] = {}
    if not sender_given(sender):
        errors["from_number"] = [MSG_SENDER]
    if not isinstance(message, str) or not message.strip():
        errors["message"] = [MSG_MESSAGE_REQUIRED]
    elif measure(message).too_long:
        errors["message"] = [MSG_MESSAGE_TOO_LONG]
    if not isinstance(recipients, list) or not recipients:
        errors["params.recipients"] = [MSG_RECIPIENTS_EMPTY]
    elif len(recipients) > MAX_RECIPIENTS:
        errors["params.recipients"] = [MSG_RECIPIENTS_TOO_MANY]
    elif any(not isinstance(r, str) or not E164.match(r) for r in recipients):
        errors["params.recipients"] = [MSG_RECIPIENT_E164]
    if errors:
        raise ValidationError(errors=errors)
    return {
        "sending_type": "webservice",
        "from_number": sender,
        "message": message,
        "params": {"recipients": list(recipients)},
    }


# the two integer filters of report/new_list; the docs type every other one as a string
INT_FILTERS = frozenset({"from_exit_count", "to_exit_count"})


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
        if name in INT_FILTERS:
            out[name] = int(value)
        elif isinstance(value, bool):
            out[name] = str(int(value))
        elif isinstance(value, float) and value.is_integer():
            out[name] = str(int(value))
        else:
            out[name] = str(value)
    return out


def check_params(params: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
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
                value = positive_int(entry[name])
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


def sender_given(sender: Any) -> bool:
    """The only sender check the docs state: it is required. Lines may be short
    (the docs list ``+981000``) and the panel itself decides whether a line is
    the account's, so no length or shape rule is applied here."""
    return isinstance(sender, str) and bool(sender.strip())


def positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


def check_key(api_key: Any) -> None:
    if not isinstance(api_key, str) or not KEY_OK.match(api_key):
        raise AuthError(MSG_BAD_KEY)


def check_page(page: int, per_page: int) -> None:
    if not isinstance(page, int) or not isinstance(per_page, int) or page < 1 or per_page < 1:
        raise ValidationError(errors={"page": [MSG_PAGE]})
