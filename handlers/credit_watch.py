"""Credit watch, the Telegram side: the JobQueue jobs and what they tell people.

The periodic sweep checks every stored key (``CREDIT_CHECK_HOURS``, default 6); a
one-off check of the sender's key runs shortly after every send. What is news is
decided in bot/credit_watch.py; this module only words it and sends it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from weakref import WeakKeyDictionary

from telegram.ext import Application

from bot import provider_words as words
from bot.credit_watch import CheckResult, CreditWatch, Estimate
from bot.domain import Broadcast
from bot.ippanel import IPPanelError
from bot.render import counted, esc, num
from bot.services import services_of
from bot.texts import t
from handlers.common import Context, notify, person_label, user_lang
from handlers.session import CustomContext
from storage import KeyIntegrityError, Store

log = logging.getLogger("handlers.credit_watch")

SWEEP_JOB = "credit_watch"
FIRST_SWEEP = timedelta(minutes=2)  # not at start-up: recovery and the first updates come first
AFTER_SEND_DELAY = 5.0  # seconds: let the provider charge the send before reading the credit

_watches: WeakKeyDictionary[Store, CreditWatch] = WeakKeyDictionary()


def watch(context: CustomContext) -> CreditWatch:
    """The application's one CreditWatch (its lock keeps checks of a key from overlapping)."""
    s = context.services
    found = _watches.get(s.store)
    if found is None:
        found = CreditWatch(s.store, s.client, fixed_threshold=s.settings.credit_alert_rials)
        _watches[s.store] = found
    return found


def schedule(app: Application) -> None:
    """post_init: the periodic sweep; CREDIT_CHECK_HOURS=0 turns the watch off."""
    hours = services_of(app).settings.credit_check_hours
    if app.job_queue is None or hours <= 0:
        return
    app.job_queue.run_repeating(sweep, timedelta(hours=hours), first=FIRST_SWEEP, name=SWEEP_JOB)


def after_send(context: CustomContext, broadcast: Broadcast | None) -> None:
    """Called where a send's outcome is reported: check the sender's key soon after."""
    if broadcast is None or context.job_queue is None:
        return
    if context.services.settings.credit_check_hours <= 0:
        return
    context.job_queue.run_once(
        check_after_send,  # type: ignore[arg-type]  # PTB types the job's context as unbound
        AFTER_SEND_DELAY,
        data={"owner": broadcast.requester_id, "broadcast": broadcast.id},
        name=f"credit_after_send:{broadcast.id}",
    )


async def sweep(context: CustomContext) -> None:
    """JobQueue: check every stored key; tell what is news."""
    people = context.services.settings.known_users
    for owner, result in await watch(context).sweep(people):
        await tell(context, owner, result)


async def check_after_send(context: CustomContext) -> None:
    """JobQueue (one-off): price the send just made, then check its key."""
    data = context.job.data if context.job else None
    if not isinstance(data, dict):
        return
    owner, broadcast_id = int(data["owner"]), int(data["broadcast"])
    w = watch(context)
    await w.after_send(owner, broadcast_id)
    result = await w.check_owner(owner)
    if result is not None:
        await tell(context, owner, result)


# ---------------------------------------------------------------- words


def _person(context: CustomContext, user_id: int) -> str:
    return person_label(context, user_id)


def estimate_text(lang: str, estimate: Estimate) -> str:
    """ "Covers about N broadcasts like the last" and the threshold, for /credit and alerts."""
    lines = []
    last, n = estimate.last, estimate.covers
    if last is not None and n is not None:
        lines.append(
            t(
                lang,
                "credit_estimate",
                n=counted(lang, n, "broadcast"),
                no=last.public_no or last.broadcast_id,
                recipients=counted(lang, last.recipients, "recipient"),
                cost=num(last.cost, lang),
            )
        )
    elif estimate.last_id is None:
        lines.append(t(lang, "credit_estimate_none"))
    if estimate.threshold is None:
        lines.append(t(lang, "credit_threshold_none"))
    else:
        key = "credit_threshold_fixed" if estimate.fixed_threshold else "credit_threshold_auto"
        lines.append(t(lang, key, threshold=num(estimate.threshold, lang)))
    return "\n".join(lines)


async def credit_extra(context: Context, owner_id: int, api_key: str, credit: float) -> str:
    """/credit's estimate lines; any trouble leaves them out rather than the credit."""
    lang = await user_lang(context, owner_id)
    try:
        estimate = await watch(context).estimate(owner_id, api_key, credit)
    except Exception:
        log.exception("user %s: no credit estimate", owner_id)
        return ""
    text = estimate_text(lang, estimate)
    if estimate.low:
        text += "\n" + t(lang, "credit_below")
    return text


async def team_credit(context: Context, viewer: int) -> str | None:
    """/credit for an approver without a key of their own: the credit of every stored key
    whose low-credit alerts they get, owner named (None when there is none).

    The alert named the owner and the account; a /credit that only said "set your key
    first" would leave the approver unable to check what the alert was about."""
    s = context.services
    if viewer not in s.settings.approvers:
        return None
    owners = [o for o, _ in await s.store.key_owners() if o in s.settings.known_users]
    if not owners:
        return None
    lang = await user_lang(context, viewer)
    parts = [t(lang, "credit_team_title")]
    for owner in owners:
        info = await s.store.get_key_info(owner)
        account = esc(info.account_name) if info and info.account_name else "—"
        who = _person(context, owner)
        try:
            key = await s.store.get_api_key(owner)
            if key is None:
                continue
            credit = await s.client.credit(key)
        except IPPanelError as error:
            reason = words.plain(lang, error)
            parts.append(t(lang, "credit_team_error", account=account, owner=who, reason=reason))
            continue
        except KeyIntegrityError:
            continue
        try:
            estimate = estimate_text(lang, await watch(context).estimate(owner, key, credit.credit))
        except Exception:
            log.exception("user %s: no credit estimate", owner)
            estimate = ""
        parts.append(
            t(
                lang,
                "credit_team_item",
                account=account,
                owner=who,
                credit=num(credit.credit, lang),
                estimate=estimate,
            )
        )
    return "\n\n".join(parts)


async def tell(context: CustomContext, owner_id: int, result: CheckResult) -> None:
    """Low credit goes to the owner and the approvers; a failed check to the owner only."""
    if not result.news:
        return
    if result.kind == "low" and result.estimate is not None:
        info = await context.services.store.get_key_info(owner_id)
        account = esc(info.account_name) if info and info.account_name else "—"
        people = [owner_id, *sorted(context.services.settings.approvers - {owner_id})]
        for person in people:
            lang = await user_lang(context, person)
            text = t(
                lang,
                "credit_low",
                account=account,
                owner=_person(context, owner_id),
                credit=num(result.estimate.credit, lang),
                estimate=estimate_text(lang, result.estimate),
            )
            await notify(context, person, text)
        log.info("user %s: credit below the threshold; told %d people", owner_id, len(people))
    elif result.kind == "auth":
        lang = await user_lang(context, owner_id)
        await notify(context, owner_id, t(lang, "credit_watch_auth"))
    elif result.kind == "error":
        lang = await user_lang(context, owner_id)
        error = result.error
        reason = words.explain(lang, error) if error else esc(result.reason or "—")
        await notify(context, owner_id, t(lang, "credit_watch_error", reason=reason))
