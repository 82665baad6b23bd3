"""A test SMS of a draft's exact final text to its owner's own phone, before a broadcast.

The money rules hold as for broadcasts: the row is written (and counted) before the one
POST, a send is never retried, and an outcome that is not certain stays ``unknown`` and
counts against the limit. Per person: one test send in flight at a time (a second tap
posts nothing), at most :data:`TRIAL_LIMIT` per line and text (a copied draft shares
them), at most ``TEST_SMS_DAILY_CAP`` in 24 hours, and none within 40 s of an identical
one (the panel refuses it, 429): the store checks and inserts in one statement, so a
double tap or a restart cannot pass it. A send the provider certainly refused
(``failed``) does not count: nothing went out.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.domain import Draft, TrialSend, line_and_text_hash
from bot.ippanel import IPPanelClient, IPPanelError, ValidationError
from bot.ippanel.bodies import build_webservice_body
from bot.phones import mask_phone
from storage.trial_sends import DEFAULT_DAILY_CAP, DUPLICATE_ERROR, DUPLICATE_WINDOW, TrialBlock

if TYPE_CHECKING:
    from storage import Store

DUPLICATE_SECONDS = int(DUPLICATE_WINDOW.total_seconds())

log = logging.getLogger("bot.trial_sms")

TRIAL_LIMIT = 3  # test sends per person, line and text

TrialKind = Literal[
    "sent",
    "failed",
    "unknown",
    "invalid",
    "limit",  # TRIAL_LIMIT of this text used up
    "daily_cap",  # the person's cap for 24 hours used up
    "in_flight",  # another test send of this person is on its way: nothing posted
    "duplicate",  # an identical one is too recent (the panel's 429): wait ``wait`` seconds
]


@dataclass(frozen=True)
class TrialOutcome:
    kind: TrialKind
    used: int  # counted test sends of this line and text, this one included
    trial: TrialSend | None = None
    error: IPPanelError | None = None
    wait: int = 0  # seconds, for "duplicate"

    @property
    def left(self) -> int:
        return max(0, TRIAL_LIMIT - self.used)


async def trials_used(store: Store, draft: Draft, message: str) -> int:
    if draft.sender is None:
        return 0
    return await store.count_trials(draft.owner_id, line_and_text_hash(draft.sender, message))


async def send_trial(
    store: Store,
    client: IPPanelClient,
    *,
    draft: Draft,
    message: str,
    recipient: str,
    api_key: str,
    daily_cap: int = DEFAULT_DAILY_CAP,
) -> TrialOutcome:
    """One test send of ``message`` (the exact final text) from the draft's line to
    ``recipient`` with the owner's key. Counted in the store before the POST."""
    sender = draft.sender or ""
    digest = line_and_text_hash(sender, message)
    try:  # the client's own checks, before anything is counted
        build_webservice_body(sender=sender, message=message, recipients=[recipient])
    except ValidationError as exc:
        return TrialOutcome("invalid", await store.count_trials(draft.owner_id, digest), error=exc)
    trial = await store.reserve_trial(
        owner_id=draft.owner_id,
        draft_id=draft.id,
        draft_version=draft.version,
        content_hash=digest,
        sender=sender,
        recipient=recipient,
        message=message,
        limit=TRIAL_LIMIT,
        daily_cap=daily_cap,
    )
    if isinstance(trial, TrialBlock):
        used = await store.count_trials(draft.owner_id, digest)
        return TrialOutcome(trial.kind, used, wait=trial.wait)
    error: IPPanelError | None = None
    try:
        result = await client.send_to_numbers(api_key, sender, message, [recipient])
    except IPPanelError as exc:
        error = exc
        state = "unknown" if exc.outcome_unknown else "failed"
        reason = DUPLICATE_ERROR if exc.status == 429 else exc.message
        finished = await store.finish_trial(trial.id, state, error=reason)
    except BaseException:
        # cancelled mid-POST (a shutdown): it may have gone out; never sent again
        await asyncio.shield(store.finish_trial(trial.id, "unknown", error="interrupted"))
        raise
    else:
        finished = await store.finish_trial(trial.id, "sent", outbox_ids=result.outbox_ids)
    trial = finished or trial
    log.info(
        "test send %d of draft %d (v%d) to %s: %s",
        trial.id,
        draft.id,
        draft.version,
        mask_phone(recipient),
        trial.state,
    )
    await store.audit(
        draft.owner_id,
        # the audit action keeps its first name: rows already logged say "test_send", and
        # the README documents it
        "test_send",
        f"test:{trial.id}",
        {
            "test": True,
            "draft_id": draft.id,
            "draft_version": draft.version,
            "state": trial.state,
            "to": mask_phone(recipient),
            "sender": sender,
            "outbox_ids": trial.outbox_ids,
            "error": trial.error,
        },
    )
    used = await store.count_trials(draft.owner_id, digest)
    if error is not None and error.status == 429:
        # the panel's duplicate refusal: nothing went out; say how long to wait
        wait = await store.duplicate_wait(draft.owner_id, digest, recipient)
        return TrialOutcome("duplicate", used, trial, error, wait=wait or DUPLICATE_SECONDS)
    kind: TrialKind = (
        "sent" if trial.state == "sent" else ("unknown" if trial.state == "unknown" else "failed")
    )
    return TrialOutcome(kind, used, trial, error)
