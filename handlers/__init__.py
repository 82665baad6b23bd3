"""Thin Telegram callbacks: the gate, commands, the compose conversation, approvals.

``register`` puts them in order. Group -2 is the gate, group -1 catches a typed
reject reason, group 0 holds everything else; the first matching handler of a
group wins, so approval and result buttons come before the conversation's
catch-all for stale menus. Group 1 writes the conversation state through.
"""

from __future__ import annotations

import logging
import warnings

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.domain import Step
from handlers import approval, commands, compose, gate, phone, plans, results, token, unknown
from handlers import saved_texts as saved  # team rules
from handlers.common import Context, answer, say, tr

log = logging.getLogger("handlers")

TEXT = filters.TEXT & ~filters.COMMAND
NOT_TEXT = ~filters.TEXT & ~filters.COMMAND
ANY = ~filters.COMMAND
BACK = "^k:back$"


def _conversation() -> ConversationHandler:
    c = compose
    states = {
        c.RESUME: [CallbackQueryHandler(c.resume_choice, pattern="^r:")],
        c.SENDER: [CallbackQueryHandler(c.choose_sender, pattern="^s:")],
        c.BOOKS: [
            CallbackQueryHandler(c.books_press, pattern="^b:"),
            CallbackQueryHandler(c.back_to(Step.SENDER), pattern=BACK),
            MessageHandler(TEXT, c.books_search),
        ],
        c.OPTIONS: [
            CallbackQueryHandler(c.options_press, pattern="^o:"),
            CallbackQueryHandler(c.mode_press, pattern="^m:"),
            CallbackQueryHandler(c.back_to(Step.PHONEBOOKS), pattern=BACK),
        ],
        c.SLICE: [
            MessageHandler(TEXT, c.slice_typed),
            CallbackQueryHandler(c.back_to("options"), pattern=BACK),
        ],
        c.CONTACTS: [
            CallbackQueryHandler(c.contacts_press, pattern="^c:"),
            CallbackQueryHandler(c.back_to("options"), pattern=BACK),
            MessageHandler(TEXT, c.contacts_search),
        ],
        c.TEXT: [
            MessageHandler(TEXT, c.text_typed),
            CallbackQueryHandler(c.text_done, pattern="^x:(?:ok|now)$"),
            CallbackQueryHandler(saved.pick_press, pattern="^u:"),  # team rules
            CallbackQueryHandler(c.back_to(Step.PHONEBOOKS), pattern=BACK),
            MessageHandler(NOT_TEXT, c.text_not_text),
        ],
        c.TIME: [
            CallbackQueryHandler(c.time_press, pattern="^w:"),
            MessageHandler(TEXT, c.time_typed),
            CallbackQueryHandler(c.back_to(Step.TEXT), pattern=BACK),
            MessageHandler(NOT_TEXT, c.time_not_text),
        ],
        c.REVIEW: [
            CallbackQueryHandler(saved.review_save, pattern="^v:st$"),  # team rules
            CallbackQueryHandler(c.gradual_press, pattern="^v:g"),  # gradual sending
            CallbackQueryHandler(c.review_press, pattern="^v:"),
        ],
        # gradual sending: a typed batch size or interval
        c.GRADUAL: [
            MessageHandler(TEXT, c.gradual_typed),
            CallbackQueryHandler(c.gradual_press, pattern="^v:g"),
            CallbackQueryHandler(c.review_press, pattern="^v:"),
        ],
        # team rules: a name for a saved text is a state, so it never takes an SMS text or key
        saved.NAME: [
            MessageHandler(TEXT, saved.name_typed),
            CallbackQueryHandler(saved.name_cancel, pattern="^nm:x$"),
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
                CallbackQueryHandler(commands.draft_press, pattern="^dr:"),
                CallbackQueryHandler(results.send_again, pattern="^ag:"),
                CallbackQueryHandler(results.fix_draft, pattern="^fx:"),
                CallbackQueryHandler(saved.result_save, pattern="^st:"),  # team rules
                CallbackQueryHandler(saved.rename_press, pattern="^tx:r:"),  # team rules
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
    await phone.typed_while_waiting(update, context)
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
    buttons = {
        "ap": approval.approve,
        "rj": approval.reject,
        "rn": approval.reject_no_reason,
        "rk": approval.reject_keep,
        "wd": approval.withdraw,
        "rp": results.delivery_report,
        "cn": results.cancel_send,
        "rt": results.retry,
        "rc": results.check_status,
        "nx": unknown.confirm_not_sent_ask,  # money: unknown -> not sent, two steps
        "ny": unknown.confirm_not_sent,
        "nk": unknown.confirm_not_sent_keep,
        "ss": results.start_stranded,  # money: approved but never started
        "hs": commands.history_press,
        "bl": approval.books_press,
        "lg": commands.lang_press,
        "ph": phone.phone_press,  # test SMS: forget or replace one's own number
        "pl": plans.plan_press,  # gradual sending: progress, cancel the rest, continue
    }
    for prefix, callback in buttons.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=f"^{prefix}:"))
    # screens: /drafts pages, "delete every empty draft", the pending-request confirmation;
    # outside the conversation, so turning a page does not end a compose in progress
    app.add_handler(CallbackQueryHandler(commands.drafts_list_press, pattern="^dr:(?:[pyn]:|e$)"))
    # team rules: /texts paging and deleting; its rename is a conversation entry point
    app.add_handler(CallbackQueryHandler(saved.list_press, pattern="^tx:[pdy]:"))
    # test SMS: one's own number, before the conversation (whose fallbacks take any message)
    app.add_handler(MessageHandler(filters.CONTACT, phone.contact_shared))
    app.add_handler(CommandHandler("phone", phone.phone_command))
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
