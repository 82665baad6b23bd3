"""Step 5: the review card: submit, edit one step, save and leave, or discard."""

from __future__ import annotations

import logging

from telegram import Update

from bot.domain import Draft, Step
from bot.render import (
    build_card,
    message_text,
)
from handlers import approval
from handlers import keyboards as kb
from handlers.common import (
    Context,
    lang_of,
    say,
    services,
    tr,
)
from handlers.compose.flow import (
    END,
    REVIEW,
    goto,
    live,
    show,
    stale,
)
from handlers.compose.text import price_lines

log = logging.getLogger("handlers.compose")


async def enter_review(update: Update, context: Context, draft: Draft) -> int:
    settings = services(context).settings
    lang = lang_of(context)
    snapshot = draft.snapshot(settings.message_suffix)
    _, per, credit = await price_lines(update, context, draft, snapshot["message"])
    card = build_card(snapshot, lang, settings.tz, per_recipient=per, credit=credit)
    if card.message_apart:  # never happens for a valid draft; the text is never cut anyway
        await say(update, context, message_text(snapshot, lang, f"#{draft.id}"))
    text = card.text
    submit = "btn_submit" if settings.approvals_required else "btn_send_now"
    rows = [
        [kb.btn(tr(context, submit), "v:submit")],
        [
            kb.btn(tr(context, "btn_edit_sender"), "v:e:sender"),
            kb.btn(tr(context, "btn_edit_books"), "v:e:phonebooks"),
        ],
        [
            kb.btn(tr(context, "btn_edit_text"), "v:e:text"),
            kb.btn(tr(context, "btn_edit_time"), "v:e:time"),
        ],
        [
            kb.btn(tr(context, "btn_save_leave"), "v:save"),
            kb.btn(tr(context, "btn_discard"), "v:discard"),
        ],
        [kb.btn(tr(context, "btn_save_text"), "v:st")],  # team rules
        [kb.btn(tr(context, "btn_gradual"), "v:g")],  # gradual sending
    ]
    if card.books_summarized:
        rows.append([kb.btn(tr(context, "btn_books_list"), f"bl:d:{draft.id}")])
    await show(update, context, text, kb.markup(rows))
    return REVIEW


@live
async def review_press(update: Update, context: Context, draft: Draft) -> int:
    """Submit, edit one step, save and leave, or discard."""
    action = update.callback_query.data
    if action == "v:submit":
        return await approval.submit(update, context, draft)
    if action.startswith("v:e:"):
        try:
            step = Step(action.removeprefix("v:e:"))
        except ValueError:
            return await stale(update, context)
        context.user_data["review_return"] = True
        return await goto(update, context, step)
    if action == "v:save":
        await show(update, context, tr(context, "saved_left"), None)
        context.user_data["menu"] = None
        return END
    if action == "v:discard":
        await approval.void_pending_requests(update, context, draft)
        await services(context).store.delete_draft(draft.id, draft.owner_id)
        context.user_data.pop("draft", None)
        await show(update, context, tr(context, "discarded"), None)
        context.user_data["menu"] = None
        return END
    return await stale(update, context)
