"""Every button kind the bot makes, declared once.

A kind is a prefix, the shape of its arguments, who may press it and (bound where it is
written, with ``@KIND.handles``) its handler. From these declarations alone:

- keyboards build callback data (``APPROVE.data(request.id)``), checked as they are built;
- the gate refuses data no kind parses ("this menu is out of date") and presses the presser's
  role does not allow (:func:`parse`, :attr:`Button.who`);
- registration routes each kind to its handler (``handlers/__init__.py`` loops over
  :data:`KINDS`; the compose conversation's states list the kinds they accept);
- a handler receives its arguments parsed and typed (ids as ``int``, words from a fixed set).

Callback data stays in the wire format earlier releases wrote (``ap:12``, ``b:t:<id>``), so
menus already on people's screens keep working after an upgrade. Adding a button is one
declaration here plus its handler.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.domain import Step
from bot.jalali import QUICK_CHOICES
from bot.plans import BATCH_CHOICES, EVERY_CHOICES
from bot.texts import LANGUAGES

MAX_DATA = 64  # bytes: the Bot API's limit for callback_data


class Who(enum.Enum):
    """Who may press a kind of button; the gate enforces it before any handler runs."""

    COMPOSER = "composer"  # ADMIN_IDS: composing, drafts, saved texts, one's own number
    APPROVER = "approver"  # the approvers: approve and reject
    KNOWN = "known"  # anyone the bot knows (the handler checks ownership of the row)


# ---------------------------------------------------------------- argument shapes


class Arg:
    """One colon-separated argument: how it is written and how it is read back."""

    sample: Any  # a value that builds valid data (the registry test presses it)

    def parse(self, raw: str) -> Any | None:
        raise NotImplementedError

    def write(self, value: Any) -> str:
        raw = str(value)
        if self.parse(raw) is None:
            raise ValueError(f"{value!r} does not fit {self!r}")
        return raw


@dataclass(frozen=True)
class Int(Arg):
    """ASCII digits only ("²".isdigit() is True, int("²") fails), at most ``digits`` of
    them (a longer run is forged, not a row: SQLite integers overflow past 19)."""

    digits: int = 11
    choices: tuple[int, ...] = ()  # when set, only these values
    sample: Any = 7

    def parse(self, raw: str) -> int | None:
        if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= self.digits):
            return None
        value = int(raw)
        return value if not self.choices or value in self.choices else None


def Id(digits: int = 11) -> Int:
    """A row id (request, broadcast, draft, saved text)."""
    return Int(digits)


def Page() -> Int:
    """A page number of a paged list (the handler clamps it to the pages there are)."""
    return Int(6, sample=2)


@dataclass(frozen=True)
class Word(Arg):
    """One word from a fixed set."""

    choices: tuple[str, ...]

    @property
    def sample(self) -> str:  # the first choice
        return self.choices[0]

    def parse(self, raw: str) -> str | None:
        return raw if raw in self.choices else None


# A provider's id (phonebook, contact): opaque to the bot, so a conservative alphabet, with
# no run of 19 digits (not a number any panel row has; it would only be forged).
_TOKEN = re.compile(r"[A-Za-z0-9_.\-]{1,60}", re.ASCII)
_LONG_RUN = re.compile(r"[0-9]{19}")


@dataclass(frozen=True)
class Token(Arg):
    """A provider's opaque id, compared with what the bot just listed (never trusted)."""

    sample: Any = "pb-17"

    def parse(self, raw: str) -> str | None:
        return raw if _TOKEN.fullmatch(raw) and not _LONG_RUN.search(raw) else None


# ---------------------------------------------------------------- kinds

Handler = Callable[..., Awaitable[Any]]
Scope = Literal["global", "entry", "compose"]


@dataclass(eq=False)
class Button:
    """One kind of button: ``prefix`` (one or more colon-separated words), its ``args``,
    ``who`` may press it, and where it is routed: ``"global"`` (group 0, any time),
    ``"entry"`` (starts the compose conversation) or ``"compose"`` (a state of it)."""

    name: str
    prefix: str
    args: tuple[Arg, ...] = ()
    who: Who = Who.COMPOSER
    scope: Scope = "compose"
    callback: Handler | None = field(default=None, repr=False)

    def data(self, *values: Any) -> str:
        """The callback data for a press with these arguments (checked: a keyboard that
        would make data its own gate refuses is a bug, caught where it is built)."""
        if len(values) != len(self.args):
            raise ValueError(f"{self.name} takes {len(self.args)} arguments")
        written = (a.write(v) for a, v in zip(self.args, values, strict=True))
        data = ":".join([self.prefix, *written])
        if len(data.encode()) > MAX_DATA or parse(data) != Press(self, tuple(values)):
            raise ValueError(f"{data!r} would not be read back as {self.name}")
        return data

    def sample_data(self) -> str:
        return self.data(*(a.sample for a in self.args))

    def read(self, parts: Sequence[str]) -> tuple[Any, ...] | None:
        if len(parts) != len(self.args):
            return None
        values = tuple(a.parse(p) for a, p in zip(self.args, parts, strict=True))
        return None if any(v is None for v in values) else values

    def handles(self, fn: Handler) -> Handler:
        """Bind ``fn(update, context, *args)`` as this kind's handler; returns the
        ``(update, context)`` callback PTB calls (it parses the press and passes the args).
        A kind has one handler: binding a second is a mistake, refused at import."""
        if self.callback is not None and self.callback is not fn:
            raise ValueError(f"{self.name} is already handled by {self.callback.__name__}")
        self.callback = fn
        return self.dispatcher()

    def dispatcher(
        self, fn: Handler | None = None
    ) -> Callable[[Update, Any], Coroutine[Any, Any, Any]]:
        """The ``(update, context)`` callback: parse, then call ``fn`` (default: the bound
        handler, looked up per press) with the parsed arguments."""

        async def dispatch(update: Update, context: Any) -> Any:
            query = update.callback_query
            press = parse(query.data if query else None)
            target = fn or self.callback
            if press is None or press.kind is not self or target is None:
                return None  # unreachable: the route matched this kind and the gate checked
            return await target(update, context, *press.args)

        if fn is not None:
            dispatch = functools.wraps(fn)(dispatch)
        elif self.callback is not None:
            dispatch.__name__ = getattr(self.callback, "__name__", self.name)
        return dispatch

    def matches(self, data: object) -> bool:
        press = parse(data if isinstance(data, str) else None)
        return press is not None and press.kind is self

    def route(self, fn: Handler | None = None) -> CallbackQueryHandler:
        """A handler for presses of this kind: to ``fn(update, context, *args)`` when given
        (a kind whose meaning depends on the conversation's state, like "back"), else to
        the handler bound with :meth:`handles`."""
        return CallbackQueryHandler(self.dispatcher(fn), pattern=self.matches)


@dataclass(frozen=True)
class Press:
    """A press as the registry reads it: its kind and its typed arguments."""

    kind: Button
    args: tuple[Any, ...]


_BY_PREFIX: dict[str, list[Button]] = {}
KINDS: list[Button] = []


def _kind(
    name: str, prefix: str, *args: Arg, who: Who = Who.COMPOSER, scope: Scope = "compose"
) -> Button:
    kind = Button(name, prefix, tuple(args), who, scope)
    KINDS.append(kind)
    _BY_PREFIX.setdefault(prefix, []).append(kind)
    return kind


def parse(data: str | None) -> Press | None:
    """The press ``data`` stands for, or None: unknown prefix, wrong arguments, non-ASCII,
    more than 64 bytes. The longest declared prefix is tried first."""
    if not data or not data.isascii() or len(data) > MAX_DATA:
        return None
    return _parse(data)


# Every route's pattern parses the press (PTB tries the routes in turn: dozens per press) and
# so do the gate and the dispatcher; the answer depends on the data alone (the kinds are
# fixed at import, a Press is immutable), so recent answers are kept.
@functools.lru_cache(maxsize=1024)
def _parse(data: str) -> Press | None:
    parts = data.split(":")
    for n in range(len(parts), 0, -1):
        for kind in _BY_PREFIX.get(":".join(parts[:n]), ()):
            values = kind.read(parts[n:])
            if values is not None:
                return Press(kind, values)
    return None


KNOWN, APPROVER = Who.KNOWN, Who.APPROVER
_STEPS = tuple(str(s) for s in Step)

# ---------------------------------------------------------------- approvals and results
APPROVE = _kind("APPROVE", "ap", Id(), who=APPROVER, scope="global")
REJECT = _kind("REJECT", "rj", Id(), who=APPROVER, scope="global")
REJECT_NO_REASON = _kind("REJECT_NO_REASON", "rn", Id(), who=APPROVER, scope="global")
REJECT_KEEP = _kind("REJECT_KEEP", "rk", Id(), who=APPROVER, scope="global")
WITHDRAW = _kind("WITHDRAW", "wd", Id(), who=KNOWN, scope="global")
REPORT = _kind("REPORT", "rp", Id(), who=KNOWN, scope="global")
CANCEL_SEND = _kind("CANCEL_SEND", "cn", Id(), who=KNOWN, scope="global")
RETRY = _kind("RETRY", "rt", Id(), who=KNOWN, scope="global")
CHECK_STATUS = _kind("CHECK_STATUS", "rc", Id(), who=KNOWN, scope="global")
# money: unknown -> not sent, in two steps
NOT_SENT_ASK = _kind("NOT_SENT_ASK", "nx", Id(), who=KNOWN, scope="global")
NOT_SENT_YES = _kind("NOT_SENT_YES", "ny", Id(), who=KNOWN, scope="global")
NOT_SENT_KEEP = _kind("NOT_SENT_KEEP", "nk", Id(), who=KNOWN, scope="global")
START_STRANDED = _kind("START_STRANDED", "ss", Id(), who=KNOWN, scope="global")  # approved, unsent
REQUEST_BOOKS = _kind("REQUEST_BOOKS", "bl:r", Id(), who=KNOWN, scope="global")
DRAFT_BOOKS = _kind("DRAFT_BOOKS", "bl:d", Id(), scope="global")
# gradual sending: progress, cancel the rest, continue, continue from now (new times shown)
PLAN_CARD = _kind("PLAN_CARD", "pl", Word(("v", "c", "g", "n")), Id(), who=KNOWN, scope="global")
# ... the new times confirmed: the first one in whole minutes since the epoch, as shown
MINUTE = Int(10, sample=29_000_000)
PLAN_FROM_NOW = _kind("PLAN_FROM_NOW", "pl:N", Id(), MINUTE, who=KNOWN, scope="global")
# /history pages by keyset (#23): the page number shown and the cursor row, the last row of
# the page before (older) or the first row of the page after (newer); a cursor that names no
# row of the presser's history opens the first page. "hs:<page>" buttons from before the
# keyset pages, still on screens, open the first page too.
HISTORY_PAGE = _kind("HISTORY_PAGE", "hs", Page(), who=KNOWN, scope="global")
HISTORY_OLDER = _kind("HISTORY_OLDER", "hs:o", Page(), Id(), who=KNOWN, scope="global")
HISTORY_NEWER = _kind("HISTORY_NEWER", "hs:n", Page(), Id(), who=KNOWN, scope="global")
LANG = _kind("LANG", "lg", Word(tuple(LANGUAGES)), who=KNOWN, scope="global")
TRIAL_PHONE = _kind(
    "TRIAL_PHONE", "ph", Word(("f", "c")), scope="global"
)  # test SMS: forget, change number

# ---------------------------------------------------------------- /drafts, /texts (outside)
DRAFTS_PAGE = _kind("DRAFTS_PAGE", "dr:p", Page(), scope="global")
DRAFTS_PURGE = _kind("DRAFTS_PURGE", "dr:e", scope="global")  # delete every empty draft
DRAFT_DELETE_ANSWER = _kind("DRAFT_DELETE_ANSWER", "dr", Word(("y", "n")), Id(), scope="global")
TEXTS_PAGE = _kind("TEXTS_PAGE", "tx:p", Page(), scope="global")
TEXT_DELETE = _kind("TEXT_DELETE", "tx", Word(("d", "y")), Id(9), scope="global")

# ---------------------------------------------------------------- compose: entry points
DRAFT = _kind("DRAFT", "dr", Word(("o", "c", "d")), Id(), scope="entry")  # open, copy, delete
SEND_AGAIN = _kind("SEND_AGAIN", "ag", Id(), scope="entry")
FIX = _kind("FIX", "fx", Id(), Word(_STEPS), scope="entry")  # a draft at the step to fix
SAVE_SENT_TEXT = _kind("SAVE_SENT_TEXT", "st", Id(9), scope="entry")
TEXT_RENAME = _kind("TEXT_RENAME", "tx:r", Id(9), scope="entry")

# ---------------------------------------------------------------- compose: steps
BACK = _kind("BACK", "k:back")  # its meaning depends on the step: each state routes it
RESUME = _kind("RESUME", "r", Word(("go", "new")))
SENDER_LAST = _kind("SENDER_LAST", "s:last")
SENDER = _kind("SENDER", "s", Int(2, sample=0))  # position in the offered list
BOOK = _kind("BOOK", "b:t", Token())
BOOKS_PAGE = _kind("BOOKS_PAGE", "b:p", Page())
BOOKS = _kind("BOOKS", "b", Word(("ok", "o", "x", "last")))  # done, options, clear, as last
OPTIONS_DONE = _kind("OPTIONS_DONE", "o:ok")
OPTIONS = _kind("OPTIONS", "o", Token())  # one chosen phonebook's options
MODE = _kind("MODE", "m", Word(("all", "slice", "pick", "rm", "back")))
CONTACT = _kind("CONTACT", "c:t", Token())
CONTACTS_PAGE = _kind("CONTACTS_PAGE", "c:p", Page())
CONTACTS = _kind("CONTACTS", "c", Word(("ok", "x")))
TEXT_DONE = _kind("TEXT_DONE", "x", Word(("ok", "now")))
SAVED_PICK = _kind("SAVED_PICK", "u:t", Id(9))  # team rules: take a saved text
SAVED_PAGE = _kind("SAVED_PAGE", "u:p", Page())
SAVED = _kind("SAVED", "u", Word(("l", "x")))  # open the list, back to the text
TIME = _kind("TIME", "w", Word(("now", *QUICK_CHOICES)))
REVIEW = _kind("REVIEW", "v", Word(("submit", "save", "discard", "quiet", "night", "day")))
REVIEW_EDIT = _kind("REVIEW_EDIT", "v:e", Word(_STEPS))
TRIAL_SEND = _kind("TRIAL_SEND", "v:t")  # test SMS to one's own phone
SAVE_TEXT = _kind("SAVE_TEXT", "v:st")  # team rules
PLAN_MENU = _kind("PLAN_MENU", "v", Word(("g", "gr", "gx")))  # open, done, off
PLAN_BATCH = _kind("PLAN_BATCH", "v:gb", Int(6, BATCH_CHOICES, sample=BATCH_CHOICES[0]))
PLAN_EVERY = _kind("PLAN_EVERY", "v:gi", Int(6, EVERY_CHOICES, sample=EVERY_CHOICES[0]))
PLAN_ASK_BATCH = _kind("PLAN_ASK_BATCH", "v:gb:t")  # a typed batch size
PLAN_ASK_EVERY = _kind("PLAN_ASK_EVERY", "v:gi:t")  # a typed interval
NAME_CANCEL = _kind("NAME_CANCEL", "nm:x")  # team rules: the name prompt's cancel


def kind_in(data: str | None) -> Button | None:
    """The kind of a button's callback data (None for data no kind reads)."""
    press = parse(data)
    return press.kind if press else None


def kind_of(prefix: str) -> Button:
    """The one kind declared with ``prefix`` (for callers that still pass a prefix)."""
    [kind] = _BY_PREFIX[prefix]
    return kind


def unbound() -> list[Button]:
    """Kinds with no handler bound (BACK is routed per state instead)."""
    return [k for k in KINDS if k.callback is None and k is not BACK]
