"""Tagged JSON for python-telegram-bot persistence values (no pickle in the database).

Plain JSON loses types that bots commonly keep in ``user_data``: tuples, sets, integer
dict keys, datetimes. Those are written as ``{"__t": tag, "v": ...}`` objects and restored
on load. Anything else raises :class:`TypeError` naming the type (python-telegram-bot
hands that error to the application's error handlers), so nothing is silently lost.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any

from bot.domain import PhonebookSelection

TAG = "__t"


def encode(value: Any) -> Any:
    """Turn a value into JSON-compatible data, tagging what JSON cannot express."""
    if value is None or isinstance(value, bool | int | float):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, str):
        return str(value)  # StrEnum members are stored as their value
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(type(k) is str for k in value) and TAG not in value:
            return {k: encode(v) for k, v in value.items()}
        return {TAG: "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {TAG: "set", "v": [encode(v) for v in value]}
    if isinstance(value, datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, time):
        return {TAG: "time", "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, bytes):
        return {TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, PhonebookSelection):
        return {TAG: "selection", "v": value.to_dict()}
    if isinstance(value, Enum):
        return encode(value.value)
    raise TypeError(f"cannot persist a value of type {type(value).__qualname__}")


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get(TAG)
    if tag is None:
        return {k: decode(v) for k, v in data.items()}
    v = data["v"]
    if tag == "dict":
        return {decode(k): decode(val) for k, val in v}
    if tag == "tuple":
        return tuple(decode(x) for x in v)
    if tag == "set":
        return {decode(x) for x in v}
    if tag == "datetime":
        return datetime.fromisoformat(v)
    if tag == "date":
        return date.fromisoformat(v)
    if tag == "time":
        return time.fromisoformat(v)
    if tag == "timedelta":
        return timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    if tag == "bytes":
        return base64.b64decode(v)
    if tag == "selection":
        return PhonebookSelection.from_dict(v)
    raise ValueError(f"unknown tag {tag!r} in persisted data")


def dumps(value: Any) -> str:
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    return decode(json.loads(text))
