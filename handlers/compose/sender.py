"""Step 1: the sender line (skipped when the account has only one)."""

from __future__ import annotations

import logging

from telegram import Update

from bot.domain import Draft, Step
from bot.render import sender_label
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer_before_work,
    api_key,
    call_api,
    say,
    tr,
)
from handlers.compose.flow import (
    END,
    KEEP_MENU,
    SENDER,
    after_step,
    live,
    save,
    screen,
    show,
    stale,
)

log = logging.getLogger("handlers.compose")


@screen(Step.SENDER)
async def enter_sender(update: Update, context: Context, draft: Draft) -> int | None:
    await answer_before_work(update)  # what can go wrong below is told in a message
    key = await api_key(update, context)
    if key is None:
        return END
    client = context.services.client
    page = await call_api(update, context, lambda: client.sender_lines(key))
    if page is None:
        return KEEP_MENU
    lines = page.items
    if not lines:
        await say(update, context, tr(context, "sender_none"))
        return END
    profile = await context.services.store.get_profile(draft.owner_id)
    lines.sort(key=lambda line: line.number != profile.last_sender)  # last used first
    context.user_data.senders = [(line.number, line.alias) for line in lines]
    if len(lines) == 1:
        draft.sender, draft.sender_label = lines[0].number, lines[0].alias
        draft.step = Step.PHONEBOOKS
        draft = await save(update, context, draft)
        await say(
            update,
            context,
            tr(context, "sender_only_one", sender=sender_label(draft.sender, draft.sender_label)),
        )
        context.user_data.menu = None
        return await after_step(update, context, draft, Step.PHONEBOOKS)
    rows = []
    numbers = {line.number for line in lines}
    if profile.last_selections and profile.last_sender in numbers:
        rows.append([kb.btn(tr(context, "same_as_last"), cb.SENDER_LAST.data())])
    rows += [
        [kb.btn(f"{line.alias or ''} {line.number}".strip(), cb.SENDER.data(i))]
        for i, line in enumerate(lines[:40])
    ]
    await show(update, context, tr(context, "sender_title"), kb.markup(rows))
    return SENDER


@cb.SENDER_LAST.handles
@live
async def choose_last(update: Update, context: Context, draft: Draft) -> int | None:
    """ "Same as last time": sender and phonebooks of the previous send."""
    offered = context.user_data.senders or []
    profile = await context.services.store.get_profile(draft.owner_id)
    if profile.last_sender not in {n for n, _ in offered}:
        return await stale(update, context)
    draft.sender, draft.sender_label = profile.last_sender, profile.last_sender_label
    draft.selections = profile.last_selections
    draft.step = Step.TEXT
    draft = await save(update, context, draft)
    return await after_step(update, context, draft, Step.TEXT)


@cb.SENDER.handles
@live
async def choose_sender(update: Update, context: Context, draft: Draft, index: int) -> int | None:
    """A sender line, by its position in the list offered."""
    offered = context.user_data.senders or []
    if index >= len(offered):
        return await stale(update, context)
    draft.sender, draft.sender_label = offered[index]
    draft.step = Step.PHONEBOOKS
    draft = await save(update, context, draft)
    return await after_step(update, context, draft, Step.PHONEBOOKS)
