"""The sandbox's seed: documented messages and states, generated names and titles,
sender lines, and the records its state is made of.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

PREFIX = "/v1"


DEFAULT_KEY = "sandbox-key"


FAULT_MODES = frozenset(
    {
        "500",
        "401",
        "404",
        "422",
        "not_json",
        "hang",
        "drop",
        "accept_then_hang",
        "accept_then_drop",
        "trickle",
    }
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


MASK = (1 << 64) - 1


E164 = re.compile(r"^\+[1-9]\d{3,14}$")


def mix(*parts: int) -> int:
    """A small deterministic 64-bit hash (splitmix64 style) of integers."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = ((x ^ (p & MASK)) * 0xBF58476D1CE4E5B9) & MASK
        x ^= x >> 31
        x = (x * 0x94D049BB133111EB) & MASK
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
    params: Any  # phonebook: a list of entries; webservice: {"recipients": [...]}
    recipients: int
    mci: int
    other: int
    parts: int
    cost: int
    created_at: datetime
    send_time: datetime | None
    state_id: int
    fails_at: datetime | None = None  # accepted without credit: state 8 from then on
    sending_type: str = "phonebook"
    numbers: list[str] = field(default_factory=list)  # webservice: the E.164 recipients

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
    skip: int = 0  # let this many matching requests through first (fail "batch k")


SENDER_LINES = (
    SenderLineInfo("1", "+983000505", "خط خدماتی", 1, False),
    SenderLineInfo("2", "+9850001234", "خط تبلیغاتی", 2, True),
    SenderLineInfo("3", "+98210009876", "خط اطلاع‌رسانی", 1, False),
    SenderLineInfo("4", "+9890005050", "خط اختصاصی", 3, False),
    # a short line, as the docs show one (report/outbox-report.md: "+981000")
    SenderLineInfo("5", "+981000", "خط کوتاه", 1, False),
)
