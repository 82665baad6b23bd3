"""The review card's "send gradually": batch size and interval, quick choices or typed.

The choice is saved on the draft (``Draft.plan``); the plan itself is computed into the
snapshot, shown on the review and approval cards, and approved as a whole.
"""

from __future__ import annotations

from telegram import Update

from bot.domain import Draft, Step
from bot.plans import (
    BATCH_CHOICES,
    EVERY_CHOICES,
    MAX_BATCH,
    MAX_BATCHES,
    MAX_EVERY,
    MIN_BATCH,
    MIN_EVERY,
    PlanError,
    plan_for,
)
from bot.render import num, plan_text
from bot.sms import to_ascii_digits
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import Context, answer, lang_of, message_of, say, tr
from handlers.compose.flow import REVIEW, enter, live, save, show, with_draft
from handlers.session import PlanValue

PLAN = 40  # conversation state: a typed batch size or interval is awaited
DEFAULT_BATCH = 500
DEFAULT_EVERY = 30


def plan_problem(context: Context, draft: Draft) -> tuple[str, str] | None:
    """What stands in the way of a plan for this draft, (reason, words), or None. Checked
    with the default choices before any is made, so the menu says at once that several
    books or a send "now" cannot go gradually."""
    g = draft.plan or {"batch": DEFAULT_BATCH, "every": DEFAULT_EVERY}
    try:
        plan_for(draft.selections, g["batch"], g["every"], draft.send_at)
    except PlanError as error:
        lang = lang_of(context)
        if error.reason == "several":
            return error.reason, tr(context, "plan_several")
        if error.reason == "no_time":
            return error.reason, tr(context, "plan_no_time")
        if error.reason == "too_many":
            return error.reason, tr(context, "plan_too_many", max=num(MAX_BATCHES, lang))
        return error.reason, tr(context, "plan_too_long")
    return None


def _plan_block(context: Context, draft: Draft, problem: tuple[str, str] | None) -> str:
    """The plan as it would be approved, or what stands in its way."""
    if problem is not None:
        return problem[1]
    if not draft.plan:
        return tr(context, "plan_pick")
    snapshot = draft.snapshot(context.services.settings.message_suffix)
    return plan_text(snapshot, context.services.settings.tz, lang_of(context))


async def enter_plan(update: Update, context: Context, draft: Draft) -> int:
    lang = lang_of(context)
    g = draft.plan or {}
    batch = tr(context, "plan_batch_n", n=num(g["batch"], lang)) if g else None
    every = tr(context, "plan_every_n", n=num(g["every"], lang)) if g else None
    unset = tr(context, "plan_unset")
    problem = plan_problem(context, draft)
    text = tr(
        context,
        "plan_menu",
        batch=batch or unset,
        every=every or unset,
        plan=_plan_block(context, draft, problem),
    )

    def mark(value: int, current: int | None, key: str | None = None) -> str:
        plain = num(value, lang).strip("\u2066\u2067\u2068\u2069")  # no isolates on buttons
        shown = tr(context, key, n=plain) if key else plain
        return ("✓ " if value == current else "") + shown

    sizes = [kb.btn(mark(n, g.get("batch")), cb.PLAN_BATCH.data(n)) for n in BATCH_CHOICES]
    intervals = [
        kb.btn(mark(n, g.get("every"), "plan_minutes"), cb.PLAN_EVERY.data(n))
        for n in EVERY_CHOICES
    ]
    time_row = [kb.btn(tr(context, "btn_plan_time"), cb.REVIEW_EDIT.data(Step.TIME))]
    rows = [
        kb.reading_order(lang, sizes),
        [kb.btn(tr(context, "btn_plan_batch_typed"), cb.PLAN_ASK_BATCH.data())],
        kb.reading_order(lang, intervals),
        [kb.btn(tr(context, "btn_plan_every_typed"), cb.PLAN_ASK_EVERY.data())],
        [kb.btn(tr(context, "btn_plan_done"), cb.PLAN_MENU.data("gr"))],
    ]
    # no time chosen ("now"): the way out is the time step, offered first
    rows.insert(0 if problem and problem[0] == "no_time" else len(rows) - 1, time_row)
    if g:
        rows.append([kb.btn(tr(context, "btn_plan_off"), cb.PLAN_MENU.data("gx"))])
    await show(update, context, text, kb.markup(rows))
    return REVIEW


async def _set(update: Update, context: Context, draft: Draft, **change: int) -> int:
    if update.callback_query is not None and await _chosen_again(update, draft, **change):
        return REVIEW
    g = dict(draft.plan or {"batch": DEFAULT_BATCH, "every": DEFAULT_EVERY})
    g.update(change)
    draft.plan = g
    draft = await save(update, context, draft)
    return await enter_plan(update, context, draft)


@cb.PLAN_MENU.handles
@live
async def plan_menu_press(
    update: Update, context: Context, draft: Draft, action: str
) -> int | None:
    """g opens the menu, gr goes back to the review, gx turns gradual sending off."""
    if action == "g":
        return await enter_plan(update, context, draft)
    if action == "gr":
        context.user_data.stop_awaiting(PlanValue)
        return await enter(update, context, draft, Step.REVIEW)
    draft.plan = None
    draft = await save(update, context, draft)
    return await enter(update, context, draft, Step.REVIEW)


@cb.PLAN_BATCH.handles
@live
async def plan_batch(update: Update, context: Context, draft: Draft, batch: int) -> int:
    return await _set(update, context, draft, batch=batch)


async def _chosen_again(update: Update, draft: Draft, **change: int) -> bool:
    """The option already chosen: answer the press and change nothing (the same menu
    again would be an edit Telegram refuses, and a save would void a pending request)."""
    if draft.plan and all(draft.plan.get(k) == v for k, v in change.items()):
        await answer(update)
        return True
    return False


@cb.PLAN_EVERY.handles
@live
async def plan_every(update: Update, context: Context, draft: Draft, every: int) -> int:
    return await _set(update, context, draft, every=every)


@cb.PLAN_ASK_BATCH.handles
@live
async def plan_ask_batch(update: Update, context: Context, draft: Draft) -> int:
    return await _ask(update, context, "b")


@cb.PLAN_ASK_EVERY.handles
@live
async def plan_ask_every(update: Update, context: Context, draft: Draft) -> int:
    return await _ask(update, context, "i")


async def _ask(update: Update, context: Context, kind: str) -> int:
    """Ask for a typed batch size (``b``) or interval (``i``)."""
    lang = lang_of(context)
    context.user_data.awaiting = PlanValue(kind)
    low, high = (MIN_BATCH, MAX_BATCH) if kind == "b" else (MIN_EVERY, MAX_EVERY)
    key = "plan_ask_batch" if kind == "b" else "plan_ask_every"
    await say(update, context, tr(context, key, min=num(low, lang), max=num(high, lang)))
    return PLAN


@with_draft
async def plan_typed(update: Update, context: Context, draft: Draft) -> int:
    """A typed batch size or interval; out of range gets a short message, draft intact."""
    awaiting = context.user_data.awaiting
    kind = awaiting.which if isinstance(awaiting, PlanValue) else None
    lang = lang_of(context)
    low, high = (MIN_BATCH, MAX_BATCH) if kind == "b" else (MIN_EVERY, MAX_EVERY)
    raw = to_ascii_digits(message_of(update).text or "").strip().replace(",", "").replace("٬", "")
    if kind not in ("b", "i") or not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        value = None
    else:
        value = int(raw)
    if value is None or not low <= value <= high:
        text = tr(context, "plan_bad_number", min=num(low, lang), max=num(high, lang))
        await say(update, context, text)
        return PLAN
    context.user_data.awaiting = None
    context.user_data.menu = None  # the typed answer is below the menu: show a fresh one
    return await _set(update, context, draft, **{"batch" if kind == "b" else "every": value})
