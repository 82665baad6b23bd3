"""The broadcast service: submit, approve, send, retry, reconcile, cancel, report.

Pure logic over the store and the IPPanel client; no Telegram here. Handlers
call one method and turn its named result into a Persian message.

Money rules this module enforces:

* At most one POST per approval: the approval is a single-winner CAS in the
  store, and ``store.start_broadcast`` (UNIQUE per request) writes the row in
  state ``sending`` BEFORE the HTTP call, so a second caller gets "duplicate".
* A send whose outcome is unknown is never resent automatically: it becomes
  ``unknown``. ``reconcile`` (which never sends) moves it to ``sent`` only on positive
  evidence, a provider row claimed one-to-one; absence of a row proves nothing. Only a
  person who checked the panel may declare it not sent (``confirm_not_sent``, audited).
* Only a certain failure (``failed``) may be retried, and only by a person.
* A direct send (approvals off) is keyed by draft id and version in the store.
* The requester must still be an admin when a request is decided and when it is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot import no_credit
from bot.domain import (
    ApprovalRequest,
    Broadcast,
    BroadcastState,
    Draft,
    PhonebookSelection,
    RequestState,
    Step,
    content_hash,
    selections_to_params,
)
from bot.ippanel import (
    AuthError,
    BulkReport,
    Credit,
    InsufficientCreditError,
    IPPanelClient,
    IPPanelError,
    NotCancellableError,
    NotFoundError,
    OperatorStats,
    SendRecord,
    ValidationError,
)
from bot.no_credit import CreditShortfall
from bot.sms import measure
from storage import KeyIntegrityError, Store

log = logging.getLogger(__name__)

MIN_LEAD = timedelta(minutes=10)  # a scheduled send must be at least this far ahead
CANCEL_LEAD = timedelta(minutes=5)  # the provider refuses cancels closer than this
# The provider stamps rows with its own clock: a row counts as ours if stamped within this
# much of our send, either way. Wide on purpose; one-to-one claims keep it from over-matching.
RECONCILE_SKEW = timedelta(minutes=10)
RECONCILE_MAX_PAGES = 10  # how far back we page through the provider's list
RECONCILE_PAGE_SIZE = 50
CREDIT_WATCH_WINDOW = timedelta(hours=6)  # how long a sent broadcast is watched for state 8
CREDIT_WATCH_LIMIT = 20  # newest broadcasts per admin looked at by the credit watch

NO_KEY_TEXT = "کلید دسترسی ثبت نشده است؛ با /token آن را ثبت کنید"
CONFIRMED_NOT_SENT_TEXT = "بررسی صندوق ارسال پنل IPPanel توسط مدیر: ارسال نشده است"
REQUESTER_REMOVED_REASON = "requester no longer an admin"
UNEXPECTED_TEXT = "خطای پیش‌بینی‌نشده هنگام ارسال؛ وضعیت ارسال نامعلوم است"
PREPARE_FAILED_TEXT = "خطای داخلی پیش از ارسال؛ چیزی ارسال نشد"


def utcnow() -> datetime:
    return datetime.now(UTC)


class NoApiKeyError(AuthError):
    """The user has no usable stored key: the fix is the same as a 401, /token."""

    default_message = NO_KEY_TEXT


# --------------------------------------------------------------------- results


@dataclass(frozen=True)
class Policy:
    approvers: frozenset[int]
    approvals_required: bool
    approval_ttl: timedelta
    message_suffix: str = ""
    # who may request sends (ADMIN_IDS); None lets anyone the caller admits
    requesters: frozenset[int] | None = None

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
]


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    request: ApprovalRequest | None = None
    state: RequestState | None = None  # the request's state as last seen
    decided_by: int | None = None  # for "already_decided"


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
]


@dataclass(frozen=True)
class SendOutcome:
    kind: SendKind
    broadcast: Broadcast | None = None
    error: IPPanelError | None = None
    fix_step: Step | None = None

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
    message: str | None = None  # the provider's Persian text


@dataclass(frozen=True)
class DeliveryReport:
    kind: Literal["ok", "not_found", "not_allowed", "no_outbox", "no_key", "error"]
    broadcast: Broadcast | None = None
    reports: list[BulkReport] = field(default_factory=list)
    operators: dict[str, OperatorStats] = field(default_factory=dict)
    error: IPPanelError | None = None

    def total(self, kind: str) -> int:
        return sum(getattr(s, kind) for s in self.operators.values())


# ------------------------------------------------------------- pure helpers


def recipients_total(snapshot: dict[str, Any]) -> int:
    """Recipients of a snapshot, recomputed from its selections."""
    return sum(PhonebookSelection.from_dict(s).recipients() for s in snapshot["selections"])


def parse_send_at(snapshot: dict[str, Any]) -> datetime | None:
    raw = snapshot.get("send_at")
    if not raw:
        return None
    parsed = datetime.fromisoformat(raw)
    # a naive time would be sent as the wrong hour; treat it as UTC like the store does
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def missing_step(draft: Draft, now: datetime) -> Step | None:
    """The first step a draft still needs, or None when it can be submitted."""
    if not draft.sender:
        return Step.SENDER
    if not draft.selections or draft.recipients() <= 0:
        return Step.PHONEBOOKS
    if not draft.text.strip():
        return Step.TEXT
    if draft.send_at is not None and draft.send_at < now + MIN_LEAD:
        return Step.TIME
    return None


def message_too_long(message: str) -> bool:
    return measure(message).too_long


def fix_step_for(error: IPPanelError | None) -> Step | None:
    """Which compose step fixes a refused send (422 fields, 404 phonebook)."""
    if isinstance(error, NotFoundError):
        return Step.PHONEBOOKS
    if not isinstance(error, ValidationError):
        return None
    for name in error.errors:
        if name.startswith("from_number"):
            return Step.SENDER
        if name.startswith("message"):
            return Step.TEXT
        if name.startswith(("params", "phonebook", "number_ids")):
            return Step.PHONEBOOKS
        if name.startswith("send_time"):
            return Step.TIME
    return None


def cancel_refusal_kind(
    errors: list[IPPanelError], done: list[int]
) -> Literal["partial", "gone", "refused"]:
    """How a cancel the provider refused (for some outbox ids) is reported."""
    if done:
        return "partial"
    if errors and all(isinstance(e, NotCancellableError) for e in errors):
        return "gone"  # the documented 404: unknown, or too late to cancel
    return "refused"


def aggregate_stats(stats: list[dict[str, OperatorStats]]) -> dict[str, OperatorStats]:
    totals: dict[str, dict[str, int]] = {}
    for per_operator in stats:
        for op, s in per_operator.items():
            t = totals.setdefault(op, dict.fromkeys(OperatorStats.__dataclass_fields__, 0))
            for name in t:
                t[name] += getattr(s, name)
    return {op: OperatorStats(**t) for op, t in totals.items()}


def record_matches(
    record: SendRecord, snapshot: dict[str, Any], earliest: datetime, latest: datetime
) -> bool:
    """A provider row is positive evidence of our send: same line, same text (line
    endings and surrounding blanks aside), stamped within [earliest, latest]."""
    if _line_digits(record.from_number) != _line_digits(str(snapshot["sender"])):
        return False
    if _same_text(record.message) != _same_text(str(snapshot["message"])):
        return False
    return record.created_at is not None and earliest <= record.created_at <= latest


def _same_text(text: str) -> str:
    return "\n".join(line.strip() for line in text.replace("\r\n", "\n").strip().split("\n"))


def _line_digits(number: str) -> str:
    """+983000505, 983000505 and 03000505 are one line."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return digits.removeprefix("98") if digits.startswith("98") else digits.lstrip("0")


# ------------------------------------------------------------------ service


class BroadcastService:
    def __init__(
        self,
        store: Store,
        client: IPPanelClient,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._client = client
        self.policy = policy
        self._clock = clock
        # broadcasts whose credit question is answered (final report state, or told)
        self._credit_settled: set[int] = set()

    # ---------------------------------------------------------------- submit

    async def submit(self, draft: Draft, requester_id: int) -> SubmitResult:
        """Check a draft before anyone is asked to approve it: ready, a readable key, and
        a credit not known to be short. The money checks cost two reads at the provider
        here, at submit time, so the approve→POST path stays as short as it was."""
        if draft.owner_id != requester_id or not self.policy.may_request(requester_id):
            return SubmitResult("not_allowed")
        now = self._clock()
        step = self._check_ready(draft, now)
        if step is not None:
            return SubmitResult("incomplete", missing_step=step)
        others = sorted(self.policy.approvers - {requester_id})
        if self.policy.approvals_required and not others:
            return SubmitResult("no_approver")
        api_key = await self._key_or_none(requester_id)
        if api_key is None:
            return SubmitResult("no_key")
        snapshot = draft.snapshot(self.policy.message_suffix)
        money = await self._money_check(api_key, snapshot)
        if money.known_short is not None:
            await self._audit(
                requester_id, "submit_refused_credit", f"draft:{draft.id}", _money(money)
            )
            return SubmitResult("short_credit", money=money)
        if not self.policy.approvals_required:
            return SubmitResult("direct", money=money)
        expires_at = now + self.policy.approval_ttl
        if draft.send_at is not None:
            # approving after the scheduled time would send at the wrong moment
            expires_at = min(expires_at, draft.send_at)
        request = await self._store.create_request(draft, requester_id, snapshot, expires_at)
        detail = {**_brief(snapshot), **_money(money)}
        await self._audit(requester_id, "submitted", f"request:{request.id}", detail)
        return SubmitResult("pending", request=request, approvers=others, money=money)

    async def _money_check(self, api_key: str, snapshot: dict[str, Any]) -> MoneyCheck:
        """Price and credit, asked at once; a provider problem leaves that part unknown
        (the approver's card says so) rather than blocking the request."""
        price, credit = await asyncio.gather(
            self._client.calculate_price(
                api_key, sender=snapshot["sender"], message=snapshot["message"]
            ),
            self._client.credit(api_key),
            return_exceptions=True,
        )
        check: dict[str, float | None] = {}
        recipients = recipients_total(snapshot)
        if isinstance(price, BaseException):
            log.info("price unknown at submit: %r", price)
        else:
            check["cost_low"] = min(price.mci_price, price.other_price) * recipients
            check["cost_high"] = max(price.mci_price, price.other_price) * recipients
        if isinstance(credit, BaseException):
            log.info("credit unknown at submit: %r", credit)
        else:
            check["credit"] = credit.credit
        return MoneyCheck(**check)

    def _check_ready(self, draft: Draft, now: datetime) -> Step | None:
        step = missing_step(draft, now)
        if step is None and message_too_long(draft.snapshot(self.policy.message_suffix)["message"]):
            return Step.TEXT
        return step

    # ------------------------------------------------------------- decisions

    async def approve(self, request_id: int, approver_id: int) -> Decision:
        checked = await self.decidable(request_id, approver_id)
        if isinstance(checked, Decision):
            return checked
        return await self._decide(checked, approver_id, RequestState.APPROVED, None, "approved")

    async def approve_and_send(
        self, request_id: int, approver_id: int
    ) -> tuple[Decision, SendOutcome | None]:
        """The one call the approve button makes: only the single winner sends."""
        decision = await self.approve(request_id, approver_id)
        if decision.kind != "approved" or decision.request is None:
            return decision, None
        return decision, await self.send_approved(decision.request, approver_id)

    async def reject(self, request_id: int, approver_id: int, reason: str | None) -> Decision:
        checked = await self.decidable(request_id, approver_id)
        if isinstance(checked, Decision):
            return checked
        return await self._decide(checked, approver_id, RequestState.REJECTED, reason, "rejected")

    async def withdraw(self, request_id: int, requester_id: int) -> Decision:
        request = await self._store.get_request(request_id)
        if request is None:
            return Decision("not_found")
        if request.requester_id != requester_id:
            return Decision("not_allowed", request, request.state)
        if request.state != RequestState.PENDING:
            return Decision("already_decided", request, request.state, request.decided_by)
        return await self._decide(request, requester_id, RequestState.WITHDRAWN, None, "withdrawn")

    async def decidable(self, request_id: int, approver_id: int) -> ApprovalRequest | Decision:
        """The shared checks of approve and reject, in the order the rules give.

        Returns the request when this approver may decide it now, else the refusal.
        """
        request = await self._store.get_request(request_id)
        if request is None:
            return Decision("not_found")
        if approver_id not in self.policy.approvers:  # policy as of this click
            return Decision("not_allowed", request, request.state)
        if approver_id == request.requester_id:
            return Decision("self_approval", request, request.state)
        if request.state != RequestState.PENDING:
            return Decision("already_decided", request, request.state, request.decided_by)
        if not self.policy.may_request(request.requester_id):  # roles as of this click
            return await self._void_removed(request)
        if self._is_expired(request):
            return await self._expire(request)
        if content_hash(request.snapshot) != request.content_hash:
            log.error("request %s: snapshot does not match its content hash", request.id)
            await self._audit(approver_id, "tampered", f"request:{request.id}")
            return Decision("tampered", request, request.state)
        return request

    def _is_expired(self, request: ApprovalRequest) -> bool:
        now = self._clock()
        send_at = parse_send_at(request.snapshot)
        return request.expires_at <= now or (send_at is not None and send_at <= now)

    async def _expire(self, request: ApprovalRequest) -> Decision:
        won = await self._store.decide_request(
            request.id, to_state=RequestState.EXPIRED, decided_by=None
        )
        if won:
            await self._audit(None, "expired", f"request:{request.id}")
            return Decision("expired", request, RequestState.EXPIRED)
        return await self._lost_race(request.id)

    async def _decide(
        self,
        request: ApprovalRequest,
        actor_id: int,
        to_state: RequestState,
        reason: str | None,
        kind: DecisionKind,
    ) -> Decision:
        # the store re-checks expiry inside the same compare-and-set, so a press racing the
        # deadline cannot approve a request that expired a moment earlier
        won = await self._store.decide_request(
            request.id, to_state=to_state, decided_by=actor_id, reason=reason, now=self._clock()
        )
        if not won:
            fresh = await self._store.get_request(request.id)
            if to_state == RequestState.APPROVED and fresh and fresh.state == RequestState.PENDING:
                # still pending yet not approvable: the store judged it expired
                return await self._expire(fresh)
            return await self._lost_race(request.id)
        await self._audit(
            actor_id, kind, f"request:{request.id}", {"reason": reason} if reason else None
        )
        return Decision(kind, request, to_state, actor_id)

    async def _void_removed(self, request: ApprovalRequest) -> Decision:
        """The requester lost the admin role: the request is withdrawn, never sent."""
        won = await self._store.decide_request(
            request.id,
            to_state=RequestState.WITHDRAWN,
            decided_by=None,
            reason=REQUESTER_REMOVED_REASON,
            from_state=request.state,
        )
        if not won:
            return await self._lost_race(request.id)
        await self._audit(
            None, "voided", f"request:{request.id}", {"reason": REQUESTER_REMOVED_REASON}
        )
        return Decision("requester_removed", request, RequestState.WITHDRAWN)

    async def _lost_race(self, request_id: int) -> Decision:
        fresh = await self._store.get_request(request_id)
        if fresh is None:
            return Decision("not_found")
        return Decision("already_decided", fresh, fresh.state, fresh.decided_by)

    # ------------------------------------------------------------------ send

    async def send_approved(self, request: ApprovalRequest, approver_id: int) -> SendOutcome:
        """Send what was approved. Re-reads the request: the caller's copy is not proof."""
        fresh = await self._store.get_request(request.id)
        if fresh is None:
            return SendOutcome("not_found")
        if fresh.state != RequestState.APPROVED or fresh.decided_by != approver_id:
            return SendOutcome("not_allowed")
        if content_hash(fresh.snapshot) != fresh.content_hash:
            log.error("request %s: snapshot does not match its content hash", fresh.id)
            return SendOutcome("not_allowed")
        if not self.policy.may_request(fresh.requester_id):
            return SendOutcome("not_allowed")
        try:
            broadcast = await self._store.start_broadcast(
                request_id=fresh.id,
                requester_id=fresh.requester_id,
                approver_id=approver_id,
                snapshot=fresh.snapshot,
            )
        except Exception:
            # the INSERT did not commit, so no row and no POST: certainly nothing was sent
            log.exception("request %s: approved but the broadcast could not start", fresh.id)
            return SendOutcome("not_started")
        if broadcast is None:
            return SendOutcome("duplicate", await self._store.get_broadcast_for_request(fresh.id))
        return await self._send(broadcast)

    async def send_direct(self, draft: Draft, requester_id: int) -> SendOutcome:
        """Approvals off: send the draft as it is now, without a request row."""
        if self.policy.approvals_required or draft.owner_id != requester_id:
            return SendOutcome("not_allowed")
        step = self._check_ready(draft, self._clock())
        if step is not None:
            return SendOutcome("incomplete", fix_step=step)
        snapshot = draft.snapshot(self.policy.message_suffix)
        # One send per draft version, kept in the store: a second tap, even after a
        # restart, finds the first row. Editing the draft makes a new version.
        key = f"{draft.id}:{draft.version}"
        broadcast = await self._store.start_broadcast(
            request_id=None,
            requester_id=requester_id,
            approver_id=None,
            snapshot=snapshot,
            direct_key=key,
        )
        if broadcast is None:
            earlier = await self._store.get_broadcast_by_direct_key(key)
            if earlier is None or earlier.state != BroadcastState.FAILED:
                return SendOutcome("duplicate", earlier)
            # a certain failure sent nothing: the same single-winner CAS as a retry
            broadcast = await self._store.retry_broadcast(earlier.id)
            if broadcast is None:
                return SendOutcome("duplicate", await self._store.get_broadcast(earlier.id))
            await self._audit(
                requester_id, "retry", f"broadcast:{earlier.id}", {"attempt": broadcast.attempts}
            )
        return await self._send(broadcast)

    async def _send(self, broadcast: Broadcast) -> SendOutcome:
        """One POST for a row already in state ``sending``, then record what happened."""
        b = broadcast
        subject = f"broadcast:{b.id}"
        try:
            api_key = await self._key(b.requester_id)
            snap = b.snapshot
            params = selections_to_params(
                [PhonebookSelection.from_dict(s) for s in snap["selections"]]
            )
            send_at = parse_send_at(snap)
        except Exception:
            # before the HTTP call: certainly nothing went out
            log.exception("broadcast %s: could not prepare the send", b.id)
            return await self._finish(b, BroadcastState.FAILED, "failed", None, PREPARE_FAILED_TEXT)
        if api_key is None:
            return await self._fail_no_key(b)

        try:
            try:
                result = await self._client.send_to_phonebooks(
                    api_key,
                    sender=snap["sender"],
                    message=snap["message"],
                    params=params,
                    send_at=send_at,
                )
            finally:
                # written after the request so that it never delays the POST; the row in
                # state `sending` already records that the send began
                attempt = {"attempt": b.attempts}
                await asyncio.shield(self._audit(b.requester_id, "send_started", subject, attempt))
        except IPPanelError as error:
            if isinstance(error, InsufficientCreditError):
                error = await self._explain_no_credit(error, api_key, snap)
            text = _scrub(error.message, api_key)
            if error.outcome_unknown:
                log.warning("broadcast %s: outcome unknown: %r", b.id, error)
                return await self._finish(b, BroadcastState.UNKNOWN, "unknown", error, text)
            log.info("broadcast %s: not sent: %r", b.id, error)
            return await self._finish(b, BroadcastState.FAILED, "failed", error, text)
        except asyncio.CancelledError:
            # shutting down mid-request: it may have gone out; never leave it resendable
            await asyncio.shield(self._mark(b, BroadcastState.UNKNOWN, None, UNEXPECTED_TEXT))
            raise
        except Exception:
            log.exception("broadcast %s: unexpected error during the send", b.id)
            return await self._finish(b, BroadcastState.UNKNOWN, "unknown", None, UNEXPECTED_TEXT)

        outcome = await self._finish(
            b, BroadcastState.SENT, "sent", None, None, outbox_ids=result.outbox_ids
        )
        await self._remember_last_used(b)
        return await self._credit_after_send(outcome, api_key)

    async def _fail_no_key(self, b: Broadcast) -> SendOutcome:
        outcome = await self._finish(b, BroadcastState.FAILED, "failed", None, NO_KEY_TEXT)
        return SendOutcome("no_key", outcome.broadcast, NoApiKeyError())

    async def _finish(
        self,
        b: Broadcast,
        state: BroadcastState,
        kind: SendKind,
        error: IPPanelError | None,
        text: str | None,
        *,
        outbox_ids: list[int] | None = None,
    ) -> SendOutcome:
        await self._mark(b, state, outbox_ids, text)
        fresh = await self._safe_get_broadcast(b)
        detail = {"outbox_ids": outbox_ids} if outbox_ids else {"error": text}
        await self._audit(b.requester_id, str(state), f"broadcast:{b.id}", detail)
        fix = fix_step_for(error) if kind == "failed" else None
        return SendOutcome(kind, fresh, error, fix)

    async def _mark(
        self, b: Broadcast, state: BroadcastState, outbox_ids: list[int] | None, text: str | None
    ) -> None:
        """Move the row off ``sending``. A lost write leaves it ``sending``, which
        the restart recovery turns into ``unknown``: the safe direction."""
        try:
            done = await self._store.finish_broadcast(
                b.id, state=state, outbox_ids=outbox_ids, error=text
            )
        except Exception:
            log.exception("broadcast %s: could not record state %s", b.id, state)
            return
        if not done:
            log.error("broadcast %s: was no longer sending when marking %s", b.id, state)

    async def _safe_get_broadcast(self, b: Broadcast) -> Broadcast:
        try:
            return await self._store.get_broadcast(b.id) or b
        except Exception:
            log.exception("broadcast %s: could not re-read", b.id)
            return b

    async def _remember_last_used(self, b: Broadcast) -> None:
        snap = b.snapshot
        try:
            await self._store.set_last_used(
                b.requester_id,
                snap["sender"],
                snap.get("sender_label"),
                [PhonebookSelection.from_dict(s) for s in snap["selections"]],
            )
        except Exception:  # a convenience; the send itself is recorded
            log.exception("broadcast %s: could not remember last used", b.id)

    # ----------------------------------------------------------------- retry

    async def retry(self, broadcast_id: int, actor_id: int) -> SendOutcome:
        """Resend a certain failure. Never an unknown one: it may have gone out."""
        b = await self._store.get_broadcast(broadcast_id)
        if b is None:
            return SendOutcome("not_found")
        if not self._may_act(b, actor_id):
            return SendOutcome("not_allowed", b)
        if b.state in (BroadcastState.SENT, BroadcastState.CANCELLED):
            return SendOutcome("duplicate", b)
        if b.state != BroadcastState.FAILED:
            return SendOutcome("refused", b)
        if not self.policy.may_request(b.requester_id) or not await self._still_as_approved(b):
            return SendOutcome("not_allowed", b)
        send_at = parse_send_at(b.snapshot)
        if send_at is not None and send_at <= self._clock():
            return SendOutcome("too_late", b)
        again = await self._store.retry_broadcast(b.id)
        if again is None:  # someone else retried first, or the state moved
            return SendOutcome("refused", await self._store.get_broadcast(b.id))
        await self._audit(actor_id, "retry", f"broadcast:{b.id}", {"attempt": again.attempts})
        return await self._send(again)

    async def _still_as_approved(self, b: Broadcast) -> bool:
        """The broadcast's snapshot is still exactly what its request approved."""
        if b.request_id is None:
            return True
        request = await self._store.get_request(b.request_id)
        return (
            request is not None
            and request.state == RequestState.APPROVED
            and content_hash(b.snapshot) == request.content_hash
        )

    def _may_act(self, b: Broadcast, actor_id: int) -> bool:
        return actor_id == b.requester_id or actor_id in self.policy.approvers

    # ------------------------------------------------------------- reconcile

    async def reconcile(self, broadcast_id: int) -> ReconcileResult:
        """Settle an ``unknown`` broadcast from the provider's list of sends. Never sends.

        Only positive evidence moves it: an unowned provider row with our line, our
        text and a time near our send becomes this broadcast's, claimed in the store so
        no other broadcast can take it. No row, however long after, proves nothing: it
        stays ``unknown`` until a person checks the panel (:meth:`confirm_not_sent`).
        """
        b = await self._store.get_broadcast(broadcast_id)
        if b is None:
            return ReconcileResult("not_found")
        if b.state != BroadcastState.UNKNOWN:
            return ReconcileResult(_settled_kind(b.state), b)
        api_key = await self._key_or_none(b.requester_id)
        if api_key is None:
            return ReconcileResult("still_unknown", b)
        try:
            candidates = await self._candidates_at_provider(api_key, b)
        except IPPanelError as error:
            log.info("broadcast %s: reconcile could not ask the provider: %r", b.id, error)
            return ReconcileResult("still_unknown", b)
        owned = await self._store.owned_outbox_ids(candidates)
        for outbox_id in candidates:  # oldest first: earlier unknowns take earlier rows
            if outbox_id in owned:
                continue
            if await self._store.claim_outbox(b.id, outbox_id):
                await self._audit(
                    None, "reconciled_sent", f"broadcast:{b.id}", {"outbox_ids": [outbox_id]}
                )
                return ReconcileResult("sent", await self._store.get_broadcast(b.id))
            fresh = await self._store.get_broadcast(b.id)
            if fresh is None or fresh.state != BroadcastState.UNKNOWN:
                return ReconcileResult(_settled_kind(fresh.state) if fresh else "not_found", fresh)
            # the row was taken meanwhile, or a send is in flight: try no further now
            break
        return ReconcileResult("still_unknown", b)

    async def _candidates_at_provider(self, api_key: str, b: Broadcast) -> list[int]:
        """Outbox ids of provider rows matching ``b``, oldest first."""
        earliest = b.created_at - RECONCILE_SKEW
        latest = max(b.updated_at, b.created_at) + RECONCILE_SKEW
        # Only the time filter, as the contract's string: how "number"/"message" filters
        # match is undocumented, and a filter that wrongly hid our row would cost evidence.
        filters = {"create_from_date": str(int(earliest.timestamp()))}
        found: list[tuple[datetime, int]] = []
        for page_no in range(1, RECONCILE_MAX_PAGES + 1):
            page = await self._client.list_sends(
                api_key, page=page_no, limit=RECONCILE_PAGE_SIZE, filters=filters
            )
            found += [
                (r.created_at, r.messages_outbox_id)
                for r in page.items
                if r.messages_outbox_id
                and r.created_at is not None
                and record_matches(r, b.snapshot, earliest, latest)
            ]
            older = [r for r in page.items if r.created_at is not None and r.created_at < earliest]
            if not page.has_next or (page.items and len(older) == len(page.items)):
                break
        return [outbox_id for _, outbox_id in sorted(set(found))]

    async def confirm_not_sent(self, broadcast_id: int, actor_id: int) -> ConfirmResult:
        """A person checked the panel's outbox and says an ``unknown`` send did not go out.

        The only way out of ``unknown`` other than a provider row; audited with who and
        when. Afterwards the broadcast is ``failed``, so a retry (one more POST) is possible.
        """
        b = await self._store.get_broadcast(broadcast_id)
        if b is None:
            return ConfirmResult("not_found")
        if not self._may_act(b, actor_id):
            return ConfirmResult("not_allowed", b)
        done = await self._store.transition_broadcast(
            b.id, BroadcastState.UNKNOWN, BroadcastState.FAILED, CONFIRMED_NOT_SENT_TEXT
        )
        fresh = await self._store.get_broadcast(b.id)
        if not done:
            return ConfirmResult("not_unknown", fresh)
        await self._audit(actor_id, "confirmed_not_sent", f"broadcast:{b.id}")
        return ConfirmResult("confirmed", fresh)

    # --------------------------------------------------------- housekeeping

    async def recover_after_restart(self) -> list[Broadcast]:
        """Rows left ``sending`` by a crash may have gone out: make them ``unknown``."""
        interrupted = await self._store.mark_interrupted_sends()
        for b in interrupted:
            await self._audit(None, "unknown", f"broadcast:{b.id}", {"reason": "interrupted"})
        return interrupted

    async def void_removed_requesters(self) -> list[ApprovalRequest]:
        """At start-up: pending requests whose requester is no longer an admin are
        withdrawn, so nobody can approve a send that would use a removed admin's key."""
        voided = []
        for request in await self._store.list_pending_requests():
            if self.policy.may_request(request.requester_id):
                continue
            if (await self._void_removed(request)).kind == "requester_removed":
                voided.append(request)
        return voided

    async def stranded_approvals(self) -> list[Stranded]:
        """At start-up: approved requests that never got a broadcast row (the process
        died, or the store failed, between the approval and the row). Nothing was sent.
        Those of removed admins are voided; the others may be sent by a person."""
        found = []
        for request in await self._store.list_approved_without_broadcast():
            voided = not self.policy.may_request(request.requester_id)
            if voided:
                voided = (await self._void_removed(request)).kind == "requester_removed"
            found.append(Stranded(request, voided))
        return found

    async def start_stranded(self, request_id: int, actor_id: int) -> SendOutcome:
        """A person's tap sends an approved request that never started. Still the
        single-winner path: the UNIQUE row decides, a second tap gets "duplicate"."""
        request = await self._store.get_request(request_id)
        if request is None:
            return SendOutcome("not_found")
        if actor_id not in (request.requester_id, request.decided_by):
            return SendOutcome("not_allowed")
        send_at = parse_send_at(request.snapshot)
        if send_at is not None and send_at <= self._clock():
            return SendOutcome("too_late")
        if request.decided_by is None:
            return SendOutcome("not_allowed")
        await self._audit(actor_id, "start_stranded", f"request:{request.id}")
        return await self.send_approved(request, request.decided_by)

    async def expire_due(self) -> list[ApprovalRequest]:
        expired = await self._store.expire_requests(self._clock())
        for request in expired:
            await self._audit(None, "expired", f"request:{request.id}")
        return expired

    # ------------------------------------------------------------ after send

    async def cancel(self, broadcast_id: int, actor_id: int) -> CancelResult:
        b = await self._store.get_broadcast(broadcast_id)
        if b is None:
            return CancelResult("not_found")
        if not self._may_act(b, actor_id):
            return CancelResult("not_allowed", b)
        if b.state != BroadcastState.SENT or not b.outbox_ids:
            return CancelResult("not_cancellable", b)
        send_at = parse_send_at(b.snapshot)
        if send_at is None:
            return CancelResult("not_scheduled", b)
        if send_at - self._clock() < CANCEL_LEAD:
            return CancelResult("too_late", b)
        api_key = await self._key_or_none(b.requester_id)
        if api_key is None:
            return CancelResult("no_key", b, NO_KEY_TEXT)
        return await self._cancel_at_provider(b, api_key, actor_id)

    async def _cancel_at_provider(self, b: Broadcast, api_key: str, actor_id: int) -> CancelResult:
        done: list[int] = []
        message: str | None = None
        refusal: str | None = None
        errors: list[IPPanelError] = []
        for outbox_id in b.outbox_ids:
            try:
                message = await self._client.cancel(api_key, outbox_id=outbox_id)
                done.append(outbox_id)
            except IPPanelError as error:
                refusal = _scrub(error.message, api_key)
                errors.append(error)
        subject = f"broadcast:{b.id}"
        if refusal is None:
            await self._store.transition_broadcast(
                b.id, BroadcastState.SENT, BroadcastState.CANCELLED
            )
            await self._audit(actor_id, "cancelled", subject, {"message": message})
            return CancelResult("cancelled", await self._store.get_broadcast(b.id), message)
        await self._audit(
            actor_id, "cancel_refused", subject, {"error": refusal, "cancelled": done}
        )
        return CancelResult(cancel_refusal_kind(errors, done), b, refusal)

    async def delivery_report(self, broadcast_id: int, actor_id: int) -> DeliveryReport:
        b = await self._store.get_broadcast(broadcast_id)
        if b is None:
            return DeliveryReport("not_found")
        if not self._may_act(b, actor_id):
            return DeliveryReport("not_allowed", b)
        if not b.outbox_ids:
            return DeliveryReport("no_outbox", b)
        api_key = await self._key_or_none(b.requester_id)
        if api_key is None:
            return DeliveryReport("no_key", b)
        try:
            reports = [await self._client.report(api_key, outbox_id=i) for i in b.outbox_ids]
            stats = [
                (await self._client.bulk_stats(api_key, bulk_id=i)).operators for i in b.outbox_ids
            ]
        except IPPanelError as error:
            return DeliveryReport("error", b, error=error)
        return DeliveryReport("ok", b, reports, aggregate_stats(stats))

    async def credit(self, user_id: int) -> Credit:
        """The account credit; raises NoApiKeyError (an AuthError) without a usable key."""
        api_key = await self._key_or_none(user_id)
        if api_key is None:
            raise NoApiKeyError()
        return await self._client.credit(api_key)

    # ------------------------------------------------------ credit ran out

    async def _explain_no_credit(
        self, error: InsufficientCreditError, api_key: str, snap: dict[str, Any]
    ) -> InsufficientCreditError:
        """A 422 credit refusal, reworded with the credit now and the broadcast's cost."""
        try:
            found = await no_credit.shortfall(self._client, api_key, snap, recipients_total(snap))
        except Exception:  # only wording: the refusal itself must still be recorded
            log.exception("could not look up the credit after a credit refusal")
            return error
        return InsufficientCreditError(
            found.text("fa", "credit_ran_out_reason"),
            errors=error.errors,
            status=error.status,
            message_code=error.message_code,
        )

    async def _credit_after_send(self, outcome: SendOutcome, api_key: str) -> SendOutcome:
        """An immediate send the panel accepted may already be failed for credit (state 8):
        then the outcome is that failure, not "sent". Asked once; the watch asks later."""
        b = outcome.broadcast
        if b is None or b.state != BroadcastState.SENT or parse_send_at(b.snapshot) is not None:
            return outcome
        try:
            hit = await self._no_credit(b, api_key)
        except Exception:  # the send is recorded; a failed look-up must not hide it
            log.exception("broadcast %s: credit check after the send failed", b.id)
            return outcome
        if hit is None:
            return outcome
        fresh, found = hit
        error = InsufficientCreditError(found.text("fa", "credit_ran_out_reason"))
        return SendOutcome("failed", fresh, error)

    async def credit_ran_out(self, user_ids: list[int]) -> list[tuple[Broadcast, CreditShortfall]]:
        """Recent sends the panel accepted and then failed for lack of credit (report
        state 8), each returned once so both admins can be told. Never sends."""
        now = self._clock()
        seen: set[int] = set()
        found: list[tuple[Broadcast, CreditShortfall]] = []
        for user_id in user_ids:
            for b in await self._store.list_broadcasts(user_id, limit=CREDIT_WATCH_LIMIT):
                if b.id in seen or b.id in self._credit_settled:
                    continue
                seen.add(b.id)
                if b.state != BroadcastState.SENT or not b.outbox_ids:
                    continue
                send_at = parse_send_at(b.snapshot)
                if now - b.created_at > CREDIT_WATCH_WINDOW or (send_at and send_at > now):
                    continue
                api_key = await self._key_or_none(b.requester_id)
                hit = await self._no_credit(b, api_key) if api_key else None
                if hit is not None:
                    found.append(hit)
        return found

    async def _no_credit(
        self, b: Broadcast, api_key: str
    ) -> tuple[Broadcast, CreditShortfall] | None:
        """When the panel's reports say ``b`` failed for credit: record it once and
        return it with the amounts; None otherwise (or when someone recorded it first)."""
        reports = await no_credit.reports_of(self._client, api_key, b.outbox_ids)
        if not reports or not no_credit.ran_out(reports):
            if reports and no_credit.settled(reports):
                self._credit_settled.add(b.id)
            return None
        if b.id in self._credit_settled:  # the watch and a send's own check raced
            return None
        self._credit_settled.add(b.id)
        found = await no_credit.shortfall(
            self._client, api_key, b.snapshot, recipients_total(b.snapshot), reports
        )
        if no_credit.nothing_went_out(reports):
            # nothing left the panel: a person may resend it after topping up
            won = await self._store.transition_broadcast(
                b.id,
                BroadcastState.SENT,
                BroadcastState.FAILED,
                _scrub(found.text("fa", "credit_ran_out_reason"), api_key),
            )
            if not won:
                return None
        # else part went out: it stays sent, so nobody can resend it to everyone
        detail = {"credit": found.credit, "cost": found.cost}
        await self._audit(None, "no_credit", f"broadcast:{b.id}", detail)
        return await self._safe_get_broadcast(b), found

    # --------------------------------------------------------------- plumbing

    async def _key(self, user_id: int) -> str | None:
        """The user's key; None when missing or failing its integrity check."""
        try:
            return await self._store.get_api_key(user_id)
        except KeyIntegrityError:
            log.warning("user %s: stored API key failed its integrity check", user_id)
            return None

    async def _key_or_none(self, user_id: int) -> str | None:
        try:
            return await self._key(user_id)
        except Exception:
            log.exception("user %s: could not read the API key", user_id)
            return None

    async def _audit(
        self,
        actor_id: int | None,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Audit every step; a failing audit write must not change a send's fate."""
        try:
            await self._store.audit(actor_id, action, subject, detail)
        except Exception:
            log.exception("audit %s %s failed", action, subject)


def _settled_kind(state: BroadcastState) -> Literal["sent", "not_sent", "still_unknown"]:
    if state in (BroadcastState.SENT, BroadcastState.CANCELLED):
        return "sent"
    if state == BroadcastState.FAILED:
        return "not_sent"
    return "still_unknown"


def _scrub(text: str, api_key: str | None) -> str:
    """Belt and braces: the client scrubs too, but a key must never reach a row."""
    return text.replace(api_key, "***") if api_key else text


def _money(money: MoneyCheck) -> dict[str, Any]:
    return {"cost_low": money.cost_low, "cost_high": money.cost_high, "credit": money.credit}


def _brief(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: snapshot.get(k) for k in ("draft_id", "sender", "recipients", "send_at")}
