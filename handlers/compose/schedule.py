"""Step 4: the send time, now or a typed Jalali (or Gregorian) date."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Update

from bot.domain import Draft, Step
from bot.jalali import TimeError, format_jalali, parse_jalali, quick_choices
from bot.render import zone_name
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    lang_of,
    say,
    tr,
    typed_text,
)
from handlers.compose.flow import (
    TIME,
    live,
    save,
    screen,
    show,
    stale,
    with_draft,
)
from handlers.compose.review import enter_review

log = logging.getLogger("handlers.compose")


def _example(context: Context) -> str:
    tz = context.services.settings.tz
    example = quick_choices(datetime.now(UTC), tz)["tomorrow"]
    return format_jalali(example, tz, lang_of(context))


@screen(Step.TIME)
async def enter_time(update: Update, context: Context, draft: Draft) -> int:
    lang = lang_of(context)
    settings = context.services.settings
    choices = quick_choices(datetime.now(UTC), settings.tz)
    # the quick choices read earliest first; "now" goes forward to the review, beside back
    rows = [
        kb.reading_order(lang, [kb.btn(tr(context, f"btn_{n}"), cb.TIME.data(n)) for n in choices])
    ]
    rows.append(
        kb.nav_row(lang, kb.back(lang), [kb.btn(tr(context, "btn_now"), cb.TIME.data("now"))])
    )
    text = tr(context, "time_ask", example=_example(context), tz=zone_name(lang, settings.timezone))
    await show(update, context, text, kb.markup(rows))
    return TIME


@cb.TIME.handles
@live
async def time_press(update: Update, context: Context, draft: Draft, choice: str) -> int | None:
    """Now, or a quick choice computed afresh at the moment of the press."""
    if choice == "now":
        draft.send_at = None
    else:
        choices = quick_choices(datetime.now(UTC), context.services.settings.tz)
        if choice not in choices:
            return await stale(update, context)
        draft.send_at = choices[choice]
    draft.step = Step.REVIEW
    draft = await save(update, context, draft)
    context.user_data.review_return = False
    return await enter_review(update, context, draft)


@with_draft
async def time_typed(update: Update, context: Context, draft: Draft) -> int:
    """A typed Jalali date and time in the configured zone."""
    tz = context.services.settings.tz
    try:
        draft.send_at = parse_jalali(typed_text(update), now=datetime.now(UTC), tz=tz)
    except TimeError as err:
        await say(update, context, tr(context, f"time_{err.reason}", example=_example(context)))
        return TIME
    draft.step = Step.REVIEW
    draft = await save(update, context, draft)
    context.user_data.review_return = False
    context.user_data.menu = None
    return await enter_review(update, context, draft)


async def time_not_text(update: Update, context: Context) -> int:
    await say(update, context, tr(context, "time_not_text"))
    return TIME
