"""The broadcast service: submit, approve, send, retry, reconcile, cancel, report.

Pure logic over the store and the IPPanel client; no Telegram here. Handlers
call one method and turn its named result into a Persian message.

Money rules this module enforces:

* At most one POST per approval: the approval is a single-winner CAS in the
  store, and the row in state ``sending`` (UNIQUE per request) is written BEFORE the
  HTTP call, in the approval's own transaction for an approve press
  (``store.approve_and_start``), else by ``store.start_broadcast``; a second caller
  gets "duplicate".
* A send whose outcome is unknown is never resent automatically: it becomes
  ``unknown``. ``reconcile`` (which never sends) moves it to ``sent`` only on positive
  evidence, a provider row claimed one-to-one; absence of a row proves nothing. Only a
  person who checked the panel may declare it not sent (``confirm_not_sent``, audited).
* Only a certain failure (``failed``) may be retried, and only by a person.
* A direct send (approvals off) is keyed by draft id and version in the store.
* The requester must still be an admin when a request is decided and when it is sent.

The service is split by stage into collaborators wired once in
:class:`BroadcastService`, each holding typed references to the ones it calls:

* :class:`~.submit.Submitter` checks a draft and makes a pending request;
* :class:`~.decide.Decider` approves, rejects, withdraws and expires requests;
* :class:`~.post.Poster` makes the one POST of a send unit and records the answer;
* :class:`~.plans.Plans` posts a gradual plan's batches through the poster;
* :class:`~.send.Sender` sends what was approved (or a direct draft), retries, recovers;
* :class:`~.reconcile.Reconciler` settles an unknown send from provider evidence;
* :class:`~.report.Reports` cancels, reports delivery and watches the credit.

They share :class:`~.base.Deps` (store, client, policy, clock). Results and settings are
in :mod:`.model`, pure rules in :mod:`.rules`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.broadcasts.base import Deps
from bot.broadcasts.decide import Decider
from bot.broadcasts.model import (
    CANCEL_LEAD,
    CREDIT_WATCH_LIMIT,
    CREDIT_WATCH_WINDOW,
    MIN_LEAD,
    NO_KEY_TEXT,
    RECONCILE_MAX_PAGES,
    RECONCILE_PAGE_SIZE,
    RECONCILE_SKEW,
    REQUESTER_REMOVED_REASON,
    UNKNOWN_POLL_FOR,
    CancelResult,
    ConfirmResult,
    Decision,
    DecisionKind,
    DeliveryReport,
    ErrorCode,
    MoneyCheck,
    NoApiKeyError,
    Policy,
    ReconcileResult,
    SendKind,
    SendOutcome,
    Stranded,
    SubmitKind,
    SubmitResult,
    error_code,
    provider_error_code,
    read_error,
    utcnow,
)
from bot.broadcasts.plans import CancelRemaining, FromNow, PlanOutcome, Plans
from bot.broadcasts.post import Poster
from bot.broadcasts.reconcile import Reconciler
from bot.broadcasts.report import Reports
from bot.broadcasts.rules import (
    aggregate_stats,
    cancel_refusal_kind,
    fix_step_for,
    message_too_long,
    missing_step,
    parse_send_at,
    recipients_total,
    record_matches,
)
from bot.broadcasts.send import Sender
from bot.broadcasts.submit import Submitter
from bot.domain import ApprovalRequest, Broadcast, Draft
from bot.ippanel import Credit, IPPanelClient
from bot.no_credit import CreditShortfall
from storage import Store
from storage.plans import PlanRecord


class BroadcastService:
    """The one object the handlers call: each method hands over to the collaborator
    that owns the stage. The collaborators are wired here, once."""

    def __init__(
        self,
        store: Store,
        client: IPPanelClient,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.deps = Deps(store, client, policy, clock)
        self.reports = Reports(self.deps)
        self.poster = Poster(self.deps, self.reports)
        self.plans = Plans(self.deps, self.poster, self.reports)
        self.submitter = Submitter(self.deps)
        self.decider = Decider(self.deps)
        self.sender = Sender(self.deps, self.poster, self.plans, self.decider, self.submitter)
        self.reconciler = Reconciler(self.deps)

    @property
    def policy(self) -> Policy:
        return self.deps.policy

    # submit and decide
    async def submit(self, draft: Draft, requester_id: int) -> SubmitResult:
        return await self.submitter.submit(draft, requester_id)

    async def approve(self, request_id: int, approver_id: int) -> Decision:
        return await self.decider.approve(request_id, approver_id)

    async def reject(self, request_id: int, approver_id: int, reason: str | None) -> Decision:
        return await self.decider.reject(request_id, approver_id, reason)

    async def withdraw(self, request_id: int, requester_id: int) -> Decision:
        return await self.decider.withdraw(request_id, requester_id)

    async def decidable(self, request_id: int, approver_id: int) -> ApprovalRequest | Decision:
        return await self.decider.decidable(request_id, approver_id)

    async def expire_due(self) -> list[ApprovalRequest]:
        return await self.decider.expire_due()

    async def void_removed_requesters(self) -> list[ApprovalRequest]:
        return await self.decider.void_removed_requesters()

    # send
    async def send_approved(
        self, request: ApprovalRequest, approver_id: int
    ) -> SendOutcome | PlanOutcome:
        return await self.sender.send_approved(request, approver_id)

    async def send_decision(
        self, decision: Decision, on_wire: Callable[[], None] | None = None
    ) -> SendOutcome | PlanOutcome:
        return await self.sender.send_decision(decision, on_wire)

    async def send_direct(self, draft: Draft, requester_id: int) -> SendOutcome | PlanOutcome:
        return await self.sender.send_direct(draft, requester_id)

    async def retry(self, broadcast_id: int, actor_id: int) -> SendOutcome:
        return await self.sender.retry(broadcast_id, actor_id)

    async def recover_after_restart(self) -> list[Broadcast]:
        return await self.sender.recover_after_restart()

    async def stranded_approvals(self) -> list[Stranded]:
        return await self.sender.stranded_approvals()

    async def start_stranded(self, request_id: int, actor_id: int) -> SendOutcome | PlanOutcome:
        return await self.sender.start_stranded(request_id, actor_id)

    # plans
    async def plan_status(self, broadcast_id: int, actor_id: int) -> PlanOutcome | None:
        return await self.plans.plan_status(broadcast_id, actor_id)

    def plan_status_from(
        self, b: Broadcast, actor_id: int, record: PlanRecord | None, rows: list[Broadcast]
    ) -> PlanOutcome | None:
        return self.plans.status_from(b, actor_id, record, rows)

    async def continue_plan(self, broadcast_id: int, actor_id: int) -> PlanOutcome | None:
        return await self.plans.continue_plan(broadcast_id, actor_id)

    async def begin_continue(
        self, broadcast_id: int, actor_id: int, *, from_now_stamp: int | None = None
    ) -> PlanOutcome | None:
        return await self.plans.begin_continue(
            broadcast_id, actor_id, from_now_stamp=from_now_stamp
        )

    async def post_rest(self, plan_key: str) -> PlanOutcome:
        return await self.plans.post_rest(plan_key)

    async def from_now(self, broadcast_id: int, actor_id: int) -> FromNow:
        return await self.plans.from_now(broadcast_id, actor_id)

    async def resume_plans(self) -> list[PlanOutcome]:
        return await self.plans.resume_plans()

    async def cancel_remaining(self, broadcast_id: int, actor_id: int) -> CancelRemaining:
        return await self.plans.cancel_remaining(broadcast_id, actor_id)

    # reconcile
    async def reconcile(self, broadcast_id: int) -> ReconcileResult:
        return await self.reconciler.reconcile(broadcast_id)

    async def unknown_to_poll(self) -> list[Broadcast]:
        """Unknown sends still asked about; those older than ``UNKNOWN_POLL_FOR`` are not
        (see :meth:`give_up_unknown`)."""
        since = self.deps.clock() - UNKNOWN_POLL_FOR
        return await self.deps.store.list_unknown_broadcasts(since=since)

    async def give_up_unknown(self) -> list[Broadcast]:
        """Unknown sends asked about for ``UNKNOWN_POLL_FOR``: polling stops, they stay
        unknown (never resent), each returned once so a person is told."""
        return await self.deps.store.give_up_unknown(self.deps.clock() - UNKNOWN_POLL_FOR)

    async def confirm_not_sent(self, broadcast_id: int, actor_id: int) -> ConfirmResult:
        return await self.reconciler.confirm_not_sent(broadcast_id, actor_id)

    # after the send
    async def cancel(self, broadcast_id: int, actor_id: int) -> CancelResult:
        return await self.reports.cancel(broadcast_id, actor_id)

    async def delivery_report(self, broadcast_id: int, actor_id: int) -> DeliveryReport:
        return await self.reports.delivery_report(broadcast_id, actor_id)

    async def credit(self, user_id: int) -> Credit:
        return await self.reports.credit(user_id)

    async def credit_ran_out(self, user_ids: list[int]) -> list[tuple[Broadcast, CreditShortfall]]:
        return await self.reports.credit_ran_out(user_ids)


__all__ = [
    "CANCEL_LEAD",
    "CREDIT_WATCH_LIMIT",
    "CREDIT_WATCH_WINDOW",
    "MIN_LEAD",
    "NO_KEY_TEXT",
    "RECONCILE_MAX_PAGES",
    "RECONCILE_PAGE_SIZE",
    "RECONCILE_SKEW",
    "REQUESTER_REMOVED_REASON",
    "UNKNOWN_POLL_FOR",
    "BroadcastService",
    "CancelRemaining",
    "CancelResult",
    "ConfirmResult",
    "Decision",
    "DecisionKind",
    "DeliveryReport",
    "ErrorCode",
    "FromNow",
    "MoneyCheck",
    "NoApiKeyError",
    "PlanOutcome",
    "Policy",
    "ReconcileResult",
    "SendKind",
    "SendOutcome",
    "Stranded",
    "SubmitKind",
    "SubmitResult",
    "aggregate_stats",
    "cancel_refusal_kind",
    "error_code",
    "fix_step_for",
    "message_too_long",
    "missing_step",
    "parse_send_at",
    "provider_error_code",
    "read_error",
    "recipients_total",
    "record_matches",
    "utcnow",
]
