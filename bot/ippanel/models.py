"""Typed, immutable results of the IPPanel Edge API.

Every ``from_api`` is tolerant: numbers may arrive as strings (``"12"``),
optional fields may be missing or null, and ids the API takes back as strings
in request params are kept as ``str``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _int(value: Any, default: int = 0) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def _opt_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _num(value: Any, default: float = 0) -> float:
    """A money amount: int when whole, else float (``"3990.2"`` -> 3990.2)."""
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return int(number) if number.is_integer() else number


def _str(value: Any, default: str = "") -> str:
    return default if value is None else str(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _time(value: Any) -> datetime | None:
    """A unix timestamp (int or digit string) or an ISO-ish text, as aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value), tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paginated listing."""

    items: list[T]
    page: int
    last_page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page < self.last_page

    @classmethod
    def from_api(
        cls,
        data: Any,
        meta: Mapping[str, Any],
        parse: Callable[[Mapping[str, Any]], T],
        *,
        page: int,
        per_page: int,
    ) -> Page[T]:
        rows = data if isinstance(data, list) else []
        items = [parse(row) for row in rows if isinstance(row, Mapping)]
        total = _int(meta.get("total"), len(items))
        per = _int(meta.get("per_page"), per_page) or per_page
        last = _int(meta.get("last_page"), max(1, -(-total // per) if per else 1))
        return cls(
            items=items,
            page=_int(meta.get("current_page"), page),
            last_page=max(1, last),
            per_page=per,
            total=total,
        )


@dataclass(frozen=True)
class SenderLine:
    id: str
    number: str  # E.164, e.g. +983000505
    alias: str | None
    operator_id: int | None
    is_66_char: bool

    @property
    def label(self) -> str:
        return self.alias or self.number

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> SenderLine:
        return cls(
            id=_str(d.get("id")),
            number=_str(d.get("number")),
            alias=_opt_str(d.get("alias")),
            operator_id=_opt_int(d.get("operator_id")),
            is_66_char=_bool(d.get("is_66_char")),
        )


@dataclass(frozen=True)
class Phonebook:
    id: str
    title: str
    count: int
    options: Any = None

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> Phonebook:
        return cls(
            id=_str(d.get("id")),
            title=_str(d.get("title")),
            count=_int(d.get("count")),
            options=d.get("options"),
        )


@dataclass(frozen=True)
class Contact:
    id: str  # the contact id used in ``number_ids``, not the phone number
    number: str
    name: str | None
    pre: str | None
    email: str | None
    phonebook_id: str
    phonebook_title: str | None

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> Contact:
        return cls(
            id=_str(d.get("id")),
            number=_str(d.get("number")),
            name=_opt_str(d.get("name")),
            pre=_opt_str(d.get("pre")),
            email=_opt_str(d.get("email")),
            phonebook_id=_str(d.get("phonebook_id")),
            phonebook_title=_opt_str(d.get("phonebook_title")),
        )


@dataclass(frozen=True)
class Price:
    """Price of one message per recipient, in rials."""

    mci_price: float
    other_price: float
    parts: int

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> Price:
        return cls(
            mci_price=_num(d.get("mci_price")),
            other_price=_num(d.get("other_price")),
            parts=_int(d.get("parts"), 1),
        )


@dataclass(frozen=True)
class Credit:
    """Account credit in rials; times as given by the provider (text)."""

    credit: float
    gift: float
    gift_expires_at: str | None
    updated_at: str | None

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> Credit:
        return cls(
            credit=_num(d.get("credit")),
            gift=_num(d.get("gift")),
            gift_expires_at=_opt_str(d.get("gift_expires_at")),
            updated_at=_opt_str(d.get("updated_at")),
        )


@dataclass(frozen=True)
class Account:
    user_name: str
    user_id: str
    name: str | None
    send_block: bool
    document_block: bool
    is_reseller: bool

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> Account:
        return cls(
            user_name=_str(d.get("user_name")),
            user_id=_str(d.get("user_id")),
            name=_opt_str(d.get("name")),
            send_block=_bool(d.get("send_block")),
            document_block=_bool(d.get("document_block")),
            is_reseller=_bool(d.get("is_reseller")),
        )


@dataclass(frozen=True)
class SendResult:
    outbox_ids: list[int]

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> SendResult:
        ids = d.get("message_outbox_ids") or []
        if not isinstance(ids, list):
            ids = [ids]
        return cls(outbox_ids=[_int(i) for i in ids])


@dataclass(frozen=True)
class BulkReport:
    state: str | None
    status: str | None  # Persian
    state_id: int | None
    rcpts_count: int
    exit_count: int
    cost: float
    part: int | None
    time_send: datetime | None

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> BulkReport:
        return cls(
            state=_opt_str(d.get("state")),
            status=_opt_str(d.get("status")),
            state_id=_opt_int(d.get("state_id")),
            rcpts_count=_int(d.get("rcpts_count")),
            exit_count=_int(d.get("exit_count")),
            cost=_num(d.get("cost")),
            part=_opt_int(d.get("part")),
            time_send=_time(d.get("time_send")),
        )


@dataclass(frozen=True)
class OperatorStats:
    """Counts for one operator; each is the sum of the provider's fa/en split."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    blacklist: int = 0


STAT_KINDS = ("sent", "delivered", "failed", "pending", "blacklist")


@dataclass(frozen=True)
class BulkStats:
    """Delivery statistics per operator (``"mci"``, ``"irancell"``)."""

    operators: dict[str, OperatorStats] = field(default_factory=dict)

    def total(self, kind: str) -> int:
        return sum(getattr(s, kind) for s in self.operators.values())

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> BulkStats:
        counts: dict[str, dict[str, int]] = {}
        for kind in STAT_KINDS:
            per_op = d.get(f"operators_{kind}") or {}
            if not isinstance(per_op, Mapping):
                continue
            for operator, split in per_op.items():
                if isinstance(split, Mapping):
                    value = sum(_int(v) for v in split.values())
                else:
                    value = _int(split)
                counts.setdefault(str(operator), {})[kind] = value
        for operator in ("mci", "irancell"):
            counts.setdefault(operator, {})
        return cls(operators={op: OperatorStats(**c) for op, c in counts.items()})


@dataclass(frozen=True)
class SendRecord:
    """One row of ``POST /api/report/new_list``."""

    messages_outbox_id: int
    from_number: str
    message: str
    created_at: datetime | None
    state_id: int | None
    state: str | None = None
    status: str | None = None  # Persian
    send_time: datetime | None = None
    rcpts_count: int | None = None  # None when the row does not say
    exit_count: int = 0
    cost: float = 0

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> SendRecord:
        return cls(
            messages_outbox_id=_int(d.get("messages_outbox_id")),
            from_number=_str(d.get("number", d.get("from_number"))),
            message=_str(d.get("message")),
            created_at=_time(d.get("time")),
            state_id=_opt_int(d.get("state_id")),
            state=_opt_str(d.get("state")),
            status=_opt_str(d.get("status")),
            send_time=_time(d.get("time_send")),
            rcpts_count=_opt_int(d.get("rcpts_count")),
            exit_count=_int(d.get("exit_count")),
            cost=_num(d.get("cost")),
        )


__all__ = [
    "Account",
    "BulkReport",
    "BulkStats",
    "Contact",
    "Credit",
    "OperatorStats",
    "Page",
    "Price",
    "SendRecord",
    "SendResult",
    "SenderLine",
]
