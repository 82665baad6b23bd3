"""The fake Telegram Bot API server: aiohttp on loopback, one handler per Bot API method
(the mixins next door), failure injection."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .callbacks import DEFAULT_CALLBACK_ANSWER_TIMEOUT, CallbacksMixin
from .chats import ChatsMixin
from .clock import ClockMixin
from .common import (
    _GETUPDATES,
    BLOCKED,
    DEFAULT_TOKEN,
    FAILURE_KINDS,
    NOT_MODIFIED,
    _ApiError,
    _as_int,
)
from .messages import _MEDIA_METHODS, MessagesMixin
from .observing import ObservingMixin
from .records import ApiCall, BotMessage, UserMessage, _Failure
from .updates import UpdatesMixin
from .user import FakeUser
from .validation import ValidationMixin

log = logging.getLogger(__name__)

# Form values of these parameters are always plain strings; never JSON-decode them
# (a text of "123" or "[1]" must stay a string).
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "language_code",
        "action",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "secret_token",
        "ip_address",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "file_id",
        "photo",
        "document",
        "audio",
        "video",
        "voice",
        "sticker",
        "animation",
        "video_note",
        "thumbnail",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "query",
    }
)


class FakeTelegram(
    ClockMixin,
    ChatsMixin,
    ObservingMixin,
    UpdatesMixin,
    MessagesMixin,
    CallbacksMixin,
    ValidationMixin,
):
    """Fake Telegram Bot API server (aiohttp on loopback)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_id: int | None = None,
        bot_username: str = "ippanel_test_bot",
        bot_first_name: str = "IPPanel Test Bot",
        callback_answer_timeout: float = DEFAULT_CALLBACK_ANSWER_TIMEOUT,
    ) -> None:
        self.token = token
        # Seconds after a press within which answerCallbackQuery is accepted (fake's clock).
        self.callback_answer_timeout = callback_answer_timeout
        # Added to the wall clock by now(); advance() moves it so tests can "wait" 48 hours.
        self.clock_offset = 0.0
        self.bot_id = bot_id if bot_id is not None else int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name

        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[int, int], BotMessage] = {}
        self.user_messages: dict[tuple[int, int], UserMessage] = {}
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        # (scope key, language_code) -> [{"command": ..., "description": ...}]
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook_url = ""
        self.files: dict[str, bytes] = {}  # file_id -> content served at base_file_url
        self.callback_queries: dict[str, dict[str, Any]] = {}  # id -> callback_query payload
        self.answered_callbacks: set[str] = set()
        self._callback_pressed_at: dict[str, float] = {}  # id -> now() when pressed

        self._bot_log: list[BotMessage] = []  # bot messages in creation order
        self._updates: list[dict[str, Any]] = []  # not yet confirmed via offset
        self._update_ids = itertools.count(700_000_001)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_000_000_000_000_001)
        self._next_message_id: dict[int, int] = {}
        self._allowed_updates: set[str] | None = None  # None: Telegram defaults
        self._failures: list[_Failure] = []
        self._inflight = 0
        self._pollers = 0
        self._poll_generation = 0
        self._last_activity = time.monotonic()
        self._changed_event = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getme": self._get_me,
            "logout": self._ok_true,
            "close": self._ok_true,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "getfile": self._get_file,
        }
        for method, kind in _MEDIA_METHODS.items():
            self._methods[method] = functools.partial(self._send_media, kind=kind)

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        server = site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._closing = True
        self._changed()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url()``/TELEGRAM_API_BASE_URL (PTB adds the token)."""
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._host}:{self.port}/file/bot"

    # -- failure injection ---------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        kind: str,
        times: int = 1,
        retry_after: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail.

        kind: "429" (RetryAfter), "not_modified" (400), "blocked" (403), "network" (connection
        dropped without an answer), "500".
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; use one of {FAILURE_KINDS}")
        self._failures.append(_Failure(method.lower(), kind, times, retry_after, chat_id))

    def _take_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        for failure in self._failures:
            if failure.method != method.lower():
                continue
            if failure.chat_id is not None and _as_int(params.get("chat_id")) != failure.chat_id:
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            return failure
        return None

    @staticmethod
    def _failure_error(failure: _Failure) -> _ApiError:
        if failure.kind == "429":
            return _ApiError(
                429,
                f"Too Many Requests: retry after {failure.retry_after}",
                {"retry_after": failure.retry_after},
            )
        if failure.kind == "not_modified":
            return _ApiError(400, NOT_MODIFIED)
        if failure.kind == "blocked":
            return _ApiError(403, BLOCKED)
        return _ApiError(500, "Internal Server Error")

    # -- HTTP ----------------------------------------------------------------------------------
    async def _decode(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for key, value in request.query.items():
            raw[key] = value
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = {
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "content": value.file.read(),
                        }
                    else:
                        raw[key] = value
            else:
                body_bytes = await request.read()
                if body_bytes:
                    try:
                        body = json.loads(body_bytes)
                    except ValueError:
                        body = None
                    if isinstance(body, dict):
                        raw.update(body)
        return {key: _decode_value(key, value) for key, value in raw.items()}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await self._decode(request)
        except Exception as exc:
            log.exception("fake telegram: cannot decode %s request", method)
            params = {"_undecodable": repr(exc)}
        call = ApiCall(method=method, params=params, time=time.monotonic())
        self.calls.append(call)
        polling = method.lower() == _GETUPDATES
        if polling:
            self._pollers += 1
        else:
            self._inflight += 1
            self._last_activity = call.time
        self._changed()
        try:
            if request.match_info["token"] != self.token:
                error = _ApiError(401, "Unauthorized")
                call.status, call.response = error.code, error.body()
                return web.json_response(call.response, status=error.code)
            failure = self._take_failure(method, params)
            if failure is not None and failure.kind == "network":
                call.status, call.response = 0, {"ok": False, "description": "connection dropped"}
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError  # aiohttp: nothing is written to the dead socket
            try:
                if failure is not None:
                    raise self._failure_error(failure)
                handler = self._methods.get(method.lower())
                if handler is None:
                    log.warning("fake telegram: unimplemented method %s(%s)", method, params)
                    result: Any = True
                else:
                    result = handler(params)
                    if asyncio.iscoroutine(result):
                        result = await result
                call.status, call.response = 200, {"ok": True, "result": result}
            except _ApiError as error:
                call.status, call.response = error.code, error.body()
            except Exception as exc:  # a bug in the fake: answer, never hang the bot
                log.exception("fake telegram: error handling %s", method)
                call.status = 500
                call.response = {"ok": False, "error_code": 500, "description": f"fake: {exc!r}"}
            return web.json_response(call.response, status=call.status, dumps=_dumps)
        finally:
            if polling:
                self._pollers -= 1
            else:
                self._inflight -= 1
                self._last_activity = time.monotonic()
            self._changed()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1]
        content = self.files.get(file_id)
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content)


def _decode_value(key: str, value: Any) -> Any:
    """Form values arrive as strings (PTB json-dumps non-strings); restore their JSON types."""
    if key in _STRING_PARAMS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
