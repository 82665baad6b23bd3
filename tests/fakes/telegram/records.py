"""What the fake records: the bot's API calls, the bot's messages (live: edits and deletes
mutate them), the users' messages, injected failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .common import _short


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
