"""Settings, constants and the named results of the broadcast service.

Plain records: the handlers turn each result kind into a message.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from bot.approval_rules import ApprovalRules, Requirement
from bot.domain import ApprovalRequest, Broadcast, RequestState, Step
from bot.ippanel import (
    AuthError,
    BulkReport,
    IPPanelError,
    NotFoundError,
    OperatorStats,
    ValidationError,
)
from bot.no_credit import CreditShortfall
from storage.approve_send import ApprovedSend

if TYPE_CHECKING:  # the budget rule reads broadcasts (rules), which read this module
    from bot.guardrails.budget import BudgetCheck

log = logging.getLogger("bot.broadcasts")

MIN_LEAD = timedelta(minutes=10)  # a scheduled send must be at least this far ahead
CANCEL_LEAD = timedelta(minutes=5)  # the provider refuses cancels closer than this
# The provider stamps rows with its own clock: a row counts as ours if stamped within this
# much of our send, either way. Wide on purpose; one-to-one claims keep it from over-matching.
RECONCILE_SKEW = timedelta(minutes=10)
RECONCILE_MAX_PAGES = 10  # how far back we page through the provider's list
RECONCILE_PAGE_SIZE = 50
CREDIT_WATCH_WINDOW = timedelta(hours=6)  # how long a sent broadcast is watched for state 8
CREDIT_WATCH_LIMIT = 20  # newest broadcasts per admin looked at by the credit watch
# An unknown send is asked about this long, then left unknown and told to a person once
# (the provider's outbox list the reconcile pages through has long moved past it).
UNKNOWN_POLL_FOR = timedelta(days=2)
# Start-up looks this far back for approvals cut off before their broadcast row.
STRANDED_WINDOW = timedelta(days=30)

# The service speaks no language: what a broadcast row records as its error is a code
# with figures (:func:`error_code`), rendered in the reader's language by the handlers
# (bot.provider_words.stored_error). These English lines are for logs and the audit only.
NO_KEY_TEXT = "no stored, readable API key (set one with /token)"
REQUESTER_REMOVED_REASON = "requester no longer an admin"

ErrorCode = Literal[
    "no_key",  # no stored, readable API key
    "prepare_failed",  # internal error before the send: nothing was sent
    "unexpected",  # unexpected error during the send: outcome unknown
    "interrupted",  # cut off by a stop mid-send (written by the store at start-up)
    "confirmed_not_sent",  # a person checked the IPPanel outbox: not sent
    "no_credit",  # the account's credit could not pay: figures credit, cost (rials)
    "provider",  # the provider's refusal: figures kind, status, message_code, fields
    "legacy",  # a row written before codes (its text is kept, shown to Persian readers)
]
# what rows written before codes said, as their code
_LEGACY_CODES: dict[str, ErrorCode] = {
    NO_KEY_TEXT: "no_key",
    "a person checked the IPPanel outbox: not sent": "confirmed_not_sent",
    "unexpected error during the send; outcome unknown": "unexpected",
    "internal error before the send; nothing was sent": "prepare_failed",
    "interrupted": "interrupted",
}


def error_code(code: ErrorCode, **figures: str | int | float | list[str] | None) -> str:
    """A row's stored error: a code and figures as JSON, never words."""
    kept = {k: v for k, v in figures.items() if v is not None}
    return json.dumps({"code": code, **kept}, ensure_ascii=False, sort_keys=True)


def provider_error_code(error: IPPanelError) -> str:
    """A provider error as a stored code: its kind, HTTP status, the provider's message
    code and the names of the refused fields (its Persian words stay in the audit)."""
    return error_code(
        "provider",
        kind=type(error).__name__,
        status=error.status,
        message_code=error.message_code or None,
        fields=sorted(getattr(error, "errors", {}) or {}) or None,
    )


def read_error(stored: str | None) -> tuple[ErrorCode, dict[str, Any]] | None:
    """The code and figures of a row's stored error; rows from before codes are read by
    their known English line, else as "legacy" with their text."""
    if not stored:
        return None
    try:
        data = json.loads(stored)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        figures = {k: v for k, v in data.items() if k != "code"}
        return data["code"], figures
    known = _LEGACY_CODES.get(stored)
    return (known, {}) if known else ("legacy", {"text": stored})


def utcnow() -> datetime:
    return datetime.now(UTC)


class NoApiKeyError(AuthError):
    """The user has no usable stored key: the fix is the same as a 401, /token."""

    default_message = NO_KEY_TEXT


@dataclass(frozen=True)
class Policy:
    approvers: frozenset[int]
    approvals_required: bool
    approval_ttl: timedelta
    message_suffix: str = ""
    # who may request sends (ADMIN_IDS); None lets anyone the caller admits
    requesters: frozenset[int] | None = None
    approval_rules: ApprovalRules = field(default_factory=ApprovalRules)  # empty: one approval
    # the month's budget (#22): None is no budget; hard refuses a crossing request
    monthly_budget: float | None = None
    budget_hard: bool = False
    timezone: tzinfo = UTC  # where a Jalali month begins

    def may_request(self, user_id: int) -> bool:
        return self.requesters is None or user_id in self.requesters


SubmitKind = Literal[
    "incomplete",
    "no_approver",
    "pending",
    "direct",
    "not_allowed",
    "no_key",  # no stored, readable API key: the approver could only watch it fail
    "short_credit",  # the credit is known to be below the cheapest possible cost
    "too_few_approvers",  # APPROVAL_RULES asks for more approvals than other approvers exist
    "over_budget",  # BUDGET_HARD: the request would cross the month's budget
]


@dataclass(frozen=True)
class MoneyCheck:
    """Cost estimate and credit at submit time, in rials; None where the provider did not say.

    The price differs by operator and the operator split is unknown until the send, so
    the cost lies between ``cost_low`` (all at the cheaper price) and ``cost_high``.
    """

    cost_low: float | None = None
    cost_high: float | None = None
    credit: float | None = None

    @property
    def known_short(self) -> float | None:
        """The missing amount when even the cheapest cost exceeds the credit."""
        if self.cost_low is None or self.credit is None or self.credit >= self.cost_low:
            return None
        return self.cost_low - self.credit

    @property
    def maybe_short(self) -> bool:
        return (
            self.cost_high is not None and self.credit is not None and self.credit < self.cost_high
        )


@dataclass(frozen=True)
class SubmitResult:
    kind: SubmitKind
    missing_step: Step | None = None  # for "incomplete"
    request: ApprovalRequest | None = None  # for "pending"
    approvers: list[int] = field(default_factory=list)  # whom to notify, for "pending"
    money: MoneyCheck | None = None  # for "pending" and "short_credit"
    requirement: Requirement | None = None  # for "pending" and "too_few_approvers"
    budget: BudgetCheck | None = None  # the month's budget with this request, when one is set


DecisionKind = Literal[
    "approved",
    "rejected",
    "withdrawn",
    "not_found",
    "not_allowed",
    "self_approval",
    "already_decided",
    "expired",
    "tampered",
    "requester_removed",  # the requester is no longer an admin; the request is voided
    "approval_counted",  # counted, but more approvals are needed: nothing is sent yet
    "approval_repeat",  # this approver had approved already: counted once, nothing changed
]


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    request: ApprovalRequest | None = None
    state: RequestState | None = None  # the request's state as last seen
    decided_by: int | None = None  # for "already_decided"
    approved_by: tuple[int, ...] = ()  # approvals counted so far (approve presses)
    needed: int = 1  # approvals the request needs
    # "approved" in the press's own transaction: the send unit it started (or why not)
    started: ApprovedSend | None = field(default=None, compare=False, repr=False)

    @property
    def missing(self) -> int:
        return max(0, self.needed - len(self.approved_by))


SendKind = Literal[
    "sent",
    "failed",
    "unknown",
    "duplicate",  # a broadcast already exists / already went out: nothing was sent now
    "no_key",
    "incomplete",  # send_direct with a draft that is not ready; see fix_step
    "not_found",
    "not_allowed",
    "refused",  # retry of a broadcast that is not `failed` (e.g. unknown): never resent
    "too_late",  # retry of a scheduled broadcast whose time has passed
    "not_started",  # approved, but the row could not be written: certainly nothing sent
    "halted",  # its plan was cancelled by a person: nothing of it is posted again
    "approvals_lost",  # the approvals that counted are no longer from current approvers
    "requester_removed",  # the requester is no longer an admin: nothing is sent for them
]


@dataclass(frozen=True)
class SendOutcome:
    kind: SendKind
    broadcast: Broadcast | None = None
    error: IPPanelError | None = None
    fix_step: Step | None = None
    shortfall: CreditShortfall | None = None  # the amounts, when the credit could not pay

    @property
    def needs_new_key(self) -> bool:
        """Renew the key with /token (401, or no usable key stored)."""
        return self.kind == "no_key" or isinstance(self.error, AuthError)

    @property
    def retryable(self) -> bool:
        """Nothing was sent and trying again unchanged may work (network, 5xx-before-send)."""
        if self.kind != "failed" or self.error is None or not self.error.certainly_not_sent:
            return False
        if isinstance(self.error, ValidationError | AuthError | NotFoundError):
            return False
        return self.error.status is None or not 400 <= self.error.status < 500


@dataclass(frozen=True)
class ReconcileResult:
    kind: Literal["sent", "not_sent", "still_unknown", "not_found"]
    broadcast: Broadcast | None = None


@dataclass(frozen=True)
class ConfirmResult:
    kind: Literal["confirmed", "not_found", "not_allowed", "not_unknown"]
    broadcast: Broadcast | None = None


@dataclass(frozen=True)
class Stranded:
    """An approved request that never started: no row, so certainly nothing was sent."""

    request: ApprovalRequest
    voided: bool  # its requester is no longer an admin: it can no longer be sent


@dataclass(frozen=True)
class CancelResult:
    kind: Literal[
        "cancelled",
        "not_found",
        "not_allowed",
        "not_cancellable",  # not in state sent
        "not_scheduled",
        "too_late",  # fewer than 5 minutes left
        "no_key",
        "refused",  # the provider said no; see message
        "gone",  # the provider's 404: not found or no longer cancellable; nothing cancelled
        "partial",  # some outbox ids cancelled, some not; state stays sent
    ]
    broadcast: Broadcast | None = None
    message: str | None = None  # the provider's own text (Persian): for the audit only
    error: IPPanelError | None = None  # for "refused" and "partial": handlers word it


@dataclass(frozen=True)
class DeliveryReport:
    kind: Literal["ok", "not_found", "not_allowed", "no_outbox", "no_key", "error"]
    broadcast: Broadcast | None = None
    reports: list[BulkReport] = field(default_factory=list)
    operators: dict[str, OperatorStats] = field(default_factory=dict)
    error: IPPanelError | None = None

    def total(self, kind: str) -> int:
        return sum(getattr(s, kind) for s in self.operators.values())
