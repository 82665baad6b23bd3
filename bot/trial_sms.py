"""A test SMS of a draft's exact final text to its owner's own phone, before a broadcast.

The money rules hold as for broadcasts: the row is written (and counted) before the one
POST, a send is never retried, and an outcome that is not certain stays ``unknown`` and
counts against the limit. At most :data:`TRIAL_LIMIT` test sends per draft and text: the
store counts and inserts in one statement, so a double tap or a restart cannot pass it.
A send the provider certainly refused (``failed``) does not count: nothing went out.
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

if TYPE_CHECKING:
    from storage import Store

log = logging.getLogger("bot.trial_sms")

TRIAL_LIMIT = 3  # test sends per draft and text

TrialKind = Literal["sent", "failed", "unknown", "limit", "invalid"]


@dataclass(frozen=True)
class TrialOutcome:
    kind: TrialKind
    used: int  # counted test sends of this draft and text, this one included
    trial: TrialSend | None = None
    error: IPPanelError | None = None

    @property
    def left(self) -> int:
        return max(0, TRIAL_LIMIT - self.used)


async def trials_used(store: Store, draft: Draft, message: str) -> int:
    if draft.sender is None:
        return 0
    return await store.count_trials(draft.id, line_and_text_hash(draft.sender, message))


async def send_trial(
    store: Store,
    client: IPPanelClient,
    *,
    draft: Draft,
    message: str,
    recipient: str,
    api_key: str,
) -> TrialOutcome:
    """One test send of ``message`` (the exact final text) from the draft's line to
    ``recipient`` with the owner's key. Counted in the store before the POST."""
    sender = draft.sender or ""
    digest = line_and_text_hash(sender, message)
    try:  # the client's own checks, before anything is counted
        build_webservice_body(sender=sender, message=message, recipients=[recipient])
    except ValidationError as exc:
        return TrialOutcome("invalid", await store.count_trials(draft.id, digest), error=exc)
    trial = await store.reserve_trial(
        owner_id=draft.owner_id,
        draft_id=draft.id,
        draft_version=draft.version,
        content_hash=digest,
        sender=sender,
        recipient=recipient,
        message=message,
        limit=TRIAL_LIMIT,
    )
    if trial is None:
        return TrialOutcome("limit", TRIAL_LIMIT)
    error: IPPanelError | None = None
    try:
        result = await client.send_to_numbers(api_key, sender, message, [recipient])
    except IPPanelError as exc:
        error = exc
        state = "unknown" if exc.outcome_unknown else "failed"
        finished = await store.finish_trial(trial.id, state, error=exc.message)
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
    used = await store.count_trials(draft.id, digest)
    return TrialOutcome(trial.state, used, trial, error)  # type: ignore[arg-type]  # the store's state column holds a TrialOutcome kind
