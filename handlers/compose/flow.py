"""The conversation's plumbing: states, the live menu, loading and saving the draft,
entering it, moving between steps, going back and leaving.

Only the newest menu message is live: a press on any older one (before a restart, a finished
draft, a forged callback) is answered "this menu is out of date".

The flow imports no step: each step module registers the function that shows its screen
(``@screen(Step.TEXT)``) and the flow moves between steps through that table, so imports run
one way, steps on top of the flow.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.domain import Draft, PhonebookSelection, Step
from bot.render import esc
from handlers import approval
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    answer_before_work,
    answering,
    edit,
    say,
    tr,
    user_id_of,
)
from handlers.session import KeyWait

log = logging.getLogger("handlers.compose")

# Conversation states.
SENDER, BOOKS, OPTIONS, SLICE, CONTACTS, TEXT, TIME, REVIEW, RESUME = range(1, 10)
END = ConversationHandler.END
# A step whose provider read failed returns this: the conversation stays in the state it was
# in, so the menu the admin pressed is still the live one and pressing again retries.
KEEP_MENU = None
STEP_STATE = {
    Step.SENDER: SENDER,
    Step.PHONEBOOKS: BOOKS,
    Step.TEXT: TEXT,
    Step.TIME: TIME,
    Step.REVIEW: REVIEW,
}
PAGE_SIZE = 8
PRICE_TTL = 120  # seconds a price and credit answer is reused between text and review

Enter = Callable[[Update, Context, Draft], Awaitable[int | None]]
EnterT = TypeVar("EnterT", bound=Enter)
# the screens the flow can move to: every Step, and the phonebook options ("options")
_SCREENS: dict[str, Enter] = {}
OPTIONS_SCREEN = "options"  # the phonebook's options, where "back" leads from a slice


def screen(name: str) -> Callable[[EnterT], EnterT]:
    """Register a step's screen (a :class:`Step`, or :data:`OPTIONS_SCREEN`) as its module
    is imported; the package imports every step module before the bot can run."""

    def register(enter: EnterT) -> EnterT:
        if name in _SCREENS:
            raise RuntimeError(f"two screens for {name!r}")
        _SCREENS[name] = enter
        return enter

    return register


def missing_screens() -> list[str]:
    """Screens the flow can move to that no step registered (checked at import)."""
    return [name for name in [*Step, OPTIONS_SCREEN] if name not in _SCREENS]


async def enter(update: Update, context: Context, draft: Draft, name: str) -> int | None:
    """Show a step's screen for a loaded draft."""
    return await _SCREENS[name](update, context, draft)


async def show(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Show a step's menu: edit the live menu after a press, else send a new live menu."""
    await answer_before_work(update)  # the step has passed its checks: stop the spinner
    query = update.callback_query
    data = context.user_data
    if query and query.message and data.menu == query.message.message_id:
        if await edit(context, query.message.chat.id, query.message.message_id, text, markup):
            return
    message = await say(update, context, text, markup)
    data.menu = message.message_id


def is_live(update: Update, context: Context) -> bool:
    query = update.callback_query
    return bool(
        query
        and query.message
        and context.user_data.draft
        and context.user_data.menu == query.message.message_id
    )


async def stale(update: Update, context: Context) -> int | None:
    """A press on an old or forged menu: say so and change nothing."""
    await answer(update, tr(context, "stale_menu"), alert=True)
    return None


# A step handed its draft, and the (update, context, *args) handler it becomes.
P = ParamSpec("P")  # a button's parsed arguments
DraftStep = Callable[Concatenate[Update, Context, Draft, P], Awaitable[int | None]]
StepHandler = Callable[Concatenate[Update, Context, P], Coroutine[Any, Any, int | None]]


def with_draft(step: DraftStep[P]) -> StepHandler[P]:
    """Hand a step its admin's current draft; end the conversation when the draft is gone.
    A button's parsed arguments (see :mod:`handlers.callbacks`) follow the draft."""

    @functools.wraps(step)
    async def wrapper(
        update: Update, context: Context, *args: P.args, **kwargs: P.kwargs
    ) -> int | None:
        draft = await load_draft(update, context)
        if draft is None:
            return END
        return await step(update, context, draft, *args, **kwargs)

    return wrapper


def live(step: DraftStep[P]) -> StepHandler[P]:
    """For button steps: refuse presses that are not on the live menu, then load the draft."""
    loaded = with_draft(step)

    @functools.wraps(step)
    async def wrapper(
        update: Update, context: Context, *args: P.args, **kwargs: P.kwargs
    ) -> int | None:
        if not is_live(update, context):
            return await stale(update, context)
        # No blank answer up front: the step may still refuse the press with an alert.
        async with answering(update):
            return await loaded(update, context, *args, **kwargs)

    return wrapper


async def load_draft(update: Update, context: Context) -> Draft | None:
    """The admin's current draft, checked to be theirs."""
    draft_id = context.user_data.draft
    user = update.effective_user
    draft = await context.services.store.get_draft(draft_id) if draft_id else None
    if draft is None or user is None or draft.owner_id != user.id:
        context.user_data.draft = None
        await say(update, context, tr(context, "draft_missing"))
        return None
    return draft


async def save(update: Update, context: Context, draft: Draft) -> Draft:
    """Save a step; an edit voids any pending approval request of this draft."""
    await answer_before_work(update)  # a step that saves has passed its checks
    store = context.services.store
    # A version conflict (StaleDraftError) reaches the error handler: the admin is told
    # and the stored draft is left as it was, rather than silently overwritten.
    saved, withdrawn = await store.save_draft_voiding(draft)
    await approval.tell_voided(update, context, withdrawn)
    return saved


async def stored(
    update: Update, context: Context, writing: Awaitable[tuple[Draft, list[int]]]
) -> Draft:
    """A typed step's save, run right after its reply went out: the reply is the first thing
    the admin waits for, and a trip to SQLite's thread before it would wait behind the next
    getUpdates for the event loop. The new screen is live only if the save went through: on
    a version conflict it shows what was not stored, so its buttons answer "out of date"
    and the error handler tells the admin."""
    try:
        saved, withdrawn = await writing
    except BaseException:
        context.user_data.menu = None
        raise
    await approval.tell_voided(update, context, withdrawn)
    return saved


def chosen(draft: Draft, phonebook_id: str) -> PhonebookSelection | None:
    return next((s for s in draft.selections if s.phonebook_id == phonebook_id), None)


async def start_send(update: Update, context: Context) -> int | None:
    """/send: offer to resume an unfinished draft, or start a new one."""
    context.user_data.awaiting = None  # /send: no reason, key or name is awaited any more
    # whether a key is stored, from the store's memory: the steps that use it read it
    if not await context.services.store.has_api_key(user_id_of(update)):
        await say(update, context, tr(context, "need_key"))
        return END
    draft_id = context.user_data.draft
    draft = await context.services.store.get_draft(draft_id) if draft_id else None
    if draft is not None and draft.owner_id == user_id_of(update):
        summary = esc(draft.text[:30]) or tr(context, "draft_summary_empty")
        menu = kb.markup(
            [
                [kb.btn(tr(context, "btn_resume"), cb.RESUME.data("go"))],
                [kb.btn(tr(context, "btn_new_draft"), cb.RESUME.data("new"))],
            ]
        )
        context.user_data.menu = None
        await show(update, context, tr(context, "resume_offer", summary=summary), menu)
        return RESUME
    return await new_draft(update, context)


@cb.RESUME.handles
@live
async def resume_choice(update: Update, context: Context, draft: Draft, choice: str) -> int | None:
    """Continue the current draft or start afresh (dropping the current one if empty)."""
    if choice == "go":
        return await goto(update, context, draft.step)
    # the old draft stays in /drafts only if there is something in it: an empty one (no
    # text, no phonebooks, no pending request) is an abandoned start and goes
    await context.services.store.delete_empty_drafts(draft.owner_id, only=draft.id)
    return await new_draft(update, context)


async def new_draft(update: Update, context: Context) -> int | None:
    draft = await context.services.store.create_draft(user_id_of(update), step=Step.SENDER)
    open_draft(context, draft)
    return await enter(update, context, draft, Step.SENDER)


def open_draft(context: Context, draft: Draft) -> None:
    data = context.user_data
    data.books_page, data.books_filter, data.books_view = 1, None, []
    data.book, data.review_return = None, False
    data.draft = draft.id


async def open_existing(update: Update, context: Context, draft: Draft, step: Step) -> int | None:
    """Resume a stored draft at a step (from /drafts, a fix button, send-again)."""
    open_draft(context, draft)
    context.user_data.menu = None
    return await goto(update, context, step)


async def goto(update: Update, context: Context, step: Step) -> int | None:
    """Show a step with the draft as stored now."""
    draft = await load_draft(update, context)
    if draft is None:
        return END
    return await enter(update, context, draft, step)


async def after_step(update: Update, context: Context, draft: Draft, next_step: Step) -> int | None:
    """Go on to the next step, or back to the review when editing one step from there."""
    if context.user_data.review_return:
        context.user_data.review_return = False
        draft.step = Step.REVIEW
        draft = await save(update, context, draft)
        return await enter(update, context, draft, Step.REVIEW)
    return await goto(update, context, next_step)


def back_to(target: Step | str) -> StepHandler[[]]:
    """A back button handler that leads to a fixed earlier screen."""

    @live
    async def back(update: Update, context: Context, draft: Draft) -> int | None:
        context.user_data.review_return = False
        if target in (OPTIONS_SCREEN, Step.TEXT):
            # to the phonebook's options, or from the time step back to the text preview:
            # with the draft just loaded
            return await enter(update, context, draft, target)
        return await goto(update, context, Step(target))

    return back


async def cancel(update: Update, context: Context) -> int:
    """/cancel: leave the conversation, keep the draft. Says "draft saved" only when there
    is one; /token then /cancel says that no key was stored."""
    context.user_data.menu = None
    if context.user_data.stop_awaiting(KeyWait):
        await say(update, context, tr(context, "token_cancelled"))
        return END
    draft_id = context.user_data.draft
    draft = await context.services.store.get_draft(draft_id) if draft_id else None
    mine = draft is not None and draft.owner_id == user_id_of(update)
    await say(update, context, tr(context, "cancelled" if mine else "left_no_draft"))
    return END


async def persist_now(update: Update, context: Context) -> None:
    """After every update an admin sends: write the conversation state and the live menu id
    now. PTB writes them only on its persistence tick, so a crash within that tick would
    leave the menu on screen answering "out of date". Unchanged rows are not rewritten.
    PTB marks the user's data for writing only once every handler group is done, after this
    one: marked here, or a new menu id would wait for the tick when the last tick was before
    this update."""
    if update.effective_chat is not None and update.effective_chat.type == "private":
        user = update.effective_user
        if user is not None:
            context.application.mark_data_for_update_persistence(user_ids=user.id)
        await context.application.update_persistence()


async def use_buttons(update: Update, context: Context) -> None:
    """Typed text where only buttons make sense: point at the menu, stay on the step."""
    await say(update, context, tr(context, "use_buttons"))
    return None
