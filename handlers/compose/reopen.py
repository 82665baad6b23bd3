"""Buttons that open a stored draft in the conversation from outside it: send again (a
new draft copied from a broadcast) and the edit button under a refused send."""

from __future__ import annotations

from telegram import Update

from bot.domain import Step
from handlers import callbacks as cb
from handlers.common import Context, answer, say, tr, user_id_of
from handlers.compose.flow import END, open_existing, stale
from handlers.results import mine


@cb.SEND_AGAIN.handles
async def send_again(update: Update, context: Context, broadcast_id: int) -> int | None:
    """A new draft copied from a broadcast; it needs its own approval."""
    b = await mine(update, context, broadcast_id)
    if b is None:
        return END
    await answer(update)
    snap = b.snapshot
    suffix = context.services.settings.message_suffix.strip()
    text = snap.message
    if suffix and text.endswith("\n" + suffix):
        text = text[: -len(suffix) - 1]
    draft = await context.services.store.create_draft(
        user_id_of(update),
        sender=snap.sender,
        sender_label=snap.sender_label,
        selections=list(snap.selections),
        text=text,
        step=Step.TIME,
    )
    await say(update, context, tr(context, "again_ready", no=b.number))
    return await open_existing(update, context, draft, Step.TIME)


@cb.FIX.handles
async def fix_draft(update: Update, context: Context, draft_id: int, step: str) -> int | None:
    """The edit button under a refused send: reopen the draft at the step to fix."""
    draft = await context.services.store.get_draft(draft_id)
    if draft is None or draft.owner_id != user_id_of(update):
        await stale(update, context)
        return END
    await answer(update)
    return await open_existing(update, context, draft, Step(step))
