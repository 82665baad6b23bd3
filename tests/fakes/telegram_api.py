"""A fake Telegram Bot API server for end-to-end tests.

The real python-telegram-bot stack (or the bot running as a separate process) talks to it over
HTTP on loopback; tests play human users through :class:`FakeUser` and observe everything the
bot did from the server side (:attr:`FakeTelegram.calls`, :attr:`FakeTelegram.messages`).

Typical use::

    async with FakeTelegram() as fake:
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .build()
        )
        ...  # start the app + polling
        admin = fake.user(1001, first_name="Admin")
        await admin.send("/start")
        menu = await admin.reply()
        await admin.press(menu, "Broadcast")
        assert "phonebook" in admin.last().text

Semantics worth knowing:

* Message ids count per chat and are shared by user and bot messages (like Telegram).
* ``BotMessage`` objects are live: edits/deletes mutate them; ``.text`` is the visible text
  (HTML tags stripped, entities decoded), ``.raw_text`` what the bot sent.
* ``FakeUser.reply()`` returns the next bot message created after the user's last action
  (send*/press/edit) or after the message the previous ``reply()`` returned, in the chat of
  that last action. If one action produces several messages, use ``replies(n)`` or
  ``await fake.idle()`` before acting again.
* A chat must be known to the fake (``fake.user(id)`` or a group a user wrote in); otherwise
  the bot gets "400 chat not found", as for a user who never started the bot.
* Validation like Telegram's: 4096-char text / 1024-char caption limits (UTF-16 units, after
  HTML parsing), callback_data 1..64 bytes, strict HTML for ``parse_mode="HTML"``,
  "message is not modified", "message to edit not found". MarkdownV2 is not validated.
* ``reply_markup`` must be one of the four keyboard types with content: ``{}``, an
  ``inline_keyboard`` without buttons, ``remove_keyboard: false``... are 400s, as are
  malformed buttons; edits take inline keyboards only.
* Time: the fake has its own clock (:meth:`FakeTelegram.now`), which tests move with
  :meth:`FakeTelegram.advance`. Message dates use it; ``deleteMessage`` refuses messages older
  than 48 hours and ``answerCallbackQuery`` refuses answers later than
  ``callback_answer_timeout`` seconds after the press (or a second answer).
* One instance per event loop: everything runs on the test's loop; nothing is thread-safe.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .html_check import EntityParseError, parse_html, utf16_len

__all__ = [
    "DEFAULT_GROUP_CHAT_ID",
    "DEFAULT_SUPERGROUP_CHAT_ID",
    "DEFAULT_TOKEN",
    "FAILURE_KINDS",
    "ApiCall",
    "BotMessage",
    "FakeTelegram",
    "FakeUser",
    "UserMessage",
]

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
DEFAULT_GROUP_CHAT_ID = -1000
DEFAULT_SUPERGROUP_CHAT_ID = -1001000000001
FAILURE_KINDS = ("429", "not_modified", "blocked", "network", "500")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
# Bot API docs, deleteMessage: "A message can only be deleted if it was sent less than 48 hours
# ago." Older ones answer "message can't be deleted for everyone" (observed; the docs do not
# give the text, bot code on GitHub matches on it, e.g. "more than 48 hours have passed").
DELETE_WINDOW_SECONDS = 48 * 3600
# The docs only say a callback query must be answered; how long Telegram waits is not
# documented. Bots answering after roughly 10-20 s get "query is too old" (reports in
# pyTelegramBotAPI#1615, Telethon#4073, nutgram#725); the double's default sits inside that.
DEFAULT_CALLBACK_ANSWER_TIMEOUT = 15.0

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
CANT_PARSE_MARKUP = "can't parse reply keyboard markup JSON object"

# InlineKeyboardButton fields that give a button its type; the docs: "Exactly one of the
# optional fields must be used to specify type of the button".
_INLINE_BUTTON_TYPES = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# KeyboardButton fields that make a reply button ask for something (docs: mutually exclusive).
_REPLY_BUTTON_TYPES = (
    "request_users",
    "request_chat",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)
# tdlib (ReplyMarkup.cpp) refuses contact and location requests outside private chats.
PRIVATE_ONLY_REQUEST = {
    "request_contact": "phone number can be requested in private chats only",
    "request_location": "location can be requested in private chats only",
}

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

# Default update types when allowed_updates is [] (Telegram excludes these three).
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_MEDIA_METHODS = {
    "sendphoto": "photo",
    "senddocument": "document",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendsticker": "sticker",
    "sendanimation": "animation",
    "sendvideonote": "video_note",
}

_GETUPDATES = "getupdates"


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------------------------
# records
# ----------------------------------------------------------------------------------------------


@dataclass(eq=False)
class ApiCall:
    """One HTTP request the bot made. ``status``/``response`` are filled in once answered."""

    method: str
    params: dict[str, Any]
    time: float  # time.monotonic() when the request arrived
    status: int | None = None
    response: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        """The ``description`` of an error answer, else None (also None while unanswered)."""
        if self.response and not self.response.get("ok"):
            return self.response.get("description")
        return None

    @property
    def result(self) -> Any:
        return self.response.get("result") if self.response else None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def show_alert(self) -> bool:
        return bool(self.params.get("show_alert"))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={_short(v, 60)}" for k, v in self.params.items())
        outcome = (
            "…" if self.status is None else ("ok" if self.ok else f"{self.status} {self.error}")
        )
        return f"<{self.method}({params}) -> {outcome}>"


@dataclass(eq=False)
class BotMessage:
    """Current state of a message the bot sent (mutated in place by edits/deletes)."""

    chat_id: int
    message_id: int
    text: str  # what the user sees: HTML tags stripped, entities decoded (caption for media)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    raw_text: str = ""  # exactly as the bot sent it (with HTML tags)
    entities: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "text"  # text, photo, document, ...
    date: int = 0
    history: list[str] = field(default_factory=list)  # previous texts, oldest first
    deleted: bool = False
    edits: int = 0
    edit_date: int | None = None
    reply_to_message_id: int | None = None
    media: Any = None  # the Telegram media object returned for media messages
    file_name: str | None = None
    file_content: bytes | None = None  # bytes the bot uploaded (sendDocument etc.)

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup:
            return []
        return list(self.reply_markup.get("inline_keyboard") or [])

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as ``(text, callback_data)``; callback_data None for URL buttons."""
        return [
            [(b.get("text", ""), b.get("callback_data")) for b in row]
            for row in self.inline_keyboard
        ]

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    @property
    def keyboard(self) -> list[list[str]]:
        """Reply-keyboard (not inline) rows as texts."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("keyboard") or []
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def __str__(self) -> str:
        flags = " (deleted)" if self.deleted else ""
        out = f"#{self.message_id} in {self.chat_id}{flags} [{self.kind}]: {_short(self.text, 200)}"
        if self.button_texts:
            out += f"  buttons={self.button_texts}"
        return out


@dataclass(eq=False)
class UserMessage:
    """A message a fake user sent (so tests can check e.g. that the bot deleted it)."""

    chat_id: int
    message_id: int
    from_id: int
    text: str | None
    kind: str
    payload: dict[str, Any]
    deleted: bool = False
    history: list[str] = field(default_factory=list)


@dataclass
class _Failure:
    method: str  # lower-case
    kind: str
    remaining: int
    retry_after: int
    chat_id: int | None


# ----------------------------------------------------------------------------------------------
# the server
# ----------------------------------------------------------------------------------------------


class FakeTelegram:
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

    # -- lifecycle ---------------------------------------------------------------------------
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

    # -- clock -------------------------------------------------------------------------------
    def now(self) -> float:
        """The fake's idea of the current Unix time (wall clock + :attr:`clock_offset`)."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward: messages get older, pending presses go stale."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.clock_offset += seconds

    # -- users / chats -----------------------------------------------------------------------
    def user(
        self,
        user_id: int,
        first_name: str = "Admin",
        language_code: str = "fa",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """The fake human with this id (created on first call; it has "started" the bot)."""
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        user = FakeUser(self, user_id, first_name, language_code, username, last_name)
        self.users[user_id] = user
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        self.chats[user_id] = chat
        return user

    def group(
        self, chat_id: int = DEFAULT_GROUP_CHAT_ID, title: str = "Test Group"
    ) -> dict[str, Any]:
        """Register a group (negative id; ids <= -10**12 are supergroups); returns its chat."""
        if chat_id not in self.chats:
            kind = "supergroup" if chat_id <= -(10**12) else "group"
            self.chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
        return self.chats[chat_id]

    def block(self, chat_id: int) -> None:
        """From now on the bot gets 403 "bot was blocked by the user" for this chat."""
        self.blocked.add(chat_id)

    # -- observation -------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[ApiCall]:
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    def bot_calls(self) -> list[ApiCall]:
        """All calls except getUpdates (the polling noise)."""
        return [c for c in self.calls if c.method.lower() != _GETUPDATES]

    def chat_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        found = [m for m in self._bot_log if m.chat_id == chat_id]
        return [m for m in found if include_deleted or not m.deleted]

    @property
    def polling(self) -> bool:
        """True while a getUpdates request is being held open (the bot is ready for updates)."""
        return self._pollers > 0

    @property
    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet (not fetched, or fetched but no later offset)."""
        return len(self._updates)

    def commands_for(
        self, scope: str = "default", language_code: str = ""
    ) -> list[tuple[str, str]]:
        """``[(command, description), ...]`` of the last setMyCommands for that scope/language.

        scope is the scope type, plus ``:chat_id`` (``"chat:-1000"``) or ``:chat_id:user_id``
        (``"chat_member:-1000:5"``) for the scopes that have them.
        """
        cmds = self.commands.get((scope, language_code), [])
        return [(c["command"], c["description"]) for c in cmds]

    def unanswered_callbacks(self) -> list[str]:
        return [cq for cq in self.callback_queries if cq not in self.answered_callbacks]

    def dump(self, last_calls: int = 25) -> str:
        """Human-readable state, used in assertion messages."""
        lines = [f"pending updates: {self.pending_updates}", f"last {last_calls} bot calls:"]
        calls = self.bot_calls()[-last_calls:]
        lines += [f"  {c!r}" for c in calls] or ["  (none)"]
        lines.append("bot messages:")
        lines += [f"  {m}" for m in self._bot_log] or ["  (none)"]
        return "\n".join(lines)

    # -- failure injection -------------------------------------------------------------------
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

    # -- waiting -----------------------------------------------------------------------------
    def _changed(self) -> None:
        self._changed_event.set()
        self._changed_event = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:  # noqa: ASYNC109
        if timeout <= 0:
            return
        event = self._changed_event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
        message: str = "",
    ) -> None:
        """Wait until ``predicate()`` is truthy; checked on every server event and every 50 ms."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                what = message or getattr(predicate, "__name__", "condition")
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}\n{self.dump()}"
                )
            await self._wait_change(min(0.05, remaining))

    async def idle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until no update is pending and no (non-getUpdates) call came for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if self._inflight == 0 and not self._updates and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                raise AssertionError(
                    f"bot did not become idle within {timeout}s "
                    f"(in-flight calls: {self._inflight})\n{self.dump()}"
                )
            await self._wait_change(min(0.05, deadline - now))

    # -- updates -----------------------------------------------------------------------------
    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._updates.append(update)
        self._last_activity = time.monotonic()
        self._changed()
        return update

    def _alloc_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _bot_user_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        return dict(
            self.chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": "?"}
        )

    def _bot_message_json(self, msg: BotMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self._chat_json(msg.chat_id),
            "from": self._bot_user_json(),
        }
        if msg.edit_date:
            data["edit_date"] = msg.edit_date
        if msg.kind == "text":
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        else:
            data[msg.kind] = msg.media
            if msg.text:
                data["caption"] = msg.text
                if msg.entities:
                    data["caption_entities"] = msg.entities
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data

    # -- HTTP --------------------------------------------------------------------------------
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

    # -- helpers for method handlers ---------------------------------------------------------
    def _chat_id(self, params: dict[str, Any], *, writable: bool = True) -> int:
        raw = params.get("chat_id")
        if raw is None:
            raise _bad_request("chat_id is empty")
        chat_id: int | None
        if isinstance(raw, str) and raw.startswith("@"):
            chat_id = next(
                (cid for cid, c in self.chats.items() if c.get("username") == raw[1:]), None
            )
        else:
            chat_id = _as_int(raw)
        if chat_id is None or chat_id not in self.chats:
            raise _bad_request("chat not found")
        if writable and chat_id in self.blocked:
            raise _ApiError(403, BLOCKED)
        return chat_id

    def _render(
        self, text: str, parse_mode: Any, entities: Any
    ) -> tuple[str, list[dict[str, Any]]]:
        mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            try:
                return parse_html(text)
            except EntityParseError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from None
        if isinstance(entities, list):
            return text, entities
        return text, []

    @staticmethod
    def _check_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        """Validate ``reply_markup`` like Telegram; returns it, or None when it was not sent.

        Shapes and descriptions follow tdlib/telegram-bot-api ``Client::get_reply_markup`` /
        ``get_inline_keyboard_button_type`` (first letter lower-cased by its error path).
        """
        if markup is None:
            return None
        if isinstance(markup, str):  # the form value was not JSON at all
            raise _bad_request(CANT_PARSE_MARKUP)
        if not isinstance(markup, dict):
            raise _bad_request("object expected as reply markup")
        kind: str | None = None
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list):
                raise _bad_request('field "keyboard" must be of type Array')
            for row in rows:
                if not isinstance(row, list):
                    raise _bad_request('field "keyboard" must be an Array of Arrays')
                for button in row:
                    FakeTelegram._check_reply_button(button)
            if any(rows):
                kind = "keyboard"
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list):
                raise _bad_request('field "inline_keyboard" must be of type Array')
            for row in rows:
                if not isinstance(row, list):
                    raise _bad_request(
                        'field "inline_keyboard" of the InlineKeyboardMarkup must be an '
                        "Array of Arrays"
                    )
                for button in row:
                    FakeTelegram._check_inline_button(button)
            if kind is None and any(rows):
                kind = "inline_keyboard"
        if kind is None and markup.get("remove_keyboard") is True:
            kind = "remove_keyboard"
        if kind is None and markup.get("force_reply") is True:
            kind = "force_reply"
        if kind is None:
            # ``{}``, ``{"inline_keyboard": []}``, ``[[]]``, ``remove_keyboard: false``: no
            # keyboard type with content. The open-source telegram-bot-api would read these
            # as "no markup", but api.telegram.org answered 400 with this text when the bot
            # sent PTB's ``InlineKeyboardMarkup([])`` (= ``{}``) for /history (observed in
            # production; the issue that added this rule); the docs list only the four types.
            raise _bad_request(CANT_PARSE_MARKUP)
        if inline_only and kind != "inline_keyboard":
            # td's get_inline_reply_markup for edits; seen as "Bad Request: inline keyboard
            # expected" (pengrad/java-telegram-bot-api#82).
            raise _bad_request("inline keyboard expected")
        return markup

    @staticmethod
    def _check_reply_button(button: Any) -> None:
        if isinstance(button, str):
            return
        prefix = "can't parse keyboard button: "
        if not isinstance(button, dict):
            raise _bad_request(prefix + "KeyboardButton must be a String or an Object")
        _check_text_field(button, prefix)
        for flag in ("request_contact", "request_location"):
            if flag in button and not isinstance(button[flag], bool):
                raise _bad_request(prefix + f'Field "{flag}" must be of type Boolean')
        # Docs (KeyboardButton): the optional request_*/web_app fields "are mutually
        # exclusive". The wording of the refusal is the fake's.
        kinds = [k for k in _REPLY_BUTTON_TYPES if button.get(k) not in (None, False)]
        if len(kinds) > 1:
            raise _bad_request(prefix + f"the fields {kinds} are mutually exclusive")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        prefix = "can't parse inline keyboard button: "
        if not isinstance(button, dict):
            raise _bad_request(prefix + "InlineKeyboardButton must be an Object")
        _check_text_field(button, prefix)
        if button["text"] == "":  # the server refuses it too; this wording is the fake's
            raise _bad_request(prefix + "Text must be non-empty")
        # The real server treats an empty url/callback_data as absent.
        types = [
            key for key in _INLINE_BUTTON_TYPES if key in button and button[key] not in ("", None)
        ]
        if not types:
            raise _bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
        if len(types) > 1:
            # Stricter than observed: telegram-bot-api silently keeps the first field in its
            # order (url, callback_data, ...), so the other one is lost; the docs demand
            # exactly one, and the fake says so instead of dropping a field.
            raise _bad_request(prefix + f"exactly one of the fields {types} must be used")
        if "callback_data" in button:
            data = button["callback_data"]
            # Docs: "Data to be sent in a callback query to the bot when the button is
            # pressed, 1-64 bytes"; the server answers BUTTON_DATA_INVALID beyond that.
            if not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")

    def _check_private_requests(self, chat_id: int, markup: dict[str, Any] | None) -> None:
        if not markup or "keyboard" not in markup or self.chats[chat_id]["type"] == "private":
            return
        for row in markup["keyboard"]:
            for button in row:
                for flag, refusal in PRIVATE_ONLY_REQUEST.items():
                    if isinstance(button, dict) and button.get(flag) is True:
                        raise _bad_request(refusal)

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard the chat shows now: the newest bot message that set one
        (``keyboard``) or took it away (``remove_keyboard``) decides; None when none."""
        for msg in reversed(self.chat_messages(chat_id, include_deleted=True)):
            markup = msg.reply_markup or {}
            if "keyboard" in markup and any(markup["keyboard"]):
                return markup
            if markup.get("remove_keyboard") is True:
                return None
        return None

    def _find_editable(self, params: dict[str, Any]) -> BotMessage:
        if params.get("inline_message_id"):
            raise _bad_request("MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id"))
        msg = self.messages.get((chat_id, message_id or 0))
        if msg is None or msg.deleted:
            user_msg = self.user_messages.get((chat_id, message_id or 0))
            if user_msg is not None and not user_msg.deleted:
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return msg

    @staticmethod
    def _inline_only(markup: dict[str, Any] | None) -> str:
        if not markup or "inline_keyboard" not in markup:
            return ""
        return json.dumps(markup["inline_keyboard"], sort_keys=True)

    def _new_bot_message(self, chat_id: int, params: dict[str, Any], **fields: Any) -> BotMessage:
        reply_to = _as_int(params.get("reply_to_message_id"))
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = _as_int(reply_parameters.get("message_id"))
        msg = BotMessage(
            chat_id=chat_id,
            message_id=self._alloc_message_id(chat_id),
            date=int(self.now()),
            reply_to_message_id=reply_to,
            **fields,
        )
        self.messages[(chat_id, msg.message_id)] = msg
        self._bot_log.append(msg)
        return msg

    def _new_file(self, content: bytes | None = None) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id = f"FAKEFILE{n:06d}"
        if content is not None:
            self.files[file_id] = content
        return file_id, f"FAKEUNIQUE{n:06d}"

    # -- method handlers ---------------------------------------------------------------------
    def _ok_true(self, params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user_json()

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset")) or 0
        limit = _as_int(params.get("limit")) or 100
        limit = max(1, min(limit, 100))
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) if allowed else None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed()  # an older, still waiting getUpdates is now terminated (409)
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            self._drop_not_allowed()
            if self._updates or self._closing:
                return self._updates[:limit]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)

    def _drop_not_allowed(self) -> None:
        def allowed(update: dict[str, Any]) -> bool:
            kind = next(k for k in update if k != "update_id")
            if self._allowed_updates is None:
                return kind not in _NOT_DEFAULT_UPDATES
            return kind in self._allowed_updates

        self._updates = [u for u in self._updates if allowed(u)]

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not isinstance(scope, dict):
            return "default"
        key = str(scope.get("type", "default"))
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        if "user_id" in scope:
            key += f":{scope['user_id']}"
        return key

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("commands must be an array")
        cleaned = []
        for cmd in commands:
            name = str(cmd.get("command", "")) if isinstance(cmd, dict) else ""
            desc = str(cmd.get("description", "")) if isinstance(cmd, dict) else ""
            if not (1 <= len(name) <= 32) or not all(
                c.islower() or c.isdigit() or c == "_" for c in name
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": desc})
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands[key] = cleaned
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return list(self.commands.get(key, []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands.pop(key, None)
        return True

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        raw_text = params.get("text")
        raw_text = "" if raw_text is None else str(raw_text)
        text, entities = self._render(raw_text, params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        self._check_private_requests(chat_id, markup)
        msg = self._new_bot_message(
            chat_id,
            params,
            text=text,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
        )
        return self._bot_message_json(msg)

    def _send_media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        if params.get(kind) is None:
            raise _bad_request(f"there is no {kind} in the request")
        raw_caption = str(params.get("caption") or "")
        caption, entities = self._render(
            raw_caption, params.get("parse_mode"), params.get("caption_entities")
        )
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup = self._check_markup(params.get("reply_markup"))
        source = params[kind]
        content: bytes | None = None
        file_name: str | None = None
        mime_type = "application/octet-stream"
        if isinstance(source, dict) and "content" in source:
            content = source["content"]
            file_name = source.get("filename")
            mime_type = source.get("content_type") or mime_type
        elif isinstance(source, str) and source.startswith("attach://"):
            attached = params.get(source[len("attach://") :])
            if isinstance(attached, dict):
                content = attached.get("content")
                file_name = attached.get("filename")
        file_id, unique_id = self._new_file(content)
        size = len(content) if content is not None else 0
        media = _media_object(kind, file_id, unique_id, size, file_name, mime_type)
        msg = self._new_bot_message(
            chat_id,
            params,
            text=caption,
            raw_text=raw_caption,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
            kind=kind,
            media=media,
            file_name=file_name,
            file_content=content,
        )
        return self._bot_message_json(msg)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_editable(params)
        if msg.kind != "text":
            raise _bad_request("there is no text in the message to edit")
        raw_text = params.get("text")
        raw_text = "" if raw_text is None else str(raw_text)
        text, entities = self._render(raw_text, params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if (
            text == msg.text
            and entities == msg.entities
            and self._inline_only(markup) == self._inline_only(msg.reply_markup)
        ):
            raise _ApiError(400, NOT_MODIFIED)
        msg.history.append(msg.text)
        msg.text, msg.raw_text, msg.entities = text, raw_text, entities
        msg.parse_mode = params.get("parse_mode")
        msg.reply_markup = markup
        msg.edits += 1
        msg.edit_date = int(self.now())
        return self._bot_message_json(msg)

    def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_editable(params)
        if msg.kind == "text":
            raise _bad_request("there is no caption in the message to edit")
        raw_caption = str(params.get("caption") or "")
        caption, entities = self._render(
            raw_caption, params.get("parse_mode"), params.get("caption_entities")
        )
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if (
            caption == msg.text
            and entities == msg.entities
            and self._inline_only(markup) == self._inline_only(msg.reply_markup)
        ):
            raise _ApiError(400, NOT_MODIFIED)
        msg.history.append(msg.text)
        msg.text, msg.raw_text, msg.entities = caption, raw_caption, entities
        msg.reply_markup = markup
        msg.edits += 1
        msg.edit_date = int(self.now())
        return self._bot_message_json(msg)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._find_editable(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if self._inline_only(markup) == self._inline_only(msg.reply_markup):
            raise _ApiError(400, NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edits += 1
        msg.edit_date = int(self.now())
        return self._bot_message_json(msg)

    def _delete_one(self, chat_id: int, message_id: int | None) -> bool:
        """Delete a live message; False if there is none; 400 if it is too old."""
        key = (chat_id, message_id or 0)
        bot_msg = self.messages.get(key)
        user_msg = self.user_messages.get(key)
        found: BotMessage | UserMessage | None = None
        date = 0
        if bot_msg is not None and not bot_msg.deleted:
            found, date = bot_msg, bot_msg.date
        elif user_msg is not None and not user_msg.deleted:
            found, date = user_msg, int(user_msg.payload.get("date") or 0)
        if found is None:
            return False
        if self.now() - date >= DELETE_WINDOW_SECONDS:
            raise _bad_request("message can't be deleted for everyone")
        found.deleted = True
        return True

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_id(params, writable=False)
        if not self._delete_one(chat_id, _as_int(params.get("message_id"))):
            raise _bad_request("message to delete not found")
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_id(params, writable=False)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise _bad_request("message_ids is empty")
        for message_id in ids:
            # Docs: messages that "can't be found" are skipped; the fake skips too-old ones
            # as well (the docs are silent on them) instead of failing the whole call.
            try:
                self._delete_one(chat_id, _as_int(message_id))
            except _ApiError:
                continue
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        # Unknown ids and second answers: QUERY_ID_INVALID, mapped to this text by
        # telegram-bot-api (Client::fail_query_with_error).
        if query_id not in self.callback_queries or query_id in self.answered_callbacks:
            raise _bad_request(QUERY_TOO_OLD)
        pressed_at = self._callback_pressed_at.get(query_id, self.now())
        if self.now() - pressed_at > self.callback_answer_timeout:
            raise _bad_request(QUERY_TOO_OLD)
        self.answered_callbacks.add(query_id)
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat_id(params)
        return True

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_json(self._chat_id(params, writable=False))
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return chat

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise _bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id.replace("FAKEFILE", "FAKEUNIQUE"),
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }


# ----------------------------------------------------------------------------------------------
# the fake human
# ----------------------------------------------------------------------------------------------


class OWN:
    """``FakeUser.send_contact(user_id=OWN)``: the sender's own contact (the default)."""


class FakeUser:
    """A human talking to the bot. Private chat id == user id."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str,
        language_code: str,
        username: str | None,
        last_name: str | None = None,
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.language_code = language_code
        self.username = username
        self._cursor: dict[int, int] = {}  # chat_id -> index into fake._bot_log
        self._last_chat = user_id
        # the account's number, as clients put it in a shared own contact (no "+")
        self.phone_number = f"98912{user_id % 10_000_000:07d}"

    @property
    def chat_id(self) -> int:
        return self.user_id

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    def __repr__(self) -> str:
        return f"<FakeUser {self.user_id} {self.first_name!r}>"

    # -- internals ---------------------------------------------------------------------------
    def _target_chat(self, chat_type: str, chat_id: int | None) -> int:
        if chat_type == "private":
            if chat_id not in (None, self.user_id):
                raise ValueError("a private chat's id is the user's id")
            return self.user_id
        if chat_type == "group":
            return self.fake.group(chat_id or DEFAULT_GROUP_CHAT_ID)["id"]
        if chat_type == "supergroup":
            return self.fake.group(chat_id or DEFAULT_SUPERGROUP_CHAT_ID)["id"]
        raise ValueError(f"unsupported chat_type {chat_type!r}")

    def _mark(self, chat_id: int) -> None:
        """Later reply() calls only return bot messages created after this point."""
        self._cursor[chat_id] = len(self.fake._bot_log)
        self._last_chat = chat_id

    def _message_json(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        bot_msg = self.fake.messages.get((chat_id, message_id))
        if bot_msg is not None:
            return self.fake._bot_message_json(bot_msg)
        user_msg = self.fake.user_messages.get((chat_id, message_id))
        return dict(user_msg.payload) if user_msg is not None else None

    async def _send_payload(
        self,
        extra: dict[str, Any],
        *,
        kind: str,
        text: str | None,
        chat_type: str = "private",
        chat_id: int | None = None,
        reply_to: int | None = None,
        forward_from: int | None = None,
    ) -> int:
        target = self._target_chat(chat_type, chat_id)
        message_id = self.fake._alloc_message_id(target)
        now = int(self.fake.now())
        payload: dict[str, Any] = {
            "message_id": message_id,
            "date": now,
            "chat": self.fake._chat_json(target),
            "from": self.json(),
            **extra,
        }
        if reply_to is not None:
            replied = self._message_json(target, reply_to)
            if replied is None:
                raise AssertionError(f"no message {reply_to} in chat {target} to reply to")
            payload["reply_to_message"] = replied
        if forward_from is not None:
            original = self.fake.users.get(forward_from)
            sender = (
                original.json()
                if original
                else {"id": forward_from, "is_bot": False, "first_name": "Someone"}
            )
            payload["forward_origin"] = {"type": "user", "sender_user": sender, "date": now - 60}
            payload["forward_from"] = sender
            payload["forward_date"] = now - 60
        self.fake.user_messages[(target, message_id)] = UserMessage(
            chat_id=target,
            message_id=message_id,
            from_id=self.user_id,
            text=text,
            kind=kind,
            payload=payload,
        )
        self._mark(target)
        self.fake._enqueue("message", payload)
        return message_id

    # -- acting ------------------------------------------------------------------------------
    async def send(
        self,
        text: str,
        *,
        chat_type: str = "private",
        chat_id: int | None = None,
        forward_from: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Send a text message; returns its message_id. "/cmd ..." gets a bot_command entity."""
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return await self._send_payload(
            extra,
            kind="text",
            text=text,
            chat_type=chat_type,
            chat_id=chat_id,
            forward_from=forward_from,
            reply_to=reply_to,
        )

    async def send_photo(self, caption: str | None = None, **chat: Any) -> int:
        file_id, unique = self.fake._new_file(b"\x89PNG fake photo")
        sizes = [
            {
                "file_id": f"{file_id}s",
                "file_unique_id": f"{unique}s",
                "width": 90,
                "height": 90,
                "file_size": 1000,
            },
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": 800,
                "height": 800,
                "file_size": 16,
            },
        ]
        extra: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        return await self._send_payload(extra, kind="photo", text=caption, **chat)

    async def send_sticker(self, emoji: str = "👍", **chat: Any) -> int:
        file_id, unique = self.fake._new_file(b"fake sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._send_payload({"sticker": sticker}, kind="sticker", text=None, **chat)

    async def send_voice(self, duration: int = 3, **chat: Any) -> int:
        file_id, unique = self.fake._new_file(b"OggS fake voice")
        voice = {
            "file_id": file_id,
            "file_unique_id": unique,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 15,
        }
        return await self._send_payload({"voice": voice}, kind="voice", text=None, **chat)

    async def send_document(
        self,
        content: bytes = b"fake document",
        file_name: str = "file.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
        **chat: Any,
    ) -> int:
        """Send a file; the bot can download ``content`` via getFile + base_file_url."""
        file_id, unique = self.fake._new_file(content)
        document = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra: dict[str, Any] = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        return await self._send_payload(extra, kind="document", text=caption, **chat)

    async def send_contact(
        self,
        phone: str,
        first_name: str | None = None,
        user_id: int | type[OWN] | None = OWN,
        **chat: Any,
    ) -> int:
        """Share a contact from the attachment menu: by default the user's own; ``user_id``
        another Telegram user's; ``user_id=None`` a phone-book entry not on Telegram (the
        docs: ``Contact.user_id`` is optional, so the field is left out)."""
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or self.first_name,
        }
        if user_id is OWN:
            contact["user_id"] = self.user_id
        elif user_id is not None:
            contact["user_id"] = user_id
        return await self._send_payload({"contact": contact}, kind="contact", text=None, **chat)

    async def share_phone(self, phone: str | None = None) -> int:
        """Tap the reply keyboard's ``request_contact`` button and confirm, as Telegram does:
        the user's own contact (their id, their account's number) goes to the private chat.
        Fails like a person would if no such button is on screen."""
        keyboard = self.fake.reply_keyboard(self.user_id) or {}
        buttons = [b for row in keyboard.get("keyboard", []) for b in row]
        if not any(isinstance(b, dict) and b.get("request_contact") is True for b in buttons):
            raise AssertionError(f"no request_contact button on screen for {self!r}")
        return await self.send_contact(phone or self.phone_number)

    async def press_reply_button(self, text: str) -> int:
        """Tap a plain button of the reply keyboard on screen: its text is sent as a message."""
        keyboard = self.fake.reply_keyboard(self.user_id) or {}
        for row in keyboard.get("keyboard", []):
            for button in row:
                label = button if isinstance(button, str) else button.get("text")
                plain = isinstance(button, str) or not any(
                    button.get(k) not in (None, False) for k in _REPLY_BUTTON_TYPES
                )
                if label == text and plain:
                    return await self.send(text)
        raise AssertionError(f"no reply button {text!r} on screen for {self!r}")

    async def edit(self, message_id: int, new_text: str, *, chat_id: int | None = None) -> None:
        """Edit one of the user's own text messages (sends an edited_message update)."""
        target = chat_id if chat_id is not None else self._last_chat
        user_msg = self.fake.user_messages.get((target, message_id))
        if user_msg is None or user_msg.from_id != self.user_id:
            raise AssertionError(f"{self} has no message {message_id} in chat {target}")
        user_msg.history.append(user_msg.text or "")
        user_msg.text = new_text
        payload = dict(user_msg.payload)
        payload["text"] = new_text
        payload.pop("entities", None)
        payload["edit_date"] = int(self.fake.now())
        user_msg.payload = payload
        self._mark(target)
        self.fake._enqueue("edited_message", payload)

    def _resolve_bot_message(self, message: BotMessage | int, chat_id: int | None) -> BotMessage:
        if isinstance(message, BotMessage):
            key = (message.chat_id, message.message_id)
        else:
            key = (chat_id if chat_id is not None else self._last_chat, message)
        found = self.fake.messages.get(key)
        if found is None:
            raise AssertionError(
                f"the bot sent no message {key[1]} in chat {key[0]}\n{self.fake.dump()}"
            )
        return found

    async def press(
        self,
        message: BotMessage | int,
        button: str,
        *,
        exact: bool = False,
        chat_id: int | None = None,
    ) -> str:
        """Press the inline button whose text contains ``button`` (or equals it, if ``exact``).

        An exact text match wins over partial ones; several partial matches are an error.
        Returns the callback query id (see :meth:`answer_of`).
        """
        msg = self._resolve_bot_message(message, chat_id)
        if msg.deleted:
            raise AssertionError(f"cannot press {button!r}: message was deleted: {msg}")
        flat = [b for row in msg.inline_keyboard for b in row]
        texts = [b.get("text", "") for b in flat]
        candidates = [b for b in flat if b.get("text") == button]
        if not candidates and not exact:
            candidates = [b for b in flat if button in b.get("text", "")]
        if not candidates:
            raise AssertionError(
                f"no button {button!r} on message {msg.message_id}; buttons are {texts}\n"
                f"message text: {msg.text!r}"
            )
        if len(candidates) > 1:
            raise AssertionError(
                f"button {button!r} is ambiguous on message {msg.message_id}: "
                f"{[b['text'] for b in candidates]}; use exact=True or a longer text"
            )
        chosen = candidates[0]
        if "callback_data" not in chosen:
            raise AssertionError(f"button {chosen['text']!r} has no callback_data: {chosen}")
        return await self._callback(msg.chat_id, msg.message_id, chosen["callback_data"])

    async def press_data(self, message_id: int, data: str, *, chat_id: int | None = None) -> str:
        """Send a callback query with arbitrary (forged) data for any message id."""
        target = chat_id if chat_id is not None else self._last_chat
        return await self._callback(target, message_id, data)

    async def _callback(self, chat_id: int, message_id: int, data: str) -> str:
        query_id = str(next(self.fake._callback_ids))
        msg = self.fake.messages.get((chat_id, message_id))
        if msg is not None and not msg.deleted:
            message_json = self.fake._bot_message_json(msg)
        else:  # InaccessibleMessage
            message_json = {
                "chat": self.fake._chat_json(chat_id),
                "message_id": message_id,
                "date": 0,
            }
        payload = {
            "id": query_id,
            "from": self.json(),
            "message": message_json,
            "chat_instance": f"{abs(chat_id) * 7919 + 13}",
            "data": data,
        }
        self.fake.callback_queries[query_id] = payload
        self.fake._callback_pressed_at[query_id] = self.fake.now()
        self._mark(chat_id)
        self.fake._enqueue("callback_query", payload)
        return query_id

    def block(self) -> None:
        """The user blocks the bot: later sends get 403; the bot gets a my_chat_member update."""
        self.fake.block(self.user_id)
        self._member_update("member", "kicked")

    def unblock(self) -> None:
        self.fake.blocked.discard(self.user_id)
        self._member_update("kicked", "member")

    def _member_update(self, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": self.fake._bot_user_json()}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.fake._enqueue(
            "my_chat_member",
            {
                "chat": self.fake._chat_json(self.user_id),
                "from": self.json(),
                "date": int(self.fake.now()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    # -- observing ---------------------------------------------------------------------------
    def messages(self, chat_id: int | None = None) -> list[BotMessage]:
        """Bot messages in the private chat (or ``chat_id``): oldest first, current, not deleted."""
        target = self.user_id if chat_id is None else chat_id
        return self.fake.chat_messages(target)

    def last(self, chat_id: int | None = None) -> BotMessage:
        found = self.messages(chat_id)
        if not found:
            raise AssertionError(
                f"the bot sent no (undeleted) message to {self}\n{self.fake.dump()}"
            )
        return found[-1]

    async def reply(self, timeout: float = 5.0, *, chat_id: int | None = None) -> BotMessage:  # noqa: ASYNC109
        """The next NEW bot message in the chat of the user's last action (or ``chat_id``).

        "New" = created after the user's last send/press/edit or after the message the
        previous reply() returned. The message may since have been edited (it is the live
        object) or deleted (check ``.deleted``).
        """
        return (await self.replies(1, timeout, chat_id=chat_id))[0]

    async def replies(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        chat_id: int | None = None,
    ) -> list[BotMessage]:
        """Like :meth:`reply`, for the next ``count`` new messages."""
        target = self._last_chat if chat_id is None else chat_id
        found: list[BotMessage] = []

        def collect() -> bool:
            log_ = self.fake._bot_log
            start = self._cursor.get(target, 0)
            for index in range(start, len(log_)):
                if len(found) == count:
                    break
                if log_[index].chat_id == target:
                    found.append(log_[index])
                    self._cursor[target] = index + 1
                    start = index + 1
            self._cursor[target] = max(self._cursor.get(target, 0), start)
            return len(found) == count

        await self.fake.wait_until(
            collect,
            timeout,
            message=f"{count} new bot message(s) to chat {target} (got {len(found)})",
        )
        return found

    async def answer_of(self, callback_query_id: str, timeout: float = 5.0) -> ApiCall:  # noqa: ASYNC109
        """The bot's answerCallbackQuery call for that query (``.text``, ``.show_alert``)."""

        def answered() -> ApiCall | None:
            for call in self.fake.calls_to("answerCallbackQuery"):
                if str(call.params.get("callback_query_id")) == callback_query_id:
                    return call
            return None

        await self.fake.wait_until(
            lambda: answered() is not None,
            timeout,
            message=f"answerCallbackQuery for {callback_query_id}",
        )
        result = answered()
        assert result is not None
        return result

    def deleted(self, message_id: int, chat_id: int | None = None) -> bool:
        """Whether the message (the bot's or the user's own) was deleted."""
        target = self._last_chat if chat_id is None else chat_id
        key = (target, message_id)
        msg = self.fake.messages.get(key) or self.fake.user_messages.get(key)
        if msg is None:
            raise AssertionError(f"no message {message_id} in chat {target}")
        return msg.deleted


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _check_text_field(button: dict[str, Any], prefix: str) -> None:
    """A button's required "text", with tdlib's JSON helper errors (JsonBuilder.cpp)."""
    if "text" not in button:
        raise _bad_request(prefix + 'Can\'t find field "text"')
    if isinstance(button["text"], bool) or not isinstance(button["text"], (str, int, float)):
        raise _bad_request(prefix + 'Field "text" must be of type String')


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


def _media_object(
    kind: str,
    file_id: str,
    unique_id: str,
    size: int,
    file_name: str | None,
    mime_type: str,
) -> Any:
    base: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}
    if kind == "photo":
        return [{**base, "width": 800, "height": 800}]
    if kind == "document":
        return {**base, "file_name": file_name or "file", "mime_type": mime_type}
    if kind in ("audio", "voice"):
        return {**base, "duration": 1}
    if kind in ("video", "animation"):
        return {**base, "width": 320, "height": 240, "duration": 1}
    if kind == "video_note":
        return {**base, "length": 240, "duration": 1}
    if kind == "sticker":
        return {
            **base,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    return base
