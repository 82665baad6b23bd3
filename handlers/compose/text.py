"""Step 3: the SMS text, normalised, measured and priced."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable

from telegram import InlineKeyboardButton, Update

from bot import provider_words as words
from bot.domain import Draft, Step, full_message, line_and_text_hash
from bot.ippanel import AuthError, IPPanelError
from bot.render import clip, counted, esc, num, sender_label
from bot.sms import SmsLength, measure, normalize_text, units
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    chat_id_of,
    edit,
    lang_of,
    message_of,
    say,
    tr,
    typing,
)
from handlers.compose.flow import (
    PRICE_TTL,
    TEXT,
    after_step,
    enter,
    live,
    save,
    screen,
    show,
    stored,
    with_draft,
)
from handlers.session import PriceQuote

log = logging.getLogger("handlers.compose")


@screen(Step.TEXT)
async def enter_text(update: Update, context: Context, draft: Draft) -> int:
    suffix = context.services.settings.message_suffix.strip()
    note = tr(context, "text_suffix_note", suffix=esc(suffix)) if suffix else ""
    if draft.text:
        return await preview_text(update, context, draft)
    markup = kb.markup([await saved_text_button(context), kb.back(lang_of(context))])
    text = tr(context, "text_ask", reused=reused_line(context, draft), suffix_note=note)
    await show(update, context, text, markup)
    return TEXT


async def saved_text_button(context: Context) -> list[InlineKeyboardButton]:
    """The text step's "use a saved text" row (team rules, :mod:`handlers.saved_texts`);
    empty while nothing is saved."""
    if await context.services.store.count_saved_texts() == 0:
        return []
    return [kb.btn(tr(context, "btn_use_saved"), cb.SAVED.data("l"))]


REUSED_TITLES = 3  # book titles named on the text step's one line; more are counted


def reused_line(context: Context, draft: Draft) -> str:
    """The line and books this text goes to, in one line (after "same as last time" the
    admin has not seen them on this draft)."""
    if not draft.sender or not draft.selections:
        return ""
    lang = lang_of(context)
    sels = draft.selections
    if len(sels) <= REUSED_TITLES:
        comma = "، " if lang == "fa" else ", "
        books = comma.join(esc(clip(s.title, 40)) for s in sels)
    else:
        books = counted(lang, len(sels), "phonebook")
    books += f" ({counted(lang, draft.recipients(), 'recipient')})"
    sender = sender_label(draft.sender, draft.sender_label)
    return tr(context, "text_reused", sender=sender, books=books)


@with_draft
async def text_typed(update: Update, context: Context, draft: Draft) -> int:
    """The SMS text: normalised, measured, priced; the admin stays here on any problem."""
    text = normalize_text(message_of(update).text or "")
    if not text:
        await say(update, context, tr(context, "text_empty"))
        return TEXT
    length = measure(_full(context, text))
    if length.too_long:
        await say(update, context, too_long_text(context, text, length))
        return TEXT
    draft.text = text
    context.user_data.menu = None
    # stored as soon as the preview is out, not before it (see flow.stored)
    return await preview_text(
        update, context, draft, context.services.store.save_draft_voiding(draft)
    )


def too_long_text(context: Context, text: str, length: SmsLength) -> str:
    """The limit that applies to this text (1,340 for Persian, 1,400 otherwise), with the
    fixed suffix counted apart from what the admin typed."""
    lang = lang_of(context)
    typed = units(text, length.encoding)
    suffix = length.chars - typed
    rule = "text_limit_ucs2" if length.encoding == "UCS-2" else "text_limit_gsm7"
    return tr(
        context,
        "text_too_long",
        chars=counted(lang, typed, "character"),
        suffix=tr(context, "text_suffix_counted", n=counted(lang, suffix, "character"))
        if suffix
        else "",
        limit=num(length.limit, lang),
        rule=tr(context, rule),
        over=num(length.chars - length.limit, lang),
    )


def _full(context: Context, text: str) -> str:
    return full_message(text, context.services.settings.message_suffix)


async def fetch_price(context: Context, key: str, sender: str, message: str) -> tuple[float, float]:
    """Per-recipient price and account credit. The text step and the review ask for the
    same text one after the other, so a fresh answer (under PRICE_TTL) is reused."""
    digest = line_and_text_hash(sender, message)
    cached = context.user_data.price
    now = time.time()
    if cached and cached.digest == digest and now - cached.at < PRICE_TTL:
        return cached.per, cached.credit
    client = context.services.client
    # two independent reads: ask both at once, the admin waits for the slower only
    results = await asyncio.gather(
        client.calculate_price(key, sender=sender, message=message),
        client.credit(key),
        return_exceptions=True,
    )
    price, credit = results
    if isinstance(price, BaseException):
        raise price
    if isinstance(credit, BaseException):
        raise credit
    per = max(price.mci_price, price.other_price)
    context.user_data.price = PriceQuote(digest, now, per, credit.credit)
    return per, credit.credit


async def price_lines(
    update: Update, context: Context, draft: Draft, message: str
) -> tuple[str, float | None, float | None]:
    """Price per recipient, total, credit; a provider problem only hides the estimate."""
    lang = lang_of(context)
    key = await context.services.store.get_api_key(draft.owner_id)
    if key is None or draft.sender is None:
        return "", None, None
    try:
        async with typing(update, context):
            per, credit = await fetch_price(context, key, draft.sender, message)
    except AuthError:
        return tr(context, "key_expired"), None, None  # the step still works; say what to fix
    except IPPanelError as exc:
        return tr(context, "text_price_unknown", reason=words.plain(lang, exc)), None, None
    total = per * draft.recipients()
    line = tr(
        context,
        "text_price",
        per=num(per, lang),
        recipients=counted(lang, draft.recipients(), "recipient"),
        total=num(total, lang),
        credit=num(credit, lang),
    )
    if total > credit:
        line += "\n" + tr(context, "credit_short")
    return line, per, credit


async def preview_text(
    update: Update,
    context: Context,
    draft: Draft,
    writing: Awaitable[tuple[Draft, list[int]]] | None = None,
) -> int:
    """Show the preview at once, then fill in the cost when the provider has answered.
    ``writing``: the typed text's save, run once the preview is out (or failed to go)."""
    lang = lang_of(context)
    message = _full(context, draft.text)
    length = measure(message)
    # opened from the review's "✏️ text": say that typing replaces it, and lead back there
    editing = bool(context.user_data.review_return)
    ok = tr(context, "btn_back_to_review" if editing else "btn_text_ok")
    saved_row = await saved_text_button(context)
    rows = [saved_row, kb.nav_row(lang, kb.back(lang), [kb.btn(ok, cb.TEXT_DONE.data("ok"))])]
    if not editing:  # the usual choice, one tap: send as soon as it is approved
        rows.insert(1, [kb.btn(tr(context, "btn_text_now"), cb.TEXT_DONE.data("now"))])
    markup = kb.markup(rows)

    def render(price: str) -> str:
        text = tr(
            context,
            "text_preview",
            message=esc(message),
            chars=num(length.chars, lang),
            parts=num(length.parts, lang),
            encoding=length.encoding,
            price=price,
        )
        return f"{text}\n\n{tr(context, 'text_replace_note')}" if editing else text

    try:
        await show(update, context, render(tr(context, "price_pending")), markup)
    finally:
        if writing is not None:
            draft = await stored(update, context, writing)
    menu = context.user_data.menu
    price, _, _ = await price_lines(update, context, draft, message)
    if menu is not None:
        await edit(context, chat_id_of(update), menu, render(price), markup)
    return TEXT


@cb.TEXT_DONE.handles
@live
async def text_done(update: Update, context: Context, draft: Draft, action: str) -> int | None:
    """On to the send time, or straight to the review with "now"."""
    if not draft.text:
        await answer(update, tr(context, "text_empty"), alert=True)
        return TEXT
    if action == "now":
        draft.send_at = None
        draft.step = Step.REVIEW
        draft = await save(update, context, draft)
        context.user_data.review_return = False
        return await enter(update, context, draft, Step.REVIEW)
    draft.step = Step.TIME
    draft = await save(update, context, draft)
    return await after_step(update, context, draft, Step.TIME)


async def text_not_text(update: Update, context: Context) -> int:
    """A photo, sticker, voice or file where the SMS text is expected."""
    await say(update, context, tr(context, "text_not_text"))
    return TEXT
