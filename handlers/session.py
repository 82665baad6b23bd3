"""The typed context every handler gets: ``context.services`` and ``context.user_data``.

python-telegram-bot builds a :class:`CustomContext` for each update and keeps one
:class:`Session` per user (``ContextTypes(context=CustomContext, user_data=Session)``, as
in PTB's ``contexttypesbot`` example). The session is persisted as a plain dict
(:meth:`Session.to_dict`); :meth:`Session.from_dict` also reads what earlier releases
wrote (untyped keys and the flags ``reject_for``, ``await_contact``, ``name_for``,
``gradual_typing``, ``await_key``/``token_wait``), so nobody's state is lost on upgrade.

What typed text means now is ONE field, :attr:`Session.awaiting`: a key, a reject reason,
one's own number, a name for a saved text, a plan value, a search. Setting it replaces the
previous question; the conversation's state still routes the steps' own texts.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.services import BroadcastApplication, Services

# ---------------------------------------------------------------- what typed text means now


@dataclass(frozen=True)
class KeyWait:
    """/token: the next text is an IPPanel API key (deleted at once, checked, stored)."""


@dataclass(frozen=True)
class RejectReason:
    """The next text is the reason for rejecting this request."""

    request_id: int


@dataclass(frozen=True)
class OwnContact:
    """The share-my-number keyboard is up: only one's own shared contact counts."""


@dataclass(frozen=True)
class TextName:
    """A name for a saved text: a new one (``save``, its ``text``; ``back`` to the review
    when it started there) or a new name for ``text_id`` (``rename``)."""

    kind: str  # "save" | "rename"
    text: str = ""
    text_id: int | None = None
    back: str | None = None  # "review": the prompt returns to the review card


@dataclass(frozen=True)
class PlanValue:
    """Gradual sending: a typed batch size (``b``) or interval in minutes (``i``)."""

    which: str


@dataclass(frozen=True)
class Search:
    """A phonebook list (``books``) or a contact list (``contacts``) is on screen: text
    filters it (the conversation's state routes it there)."""

    what: str


Awaiting = KeyWait | RejectReason | OwnContact | TextName | PlanValue | Search
_AWAITING: dict[str, type[Any]] = {
    "key": KeyWait,
    "reject_reason": RejectReason,
    "own_contact": OwnContact,
    "text_name": TextName,
    "plan_value": PlanValue,
    "search": Search,
}
_AWAITING_NAME = {cls: name for name, cls in _AWAITING.items()}


# ---------------------------------------------------------------- the session


@dataclass(frozen=True)
class PriceQuote:
    """A price and credit answer, reused between the text step and the review."""

    digest: str
    at: float
    per: float
    credit: float


@dataclass
class Session:
    """One admin's state between updates (persisted; other admins read only ``lang``,
    ``name`` and ``username``)."""

    lang: str | None = None  # None until read from the stored profile
    name: str | None = None  # first name and @username as the gate last saw them
    username: str | None = None
    identity_saved: tuple[str, str | None] | None = None  # what the profile row holds
    awaiting: Awaiting | None = None
    # the compose conversation
    draft: int | None = None  # the draft being composed
    menu: int | None = None  # message id of the live menu
    review_return: bool = False  # editing one step from the review: go back there after
    senders: list[tuple[str, str | None]] = field(default_factory=list)  # lines offered
    book: str | None = None  # the phonebook whose options are open
    books_page: int = 1
    books_pages: int = 1
    books_filter: str | None = None
    books_view: list[tuple[str, str, int]] = field(default_factory=list)  # id, title, count
    contacts_page: int = 1
    contacts_pages: int = 1
    contacts_filter: str | None = None
    contacts_view: list[tuple[str, str, str]] = field(default_factory=list)  # id, number, name
    price: PriceQuote | None = None

    def stop_awaiting(self, kind: type) -> bool:
        """End the wait for ``kind`` if that is what is awaited; whether it was."""
        if isinstance(self.awaiting, kind):
            self.awaiting = None
            return True
        return False

    def show_search(self, what: str) -> None:
        """A searchable list is on screen. A question asked from outside the conversation
        (a reject reason, one's own number) still comes first, as group -1 takes it first."""
        if not isinstance(self.awaiting, RejectReason | OwnContact):
            self.awaiting = Search(what)

    # -- persistence ------------------------------------------------------------------------

    def __deepcopy__(self, memo: dict[int, Any]) -> Session:
        """PTB deep-copies the session before every write. Every value is immutable (str,
        int, bool, tuples, frozen records) or a list of tuples, so a copy with its own lists
        is a deep copy, at a fraction of what copy.deepcopy's walk costs per update."""
        clone = copy.copy(self)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                setattr(clone, f.name, list(value))
        return clone

    def to_dict(self) -> dict[str, Any]:
        """The fields that differ from a fresh session, as plain data (JSON-able)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            default = f.default_factory() if callable(f.default_factory) else f.default
            if value == default:
                continue
            if f.name == "awaiting":
                value = {"type": _AWAITING_NAME[type(value)], **dataclasses.asdict(value)}
            elif f.name == "price":
                value = dataclasses.asdict(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, list):
                value = [list(v) for v in value]
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """A session from :meth:`to_dict`'s output or from an earlier release's user_data;
        unknown keys and values of the wrong shape are dropped, never fatal."""
        session = cls()
        for key in ("lang", "name", "username", "book", "books_filter", "contacts_filter"):
            _set(session, key, data.get(key), str)
        for key in (
            "draft",
            "menu",
            "books_page",
            "books_pages",
            "contacts_page",
            "contacts_pages",
        ):
            _set(session, key, data.get(key), int)
        session.review_return = bool(data.get("review_return"))
        saved = data.get("identity_saved")
        if isinstance(saved, list | tuple) and len(saved) == 2:
            session.identity_saved = (str(saved[0]), None if saved[1] is None else str(saved[1]))
        session.senders = [
            (str(s[0]), None if s[1] is None else str(s[1])) for s in _rows(data.get("senders"), 2)
        ]
        session.books_view = [
            (str(b[0]), str(b[1]), int(b[2])) for b in _rows(data.get("books_view"), 3)
        ]
        session.contacts_view = [
            (str(c[0]), str(c[1]), str(c[2])) for c in _rows(data.get("contacts_view"), 3)
        ]
        price = data.get("price")
        if isinstance(price, dict):
            try:
                session.price = PriceQuote(
                    str(price["digest"]),
                    float(price["at"]),
                    float(price["per"]),
                    float(price["credit"]),
                )
            except (KeyError, TypeError, ValueError):
                session.price = None
        session.awaiting = _awaiting(data)
        return session


def _set(session: Session, key: str, value: Any, kind: type) -> None:
    if isinstance(value, kind) and not isinstance(value, bool):
        setattr(session, key, value)


def _rows(value: Any, width: int) -> list[list[Any]]:
    if not isinstance(value, list):
        return []
    return [list(v) for v in value if isinstance(v, list | tuple) and len(v) == width]


def _awaiting(data: dict[str, Any]) -> Awaiting | None:
    """The session's question, or the old release's flags in the order they were consulted
    (a pending reject reason first, as group -1 took it before any step)."""
    stored = data.get("awaiting")
    if isinstance(stored, dict) and stored.get("type") in _AWAITING:
        fields = {k: v for k, v in stored.items() if k != "type"}
        try:
            return _AWAITING[stored["type"]](**fields)
        except TypeError:
            return None
    reject_for = data.get("reject_for")
    if isinstance(reject_for, int) and not isinstance(reject_for, bool):
        return RejectReason(reject_for)
    if data.get("await_contact"):
        return OwnContact()
    if data.get("await_key"):  # token_wait without await_key: the wait had been ended
        return KeyWait()
    pending = data.get("name_for")
    if isinstance(pending, dict) and pending.get("kind") in ("save", "rename"):
        text_id = pending.get("id")
        return TextName(
            kind=str(pending["kind"]),
            text=str(pending.get("text", "")),
            text_id=int(text_id) if isinstance(text_id, int) else None,
            back=pending.get("back") if isinstance(pending.get("back"), str) else None,
        )
    if data.get("gradual_typing") in ("b", "i"):
        return PlanValue(str(data["gradual_typing"]))
    return None


# ---------------------------------------------------------------- the context


class CustomContext(CallbackContext[ExtBot[None], Session, dict[Any, Any], dict[Any, Any]]):
    """PTB's context with the bot's services and the user's session typed."""

    @property
    def user_data(self) -> Session:
        """The session of the update's user. Jobs have no user: they get a blank session,
        which keeps nothing (PTB would give None; every handler has a user)."""
        data = super().user_data
        return data if data is not None else Session()

    @user_data.setter
    def user_data(self, _: object) -> NoReturn:
        raise AttributeError("user_data is the session itself: change its fields")

    @property
    def services(self) -> Services:
        # every handler runs inside the application bot.app built: no check on this hot path
        return cast(BroadcastApplication, self.application).services


CONTEXT_TYPES = ContextTypes(context=CustomContext, user_data=Session)
SESSIONS = (Session.from_dict, Session.to_dict)  # how persistence reads and writes them
