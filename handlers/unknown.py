"""An unknown send declared "not sent" by a person: only the requester or an approver, in
two steps (the screen says how to check the IPPanel outbox and that a retry is paid again),
audited with who and when; only then is "retry" offered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Update

from bot.jalali import format_jalali
from bot.render import esc, fit, ltr
from bot.texts import t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    card_of,
    edit,
    lang_of,
    notify,
    person_label,
    say,
    tr,
    user_id_of,
    user_lang,
)
from handlers.plans import batch_heading, batch_markup
from handlers.results import mine

log = logging.getLogger("handlers.unknown")


@cb.NOT_SENT_ASK.handles
async def confirm_not_sent_ask(update: Update, context: Context, broadcast_id: int) -> None:
    """Step one: explain what to check in the panel and what confirming allows."""
    b = await mine(update, context, broadcast_id)
    if b is None:
        return
    await answer(update)
    if b.state != "unknown":
        state = tr(context, f"state_{b.state}")
        await say(
            update, context, tr(context, "confirm_not_sent_refused", no=b.number, state=state)
        )
        return
    lang = lang_of(context)
    tz = context.services.settings.tz
    text = batch_heading(lang, b, tz) + tr(
        context,
        "confirm_not_sent_ask",
        no=b.number,
        sender=ltr(str(b.snapshot.sender or "—")),
        when=format_jalali(b.created_at, tz, lang),
        text=esc(b.snapshot.message[:300]),
    )
    await say(update, context, fit(text), kb.confirm_not_sent(lang, b.id))


@cb.NOT_SENT_YES.handles
async def confirm_not_sent(update: Update, context: Context, broadcast_id: int) -> None:
    """Step two: record "not sent" (audited); only now is a retry offered, to both admins."""
    b = await mine(update, context, broadcast_id)
    if b is None:
        return
    await answer(update)
    actor = user_id_of(update)
    result = await context.services.broadcasts.confirm_not_sent(b.id, actor)
    message = card_of(update)
    if result.kind != "confirmed" or result.broadcast is None:
        fresh = result.broadcast or b
        state = tr(context, f"state_{fresh.state}")
        text = tr(context, "confirm_not_sent_refused", no=b.number, state=state)
        if message:
            await edit(context, message.chat.id, message.message_id, text, None)
        return
    done = result.broadcast
    tz = context.services.settings.tz
    now = datetime.now(UTC)
    for person in [p for p in {done.requester_id, done.approver_id} if p]:
        lang = await user_lang(context, person)
        text = batch_heading(lang, done, tz) + t(
            lang,
            "confirmed_not_sent",
            no=done.number,
            who=person_label(context, actor),
            when=format_jalali(now, tz, lang),
        )
        if done.plan_key is not None:  # a batch: its own buttons and the plan's
            status = await context.services.broadcasts.plan_status(done.id, person)
            markup = batch_markup(lang, done, status, now)
        else:
            markup = kb.result(
                lang, done.id, state=str(done.state), scheduled=False, retryable=True
            )
        if person == actor and message:  # the confirmation screen becomes the result
            await edit(context, message.chat.id, message.message_id, text, markup)
        else:
            await notify(context, person, text, markup)


@cb.NOT_SENT_KEEP.handles
async def confirm_not_sent_keep(update: Update, context: Context, broadcast_id: int) -> None:
    await answer(update)
    message = card_of(update)
    b = await context.services.store.get_broadcast(broadcast_id)
    if message and b is not None:
        text = tr(context, "confirm_not_sent_kept", no=b.number)
        await edit(context, message.chat.id, message.message_id, text, None)
