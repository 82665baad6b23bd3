"""Background work: recovery at start-up, approval expiry, reconciling unknown sends."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot import provider_words as words
from bot.broadcasts import UNKNOWN_POLL_FOR
from bot.domain import Broadcast
from bot.health import touch
from bot.no_credit import CreditShortfall
from bot.render import num
from bot.texts import t
from handlers.approval import close_cards, tell_expired
from handlers.common import notify, people_of, user_lang
from handlers.plans import batch_heading, report_plan, unit_markup
from handlers.results import tell_reconciled, tell_stranded, unknown_howto
from handlers.session import CustomContext

log = logging.getLogger("handlers.jobs")


async def recover_interrupted_sends(app: Application) -> None:
    """At start: a send cut off mid-flight becomes unknown, and both admins are told."""
    context = CustomContext(app)
    for b in await context.services.broadcasts.recover_after_restart():
        log.warning("broadcast %s was interrupted mid-send; marked unknown", b.id)
        tz = context.services.settings.tz
        for person in people_of(b.requester_id, b.approver_id):
            lang = await user_lang(context, person)
            markup = await unit_markup(
                context, lang, b, person, state="unknown", scheduled=b.snapshot.send_at is not None
            )
            text = batch_heading(lang, b, tz) + t(lang, "send_interrupted", no=b.number)
            await notify(context, person, text + unknown_howto(lang, b, tz), markup)
    await void_removed_requesters(app)
    await recover_stranded_approvals(app)
    await resume_plans(app)


async def resume_plans(app: Application) -> None:
    """At start: gradual plans cut off between two batches post on, where every batch so
    far is certainly sent; both admins get the plan's card either way."""

    context = CustomContext(app)
    for outcome in await context.services.broadcasts.resume_plans():
        first = outcome.batches[0] if outcome.batches else None
        if first is None:
            continue
        log.warning("gradual plan %s resumed after a restart: %s", outcome.plan_key, outcome.kind)
        await report_plan(
            context, outcome, approver_id=first.approver_id, requester_id=first.requester_id
        )


async def void_removed_requesters(app: Application) -> None:
    """At start: an admin removed from ADMIN_IDS no longer has requests anyone can approve;
    their pending requests are voided and every approver's card is closed."""
    context = CustomContext(app)
    for request in await context.services.broadcasts.void_removed_requesters():
        log.warning("request %s voided: its requester is no longer an admin", request.id)
        await close_cards(context, request, "decided_voided")


async def recover_stranded_approvals(app: Application) -> None:
    """At start: approved requests with no broadcast row never sent anything; both admins
    are told plainly and may send with one tap (still the single-winner path)."""
    context = CustomContext(app)
    for stranded in await context.services.broadcasts.stranded_approvals():
        log.warning("request %s was approved but never started", stranded.request.id)
        await tell_stranded(context, stranded)


async def expire_requests(context: CustomContext) -> None:
    """JobQueue: requests past their TTL or their scheduled time become expired."""
    for request in await context.services.broadcasts.expire_due():
        await tell_expired(context, request)


async def heartbeat(context: CustomContext) -> None:
    """JobQueue: touch DATA_DIR/heartbeat for the container health check."""
    touch(context.services.settings.data_dir)


async def reconcile_unknown(context: CustomContext) -> None:
    """JobQueue: ask the provider about unknown sends; tell both admins once it is known.
    A send still unknown after ``UNKNOWN_POLL_FOR`` is no longer asked about: it stays
    unknown (never resent) and both admins are told once to check it themselves."""
    service = context.services.broadcasts
    for b in await service.give_up_unknown():
        log.warning("broadcast %s: still unknown, no longer polled", b.id)
        await tell_given_up(context, b)
    for b in await service.unknown_to_poll():
        result = await service.reconcile(b.id)
        if result.kind in ("sent", "not_sent") and result.broadcast is not None:
            await tell_reconciled(context, result.kind, result.broadcast)


async def tell_given_up(context: CustomContext, b: Broadcast) -> None:
    tz = context.services.settings.tz
    for person in people_of(b.requester_id, b.approver_id):
        lang = await user_lang(context, person)
        markup = await unit_markup(
            context, lang, b, person, state="unknown", scheduled=b.snapshot.send_at is not None
        )
        days = num(UNKNOWN_POLL_FOR.days, lang)
        text = batch_heading(lang, b, tz) + t(lang, "unknown_given_up", no=b.number, days=days)
        await notify(context, person, text + unknown_howto(lang, b, tz), markup)


async def maintain_store(context: CustomContext) -> None:
    """JobQueue: prune working rows past their time (storage/maintenance.py), hand a few
    free pages back to the file system, and checkpoint the WAL without waiting."""
    store = context.services.store
    pruned = await store.prune(context.services.broadcasts.deps.clock())
    if pruned.total:
        log.info("pruned %s", pruned)
    await store.vacuum_step()
    await store.checkpoint()


async def watch_credit(context: CustomContext) -> None:
    """JobQueue: a send the panel accepted and then failed for lack of credit (report
    state 8) is told to both admins once, with the amounts. Never resends."""
    settings = context.services.settings
    admins = sorted(settings.known_users)
    for b, shortfall in await context.services.broadcasts.credit_ran_out(admins):
        await tell_credit_ran_out(context, b, shortfall)


async def tell_credit_ran_out(
    context: CustomContext, b: Broadcast, shortfall: CreditShortfall
) -> None:
    tz = context.services.settings.tz
    for person in people_of(b.requester_id, b.approver_id):
        lang = await user_lang(context, person)
        markup = await unit_markup(context, lang, b, person, state=str(b.state), scheduled=False)
        said = words.shortfall_text(lang, "credit_ran_out", shortfall, no=b.number)
        text = batch_heading(lang, b, tz) + said
        await notify(context, person, text, markup)
