"""Step 5: the review card: submit, edit one step, test on one's own phone, save and leave,
or discard."""

from __future__ import annotations

import logging

from telegram import Update

from bot.domain import Draft, Step
from bot.render import build_card, message_text
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
from handlers.compose.trial import test_button, test_press

log = logging.getLogger("handlers.compose")


async def enter_review(update: Update, context: Context, draft: Draft) -> int:
    settings = services(context).settings
    lang = lang_of(context)
    snapshot = draft.snapshot(settings.message_suffix)
    _, per, credit = await price_lines(update, context, draft, snapshot["message"])
    card = build_card(snapshot, lang, settings.tz, per_recipient=per, credit=credit)
    if card.message_apart:  # never happens for a valid draft; the text is never cut anyway
        await say(update, context, message_text(snapshot, lang, tr(context, "draft_ref")))
    text = card.text
    submit = "btn_submit" if settings.approvals_required else "btn_send_now"
    pairs = [
        ("btn_edit_sender", "v:e:sender", "btn_edit_books", "v:e:phonebooks"),
        ("btn_edit_text", "v:e:text", "btn_edit_time", "v:e:time"),
        ("btn_save_leave", "v:save", "btn_discard", "v:discard"),
    ]
    rows = [[kb.btn(tr(context, submit), "v:submit")]]
    rows += [
        kb.reading_order(lang, [kb.btn(tr(context, a), da), kb.btn(tr(context, b), db)])
        for a, da, b, db in pairs[:2]
    ]
    rows.append(test_button(context, per))  # test SMS to one's own phone, priced
    a, da, b, db = pairs[2]
    rows.append(kb.reading_order(lang, [kb.btn(tr(context, a), da), kb.btn(tr(context, b), db)]))
    rows.append([kb.btn(tr(context, "btn_save_text"), "v:st")])  # team rules
    rows.append([kb.btn(tr(context, "btn_gradual"), "v:g")])  # gradual sending
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
    if action == "v:t":
        return await test_press(update, context, draft)
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
