"""Thin Telegram callbacks: the gate, commands, the compose conversation, approvals.

``register`` puts them in order. Group -2 is the gate, group -1 catches a typed
reject reason, group 0 holds everything else; the first matching handler of a
group wins, so approval and result buttons come before the conversation's
catch-all for stale menus. Group 1 writes the conversation state through.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.domain import Step
from handlers import (
    approval,
    commands,
    compose,
    gate,
    plans,
    results,
    token,
    trial_phone,
    unknown,
)
from handlers import callbacks as cb
from handlers import saved_texts as saved  # team rules
from handlers.common import Context, answer, say, tr

log = logging.getLogger("handlers")
# the modules whose buttons bind their handlers (``@KIND.handles``) as they are imported
BUTTON_MODULES = (approval, commands, compose, trial_phone, plans, results, saved, unknown)

TEXT = filters.TEXT & ~filters.COMMAND
NOT_TEXT = ~filters.TEXT & ~filters.COMMAND
ANY = ~filters.COMMAND
# the review card and its "send gradually" menu (both states take every review button)
REVIEW_KINDS = (
    cb.SAVE_TEXT,  # team rules
    cb.PLAN_MENU,
    cb.PLAN_BATCH,
    cb.PLAN_EVERY,
    cb.PLAN_ASK_BATCH,
    cb.PLAN_ASK_EVERY,
    cb.REVIEW,
    cb.REVIEW_EDIT,
    cb.TRIAL_SEND,
)


def _conversation() -> ConversationHandler:
    c = compose
    back = cb.BACK.route  # "back" leads somewhere different from each step
    states: dict[object, list[BaseHandler[Update, Any, Any]]] = {
        c.RESUME: [cb.RESUME.route()],
        c.SENDER: [cb.SENDER_LAST.route(), cb.SENDER.route()],
        c.BOOKS: [
            cb.BOOK.route(),
            cb.BOOKS_PAGE.route(),
            cb.BOOKS.route(),
            back(c.back_to(Step.SENDER)),
            MessageHandler(TEXT, c.books_search),
        ],
        c.OPTIONS: [
            cb.OPTIONS_DONE.route(),
            cb.OPTIONS.route(),
            cb.MODE.route(),
            back(c.back_to(Step.PHONEBOOKS)),
        ],
        c.SLICE: [
            MessageHandler(TEXT, c.slice_typed),
            back(c.back_to("options")),
        ],
        c.CONTACTS: [
            cb.CONTACT.route(),
            cb.CONTACTS_PAGE.route(),
            cb.CONTACTS.route(),
            back(c.back_to("options")),
            MessageHandler(TEXT, c.contacts_search),
        ],
        c.TEXT: [
            MessageHandler(TEXT, c.text_typed),
            cb.TEXT_DONE.route(),
            *[k.route() for k in (cb.SAVED, cb.SAVED_PAGE, cb.SAVED_PICK)],  # team rules
            back(c.back_to(Step.PHONEBOOKS)),
            MessageHandler(NOT_TEXT, c.text_not_text),
        ],
        c.TIME: [
            cb.TIME.route(),
            MessageHandler(TEXT, c.time_typed),
            back(c.back_to(Step.TEXT)),
            MessageHandler(NOT_TEXT, c.time_not_text),
        ],
        c.REVIEW: [k.route() for k in REVIEW_KINDS],
        # gradual sending: a typed batch size or interval
        c.PLAN: [MessageHandler(TEXT, c.plan_typed), *[k.route() for k in REVIEW_KINDS]],
        # team rules: a name for a saved text is a state, so it never takes an SMS text or key
        saved.NAME: [
            MessageHandler(TEXT, saved.name_typed),
            cb.NAME_CANCEL.route(),
            MessageHandler(NOT_TEXT, saved.name_not_text),
        ],
        token.AWAIT_KEY: [
            MessageHandler(TEXT, token.key_typed),
            MessageHandler(NOT_TEXT, token.key_not_text),
        ],
    }
    with warnings.catch_warnings():
        # text steps and buttons share one conversation; per_message=False is intended
        warnings.filterwarnings("ignore", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("send", c.start_send),
                CommandHandler("token", token.ask_key),
                *[k.route() for k in cb.KINDS if k.scope == "entry"],
            ],
            states=states,
            fallbacks=[
                CommandHandler("cancel", c.cancel),
                CallbackQueryHandler(c.stale),
                MessageHandler(ANY, c.use_buttons),
            ],
            name="compose",
            persistent=True,
            allow_reentry=True,
            per_chat=True,
            per_user=True,
            per_message=False,
        )


async def typed_first(update: Update, context: Context) -> None:
    """Group -1: a typed text that answers a pending question (the share-my-number keyboard,
    then a reject reason) stops there; any other text goes on."""
    await trial_phone.typed_while_waiting(update, context)
    await approval.reason_typed(update, context)


async def outside_hint(update: Update, context: Context) -> None:
    await say(update, context, tr(context, "outside_hint"))


async def on_error(update: object, context: Context) -> None:
    """Log the failure (secrets are redacted by the formatter) and tell the user, briefly."""
    log.error("unhandled error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.callback_query is not None:
        # every press is answered, even one whose handler failed: no endless spinner
        await answer(update, tr(context, "stale_menu"), alert=True)
    if (
        isinstance(update, Update)
        and update.effective_chat
        and update.effective_chat.type == "private"
    ):
        try:
            await say(update, context, tr(context, "error_generic"))
        except Exception:
            log.warning("could not tell the user about the error")


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, gate.gate), group=-2)
    app.add_handler(MessageHandler(TEXT, typed_first), group=-1)
    unbound = cb.unbound()
    if unbound:  # a declared button nobody handles: fail at start, not on a phone
        raise RuntimeError(f"button kinds without a handler: {[k.name for k in unbound]}")
    # approvals, results, plans, /history, /lang, /drafts and /texts lists: outside the
    # conversation, so turning a page does not end a compose in progress; they come before
    # the conversation's catch-all for stale menus
    for kind in cb.KINDS:
        if kind.scope == "global":
            app.add_handler(kind.route())
    # test SMS: one's own number, before the conversation (whose fallbacks take any message)
    app.add_handler(MessageHandler(filters.CONTACT, trial_phone.contact_shared))
    app.add_handler(CommandHandler("phone", trial_phone.trial_phone_command))
    app.add_handler(_conversation())
    app.add_handler(CommandHandler(["start", "help"], commands.help_command))
    app.add_handler(CommandHandler("logout", token.logout))
    app.add_handler(CommandHandler("drafts", commands.drafts_command))
    app.add_handler(CommandHandler("history", commands.history_command))
    app.add_handler(CommandHandler("credit", commands.credit_command))
    app.add_handler(CommandHandler("lang", commands.lang_command))
    app.add_handler(CommandHandler("texts", saved.texts_command))  # team rules
    app.add_handler(CommandHandler("cancel", commands.cancel_outside))
    app.add_handler(CallbackQueryHandler(commands.stale_press))
    app.add_handler(MessageHandler(ANY, outside_hint))
    # after group 0 has moved the conversation on: persist its new state at once
    app.add_handler(TypeHandler(Update, compose.persist_now), group=1)
    app.add_error_handler(on_error)
