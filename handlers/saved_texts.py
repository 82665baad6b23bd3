"""Saved texts: save a text under a name, pick one at the text step, /texts to manage.

The list belongs to the team: every admin sees every text and who saved it.

Typing a name is a state of the compose conversation (NAME), not a free-floating
"next text is a name" flag: the conversation is in exactly one state per admin, so
while a name is awaited no SMS text step is listening, and /send, /token or /cancel
leave the name prompt the ordinary way. A name that looks like an API key is deleted
and never stored.
"""

from __future__ import annotations

import logging
import math

from telegram import Update
from telegram.error import TelegramError

from bot.domain import Draft
from bot.jalali import format_jalali
from bot.logs import SECRETS
from bot.render import esc, fit, num, person
from bot.saved_texts import NAME_MAX, Checked, check_name, check_text, strip_suffix, summary
from handlers import callbacks as cb
from handlers import compose
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    card_of,
    edit,
    lang_of,
    message_of,
    say,
    tr,
    user_id_of,
    user_of,
)
from handlers.session import TextName
from storage.saved_texts import SavedText

log = logging.getLogger("handlers.saved_texts")

NAME = 30  # conversation state: a name for a saved text is awaited
PICK_PAGE = 6  # buttons per page at the text step
LIST_PAGE = 5  # texts per page in /texts (each shows its start)
END = compose.END


def saver(saved: SavedText) -> str:
    """Who saved a text: first name as it was then, the id as the detail."""
    return person(saved.saved_by, saved.saved_name)


def _suffix(context: Context) -> str:
    return context.services.settings.message_suffix


async def _text_refused(update: Update, context: Context, checked: Checked) -> None:
    """Why a text cannot be saved or used, in the text step's own words."""
    lang = lang_of(context)
    if checked.problem == "too_long" and checked.length is not None:
        length = checked.length
        text = tr(
            context, "text_too_long", chars=num(length.chars, lang), parts=num(length.parts, lang)
        )
    else:
        text = tr(context, "saved_text_key" if checked.problem == "key" else "saved_text_empty")
    await say(update, context, text)


# ---------------------------------------------------------------- text step: use a saved text


async def show_pick(update: Update, context: Context, page: int) -> int:
    store = context.services.store
    lang = lang_of(context)
    total = await store.count_saved_texts()
    pages = max(1, math.ceil(total / PICK_PAGE))
    page = min(max(page, 1), pages)
    offset = (page - 1) * PICK_PAGE
    items = await store.list_saved_texts(PICK_PAGE, offset)
    lines = [tr(context, "saved_pick_title", page=num(page, lang), pages=num(pages, lang))]
    if not items:
        lines.append(tr(context, "saved_list_none"))
    for n, saved in enumerate(items, offset + 1):
        lines.append(
            f"<b>{n}. {esc(saved.name)}</b> — {saver(saved)}\n{esc(summary(saved.text, 80))}"
        )
    markup = kb.saved_pick(lang, [(s.id, s.name) for s in items], page, pages)
    await compose.show(update, context, fit("\n\n".join(lines)), markup)
    return compose.TEXT


@cb.SAVED.handles
@compose.live
async def pick_press(update: Update, context: Context, draft: Draft, action: str) -> int | None:
    """At the text step: open the list (l), or go back to the text (x)."""
    if action == "l":
        return await show_pick(update, context, 1)
    return await compose.enter_text(update, context, draft)


@cb.SAVED_PAGE.handles
@compose.live
async def pick_page(update: Update, context: Context, draft: Draft, page: int) -> int | None:
    return await show_pick(update, context, page)


@cb.SAVED_PICK.handles
@compose.live
async def pick_text(update: Update, context: Context, draft: Draft, text_id: int) -> int | None:
    """Take a saved text as the draft's text."""
    saved = await context.services.store.get_saved_text(text_id)
    if saved is None:
        await say(update, context, tr(context, "saved_gone"))
        return await show_pick(update, context, 1)
    # checked again: the suffix may have grown since the text was saved
    checked = check_text(saved.text, _suffix(context))
    if checked.problem:
        await _text_refused(update, context, checked)
        return compose.TEXT
    draft.text = checked.value
    draft = await compose.save(update, context, draft)
    return await compose.preview_text(update, context, draft)


# ---------------------------------------------------------------- save: ask for a name


async def ask_name(update: Update, context: Context, pending: TextName, prompt: str) -> int:
    context.user_data.awaiting = pending
    await compose.show(update, context, prompt, kb.name_prompt(lang_of(context)))
    return NAME


def _save_prompt(context: Context, text: str) -> str:
    return tr(context, "saved_name_ask", max=num(NAME_MAX, lang_of(context)), preview=esc(text))


@cb.SAVE_TEXT.handles
@compose.live
async def review_save(update: Update, context: Context, draft: Draft) -> int:
    """The review card's "save this text": the draft's text exactly, then back to the card."""
    checked = check_text(draft.text, _suffix(context))
    if checked.problem:
        await _text_refused(update, context, checked)
        return compose.REVIEW
    pending = TextName("save", checked.value, back="review")
    return await ask_name(update, context, pending, fit(_save_prompt(context, checked.value)))


@cb.SAVE_SENT_TEXT.handles
async def result_save(update: Update, context: Context, bid: int) -> int | None:
    """A result card's "save this text" (entry point): the sent words, without the suffix."""
    b = await context.services.store.get_broadcast(bid) if bid else None
    if b is None:
        return await compose.stale(update, context)
    if user_id_of(update) not in (b.requester_id, b.approver_id):
        await answer(update, tr(context, "not_yours"), alert=True)
        return None
    message = strip_suffix(b.snapshot.message, _suffix(context))
    checked = check_text(message, _suffix(context))
    if checked.problem:
        await answer(update)
        await _text_refused(update, context, checked)
        return None
    await answer(update)
    context.user_data.menu = None  # the prompt comes as a new message and is the live menu
    pending = TextName("save", checked.value)
    return await ask_name(update, context, pending, fit(_save_prompt(context, checked.value)))


@cb.TEXT_RENAME.handles
async def rename_press(update: Update, context: Context, text_id: int) -> int | None:
    """/texts "rename" (entry point): ask for the new name."""
    saved = await context.services.store.get_saved_text(text_id)
    if saved is None:
        await answer(update, tr(context, "saved_gone"), alert=True)
        return None
    await answer(update)
    context.user_data.menu = None
    prompt = tr(
        context, "saved_rename_ask", name=esc(saved.name), max=num(NAME_MAX, lang_of(context))
    )
    return await ask_name(update, context, TextName("rename", text_id=saved.id), prompt)


async def name_typed(update: Update, context: Context) -> int | None:
    """The name: a key-like one is deleted and refused; a taken one asks again."""
    message = message_of(update)
    raw = message.text or ""
    checked = check_name(raw)
    if checked.problem == "key":
        SECRETS.add(raw.strip())  # redacted from logs from now on, like /token does
        try:
            await message.delete()
        except TelegramError:
            log.info("could not delete a key-like name")
        await say(update, context, tr(context, "saved_name_key"))
        return NAME
    pending = context.user_data.awaiting
    if not isinstance(pending, TextName):
        context.user_data.menu = None
        await say(update, context, tr(context, "stale_menu"))
        return END
    if checked.problem:
        key = "saved_name_empty" if checked.problem == "empty" else "saved_name_bad"
        await say(update, context, tr(context, key, max=num(NAME_MAX, lang_of(context))))
        return NAME
    name = checked.value
    store = context.services.store
    user = user_of(update)
    if pending.kind == "rename":
        old = await store.get_saved_text(pending.text_id or 0)
        done = await store.rename_saved_text(old.id, name) if old else False
        if done is None:
            await say(update, context, tr(context, "saved_name_taken", name=esc(name)))
            return NAME
        context.user_data.awaiting = None
        context.user_data.menu = None
        if not done or old is None:
            await say(update, context, tr(context, "saved_gone"))
            return END
        await store.audit(user.id, "text_renamed", f"saved_text:{old.id}", {"name": name})
        await say(update, context, tr(context, "saved_renamed", old=esc(old.name), name=esc(name)))
        return END
    first_name = (user.first_name or "")[:64] or None
    saved = await store.save_text(name, pending.text, user.id, first_name)
    if saved is None:
        await say(update, context, tr(context, "saved_name_taken", name=esc(name)))
        return NAME
    await store.audit(user.id, "text_saved", f"saved_text:{saved.id}", {"name": name})
    context.user_data.awaiting = None
    context.user_data.menu = None
    await say(update, context, tr(context, "saved_ok", name=esc(name)))
    return await _leave_prompt(update, context, pending)


async def _leave_prompt(update: Update, context: Context, pending: TextName | None) -> int:
    """Back to the review card when the save started there; otherwise the prompt ends."""
    if pending is not None and pending.back == "review":
        draft = await compose.load_draft(update, context)
        if draft is not None:
            return await compose.enter_review(update, context, draft)
    return END


@cb.NAME_CANCEL.handles
async def name_cancel(update: Update, context: Context) -> int | None:
    """The prompt's cancel button; only the live prompt counts."""
    card = card_of(update)
    if not (card and context.user_data.menu == card.message_id):
        return await compose.stale(update, context)
    await answer(update)
    pending = context.user_data.awaiting
    context.user_data.stop_awaiting(TextName)
    if isinstance(pending, TextName) and pending.back == "review":
        return await _leave_prompt(update, context, pending)
    context.user_data.menu = None
    await edit(context, card.chat.id, card.message_id, tr(context, "saved_not_saved"))
    return END


async def name_not_text(update: Update, context: Context) -> int:
    await say(update, context, tr(context, "saved_name_not_text"))
    return NAME


# ---------------------------------------------------------------- /texts


async def texts_command(update: Update, context: Context) -> None:
    await show_list(update, context, 1)


async def show_list(update: Update, context: Context, page: int, note: str | None = None) -> None:
    """The team's saved texts, newest first, with who saved each; rename and delete buttons."""
    store = context.services.store
    settings = context.services.settings
    lang = lang_of(context)
    total = await store.count_saved_texts()
    pages = max(1, math.ceil(total / LIST_PAGE))
    page = min(max(page, 1), pages)
    offset = (page - 1) * LIST_PAGE
    items = await store.list_saved_texts(LIST_PAGE, offset)
    lines = [note] if note else []
    lines.append(tr(context, "saved_list_title", page=num(page, lang), pages=num(pages, lang)))
    if not items:
        lines.append(tr(context, "saved_list_none"))
    for n, saved in enumerate(items, offset + 1):
        lines.append(
            tr(
                context,
                "saved_item",
                n=n,
                name=esc(saved.name),
                summary=esc(summary(saved.text, 120)),
                who=saver(saved),
                when=format_jalali(saved.created_at, settings.tz, lang),
            )
        )
    markup = kb.saved_manage(
        lang, [(n, s.id) for n, s in enumerate(items, offset + 1)], page, pages
    )
    query = update.callback_query
    text = fit("\n\n".join(lines))
    if query and query.message:
        await edit(context, query.message.chat.id, query.message.message_id, text, markup)
    else:
        await say(update, context, text, markup)


@cb.TEXTS_PAGE.handles
async def list_page(update: Update, context: Context, page: int) -> None:
    """/texts: another page."""
    await answer(update)
    await show_list(update, context, page)


@cb.TEXT_DELETE.handles
async def list_press(update: Update, context: Context, action: str, text_id: int) -> None:
    """/texts "delete?" (d) and its confirmation (y). Ids are re-read from the store."""
    store = context.services.store
    saved = await store.get_saved_text(text_id)
    if saved is None:
        await answer(update, tr(context, "saved_gone"), alert=True)
        return
    await answer(update)
    message = card_of(update)
    if action == "d":
        if message:
            confirm = tr(
                context, "saved_delete_confirm", name=esc(saved.name), text=esc(saved.text)
            )
            markup = kb.saved_delete(lang_of(context), saved.id, 1)
            await edit(context, message.chat.id, message.message_id, fit(confirm), markup)
        return
    if await store.delete_saved_text(saved.id):
        await store.audit(
            user_id_of(update), "text_deleted", f"saved_text:{saved.id}", {"name": saved.name}
        )
    await show_list(update, context, 1, note=tr(context, "saved_deleted", name=esc(saved.name)))
