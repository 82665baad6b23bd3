"""Step 5: the review card: submit, edit one step, test on one's own phone, save and leave,
or discard."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Update

from bot.domain import Draft, Step
from bot.render import build_card, message_text
from handlers import approval
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    lang_of,
    say,
    tr,
)
from handlers.compose.flow import (
    END,
    REVIEW,
    goto,
    live,
    save,
    screen,
    show,
    stale,
)
from handlers.compose.plan import plan_problem
from handlers.compose.submit import submit
from handlers.compose.text import price_lines
from handlers.compose.trial import trial_button, trial_press
from handlers.guards import card_guards, move_past_quiet, review_quiet, skip_night

log = logging.getLogger("handlers.compose")


@screen(Step.REVIEW)
async def enter_review(update: Update, context: Context, draft: Draft) -> int:
    settings = context.services.settings
    lang = lang_of(context)
    snapshot = draft.snapshot(settings.message_suffix)
    _, per, credit = await price_lines(update, context, draft, snapshot.message)
    quiet_line, quiet_rows = review_quiet(context, draft, snapshot, lang)
    cost = per * draft.recipients() if per is not None else None
    guards = await card_guards(context, snapshot, lang, cost=cost) + quiet_line
    card = build_card(snapshot, lang, settings.tz, per_recipient=per, credit=credit, guards=guards)
    if card.message_apart:  # never happens for a valid draft; the text is never cut anyway
        await say(update, context, message_text(snapshot, lang, tr(context, "draft_ref")))
    text = card.text
    submit = "btn_submit" if settings.approvals_required else "btn_send_now"
    edit, review = cb.REVIEW_EDIT.data, cb.REVIEW.data
    pairs = [
        ("btn_edit_sender", edit(Step.SENDER), "btn_edit_books", edit(Step.PHONEBOOKS)),
        ("btn_edit_text", edit(Step.TEXT), "btn_edit_time", edit(Step.TIME)),
        ("btn_save_leave", review("save"), "btn_discard", review("discard")),
    ]
    first = [kb.btn(tr(context, submit), review("submit"))]
    problem = plan_problem(context, draft) if draft.plan else None
    if problem is not None:
        # a gradual choice no plan can be made of (e.g. time "now"): say so, and offer the
        # ways out instead of a submit that could only fail
        text = tr(context, "plan_blocked", why=problem[1]) + text
        first = kb.reading_order(
            lang,
            [
                kb.btn(tr(context, "btn_plan_time"), edit(Step.TIME)),
                kb.btn(tr(context, "btn_plan_off"), cb.PLAN_MENU.data("gx")),
            ],
        )
    rows = [first, *quiet_rows]  # night hours: one tap moves the send (#22)
    rows += [
        kb.reading_order(lang, [kb.btn(tr(context, a), da), kb.btn(tr(context, b), db)])
        for a, da, b, db in pairs[:2]
    ]
    rows.append(trial_button(context, per))  # test SMS to one's own phone, priced
    a, da, b, db = pairs[2]
    rows.append(kb.reading_order(lang, [kb.btn(tr(context, a), da), kb.btn(tr(context, b), db)]))
    rows.append([kb.btn(tr(context, "btn_save_text"), cb.SAVE_TEXT.data())])  # team rules
    rows.append([kb.btn(tr(context, "btn_plan"), cb.PLAN_MENU.data("g"))])  # gradual sending
    if card.books_summarized:
        rows.append([kb.btn(tr(context, "btn_books_list"), cb.DRAFT_BOOKS.data(draft.id))])
    await show(update, context, text, kb.markup(rows))
    return REVIEW


@cb.TRIAL_SEND.handles
@live
async def trial_send(update: Update, context: Context, draft: Draft) -> int:
    """📱 the exact final text to one's own phone (see :mod:`.trial`)."""
    return await trial_press(update, context, draft)


@cb.REVIEW_EDIT.handles
@live
async def review_edit(update: Update, context: Context, draft: Draft, step: str) -> int | None:
    """Edit one step, then come back to the review."""
    context.user_data.review_return = True
    return await goto(update, context, Step(step))


@cb.REVIEW.handles
@live
async def review_press(update: Update, context: Context, draft: Draft, action: str) -> int | None:
    """Submit, save and leave, discard, or move the send out of the night hours."""
    if action == "submit":
        return await submit(update, context, draft)
    if action in ("quiet", "night", "day"):
        now = datetime.now(UTC)
        moved = (
            move_past_quiet(context, draft, now)
            if action == "quiet"
            else skip_night(context, draft, skip=action == "night")
        )
        if moved:
            draft = await save(update, context, draft)
        return await enter_review(update, context, draft)
    if action == "save":
        await show(update, context, tr(context, "saved_left"), None)
        context.user_data.menu = None
        return END
    if action == "discard":
        await approval.void_pending_requests(update, context, draft)
        await context.services.store.delete_draft(draft.id, draft.owner_id)
        context.user_data.draft = None
        await show(update, context, tr(context, "discarded"), None)
        context.user_data.menu = None
        return END
    return await stale(update, context)
