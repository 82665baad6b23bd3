"""A local fake IPPanel Edge panel speaking the same contract as the real one.

Use it in tests (``start_sandbox`` inside the test's event loop) or by hand
(``python -m bot.sandbox --port 8990``). Everything lives in one
:class:`SandboxState`: accounts and their API keys, sender lines, phonebooks
(contacts are generated lazily and deterministically from the seed, so 10,000
phonebooks with 100,000 contacts cost almost nothing), accepted sends, a
request log, and fault switches.

All accounts see the same phonebooks; each has its own name, sender lines,
credit and sends.

Control endpoints (no auth), for tests that run the bot as a subprocess:

* ``POST /__sandbox/faults``  ``{"path": "/api/send", "mode": "500", "times": 1,
  "delay": 60, "status": 200}``
* ``POST /__sandbox/reset``   back to the seeded state (data, sends, log, faults)
* ``GET  /__sandbox/requests`` the request log and the number of send POSTs
* ``GET  /__sandbox/sends``    accepted sends
* ``POST /__sandbox/credit``   ``{"key": "sandbox-key", "credit": 1000, "when_short": "refuse"}``
  (``when_short``: ``refuse`` answers a send the credit cannot pay with a 422;
  ``accept_then_fail`` accepts it and its report shows state 8 "insufficient credit",
  at once or, with ``"fail_after": 60``, after 60 s of state 2 "sending")
* ``POST /__sandbox/clock``    ``{"advance": 600}`` moves the sandbox clock on

Fault modes: ``500``, ``401``, ``404``, ``422``, ``not_json`` (HTML body, status
200 unless ``status`` says otherwise), ``hang`` (sleep ``delay`` seconds without
doing the work), ``drop`` (close the connection before the work),
``accept_then_hang`` and ``accept_then_drop`` (do the work, then hang or drop).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.sms import measure

PREFIX = "/v1"
DEFAULT_KEY = "sandbox-key"
FAULT_MODES = frozenset(
    {"500", "401", "404", "422", "not_json", "hang", "drop", "accept_then_hang", "accept_then_drop"}
)

MSG_OK = "انجام شد"
MSG_AUTH = "اطلاعات وارد شده صحیح نمی باشد"
MSG_PHONEBOOK_NOT_FOUND = "دفترچه تلفن یافت نشد"
MSG_MESSAGE_NOT_FOUND = "پیام مورد نظر یافت نشد"
# Cancel's 404 as the Persian page documents it (code 404-1, one answer for both cases)
MSG_NOT_CANCELLABLE = "پیام یافت نشد یا قابل لغو نیست"
# The docs do not word a credit refusal; this follows their state 8 ("اعتبار ناکافی")
MSG_NO_CREDIT = "اعتبار ناکافی برای ارسال"
CREDIT_MODES = frozenset({"refuse", "accept_then_fail"})
SHORT_KEY = "sandbox-key-short"
MSG_MESSAGE_REQUIRED = "تکمیل گزینه پیام الزامی است"
MSG_SERVER = "خطای داخلی سرور"
CANCEL_WINDOW = timedelta(minutes=5)
MAX_PARAMS = 100
MAX_PER_PAGE = 1000

PRICE_PER_PART_MCI = 1100  # rials per part per recipient
PRICE_PER_PART_OTHER = 1250

MCI_PREFIXES = ("912", "913", "914", "915", "916", "917", "918", "919", "990", "991")
IRANCELL_PREFIXES = ("930", "933", "935", "936", "937", "938", "939", "901", "902", "903")
MOBILE_PREFIXES = MCI_PREFIXES + IRANCELL_PREFIXES

FIRST_NAMES_M = ("علی", "محمد", "حسین", "رضا", "مهدی", "امیر", "حمید", "سعید", "مجید", "کاوه")
FIRST_NAMES_F = ("زهرا", "مریم", "فاطمه", "نرگس", "سارا", "لیلا", "مینا", "شیرین", "الهام", "پریسا")
LAST_NAMES = (
    "احمدی",
    "محمدی",
    "حسینی",
    "رضایی",
    "کریمی",
    "موسوی",
    "جعفری",
    "صادقی",
    "رحیمی",
    "قاسمی",
    "نوری",
    "یزدانی",
    "شریفی",
    "تهرانی",
    "اصفهانی",
)
PHONEBOOK_TITLES = (
    "مشتریان تهران",
    "همکاران",
    "نمایندگان فروش",
    "مشتریان اصفهان",
    "تأمین‌کنندگان",
    "مشتریان ویژه",
    "باشگاه مشتریان",
    "کارکنان شعبه مشهد",
    "مشتریان شیراز",
    "شرکت‌کنندگان همایش",
    "مشتریان تبریز",
    "پخش‌کنندگان",
)

STATES = {
    0: ("create", "در حال ایجاد"),
    1: ("review", "در صف بررسی"),
    2: ("sending", "در حال ارسال"),
    3: ("rejected", "رد شده"),
    4: ("invalid", "گیرندگان نامعتبر"),
    5: ("queue", "در صف ارسال"),
    6: ("finish", "پایان یافته"),
    7: ("cancel", "لغو شده"),
    8: ("no_credit", "اعتبار ناکافی"),
    9: ("error", "خطای سیستمی"),
}

_MASK = (1 << 64) - 1
_E164 = re.compile(r"^\+[1-9]\d{3,14}$")


def _mix(*parts: int) -> int:
    """A small deterministic 64-bit hash (splitmix64 style) of integers."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = ((x ^ (p & _MASK)) * 0xBF58476D1CE4E5B9) & _MASK
        x ^= x >> 31
        x = (x * 0x94D049BB133111EB) & _MASK
        x ^= x >> 29
    return x


@dataclass
class SenderLineInfo:
    id: str
    number: str
    alias: str
    operator_id: int = 1
    is_66_char: bool = False


@dataclass
class AccountInfo:
    key: str
    user_name: str
    user_id: str
    name: str
    lines: list[str]  # sender line numbers owned
    credit: int
    send_block: bool = False
    document_block: bool = False
    is_reseller: bool = False
    # what a send the credit cannot pay gets: a 422, or accepted and failed (state 8)
    when_short: str = "refuse"
    fail_after: float = 0.0  # accept_then_fail: seconds in state 2 "sending" before 8


@dataclass
class PhonebookInfo:
    id: str
    title: str
    count: int
    # Explicit contacts (for books added by tests); None means generated lazily.
    numbers: list[tuple[str, str]] | None = None  # (number, name)


@dataclass
class SandboxSend:
    outbox_id: int
    account_key: str
    from_number: str
    message: str
    params: list[dict[str, Any]]
    recipients: int
    mci: int
    other: int
    parts: int
    cost: int
    created_at: datetime
    send_time: datetime | None
    state_id: int
    fails_at: datetime | None = None  # accepted without credit: state 8 from then on

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat()
        d["send_time"] = self.send_time.isoformat() if self.send_time else None
        d["fails_at"] = self.fails_at.isoformat() if self.fails_at else None
        return d


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    authorization: str | None
    time: datetime

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["time"] = self.time.isoformat()
        return d


@dataclass
class Fault:
    path_suffix: str
    mode: str
    times: int = 1
    delay: float = 60.0
    status: int | None = None


SENDER_LINES = (
    SenderLineInfo("1", "+983000505", "خط خدماتی", 1, False),
    SenderLineInfo("2", "+9850001234", "خط تبلیغاتی", 2, True),
    SenderLineInfo("3", "+98210009876", "خط اطلاع‌رسانی", 1, False),
    SenderLineInfo("4", "+9890005050", "خط اختصاصی", 3, False),
    # a short line, as the docs show one (report/outbox-report.md: "+981000")
    SenderLineInfo("5", "+981000", "خط کوتاه", 1, False),
)


class SandboxState:
    """All data of the fake panel, its fault switches and its request log."""

    def __init__(
        self,
        *,
        seed: int = 1,
        phonebooks: int = 12,
        contacts_per_book: int = 25,
        credit: int = 50_000_000,
    ) -> None:
        self.seed = seed
        self.n_phonebooks = phonebooks
        self.contacts_per_book = contacts_per_book
        self.initial_credit = credit
        self.requests: list[RequestRecord] = []
        self.send_posts: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self.clock_offset = timedelta(0)
        self._stopping = asyncio.Event()
        self.reset()

    # ------------------------------------------------------------- seeding

    def reset(self) -> None:
        """Back to the seeded state: data, sends, request log, faults, clock."""
        self.requests.clear()
        self.send_posts.clear()
        self.faults.clear()
        self.clock_offset = timedelta(0)
        self.lines: dict[str, SenderLineInfo] = {ln.number: ln for ln in SENDER_LINES}
        all_lines = [ln.number for ln in SENDER_LINES]
        self.accounts: dict[str, AccountInfo] = {
            DEFAULT_KEY: AccountInfo(
                DEFAULT_KEY,
                "sandbox",
                "1001",
                "شرکت نمونه تهران",
                all_lines[:3],
                self.initial_credit,
            ),
            "sandbox-key-2": AccountInfo(
                "sandbox-key-2",
                "pars_trade",
                "1002",
                "بازرگانی پارس",
                [all_lines[0], all_lines[3]],
                self.initial_credit,
            ),
            "sandbox-key-3": AccountInfo(
                "sandbox-key-3", "aftab_shop", "1003", "فروشگاه آفتاب", [all_lines[3]], 200_000
            ),
            "sandbox-key-blocked": AccountInfo(
                "sandbox-key-blocked",
                "blocked_co",
                "1004",
                "شرکت مسدود",
                [all_lines[0]],
                self.initial_credit,
                send_block=True,
            ),
            SHORT_KEY: AccountInfo(
                SHORT_KEY,
                "short_line_co",
                "1005",
                "شرکت خط کوتاه",
                ["+981000"],
                self.initial_credit,
            ),
        }
        self.phonebooks: dict[str, PhonebookInfo] = {}
        for i in range(self.n_phonebooks):
            base = PHONEBOOK_TITLES[i % len(PHONEBOOK_TITLES)]
            round_ = i // len(PHONEBOOK_TITLES)
            title = base if self.n_phonebooks <= len(PHONEBOOK_TITLES) else f"{base} {round_ + 1}"
            book_id = str(120000 + i)
            self.phonebooks[book_id] = PhonebookInfo(book_id, title, self.contacts_per_book)
        self.sends: dict[int, SandboxSend] = {}
        self.next_outbox_id = 1_148_303_001

    def add_phonebook(
        self,
        title: str,
        *,
        count: int | None = None,
        numbers: list[str] | list[tuple[str, str]] | None = None,
    ) -> PhonebookInfo:
        """Add a phonebook: ``count`` generated contacts, or explicit ``numbers``."""
        book_id = str(120000 + len(self.phonebooks) + 50_000)
        while book_id in self.phonebooks:
            book_id = str(int(book_id) + 1)
        explicit = None
        if numbers is not None:
            explicit = [(n, "") if isinstance(n, str) else (n[0], n[1]) for n in numbers]
            count = len(explicit)
        book = PhonebookInfo(book_id, title, count or 0, explicit)
        self.phonebooks[book_id] = book
        return book

    # ---------------------------------------------------------- contacts

    def contact(self, book: PhonebookInfo, index: int) -> dict[str, Any]:
        """Contact ``index`` (0-based) of ``book``; deterministic, built on demand."""
        contact_id = str(int(book.id) * 100_000 + index + 1)
        if book.numbers is not None:
            number, name = book.numbers[index]
            pre, email = None, None
        else:
            number = self._number(book, index)
            h = _mix(self.seed, int(book.id), index, 7)
            female = h & 1
            first = (FIRST_NAMES_F if female else FIRST_NAMES_M)[(h >> 1) % 10]
            last = LAST_NAMES[(h >> 8) % len(LAST_NAMES)]
            name = f"{first} {last}"
            pre = "خانم" if female else "آقای"
            email = f"c{contact_id}@example.ir" if (h >> 16) % 3 == 0 else None
        return {
            "id": contact_id,
            "number": number,
            "name": name,
            "pre": pre,
            "email": email,
            "phonebook_id": book.id,
            "phonebook_title": book.title,
        }

    def _number(self, book: PhonebookInfo, index: int) -> str:
        if book.numbers is not None:
            return book.numbers[index][0]
        h = _mix(self.seed, int(book.id), index)
        prefix = MOBILE_PREFIXES[h % len(MOBILE_PREFIXES)]
        return f"+98{prefix}{(h // 97) % 10_000_000:07d}"

    def contact_index(self, book: PhonebookInfo, contact_id: Any) -> int | None:
        """The 0-based row of ``contact_id`` in ``book``, or None when not there."""
        try:
            value = int(str(contact_id))
        except ValueError:
            return None
        if value // 100_000 != int(book.id):
            return None
        index = value % 100_000 - 1
        return index if 0 <= index < book.count else None

    @staticmethod
    def is_mci(number: str) -> bool:
        return number.startswith(("+9891", "+98990", "+98991", "+98992", "+98993", "+98994"))

    # ------------------------------------------------------- controls

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (for the cancel window, schedules)."""
        self.clock_offset += timedelta(seconds=seconds)

    def set_credit(
        self,
        key: str,
        credit: int,
        when_short: str | None = None,
        fail_after: float | None = None,
    ) -> None:
        """Set an account's credit and, optionally, what a send it cannot pay gets
        (``fail_after``: seconds an accepted one shows "sending" before state 8)."""
        if when_short is not None and when_short not in CREDIT_MODES:
            raise ValueError(f"unknown when_short {when_short!r}; one of {sorted(CREDIT_MODES)}")
        self.accounts[key].credit = int(credit)
        if when_short is not None:
            self.accounts[key].when_short = when_short
        if fail_after is not None:
            self.accounts[key].fail_after = float(fail_after)

    def fail_next(
        self,
        path_suffix: str,
        mode: str,
        times: int = 1,
        delay: float = 60.0,
        status: int | None = None,
    ) -> None:
        """Make the next ``times`` requests whose path ends with ``path_suffix`` fail."""
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {sorted(FAULT_MODES)}")
        self.faults.append(Fault(path_suffix.rstrip("/"), mode, max(1, int(times)), delay, status))

    def clear_faults(self) -> None:
        self.faults.clear()

    def take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if path.rstrip("/").endswith(fault.path_suffix):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @property
    def send_post_count(self) -> int:
        return len(self.send_posts)

    def requests_to(self, path_suffix: str, method: str | None = None) -> list[RequestRecord]:
        return [
            r
            for r in self.requests
            if r.path.endswith(path_suffix) and (method is None or r.method == method)
        ]

    async def sleep(self, seconds: float) -> bool:
        """Sleep unless the sandbox is stopping; True when it slept the whole time."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    # ------------------------------------------------------------- sends

    def send_state(self, send: SandboxSend) -> int:
        if send.fails_at is not None and send.state_id == 2 and send.fails_at <= self.now():
            send.state_id = 8
        if send.state_id == 5 and (send.send_time is None or send.send_time <= self.now()):
            send.state_id = 6
        return send.state_id

    def sends_of(self, key: str) -> list[SandboxSend]:
        return [s for s in self.sends.values() if s.account_key == key]


# ====================================================================== app


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


def _invalid(field_name: str, message: str) -> ApiFailure:
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


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _failure_response(f: ApiFailure) -> web.Response:
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
    return _json(body, status=f.status)


def _paginate(rows: list[Any], page: int, per_page: int, path: str) -> tuple[list[Any], dict]:
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


def _int_arg(value: Any, name: str, default: int, *, maximum: int | None = None) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise _invalid(name, f"مقدار {name} باید عدد باشد") from None
    if number < 1:
        raise _invalid(name, f"مقدار {name} باید بزرگ‌تر از صفر باشد")
    if maximum is not None and number > maximum:
        raise _invalid(name, f"مقدار {name} نباید بیشتر از {maximum} باشد")
    return number


def _ts(value: datetime | None) -> str | None:
    return str(int(value.timestamp())) if value else None


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATE_KEY = web.AppKey("state", SandboxState)


def create_app(state: SandboxState) -> web.Application:
    """The aiohttp application serving ``state`` under ``/v1`` and ``/__sandbox``."""

    def account(request: web.Request) -> AccountInfo:
        key = request.headers.get("Authorization", "")
        acc = state.accounts.get(key)
        if acc is None:
            raise ApiFailure(401, MSG_AUTH, "400-1")
        return acc

    async def body(request: web.Request) -> dict[str, Any]:
        data = _parse_json(await request.read())  # aiohttp caches the bytes
        return data if isinstance(data, dict) else {}

    async def arg(request: web.Request, name: str) -> Any:
        if name in request.query:
            return request.query[name]
        return (await body(request)).get(name)

    def drop(request: web.Request) -> None:
        if request.transport is not None:
            request.transport.abort()

    @web.middleware
    async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(PREFIX + "/"):
            return await handler(request)
        parsed = _parse_json(await request.read())
        record = RequestRecord(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            json=parsed,
            authorization=request.headers.get("Authorization"),
            time=datetime.now(UTC),
        )
        state.requests.append(record)
        if request.method == "POST" and request.path.rstrip("/") == PREFIX + "/api/send":
            state.send_posts.append(record)

        fault = state.take_fault(request.path)
        if fault is not None:
            canned = await _apply_fault_before(fault, request)
            if canned is not None:
                return canned
        try:
            response = await handler(request)
        except ApiFailure as failure:
            response = _failure_response(failure)
        if fault is not None and fault.mode == "accept_then_hang":
            await state.sleep(fault.delay)
        elif fault is not None and fault.mode == "accept_then_drop":
            drop(request)
        return response

    async def _apply_fault_before(fault: Fault, request: web.Request) -> web.StreamResponse | None:
        mode = fault.mode
        if mode == "500":
            return _failure_response(ApiFailure(fault.status or 500, MSG_SERVER, "500-1"))
        if mode == "401":
            return _failure_response(ApiFailure(401, MSG_AUTH, "400-1"))
        if mode == "404":
            return _failure_response(ApiFailure(404, MSG_PHONEBOOK_NOT_FOUND, "404-1"))
        if mode == "422":
            return _failure_response(_invalid("message", MSG_MESSAGE_REQUIRED))
        if mode == "not_json":
            html = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
            return web.Response(text=html, status=fault.status or 200, content_type="text/html")
        if mode == "hang":
            await state.sleep(fault.delay)
            return _failure_response(ApiFailure(504, MSG_SERVER, "500-1"))
        if mode == "drop":
            drop(request)
            return web.Response(status=500)
        return None  # accept_then_*: do the work first

    app = web.Application(middlewares=[api_middleware])
    app[STATE_KEY] = state
    r = app.router

    # ------------------------------------------------------------ auth

    async def check_token(request: web.Request) -> web.Response:
        acc = account(request)
        return _json(
            envelope(
                {
                    "user_name": acc.user_name,
                    "user_id": acc.user_id,
                    "name": acc.name,
                    "send_block": acc.send_block,
                    "document_block": acc.document_block,
                    "is_reseller": acc.is_reseller,
                }
            )
        )

    # ---------------------------------------------------------- numbers

    async def numbers(request: web.Request) -> web.Response:
        acc = account(request)
        page = _int_arg(await arg(request, "page"), "page", 1)
        per_page = _int_arg(await arg(request, "per_page"), "per_page", 10, maximum=MAX_PER_PAGE)
        rows = [asdict(state.lines[n]) for n in acc.lines]
        items, _ = _paginate(rows, page, per_page, "/api/number/numbers")
        # page/per_page are documented parameters, but the documented answer's meta
        # has no pagination fields (numbers/list-numbers.md): none here either
        return _json(envelope(items))

    # ------------------------------------------------------- phonebooks

    async def phonebooks(request: web.Request) -> web.Response:
        account(request)
        page = _int_arg(await arg(request, "page"), "page", 1)
        per_page = _int_arg(await arg(request, "per_page"), "per_page", 10, maximum=MAX_PER_PAGE)
        title = await arg(request, "title")
        wanted_id = await arg(request, "id")
        books: list[PhonebookInfo] = list(state.phonebooks.values())
        if wanted_id:
            book = state.phonebooks.get(str(wanted_id))
            books = [book] if book else []
        if title:
            books = [b for b in books if str(title) in b.title]
        page_books, meta = _paginate(books, page, per_page, "/api/phonebooks/list-new")
        items = [
            {"id": b.id, "title": b.title, "count": b.count, "options": []} for b in page_books
        ]
        return _json(envelope(items, extra_meta=meta))

    async def contact_list(request: web.Request) -> web.Response:
        account(request)
        # phonebook_id is optional in the docs (phonebook/number/list-number.md):
        # without it the contacts of every phonebook are listed, book after book.
        book_id = await arg(request, "phonebook_id")
        if book_id:
            book = state.phonebooks.get(str(book_id))
            if book is None:
                raise ApiFailure(404, MSG_PHONEBOOK_NOT_FOUND, "404-1")
            books = [book]
        else:
            books = list(state.phonebooks.values())
        page = _int_arg(await arg(request, "page"), "page", 1)
        per_page = _int_arg(await arg(request, "per_page"), "per_page", 10, maximum=MAX_PER_PAGE)
        number = await arg(request, "number")
        start = (page - 1) * per_page
        picked: list[tuple[PhonebookInfo, int]] = []
        if number:
            # The filter is documented as E.164. Whether the real panel also matches
            # part of a number is not documented; the sandbox matches the whole
            # E.164 number only, so "0912…" or a fragment finds nothing here.
            needle = str(number).strip()
            hits = (
                [(b, i) for b in books for i in range(b.count) if state._number(b, i) == needle]
                if _E164.match(needle)
                else []
            )
            total = len(hits)
            picked = hits[start : start + per_page]
        else:
            total = sum(b.count for b in books)
            offset = start
            for b in books:  # contacts are generated lazily: never list them all
                if len(picked) >= per_page:
                    break
                if offset >= b.count:
                    offset -= b.count
                    continue
                upto = min(b.count, offset + per_page - len(picked))
                picked += [(b, i) for i in range(offset, upto)]
                offset = 0
        meta = {
            "current_page": page,
            "from": start + 1 if picked else None,
            "last_page": max(1, math.ceil(total / per_page)),
            "path": "/api/phonebooks/numbers/contact-list",
            "per_page": per_page,
            "to": start + len(picked) if picked else None,
            "total": total,
        }
        items = [state.contact(b, i) for b, i in picked]
        return _json(envelope(items, extra_meta=meta))

    # ------------------------------------------------------------- price

    def price_of(message: str) -> tuple[int, int, int]:
        parts = max(1, measure(message).parts)
        return PRICE_PER_PART_MCI * parts, PRICE_PER_PART_OTHER * parts, parts

    async def calculate_price(request: web.Request) -> web.Response:
        acc = account(request)
        data = await body(request)
        number = data.get("number")
        message = data.get("message")
        if not number:
            raise _invalid("number", "تکمیل گزینه شماره الزامی است")
        if number not in acc.lines:
            raise _invalid("number", "شماره فرستنده معتبر نیست")
        if not isinstance(message, str) or not message.strip():
            raise _invalid("message", MSG_MESSAGE_REQUIRED)
        mci, other, parts = price_of(message)
        return _json(envelope({"mci_price": mci, "other_price": other, "parts": parts}))

    async def credit_mine(request: web.Request) -> web.Response:
        acc = account(request)
        return _json(
            envelope(
                {
                    "credit": acc.credit,
                    "gift": 0,
                    "gift_expires_at": None,
                    "updated_at": state.now().strftime("%Y-%m-%d %H:%M:%S"),
                }
            )
        )

    # -------------------------------------------------------------- send

    def resolve_recipients(params: Any) -> list[tuple[PhonebookInfo, list[int] | range]]:
        if not isinstance(params, list) or not params:
            raise _invalid("params", "تکمیل گزینه params الزامی است")
        if len(params) > MAX_PARAMS:
            raise _invalid("params", f"تعداد params نباید بیشتر از {MAX_PARAMS} باشد")
        chosen: list[tuple[PhonebookInfo, list[int] | range]] = []
        missing = False
        for i, entry in enumerate(params):
            key = f"params.{i}"
            if not isinstance(entry, dict) or entry.get("type") not in ("all", "detail"):
                raise _invalid(f"{key}.type", "نوع انتخاب نامعتبر است")
            if entry["type"] == "all":
                ids = entry.get("phonebook_ids")
                if not isinstance(ids, list) or not ids:
                    raise _invalid(f"{key}.phonebook_ids", "تکمیل گزینه phonebook_ids الزامی است")
                start = entry.get("start")
                size = entry.get("size")
                for name, value in (("start", start), ("size", size)):
                    if value is not None and (not str(value).isdigit() or int(str(value)) < 1):
                        raise _invalid(f"{key}.{name}", f"مقدار {name} باید عدد مثبت باشد")
                for book_id in ids:
                    book = state.phonebooks.get(str(book_id))
                    if book is None:
                        missing = True
                        continue
                    first = int(start) - 1 if start is not None else 0
                    last = first + int(size) if size is not None else book.count
                    chosen.append((book, range(first, min(last, book.count))))
            else:
                book_id = entry.get("phonebook_id")
                ids = entry.get("number_ids")
                if not book_id:
                    raise _invalid(f"{key}.phonebook_id", "تکمیل گزینه phonebook_id الزامی است")
                if not isinstance(ids, list) or not ids:
                    raise _invalid(f"{key}.number_ids", "تکمیل گزینه number_ids الزامی است")
                book = state.phonebooks.get(str(book_id))
                if book is None:
                    missing = True
                    continue
                rows = [state.contact_index(book, cid) for cid in ids]
                if any(row is None for row in rows):
                    raise _invalid(
                        f"{key}.number_ids", "برخی مخاطبان انتخاب‌شده در این دفترچه تلفن نیستند"
                    )
                chosen.append((book, [row for row in rows if row is not None]))
        if missing:
            raise ApiFailure(404, MSG_PHONEBOOK_NOT_FOUND, "404-1")
        return chosen

    async def send(request: web.Request) -> web.Response:
        acc = account(request)
        data = await body(request)
        if acc.send_block:
            raise ApiFailure(422, "امکان ارسال برای این حساب مسدود شده است", "400-2")
        if data.get("sending_type") != "phonebook":
            raise _invalid("sending_type", "نوع ارسال نامعتبر است")
        from_number = data.get("from_number")
        if not from_number:
            raise _invalid("from_number", "تکمیل گزینه شماره فرستنده الزامی است")
        if from_number not in acc.lines:
            raise _invalid("from_number", "شماره فرستنده متعلق به این حساب نیست")
        message = data.get("message")
        if not isinstance(message, str) or not message.strip():
            raise _invalid("message", MSG_MESSAGE_REQUIRED)
        length = measure(message)
        if length.chars > 1400 or length.parts > 20:
            raise _invalid("message", "متن پیام نباید بیشتر از ۱۴۰۰ نویسه یا ۲۰ بخش باشد")
        send_time: datetime | None = None
        raw_time = data.get("send_time")
        if raw_time:
            try:
                send_time = datetime.strptime(str(raw_time), "%Y-%m-%d %H:%M:%S").replace(
                    tzinfo=UTC
                )
            except ValueError:
                raise _invalid("send_time", "قالب زمان ارسال نادرست است") from None
            if send_time <= state.now():
                raise _invalid("send_time", "زمان ارسال باید در آینده باشد")
        chosen = resolve_recipients(data.get("params"))
        mci = other = 0
        for book, rows in chosen:
            for row in rows:
                if state.is_mci(state._number(book, row)):
                    mci += 1
                else:
                    other += 1
        recipients = mci + other
        if recipients == 0:
            raise _invalid("params", "هیچ گیرنده‌ای برای این ارسال پیدا نشد")
        mci_price, other_price, parts = price_of(message)
        cost = mci * mci_price + other * other_price
        short = cost > acc.credit
        if short and acc.when_short == "refuse":
            # The docs show no such refusal; its shape here is a guess (a 422 like
            # every documented validation failure), worded after state 8.
            raise ApiFailure(422, MSG_NO_CREDIT, "400-2", {"credit": [MSG_NO_CREDIT]})
        if not short:
            acc.credit -= cost
        outbox_id = state.next_outbox_id
        state.next_outbox_id += 1
        state.sends[outbox_id] = SandboxSend(
            outbox_id=outbox_id,
            account_key=acc.key,
            from_number=from_number,
            message=message,
            params=data.get("params") or [],
            recipients=recipients,
            mci=mci,
            other=other,
            parts=parts,
            cost=cost,
            created_at=state.now(),
            send_time=send_time,
            # accepted without the credit to pay for it: failed, as report state 8,
            # at once or after a while "sending"
            state_id=(8 if not acc.fail_after else 2) if short else 5 if send_time else 6,
            fails_at=state.now() + timedelta(seconds=acc.fail_after) if short else None,
        )
        return _json(envelope({"message_outbox_ids": [outbox_id]}))

    def find_send(acc: AccountInfo, outbox_id: Any) -> SandboxSend:
        try:
            sid = int(str(outbox_id))
        except ValueError:
            sid = -1
        found = state.sends.get(sid)
        if found is None or found.account_key != acc.key:
            raise ApiFailure(404, MSG_MESSAGE_NOT_FOUND, "400-1")
        return found

    async def cancel(request: web.Request) -> web.Response:
        acc = account(request)
        outbox_id = (await body(request)).get("message_outbox_id")
        if outbox_id is None:
            raise _invalid("message_outbox_id", "تکمیل گزینه message_outbox_id الزامی است")
        # send/cancel-scheduled.md (Persian page): unknown, not scheduled, or closer
        # than 5 minutes to its time: all one 404 with 404-1
        not_cancellable = ApiFailure(404, MSG_NOT_CANCELLABLE, "404-1")
        try:
            target = find_send(acc, outbox_id)
        except ApiFailure:
            raise not_cancellable from None
        state_id = state.send_state(target)
        if target.send_time is None or state_id != 5:
            raise not_cancellable
        if target.send_time - state.now() < CANCEL_WINDOW:
            raise not_cancellable
        target.state_id = 7
        acc.credit += target.cost
        return _json(envelope(None))  # the documented success has data: null

    # ----------------------------------------------------------- reports

    def report_row(s: SandboxSend) -> dict[str, Any]:
        state_id = state.send_state(s)
        name, status = STATES[state_id]
        acc = state.accounts[s.account_key]
        line = state.lines.get(s.from_number)
        exit_count = s.recipients if state_id == 6 else 0  # state 8: nothing went out
        return {
            "username": acc.user_name,
            "number_color": None,
            "number": s.from_number,
            "number_id": line.id if line else None,
            "messages_outbox_id": str(s.outbox_id),
            "state": name,
            "type": "phonebook",
            "time_send": _ts(s.send_time or s.created_at),
            "time": _ts(s.created_at),
            "rcpts_count": str(s.recipients),
            "exit_count": str(exit_count),
            "status": status,
            "message": s.message,
            "part": str(s.parts),
            "cost": s.cost,
            "state_id": state_id,
        }

    async def by_bulk(request: web.Request) -> web.Response:
        acc = account(request)
        outbox_id = await arg(request, "messages_outbox_id")
        if not outbox_id:
            raise _invalid("messages_outbox_id", "تکمیل گزینه messages_outbox_id الزامی است")
        return _json(envelope(report_row(find_send(acc, outbox_id))))

    async def bulk_stats(request: web.Request) -> web.Response:
        acc = account(request)
        bulk_id = await arg(request, "bulk_id")
        if not bulk_id:
            raise _invalid("bulk_id", "تکمیل گزینه bulk_id الزامی است")
        s = find_send(acc, bulk_id)
        state_id = state.send_state(s)
        lang = "en" if measure(s.message).encoding == "GSM-7" else "fa"
        counts: dict[str, dict[str, int]] = {}
        for op, n in (("mci", s.mci), ("irancell", s.other)):
            if state_id == 6:
                blacklist = n // 50
                failed = n // 20
                pending = n // 25
                delivered = n - blacklist - failed - pending
                counts[op] = {
                    "sent": n - blacklist,
                    "delivered": delivered,
                    "failed": failed,
                    "pending": pending,
                    "blacklist": blacklist,
                }
            else:
                pending = n if state_id == 5 else 0
                counts[op] = dict.fromkeys(("sent", "delivered", "failed", "blacklist"), 0)
                counts[op]["pending"] = pending
        data = {
            f"operators_{kind}": {
                op: {
                    "en": counts[op][kind] if lang == "en" else 0,
                    "fa": counts[op][kind] if lang == "fa" else 0,
                }
                for op in ("irancell", "mci")
            }
            for kind in ("blacklist", "failed", "pending", "sent", "delivered")
        }
        return _json(envelope(data))

    async def new_list(request: web.Request) -> web.Response:
        acc = account(request)
        data = await body(request)
        page = _int_arg(data.get("page"), "page", 1)
        limit = _int_arg(data.get("limit"), "limit", 10, maximum=MAX_PER_PAGE)
        filters = data.get("filters") or {}
        if not isinstance(filters, dict):
            raise _invalid("filters", "قالب filters نادرست است")
        rows = sorted(state.sends_of(acc.key), key=lambda s: s.outbox_id, reverse=True)
        if filters.get("messages_outbox_id"):
            rows = [s for s in rows if str(s.outbox_id) == str(filters["messages_outbox_id"])]
        number = filters.get("number") or filters.get("from_number")
        if number:
            rows = [s for s in rows if s.from_number == str(number)]
        if filters.get("message"):
            rows = [s for s in rows if str(filters["message"]) in s.message]
        for name in ("create_from_date", "create_to_date", "send_from_date", "send_to_date"):
            if filters.get(name) in (None, ""):
                continue
            # Typed "string" in report/outbox-report.md (unix seconds, "1744102007").
            # What the real panel does with a JSON number is undocumented; the
            # sandbox refuses it like a string validation rule would, so a client
            # that sends the wrong type finds out here rather than in production.
            if not isinstance(filters[name], str):
                raise _invalid(f"filters.{name}", f"مقدار filters.{name} باید رشته باشد")
            try:
                bound = int(filters[name])
            except ValueError:
                raise _invalid(f"filters.{name}", "زمان باید برچسب زمانی یونیکس باشد") from None
            if name == "send_from_date":
                rows = [s for s in rows if (s.send_time or s.created_at).timestamp() >= bound]
                continue
            if name == "send_to_date":
                rows = [s for s in rows if (s.send_time or s.created_at).timestamp() <= bound]
                continue
            if name == "create_from_date":
                rows = [s for s in rows if s.created_at.timestamp() >= bound]
            else:
                rows = [s for s in rows if s.created_at.timestamp() <= bound]
        if filters.get("state_id") not in (None, ""):
            rows = [s for s in rows if str(state.send_state(s)) == str(filters["state_id"])]
        items, meta = _paginate(rows, page, limit, "/api/report/new_list")
        return _json(envelope([report_row(s) for s in items], extra_meta=meta))

    # ---------------------------------------------------------- routes

    def api(handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except ApiFailure as failure:
                return _failure_response(failure)

        return wrapped

    r.add_post(PREFIX + "/api/acl/auth/check_token", api(check_token))
    r.add_get(PREFIX + "/api/number/numbers", api(numbers))
    r.add_get(PREFIX + "/api/phonebooks/list-new", api(phonebooks))
    r.add_post(PREFIX + "/api/phonebooks/list-new", api(phonebooks))
    r.add_get(PREFIX + "/api/phonebooks/numbers/contact-list", api(contact_list))
    r.add_post(PREFIX + "/api/send/calculate-price", api(calculate_price))
    r.add_get(PREFIX + "/api/payment/credit/mine", api(credit_mine))
    r.add_post(PREFIX + "/api/send", api(send))
    r.add_post(PREFIX + "/api/send/cancel", api(cancel))
    r.add_get(PREFIX + "/api/report/by_bulk", api(by_bulk))
    r.add_get(PREFIX + "/api/report/bulk_stats", api(bulk_stats))
    r.add_post(PREFIX + "/api/report/new_list", api(new_list))

    # --------------------------------------------------------- controls

    async def ctl_faults(request: web.Request) -> web.Response:
        try:
            data = await request.json()
            state.fail_next(
                str(data["path"]),
                str(data["mode"]),
                times=int(data.get("times", 1)),
                delay=float(data.get("delay", 60.0)),
                status=int(data["status"]) if data.get("status") else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            return _json({"ok": False, "error": str(exc)}, status=400)
        return _json({"ok": True, "faults": [asdict(f) for f in state.faults]})

    async def ctl_reset(request: web.Request) -> web.Response:
        state.reset()
        return _json({"ok": True})

    async def ctl_requests(request: web.Request) -> web.Response:
        return _json(
            {
                "requests": [rec.to_dict() for rec in state.requests],
                "send_posts": state.send_post_count,
            }
        )

    async def ctl_sends(request: web.Request) -> web.Response:
        return _json({"sends": [s.to_dict() for s in state.sends.values()]})

    async def ctl_credit(request: web.Request) -> web.Response:
        try:
            data = await request.json()
            state.set_credit(
                str(data.get("key", DEFAULT_KEY)),
                int(data["credit"]),
                data.get("when_short"),
                float(data["fail_after"]) if data.get("fail_after") is not None else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            return _json({"ok": False, "error": str(exc)}, status=400)
        return _json({"ok": True})

    async def ctl_clock(request: web.Request) -> web.Response:
        try:
            data = await request.json()
            state.advance(float(data.get("advance", 0)))
        except (ValueError, TypeError) as exc:
            return _json({"ok": False, "error": str(exc)}, status=400)
        return _json({"ok": True, "now": state.now().isoformat()})

    r.add_post("/__sandbox/faults", ctl_faults)
    r.add_post("/__sandbox/reset", ctl_reset)
    r.add_get("/__sandbox/requests", ctl_requests)
    r.add_get("/__sandbox/sends", ctl_sends)
    r.add_post("/__sandbox/credit", ctl_credit)
    r.add_post("/__sandbox/clock", ctl_clock)
    return app


# ================================================================== runner


@dataclass
class RunningSandbox:
    """A sandbox served on a real loopback port inside the current event loop."""

    state: SandboxState
    runner: web.AppRunner
    host: str
    port: int
    _stopped: bool = field(default=False, repr=False)

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give ``IPPanelClient`` (the contract's paths are appended to it)."""
        return f"{self.root_url}{PREFIX}"

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.state._stopping.set()  # release hanging handlers
        await self.runner.cleanup()


async def start_sandbox(
    state: SandboxState | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    access_log: bool = False,
) -> RunningSandbox:
    """Serve ``state`` on ``host:port`` (0 = any free port) until ``stop()``."""
    state = state or SandboxState()
    state._stopping = asyncio.Event()
    app = create_app(state)
    kwargs: dict[str, Any] = {} if access_log else {"access_log": None}
    runner = web.AppRunner(app, shutdown_timeout=2.0, **kwargs)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    actual_port = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            actual_port = int(address[1])
            break
    return RunningSandbox(state=state, runner=runner, host=host, port=actual_port)


__all__ = [
    "DEFAULT_KEY",
    "FAULT_MODES",
    "SHORT_KEY",
    "RunningSandbox",
    "SandboxSend",
    "SandboxState",
    "create_app",
    "start_sandbox",
]
