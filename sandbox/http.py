"""What every API area shares: the envelope, failures, paging, argument parsing, and
the :class:`Area` base that reads the caller's account.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from sandbox.seed import (
    MSG_AUTH,
    MSG_MESSAGE_NOT_FOUND,
    MSG_OK,
    AccountInfo,
    SandboxSend,
)
from sandbox.state import SandboxState


class ApiFailure(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors or {}


def invalid(field_name: str, message: str) -> ApiFailure:
    return ApiFailure(422, message, "400-2", {field_name: [message]})


def envelope(
    data: Any, *, message: str = MSG_OK, code: str = "200-1", extra_meta: dict | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = dict(extra_meta or {})
    meta.update(
        {
            "status": True,
            "message": message,
            "message_parameters": [],
            "message_code": code,
            "errors": {},
        }
    )
    return {"data": data, "meta": meta}


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def failure_response(f: ApiFailure) -> web.Response:
    body = {
        "data": None,
        "meta": {
            "status": False,
            "message": f.message,
            "message_parameters": [],
            "message_code": f.code,
            "errors": f.errors,
        },
    }
    return json_response(body, status=f.status)


def paginate(rows: list[Any], page: int, per_page: int, path: str) -> tuple[list[Any], dict]:
    total = len(rows)
    last_page = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    items = rows[start : start + per_page]
    meta = {
        "current_page": page,
        "from": start + 1 if items else None,
        "last_page": last_page,
        "path": path,
        "per_page": per_page,
        "to": start + len(items) if items else None,
        "total": total,
    }
    return items, meta


def int_arg(value: Any, name: str, default: int, *, maximum: int | None = None) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise invalid(name, f"مقدار {name} باید عدد باشد") from None
    if number < 1:
        raise invalid(name, f"مقدار {name} باید بزرگ‌تر از صفر باشد")
    if maximum is not None and number > maximum:
        raise invalid(name, f"مقدار {name} نباید بیشتر از {maximum} باشد")
    return number


def ts(value: datetime | None) -> str | None:
    return str(int(value.timestamp())) if value else None


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


STATE_KEY = web.AppKey("state", SandboxState)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Area:
    """One API area: its handlers read the shared state and the caller's account."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def account(self, request: web.Request) -> AccountInfo:
        key = request.headers.get("Authorization", "")
        acc = self.state.accounts.get(key)
        if acc is None:
            raise ApiFailure(401, MSG_AUTH, "400-1")
        return acc

    async def body(self, request: web.Request) -> dict[str, Any]:
        data = parse_json(await request.read())  # aiohttp caches the bytes
        return data if isinstance(data, dict) else {}

    async def arg(self, request: web.Request, name: str) -> Any:
        if name in request.query:
            return request.query[name]
        return (await self.body(request)).get(name)

    def drop(self, request: web.Request) -> None:
        if request.transport is not None:
            request.transport.abort()

    def find_send(self, acc: AccountInfo, outbox_id: Any) -> SandboxSend:
        try:
            sid = int(str(outbox_id))
        except ValueError:
            sid = -1
        found = self.state.sends.get(sid)
        if found is None or found.account_key != acc.key:
            raise ApiFailure(404, MSG_MESSAGE_NOT_FOUND, "400-1")
        return found
