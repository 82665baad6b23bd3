"""Plain records shared by the store, the services and the handlers.

No I/O here: these are the nouns of the product (a draft, its phonebook
selections, an approval request, a broadcast) and the pure functions that turn
a draft into the IPPanel ``params`` list and a stable content hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from bot.plans import Plan, PlanError, plan_for
from bot.quiet_hours import skip_night_of

SelectionMode = Literal["all", "slice", "contacts"]


class Step(StrEnum):
    """Where a draft stands in the compose conversation."""

    SENDER = "sender"
    PHONEBOOKS = "phonebooks"
    TEXT = "text"
    TIME = "time"
    REVIEW = "review"


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class BroadcastState(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # certainly not sent; may be retried by a person
    UNKNOWN = "unknown"  # the provider may have queued it; never resent by itself
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class PhonebookSelection:
    """One chosen phonebook: the whole book, a slice of rows, or picked contacts.

    Frozen, contacts and all: a request's :class:`Snapshot` holds these, and what an
    approver approved must not change under them. A draft's step makes a changed copy
    (:meth:`whole`, :meth:`sliced`, :meth:`toggled`) and puts it in the draft
    (:meth:`Draft.put`)."""

    phonebook_id: str
    title: str
    count: int  # contacts in the whole phonebook
    mode: SelectionMode = "all"
    start: int | None = None  # 1-based first row, for mode == "slice"
    size: int | None = None  # rows from start, for mode == "slice"
    contact_ids: tuple[str, ...] = ()  # for mode == "contacts", in the order picked

    def __post_init__(self) -> None:
        # a list given by a caller is copied, so that it cannot change the selection later
        object.__setattr__(self, "contact_ids", tuple(self.contact_ids))

    def recipients(self) -> int:
        if self.mode == "contacts":
            return len(self.contact_ids)
        if self.mode == "slice" and self.start is not None and self.size is not None:
            return max(0, min(self.size, self.count - self.start + 1))
        return self.count

    def whole(self) -> PhonebookSelection:
        """The whole book."""
        return replace(self, mode="all", start=None, size=None, contact_ids=())

    def sliced(self, start: int, size: int) -> PhonebookSelection:
        """``size`` rows from row ``start`` (1-based)."""
        return replace(self, mode="slice", start=start, size=size, contact_ids=())

    def toggled(self, contact_id: str) -> PhonebookSelection:
        """Hand-picked contacts with ``contact_id`` added, or taken out if it was picked;
        a whole book or a slice starts an empty pick."""
        picked = self.contact_ids if self.mode == "contacts" else ()
        if contact_id in picked:
            picked = tuple(c for c in picked if c != contact_id)
        else:
            picked = (*picked, contact_id)
        return replace(self, mode="contacts", start=None, size=None, contact_ids=picked)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "contact_ids": list(self.contact_ids)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhonebookSelection:
        return cls(
            phonebook_id=str(data["phonebook_id"]),
            title=str(data.get("title", "")),
            count=int(data.get("count", 0)),
            mode=data.get("mode", "all"),
            start=data.get("start"),
            size=data.get("size"),
            contact_ids=tuple(str(c) for c in data.get("contact_ids", [])),
        )


def selections_to_params(selections: list[PhonebookSelection]) -> list[dict[str, Any]]:
    """Build the IPPanel ``params`` list: whole books share one ``all`` entry."""
    params: list[dict[str, Any]] = []
    whole = [s.phonebook_id for s in selections if s.mode == "all"]
    if whole:
        params.append({"type": "all", "phonebook_ids": whole})
    for s in selections:
        if s.mode == "slice":
            params.append(
                {
                    "type": "all",
                    "phonebook_ids": [s.phonebook_id],
                    "start": str(s.start),
                    "size": str(s.size),
                }
            )
        elif s.mode == "contacts":
            params.append(
                {
                    "type": "detail",
                    "phonebook_id": s.phonebook_id,
                    "number_ids": list(s.contact_ids),
                }
            )
    return params


@dataclass
class Draft:
    """An admin's broadcast in the making; saved at every step."""

    id: int
    owner_id: int
    sender: str | None = None  # E.164 sender line, e.g. +983000505
    sender_label: str | None = None  # alias shown to people
    selections: list[PhonebookSelection] = field(default_factory=list)
    text: str = ""  # as typed, normalised, without the configured suffix
    send_at: datetime | None = None  # timezone-aware; None means "now"
    step: Step = Step.SENDER
    # gradual sending, as the requester chose it (the ``plan`` column):
    # {"batch": rows per batch, "every": minutes}; None sends at once
    plan: dict[str, int] | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def recipients(self) -> int:
        return sum(s.recipients() for s in self.selections)

    def put(self, selection: PhonebookSelection) -> None:
        """Put a changed copy of a chosen book in the place of the one it replaces."""
        self.selections = [
            selection if s.phonebook_id == selection.phonebook_id else s for s in self.selections
        ]

    def snapshot(self, suffix: str = "") -> Snapshot:
        """What an approver approves and what is sent: immutable once requested.

        A gradual draft's snapshot carries its whole plan (every batch's rows and time),
        so the content hash covers it; a plan that cannot be made is left out (the snapshot's
        ``plan`` None with ``planned`` set) and ``missing_step`` sends the admin back to fix it."""
        plan = None
        if self.plan:
            try:
                plan = plan_for(
                    self.selections, self.plan["batch"], self.plan["every"], self.send_at
                )
                if "night_to" in self.plan:  # the requester tapped "skip the night"
                    plan = skip_night_of(plan, self.plan)
            except PlanError:
                plan = None
        return Snapshot(
            draft_id=self.id,
            owner_id=self.owner_id,
            sender=self.sender,
            sender_label=self.sender_label,
            selections=tuple(PhonebookSelection.from_dict(s.to_dict()) for s in self.selections),
            message=full_message(self.text, suffix),
            send_at=self.send_at,
            recipients=self.recipients(),
            planned=bool(self.plan),
            plan=plan,
        )


# The snapshot's keys as stored (JSON); any other key read from the store is kept as is.
_SNAPSHOT_KEYS = frozenset(
    {"draft_id", "owner_id", "sender", "sender_label", "selections", "message", "send_at"}
    | {"recipients", "plan", "cost_low", "cost_high"}
)


@dataclass(frozen=True)
class Snapshot:
    """What the approver approved, exactly: read by the service, the cards and the store.

    Stored as JSON (:meth:`to_dict`) and hashed in that form (:func:`content_hash`);
    :meth:`from_dict` reads back exactly what :meth:`to_dict` wrote, so the hash of a
    stored request verifies after reading it (tests/bot/broadcasts/test_snapshot.py checks
    this on a database written by the release before this type existed).
    """

    draft_id: int
    owner_id: int
    sender: str | None
    sender_label: str | None
    selections: tuple[PhonebookSelection, ...]
    message: str  # the final text, with the configured suffix
    send_at: datetime | None  # None: at once; a plan's first batch time otherwise
    recipients: int  # as counted when it was made
    planned: bool = False  # a plan was asked for; ``plan`` None then means it cannot be made
    plan: Plan | None = None
    # the estimate the approver saw, in rials (unknown when the provider did not say)
    cost_low: float | None = None
    cost_high: float | None = None
    extra: tuple[tuple[str, str], ...] = ()  # unknown stored keys, as JSON, kept for the hash

    @property
    def send_time(self) -> datetime | None:
        """``send_at`` made timezone-aware: a naive time is UTC, as the store keeps it."""
        if self.send_at is None:
            return None
        return self.send_at if self.send_at.tzinfo else self.send_at.replace(tzinfo=UTC)

    def recipients_total(self) -> int:
        """Recipients recomputed from the selections."""
        return sum(s.recipients() for s in self.selections)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "draft_id": self.draft_id,
            "owner_id": self.owner_id,
            "sender": self.sender,
            "sender_label": self.sender_label,
            "selections": [s.to_dict() for s in self.selections],
            "message": self.message,
            "send_at": self.send_at.isoformat() if self.send_at else None,
            "recipients": self.recipients,
        }
        if self.planned:
            data["plan"] = self.plan.to_dict() if self.plan else None
        if self.cost_low is not None:
            data["cost_low"] = self.cost_low
        if self.cost_high is not None:
            data["cost_high"] = self.cost_high
        data.update((k, json.loads(v)) for k, v in self.extra)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        """Read a stored snapshot. Lenient about missing keys (a damaged row still reads;
        its content hash then fails, which is what refuses it)."""
        raw_plan = data.get("plan")
        raw_send_at = data.get("send_at")
        return cls(
            draft_id=int(data.get("draft_id", 0)),
            owner_id=int(data.get("owner_id", 0)),
            sender=data.get("sender"),
            sender_label=data.get("sender_label"),
            selections=tuple(PhonebookSelection.from_dict(s) for s in data.get("selections", ())),
            message=str(data.get("message", "")),
            send_at=datetime.fromisoformat(raw_send_at) if raw_send_at else None,
            recipients=int(data.get("recipients", 0)),
            planned="plan" in data,
            plan=Plan.from_dict(raw_plan) if raw_plan else None,
            cost_low=data.get("cost_low"),
            cost_high=data.get("cost_high"),
            extra=tuple(
                (k, json.dumps(v, sort_keys=True, ensure_ascii=False))
                for k, v in sorted(data.items())
                if k not in _SNAPSHOT_KEYS
            ),
        )


def full_message(text: str, suffix: str) -> str:
    """The text as it goes out: the admin's words plus the configured suffix line."""
    suffix = suffix.strip()
    return f"{text}\n{suffix}" if suffix else text


def content_hash(snapshot: Snapshot) -> str:
    """Stable SHA-256 of a snapshot's stored form, so what is sent is provably what was
    approved. Unchanged since the snapshot was a plain dict: old requests still verify."""
    blob = json.dumps(snapshot.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class ApprovalRequest:
    id: int
    draft_id: int
    requester_id: int
    snapshot: Snapshot
    content_hash: str
    state: RequestState
    created_at: datetime
    expires_at: datetime
    decided_by: int | None = None  # for an approval: the last approver, whose press sent it
    decided_at: datetime | None = None
    reason: str | None = None
    # approval rules: fixed at submit, so a later change of APPROVAL_RULES changes nothing
    approvals_needed: int = 1
    approval_rule: str | None = None  # the rule that set approvals_needed; None: the default
    cost_unknown: bool = False  # the price was unknown at submit: the strictest cost rule
    money: dict[str, float | None] | None = None  # cost and credit at submit (MoneyCheck)
    approved_by: tuple[int, ...] = ()  # who approved so far, in order (as read)
    public_no: int | None = None  # the number people see; shared with its broadcast

    @property
    def number(self) -> int:
        """The one number people see for this request and its broadcast."""
        return self.public_no or self.id


TallyKind = Literal[
    "approved",  # this approval was the last one needed: the request is approved, send it
    "counted",  # counted; more approvals are needed
    "repeat",  # this person had approved already: nothing changed
    "not_pending",  # decided, withdrawn or expired before this press
    "expired",  # still pending but past its deadline: nothing recorded
    "self",  # the requester never counts
]


@dataclass(frozen=True)
class ApprovalTally:
    """The outcome of one approve press, decided inside one store transaction."""

    kind: TallyKind
    approved_by: tuple[int, ...] = ()  # counted approvals after this press, in order
    needed: int = 1

    @property
    def missing(self) -> int:
        return max(0, self.needed - len(self.approved_by))


@dataclass
class Broadcast:
    id: int
    request_id: int | None  # None when approvals are off
    requester_id: int
    approver_id: int | None
    snapshot: Snapshot
    state: BroadcastState
    created_at: datetime
    updated_at: datetime
    outbox_ids: list[int] = field(default_factory=list)
    error: str | None = None
    attempts: int = 1
    batch_no: int = 0  # gradual sending: 1..n for a plan's batch, 0 for a single send
    plan_key: str | None = None  # the plan's rows share it: "r<request>" or "d<draft>:<ver>"
    public_no: int | None = None  # its request's number, or its own when sent directly
    send_at: datetime | None = None  # a batch's own time once moved ("continue from now")

    @property
    def number(self) -> int:
        """The one number people see for this broadcast (its request's number)."""
        return self.public_no or self.id


def send_time_of(b: Broadcast) -> datetime | None:
    """When a broadcast row goes out: its batch's time for a plan's batch, else the
    snapshot's send_at (None: at once). A batch moved by "continue from now" has its own."""
    if b.send_at is not None:
        return b.send_at
    if b.batch_no:
        plan = b.snapshot.plan
        if plan is not None and 0 < b.batch_no <= len(plan.batches):
            return plan.batches[b.batch_no - 1].send_at
    return b.snapshot.send_time


@dataclass(frozen=True)
class SpendRow:
    """What the month's budget reads of a broadcast row (#22): read without its snapshot,
    which the budget does not need whole (a month of rows parsed on every card)."""

    broadcast_id: int
    request_id: int | None
    at: datetime  # when it goes (or went) out: as :func:`send_time_of`, else its creation
    known_cost: float | None  # the provider's recorded cost of its whole snapshot
    request_money: dict[str, Any] | None  # its request's money check at submit
    share: float  # a plan batch's share of its plan's rows (1 for a single send)


@dataclass
class Profile:
    user_id: int
    lang: str = "fa"
    last_sender: str | None = None
    last_sender_label: str | None = None
    last_selections: list[PhonebookSelection] = field(default_factory=list)
    first_name: str | None = None  # as Telegram last showed them (screens: names)
    username: str | None = None  # without the "@"
    trial_phone: str | None = None  # E.164, from the owner's own shared contact


TRIAL_STATES = ("sending", "sent", "failed", "unknown")


@dataclass
class TrialSend:
    """A test SMS of a draft's exact final text to its owner's own phone (``trial_sends``).

    ``failed`` means certainly not sent (it does not count against the limit); ``sending``
    (written before the POST) and ``unknown`` count, because the SMS may have gone out.
    """

    id: int
    owner_id: int
    draft_id: int
    draft_version: int
    content_hash: str
    sender: str
    recipient: str
    message: str
    state: str
    outbox_ids: list[int] = field(default_factory=list)
    error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def line_and_text_hash(sender: str, message: str) -> str:
    """SHA-256 of a sender line and an exact final text: what a test send limit is counted
    for, and what a price answer is cached under."""
    return hashlib.sha256(f"{sender}\n{message}".encode()).hexdigest()


@dataclass
class KeyInfo:
    """What may be shown about a stored API key: never the key itself."""

    hint: str  # e.g. "••••abcd"
    account_name: str | None
    updated_at: datetime
