"""The /send conversation: sender → phonebooks → text → time → review.

Every step is saved to the draft store as it happens. Only the newest menu
message is live: a press on any older one (before a restart, a finished
draft, a forged callback) is answered "this menu is out of date".
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.domain import Draft, PhonebookSelection, Step, full_message
from bot.ippanel import AuthError, IPPanelError
from bot.jalali import TimeError, format_jalali, parse_jalali, quick_choices
from bot.phones import normalize_mobile
from bot.render import (
    build_card,
    esc,
    fit,
    message_text,
    num,
    selection_line,
    selection_mode,
    sender_label,
)
from bot.slices import SliceError, parse_slice
from bot.sms import SmsLength, measure, normalize_text, units
from handlers import approval
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    answering,
    api_key,
    call_api,
    edit,
    lang_of,
    say,
    services,
    tr,
    typing,
)

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


# ---------------------------------------------------------------- plumbing


async def show(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Show a step's menu: edit the live menu after a press, else send a new live menu."""
    query = update.callback_query
    data = context.user_data
    if query and query.message and data.get("menu") == query.message.message_id:
        if await edit(context, query.message.chat.id, query.message.message_id, text, markup):
            return
    message = await say(update, context, text, markup)
    data["menu"] = message.message_id


def is_live(update: Update, context: Context) -> bool:
    query = update.callback_query
    return bool(
        query
        and query.message
        and context.user_data.get("draft")
        and context.user_data.get("menu") == query.message.message_id
    )


async def stale(update: Update, context: Context) -> int | None:
    """A press on an old or forged menu: say so and change nothing."""
    await answer(update, tr(context, "stale_menu"), alert=True)
    return None


def with_draft(step: Callable[[Update, Context, Draft], Awaitable[int]]):
    """Hand a step its admin's current draft; end the conversation when the draft is gone."""

    @functools.wraps(step)
    async def wrapper(update: Update, context: Context) -> int:
        draft = await load_draft(update, context)
        if draft is None:
            return END
        return await step(update, context, draft)

    return wrapper


def live(step: Callable[[Update, Context, Draft], Awaitable[int]]):
    """For button steps: refuse presses that are not on the live menu, then load the draft."""
    loaded = with_draft(step)

    @functools.wraps(step)
    async def wrapper(update: Update, context: Context) -> int | None:
        if not is_live(update, context):
            return await stale(update, context)
        # No blank answer up front: the step may still refuse the press with an alert.
        async with answering(update):
            return await loaded(update, context)

    return wrapper


async def load_draft(update: Update, context: Context) -> Draft | None:
    """The admin's current draft, checked to be theirs."""
    draft_id = context.user_data.get("draft")
    user = update.effective_user
    draft = await services(context).store.get_draft(draft_id) if draft_id else None
    if draft is None or user is None or draft.owner_id != user.id:
        context.user_data.pop("draft", None)
        await say(update, context, tr(context, "draft_missing"))
        return None
    return draft


async def save(update: Update, context: Context, draft: Draft) -> Draft:
    """Save a step; an edit voids any pending approval request of this draft."""
    store = services(context).store
    # A version conflict (StaleDraftError) reaches the error handler: the admin is told
    # and the stored draft is left as it was, rather than silently overwritten.
    saved = await store.save_draft(draft)
    await approval.void_pending_requests(update, context, saved)
    return saved


def chosen(draft: Draft, phonebook_id: str) -> PhonebookSelection | None:
    return next((s for s in draft.selections if s.phonebook_id == phonebook_id), None)


# ---------------------------------------------------------------- entry


async def start_send(update: Update, context: Context) -> int:
    """/send: offer to resume an unfinished draft, or start a new one."""
    context.user_data.pop("reject_for", None)
    if await api_key(update, context) is None:
        return END
    draft_id = context.user_data.get("draft")
    draft = await services(context).store.get_draft(draft_id) if draft_id else None
    if draft is not None and draft.owner_id == update.effective_user.id:
        summary = esc(draft.text[:30]) or tr(context, "draft_summary_empty")
        menu = kb.markup(
            [
                [kb.btn(tr(context, "btn_resume"), "r:go")],
                [kb.btn(tr(context, "btn_new_draft"), "r:new")],
            ]
        )
        context.user_data["menu"] = None
        await show(
            update, context, tr(context, "resume_offer", summary=f"#{draft.id} {summary}"), menu
        )
        return RESUME
    return await new_draft(update, context)


@live
async def resume_choice(update: Update, context: Context, draft: Draft) -> int:
    """Continue the current draft or start afresh."""
    if update.callback_query.data == "r:go":
        return await goto(update, context, draft.step)
    return await new_draft(update, context)


async def new_draft(update: Update, context: Context) -> int:
    draft = await services(context).store.create_draft(update.effective_user.id, step=Step.SENDER)
    open_draft(context, draft)
    return await enter_sender(update, context, draft)


def open_draft(context: Context, draft: Draft) -> None:
    data = context.user_data
    for key in ("books_page", "books_filter", "books_view", "book", "review_return"):
        data.pop(key, None)
    data["draft"] = draft.id


async def open_existing(update: Update, context: Context, draft: Draft, step: Step) -> int:
    """Resume a stored draft at a step (from /drafts, a fix button, send-again)."""
    open_draft(context, draft)
    context.user_data["menu"] = None
    return await goto(update, context, step)


async def goto(update: Update, context: Context, step: Step) -> int:
    draft = await load_draft(update, context)
    if draft is None:
        return END
    if step == Step.SENDER:
        return await enter_sender(update, context, draft)
    if step == Step.PHONEBOOKS:
        return await enter_books(update, context, draft)
    if step == Step.TEXT:
        return await enter_text(update, context, draft)
    if step == Step.TIME:
        return await enter_time(update, context, draft)
    return await enter_review(update, context, draft)


async def after_step(update: Update, context: Context, draft: Draft, next_step: Step) -> int:
    """Go on to the next step, or back to the review when editing one step from there."""
    if context.user_data.pop("review_return", False):
        draft.step = Step.REVIEW
        draft = await save(update, context, draft)
        return await enter_review(update, context, draft)
    return await goto(update, context, next_step)


# ---------------------------------------------------------------- 1. sender


async def enter_sender(update: Update, context: Context, draft: Draft) -> int | None:
    key = await api_key(update, context)
    if key is None:
        return END
    client = services(context).client
    page = await call_api(update, context, lambda: client.sender_lines(key))
    if page is None:
        return KEEP_MENU
    lines = page.items
    if not lines:
        await say(update, context, tr(context, "sender_none"))
        return END
    profile = await services(context).store.get_profile(draft.owner_id)
    lines.sort(key=lambda line: line.number != profile.last_sender)  # last used first
    context.user_data["senders"] = [[line.number, line.alias] for line in lines]
    if len(lines) == 1:
        draft.sender, draft.sender_label = lines[0].number, lines[0].alias
        draft.step = Step.PHONEBOOKS
        draft = await save(update, context, draft)
        await say(
            update,
            context,
            tr(context, "sender_only_one", sender=sender_label(draft.sender, draft.sender_label)),
        )
        context.user_data["menu"] = None
        return await after_step(update, context, draft, Step.PHONEBOOKS)
    rows = []
    numbers = {line.number for line in lines}
    if profile.last_selections and profile.last_sender in numbers:
        rows.append([kb.btn(tr(context, "same_as_last"), "s:last")])
    rows += [
        [kb.btn(f"{line.alias or ''} {line.number}".strip(), f"s:{i}")]
        for i, line in enumerate(lines[:40])
    ]
    await show(update, context, tr(context, "sender_title"), kb.markup(rows))
    return SENDER


@live
async def choose_sender(update: Update, context: Context, draft: Draft) -> int:
    """A sender line, or "same as last time" (sender and phonebooks of the previous send)."""
    choice = update.callback_query.data.removeprefix("s:")
    offered = context.user_data.get("senders") or []
    if choice == "last":
        profile = await services(context).store.get_profile(draft.owner_id)
        if profile.last_sender not in {n for n, _ in offered}:
            return await stale(update, context)
        draft.sender, draft.sender_label = profile.last_sender, profile.last_sender_label
        draft.selections = profile.last_selections
        draft.step = Step.TEXT
        draft = await save(update, context, draft)
        return await after_step(update, context, draft, Step.TEXT)
    if not choice.isdigit() or int(choice) >= len(offered):
        return await stale(update, context)
    draft.sender, draft.sender_label = offered[int(choice)]
    draft.step = Step.PHONEBOOKS
    draft = await save(update, context, draft)
    return await after_step(update, context, draft, Step.PHONEBOOKS)


# ---------------------------------------------------------------- 2. phonebooks


async def enter_books(
    update: Update, context: Context, draft: Draft, page: int | None = None
) -> int | None:
    """One provider call per page view: the page asked for, with the title filter."""
    key = await api_key(update, context)
    if key is None:
        return END
    data = context.user_data
    page = page or data.get("books_page", 1)
    title = data.get("books_filter")
    client = services(context).client
    result = await call_api(
        update, context, lambda: client.phonebooks(key, page=page, per_page=PAGE_SIZE, title=title)
    )
    if result is None:
        return KEEP_MENU
    data["books_page"] = result.page
    data["books_pages"] = max(1, result.last_page)
    data["books_view"] = [[b.id, b.title, b.count] for b in result.items]
    await render_books(update, context, draft)
    return BOOKS


async def render_books(update: Update, context: Context, draft: Draft) -> None:
    data = context.user_data
    lang = lang_of(context)
    picked = {s.phonebook_id for s in draft.selections}
    rows = [
        [kb.btn(f"{'✓ ' if pid in picked else ''}{title} · {count:,}", f"b:t:{pid}")]
        for pid, title, count in data.get("books_view", [])
    ]
    rows.append(kb.pager(lang, "b:p", data.get("books_page", 1), data.get("books_pages", 1)))
    if data.get("books_filter"):
        rows.append([kb.btn(tr(context, "btn_clear_filter"), "b:x")])
    rows.append([*kb.back(lang), kb.btn(tr(context, "btn_books_done"), "b:ok")])
    lines = [tr(context, "books_title")]
    if data.get("books_filter"):
        lines.append(tr(context, "books_filter", filter=esc(data["books_filter"])))
    if not data.get("books_view"):
        lines.append(tr(context, "books_none"))
    lines.append(
        tr(
            context,
            "books_total",
            books=num(len(draft.selections), lang),
            recipients=num(draft.recipients(), lang),
        )
    )
    await show(update, context, "\n".join(lines), kb.markup(rows))


@live
async def books_press(update: Update, context: Context, draft: Draft) -> int:
    """Toggle a phonebook, turn a page, clear the search, or go on."""
    data = context.user_data
    action = update.callback_query.data
    if action.startswith("b:t:"):
        pid = action.removeprefix("b:t:")
        view = {row[0]: row for row in data.get("books_view", [])}
        if pid not in view:
            return await stale(update, context)
        existing = chosen(draft, pid)
        if existing:
            draft.selections.remove(existing)
        else:
            _, title, count = view[pid]
            if int(count) <= 0:  # nobody to send to: say so now, not at submit
                await answer(update, tr(context, "book_empty", title=title[:60]), alert=True)
                return BOOKS
            draft.selections.append(PhonebookSelection(pid, title, int(count)))
        draft = await save(update, context, draft)
        await render_books(update, context, draft)
        return BOOKS
    if action.startswith("b:p:"):
        page = action.removeprefix("b:p:")
        if not page.isdigit():
            return await stale(update, context)
        return await enter_books(update, context, draft, page=int(page))
    if action == "b:x":
        data.pop("books_filter", None)
        return await enter_books(update, context, draft, page=1)
    if action == "b:ok":
        if not draft.selections or draft.recipients() == 0:
            await answer(update, tr(context, "books_need_one"), alert=True)
            return BOOKS
        return await enter_options(update, context, draft)
    return await stale(update, context)


@with_draft
async def books_search(update: Update, context: Context, draft: Draft) -> int:
    """Typed text on the phonebook step filters by title, through the provider."""
    # the results come as a new message under the typed text (show() sends one for a
    # message); the old menu stays live until then, so a provider error strands nothing
    context.user_data["books_filter"] = normalize_text(update.message.text)[:50]
    return await enter_books(update, context, draft, page=1)


async def enter_options(update: Update, context: Context, draft: Draft) -> int:
    lang = lang_of(context)
    lines = [tr(context, "options_title"), ""]
    lines += [selection_line(s, lang) for s in draft.selections]
    lines.append(
        tr(
            context,
            "books_total",
            books=num(len(draft.selections), lang),
            recipients=num(draft.recipients(), lang),
        )
    )
    rows = [
        [kb.btn(f"⚙️ {s.title} — {selection_mode(s, lang)}", f"o:{s.phonebook_id}")]
        for s in draft.selections[:30]
    ]
    rows.append([*kb.back(lang), kb.btn(tr(context, "btn_to_text"), "o:ok")])
    await show(update, context, fit("\n".join(lines)), kb.markup(rows))
    return OPTIONS


@live
async def options_press(update: Update, context: Context, draft: Draft) -> int:
    """Open one chosen phonebook's options, or go on to the text."""
    action = update.callback_query.data.removeprefix("o:")
    if action == "ok":
        if not draft.selections:
            return await enter_books(update, context, draft)
        draft.step = Step.TEXT
        draft = await save(update, context, draft)
        return await after_step(update, context, draft, Step.TEXT)
    sel = chosen(draft, action)
    if sel is None:
        return await stale(update, context)
    context.user_data["book"] = sel.phonebook_id
    lang = lang_of(context)
    rows = [
        [kb.btn(tr(context, "btn_whole"), "m:all")],
        [kb.btn(tr(context, "btn_slice"), "m:slice")],
        [kb.btn(tr(context, "btn_pick"), "m:pick")],
        [kb.btn(tr(context, "btn_remove"), "m:rm")],
        [kb.btn(tr(context, "btn_back"), "m:back")],
    ]
    text = tr(context, "book_options", title=esc(sel.title), count=num(sel.count, lang))
    await show(update, context, text, kb.markup(rows))
    return OPTIONS


@live
async def mode_press(update: Update, context: Context, draft: Draft) -> int:
    """Whole book, a slice, hand-picked contacts, or remove."""
    sel = chosen(draft, context.user_data.get("book", ""))
    if sel is None:
        return await stale(update, context)
    action = update.callback_query.data
    if action == "m:back":
        return await enter_options(update, context, draft)
    if action == "m:all":
        sel.mode, sel.start, sel.size, sel.contact_ids = "all", None, None, []
    elif action == "m:rm":
        draft.selections.remove(sel)
    elif action == "m:slice":
        lang = lang_of(context)
        await show(
            update,
            context,
            tr(context, "slice_ask", count=num(sel.count, lang)),
            kb.markup([kb.back(lang)]),
        )
        return SLICE
    elif action == "m:pick":
        context.user_data.pop("contacts_filter", None)
        return await enter_contacts(update, context, draft, sel, page=1)
    draft = await save(update, context, draft)
    if not draft.selections:
        return await enter_books(update, context, draft)
    return await enter_options(update, context, draft)


@with_draft
async def slice_typed(update: Update, context: Context, draft: Draft) -> int:
    """A range of rows, first to last, inside the book as counted at compose time."""
    sel = chosen(draft, context.user_data.get("book", ""))
    if sel is None:
        return await enter_options(update, context, draft)
    try:
        rows = parse_slice(update.message.text, sel.count)
    except SliceError as err:
        count = num(sel.count, lang_of(context))
        text = tr(context, f"slice_{err.reason}", count=count, last=sel.count)
        await say(update, context, text)
        return SLICE
    sel.mode, sel.start, sel.size, sel.contact_ids = "slice", rows.start, rows.size, []
    draft = await save(update, context, draft)
    context.user_data["menu"] = None
    return await enter_options(update, context, draft)


async def enter_contacts(
    update: Update, context: Context, draft: Draft, sel: PhonebookSelection, page: int
) -> int | None:
    key = await api_key(update, context)
    if key is None:
        return END
    data = context.user_data
    number = data.get("contacts_filter")
    client = services(context).client
    result = await call_api(
        update,
        context,
        lambda: client.contacts(
            key, phonebook_id=sel.phonebook_id, page=page, per_page=PAGE_SIZE, number=number
        ),
    )
    if result is None:
        return KEEP_MENU
    data["contacts_page"] = result.page
    data["contacts_pages"] = max(1, result.last_page)
    data["contacts_view"] = [[c.id, c.number, c.name or ""] for c in result.items]
    await render_contacts(update, context, sel)
    return CONTACTS


async def render_contacts(update: Update, context: Context, sel: PhonebookSelection) -> None:
    data = context.user_data
    lang = lang_of(context)
    picked = set(sel.contact_ids) if sel.mode == "contacts" else set()
    rows = [
        [kb.btn(f"{'✓ ' if cid in picked else ''}{number} {name}".strip(), f"c:t:{cid}")]
        for cid, number, name in data.get("contacts_view", [])
    ]
    rows.append(kb.pager(lang, "c:p", data.get("contacts_page", 1), data.get("contacts_pages", 1)))
    if data.get("contacts_filter"):
        rows.append([kb.btn(tr(context, "btn_clear_filter"), "c:x")])
    rows.append([*kb.back(lang), kb.btn(tr(context, "btn_contacts_done"), "c:ok")])
    text = tr(context, "contacts_title", title=esc(sel.title), n=num(len(picked), lang))
    if not data.get("contacts_view"):
        text += "\n" + tr(context, "contacts_none")
    await show(update, context, text, kb.markup(rows))


@live
async def contacts_press(update: Update, context: Context, draft: Draft) -> int:
    """Toggle a contact, turn a page, clear the search, or confirm."""
    data = context.user_data
    sel = chosen(draft, data.get("book", ""))
    if sel is None:
        return await stale(update, context)
    action = update.callback_query.data
    if action.startswith("c:t:"):
        cid = action.removeprefix("c:t:")
        if cid not in {row[0] for row in data.get("contacts_view", [])}:
            return await stale(update, context)
        if sel.mode != "contacts":
            sel.mode, sel.start, sel.size, sel.contact_ids = "contacts", None, None, []
        if cid in sel.contact_ids:
            sel.contact_ids.remove(cid)
        else:
            sel.contact_ids.append(cid)
        draft = await save(update, context, draft)
        await render_contacts(update, context, chosen(draft, sel.phonebook_id))
        return CONTACTS
    if action.startswith("c:p:") and action.removeprefix("c:p:").isdigit():
        return await enter_contacts(update, context, draft, sel, int(action.removeprefix("c:p:")))
    if action == "c:x":
        data.pop("contacts_filter", None)
        return await enter_contacts(update, context, draft, sel, 1)
    if action == "c:ok":
        if sel.mode == "contacts" and not sel.contact_ids:
            sel.mode = "all"
            draft = await save(update, context, draft)
            await answer(update, tr(context, "contacts_empty_reverted"), alert=True)
        return await enter_options(update, context, draft)
    return await stale(update, context)


@with_draft
async def contacts_search(update: Update, context: Context, draft: Draft) -> int:
    """Typed text on the contact list filters by number.

    The panel matches the whole number in E.164 only, so what was typed is
    normalised first; part of a number would find nothing, so say what is needed.
    """
    sel = chosen(draft, context.user_data.get("book", ""))
    if sel is None:
        return await enter_options(update, context, draft)
    query = normalize_mobile(update.message.text[:40])
    if query.e164 is None:
        await say(update, context, tr(context, "contacts_need_whole_number"))
        return CONTACTS  # the list shown so far stays live
    context.user_data["contacts_filter"] = query.e164
    return await enter_contacts(update, context, draft, sel, 1)


# ---------------------------------------------------------------- 3. text


async def enter_text(update: Update, context: Context, draft: Draft) -> int:
    suffix = services(context).settings.message_suffix.strip()
    note = tr(context, "text_suffix_note", suffix=esc(suffix)) if suffix else ""
    if draft.text:
        return await preview_text(update, context, draft)
    from handlers.saved_texts import text_step_button  # team rules

    markup = kb.markup([await text_step_button(context), kb.back(lang_of(context))])
    await show(update, context, tr(context, "text_ask", suffix_note=note), markup)
    return TEXT


@with_draft
async def text_typed(update: Update, context: Context, draft: Draft) -> int:
    """The SMS text: normalised, measured, priced; the admin stays here on any problem."""
    text = normalize_text(update.message.text or "")
    if not text:
        await say(update, context, tr(context, "text_empty"))
        return TEXT
    length = measure(_full(context, text))
    if length.too_long:
        await say(update, context, too_long_text(context, text, length))
        return TEXT
    draft.text = text
    draft = await save(update, context, draft)
    context.user_data["menu"] = None
    return await preview_text(update, context, draft)


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
        chars=num(typed, lang),
        suffix=tr(context, "text_suffix_counted", n=num(suffix, lang)) if suffix else "",
        limit=num(length.limit, lang),
        rule=tr(context, rule),
        over=num(length.chars - length.limit, lang),
    )


def _full(context: Context, text: str) -> str:
    return full_message(text, services(context).settings.message_suffix)


async def fetch_price(context: Context, key: str, sender: str, message: str) -> tuple[float, float]:
    """Per-recipient price and account credit. The text step and the review ask for the
    same text one after the other, so a fresh answer (under PRICE_TTL) is reused."""
    digest = hashlib.sha256(f"{sender}\n{message}".encode()).hexdigest()
    cached = context.user_data.get("price")
    now = time.time()
    if cached and cached["digest"] == digest and now - cached["at"] < PRICE_TTL:
        return cached["per"], cached["credit"]
    client = services(context).client
    # two independent reads: ask both at once, the admin waits for the slower only
    results = await asyncio.gather(
        client.calculate_price(key, sender=sender, message=message),
        client.credit(key),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    price, credit = results
    per = max(price.mci_price, price.other_price)
    context.user_data["price"] = {"digest": digest, "at": now, "per": per, "credit": credit.credit}
    return per, credit.credit


async def price_lines(
    update: Update, context: Context, draft: Draft, message: str
) -> tuple[str, float | None, float | None]:
    """Price per recipient, total, credit; a provider problem only hides the estimate."""
    lang = lang_of(context)
    key = await services(context).store.get_api_key(draft.owner_id)
    if key is None or draft.sender is None:
        return "", None, None
    try:
        async with typing(update, context):
            per, credit = await fetch_price(context, key, draft.sender, message)
    except AuthError:
        return tr(context, "key_expired"), None, None  # the step still works; say what to fix
    except IPPanelError as exc:
        return tr(context, "text_price_unknown", reason=esc(exc.message)), None, None
    total = per * draft.recipients()
    line = tr(
        context,
        "text_price",
        per=num(per, lang),
        recipients=num(draft.recipients(), lang),
        total=num(total, lang),
        credit=num(credit, lang),
    )
    if total > credit:
        line += "\n" + tr(context, "credit_short")
    return line, per, credit


async def preview_text(update: Update, context: Context, draft: Draft) -> int:
    """Show the preview at once, then fill in the cost when the provider has answered."""
    lang = lang_of(context)
    message = _full(context, draft.text)
    length = measure(message)
    # opened from the review's "✏️ text": say that typing replaces it, and lead back there
    editing = bool(context.user_data.get("review_return"))
    ok = tr(context, "btn_back_to_review" if editing else "btn_text_ok")
    from handlers.saved_texts import text_step_button  # team rules

    saved_row = await text_step_button(context)
    markup = kb.markup([saved_row, [*kb.back(lang), kb.btn(ok, "x:ok")]])

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

    await show(update, context, render(tr(context, "price_pending")), markup)
    menu = context.user_data.get("menu")
    price, _, _ = await price_lines(update, context, draft, message)
    if menu is not None:
        await edit(context, update.effective_chat.id, menu, render(price), markup)
    return TEXT


@live
async def text_done(update: Update, context: Context, draft: Draft) -> int:
    if not draft.text:
        await answer(update, tr(context, "text_empty"), alert=True)
        return TEXT
    draft.step = Step.TIME
    draft = await save(update, context, draft)
    return await after_step(update, context, draft, Step.TIME)


async def text_not_text(update: Update, context: Context) -> int:
    """A photo, sticker, voice or file where the SMS text is expected."""
    await say(update, context, tr(context, "text_not_text"))
    return TEXT


# ---------------------------------------------------------------- 4. time


def _example(context: Context) -> str:
    tz = services(context).settings.tz
    example = quick_choices(datetime.now(UTC), tz)["tomorrow"]
    return format_jalali(example, tz, lang_of(context))


async def enter_time(update: Update, context: Context, draft: Draft) -> int:
    lang = lang_of(context)
    settings = services(context).settings
    choices = quick_choices(datetime.now(UTC), settings.tz)
    rows = [[kb.btn(tr(context, "btn_now"), "w:now")]]
    rows.append([kb.btn(tr(context, f"btn_{name}"), f"w:{name}") for name in choices])
    rows.append(kb.back(lang))
    text = tr(context, "time_ask", example=_example(context), tz=esc(settings.timezone))
    await show(update, context, text, kb.markup(rows))
    return TIME


@live
async def time_press(update: Update, context: Context, draft: Draft) -> int:
    """Now, or a quick choice computed afresh at the moment of the press."""
    choice = update.callback_query.data.removeprefix("w:")
    if choice == "now":
        draft.send_at = None
    else:
        choices = quick_choices(datetime.now(UTC), services(context).settings.tz)
        if choice not in choices:
            return await stale(update, context)
        draft.send_at = choices[choice]
    draft.step = Step.REVIEW
    draft = await save(update, context, draft)
    context.user_data.pop("review_return", None)
    return await enter_review(update, context, draft)


@with_draft
async def time_typed(update: Update, context: Context, draft: Draft) -> int:
    """A typed Jalali date and time in the configured zone."""
    tz = services(context).settings.tz
    try:
        draft.send_at = parse_jalali(update.message.text, now=datetime.now(UTC), tz=tz)
    except TimeError as err:
        await say(update, context, tr(context, f"time_{err.reason}", example=_example(context)))
        return TIME
    draft.step = Step.REVIEW
    draft = await save(update, context, draft)
    context.user_data.pop("review_return", None)
    context.user_data["menu"] = None
    return await enter_review(update, context, draft)


async def time_not_text(update: Update, context: Context) -> int:
    await say(update, context, tr(context, "time_not_text"))
    return TIME


# ---------------------------------------------------------------- 5. review


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


# ---------------------------------------------------------------- back & leave


def back_to(target: Step | str):
    """A back button handler that leads to a fixed earlier screen."""

    @live
    async def back(update: Update, context: Context, draft: Draft) -> int:
        context.user_data.pop("review_return", None)
        if target == "options":
            return await enter_options(update, context, draft)
        if target == Step.TEXT:
            # from the time step back to the text preview
            return await enter_text(update, context, draft)
        return await goto(update, context, Step(target))

    return back


async def cancel(update: Update, context: Context) -> int:
    """/cancel: leave the conversation, keep the draft."""
    context.user_data["menu"] = None
    await say(update, context, tr(context, "cancelled"))
    return END


async def persist_now(update: Update, context: Context) -> None:
    """After every update an admin sends: write the conversation state and the live menu id
    now. PTB writes them only on its persistence tick, so a crash within that tick would
    leave the menu on screen answering "out of date". Unchanged rows are not rewritten."""
    if update.effective_chat is not None and update.effective_chat.type == "private":
        await context.application.update_persistence()


async def use_buttons(update: Update, context: Context) -> None:
    """Typed text where only buttons make sense: point at the menu, stay on the step."""
    await say(update, context, tr(context, "use_buttons"))
    return None
