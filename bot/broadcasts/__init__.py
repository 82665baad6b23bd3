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

The service is split by stage: :mod:`.submit`, :mod:`.decide`, :mod:`.send`,
:mod:`.reconcile` and :mod:`.report`, over :mod:`.base`; results and settings are in
:mod:`.model`, pure rules in :mod:`.rules`.
"""

from __future__ import annotations

from bot.broadcasts.decide import DecideStage
from bot.broadcasts.model import (
    CANCEL_LEAD,
    CONFIRMED_NOT_SENT_TEXT,
    CREDIT_WATCH_LIMIT,
    CREDIT_WATCH_WINDOW,
    MIN_LEAD,
    NO_KEY_TEXT,
    PREPARE_FAILED_TEXT,
    RECONCILE_MAX_PAGES,
    RECONCILE_PAGE_SIZE,
    RECONCILE_SKEW,
    REQUESTER_REMOVED_REASON,
    UNEXPECTED_TEXT,
    CancelResult,
    ConfirmResult,
    Decision,
    DecisionKind,
    DeliveryReport,
    MoneyCheck,
    NoApiKeyError,
    Policy,
    ReconcileResult,
    SendKind,
    SendOutcome,
    Stranded,
    SubmitKind,
    SubmitResult,
    utcnow,
)
from bot.broadcasts.plans import CancelRemaining, PlanOutcome, PlanStage
from bot.broadcasts.reconcile import ReconcileStage
from bot.broadcasts.report import ReportStage
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
from bot.broadcasts.send import SendStage
from bot.broadcasts.submit import SubmitStage


class BroadcastService(SubmitStage, DecideStage, SendStage, PlanStage, ReconcileStage, ReportStage):
    """Submit, decide, send, reconcile and report: one object the handlers call."""


__all__ = [
    "CANCEL_LEAD",
    "CONFIRMED_NOT_SENT_TEXT",
    "CREDIT_WATCH_LIMIT",
    "CREDIT_WATCH_WINDOW",
    "MIN_LEAD",
    "NO_KEY_TEXT",
    "PREPARE_FAILED_TEXT",
    "RECONCILE_MAX_PAGES",
    "RECONCILE_PAGE_SIZE",
    "RECONCILE_SKEW",
    "REQUESTER_REMOVED_REASON",
    "UNEXPECTED_TEXT",
    "BroadcastService",
    "CancelRemaining",
    "CancelResult",
    "ConfirmResult",
    "Decision",
    "DecisionKind",
    "DeliveryReport",
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
    "fix_step_for",
    "message_too_long",
    "missing_step",
    "parse_send_at",
    "recipients_total",
    "record_matches",
    "utcnow",
]
