"""Step 2: phonebooks, then for each the whole book, a slice of rows, or picked contacts."""

from __future__ import annotations

import logging

from telegram import Update

from bot.domain import Draft, PhonebookSelection, Profile, Step
from bot.phones import normalize_mobile
from bot.render import (
    counted,
    esc,
    fit,
    num,
    selection_line,
    selection_mode,
)
from bot.slices import SliceError, parse_slice
from bot.sms import normalize_text
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    answer_before_work,
    api_key,
    call_api,
    lang_of,
    say,
    tr,
    typed_text,
)
from handlers.compose.flow import (
    BOOKS,
    CONTACTS,
    END,
    KEEP_MENU,
    OPTIONS,
    OPTIONS_SCREEN,
    PAGE_SIZE,
    SLICE,
    after_step,
    chosen,
    live,
    save,
    screen,
    show,
    stale,
    with_draft,
)

log = logging.getLogger("handlers.compose")


@screen(Step.PHONEBOOKS)
async def enter_books(
    update: Update, context: Context, draft: Draft, page: int | None = None
) -> int | None:
    """One provider call per page view: the page asked for, with the title filter."""
    await answer_before_work(update)  # what can go wrong below is told in a message
    key = await api_key(update, context)
    if key is None:
        return END
    data = context.user_data
    page = page or data.books_page
    title = data.books_filter
    client = context.services.client
    result = await call_api(
        update, context, lambda: client.phonebooks(key, page=page, per_page=PAGE_SIZE, title=title)
    )
    if result is None:
        return KEEP_MENU
    data.books_page = result.page
    data.books_pages = max(1, result.last_page)
    data.books_view = [(b.id, b.title, b.count) for b in result.items]
    await render_books(update, context, draft)
    return BOOKS


async def render_books(update: Update, context: Context, draft: Draft) -> None:
    data = context.user_data
    data.show_search("books")
    lang = lang_of(context)
    picked = {s.phonebook_id for s in draft.selections}
    rows = [
        [kb.btn(f"{'✓ ' if pid in picked else ''}{title} · {count:,}", cb.BOOK.data(pid))]
        for pid, title, count in data.books_view
    ]
    rows.append(kb.pager(lang, cb.BOOKS_PAGE, data.books_page, data.books_pages))
    if data.books_filter:
        rows.append([kb.btn(tr(context, "btn_clear_filter"), cb.BOOKS.data("x"))])
    if draft.selections:
        # slices and hand-picked contacts are one tap away; the usual path skips that screen
        rows.append([kb.btn(tr(context, "btn_books_options"), cb.BOOKS.data("o"))])
    elif last_time_fits(await context.services.store.get_profile(draft.owner_id), draft):
        rows.append([kb.btn(tr(context, "same_as_last"), cb.BOOKS.data("last"))])
    rows.append(
        kb.nav_row(
            lang, kb.back(lang), [kb.btn(tr(context, "btn_books_done"), cb.BOOKS.data("ok"))]
        )
    )
    lines = [tr(context, "books_title")]
    if data.books_filter:
        lines.append(tr(context, "books_filter", filter=esc(data.books_filter)))
    if not data.books_view:
        lines.append(tr(context, "books_none"))
    lines.append(
        tr(
            context,
            "books_total",
            books=counted(lang, len(draft.selections), "phonebook"),
            recipients=counted(lang, draft.recipients(), "recipient"),
        )
    )
    await show(update, context, "\n".join(lines), kb.markup(rows))


@cb.BOOK.handles
@live
async def book_press(update: Update, context: Context, draft: Draft, pid: str) -> int | None:
    """Toggle a phonebook of the page on screen."""
    view = {row[0]: row for row in context.user_data.books_view}
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


@cb.BOOKS_PAGE.handles
@live
async def books_page(update: Update, context: Context, draft: Draft, page: int) -> int | None:
    return await enter_books(update, context, draft, page=page)


@cb.BOOKS.handles
@live
async def books_press(update: Update, context: Context, draft: Draft, action: str) -> int | None:
    """Clear the search, go on (to the text, or to the options), or "same as last time"."""
    if action == "x":
        context.user_data.books_filter = None
        return await enter_books(update, context, draft, page=1)
    if action in ("ok", "o"):
        if not draft.selections or draft.recipients() == 0:
            await answer(update, tr(context, "books_need_one"), alert=True)
            return BOOKS
        if action == "o":
            return await enter_options(update, context, draft)
        draft.step = Step.TEXT
        draft = await save(update, context, draft)
        return await after_step(update, context, draft, Step.TEXT)
    # "last"
    profile = await context.services.store.get_profile(draft.owner_id)
    if draft.selections or not last_time_fits(profile, draft):
        return await stale(update, context)
    draft.selections = profile.last_selections
    draft.step = Step.TEXT
    draft = await save(update, context, draft)
    return await after_step(update, context, draft, Step.TEXT)


def last_time_fits(profile: Profile, draft: Draft) -> bool:
    """ "Same as last time" here: the sender step was skipped (one line) or chose the line
    last used, and the previous send's phonebooks are known."""
    return bool(profile.last_selections) and draft.sender == profile.last_sender


@with_draft
async def books_search(update: Update, context: Context, draft: Draft) -> int | None:
    """Typed text on the phonebook step filters by title, through the provider."""
    # the results come as a new message under the typed text (show() sends one for a
    # message); the old menu stays live until then, so a provider error strands nothing
    context.user_data.books_filter = normalize_text(typed_text(update))[:50]
    return await enter_books(update, context, draft, page=1)


@screen(OPTIONS_SCREEN)
async def enter_options(update: Update, context: Context, draft: Draft) -> int:
    lang = lang_of(context)
    lines = [tr(context, "options_title"), ""]
    lines += [selection_line(s, lang) for s in draft.selections]
    lines.append(
        tr(
            context,
            "books_total",
            books=counted(lang, len(draft.selections), "phonebook"),
            recipients=counted(lang, draft.recipients(), "recipient"),
        )
    )
    rows = [
        [kb.btn(f"⚙️ {s.title} — {selection_mode(s, lang)}", cb.OPTIONS.data(s.phonebook_id))]
        for s in draft.selections[:30]
    ]
    rows.append(
        kb.nav_row(
            lang, kb.back(lang), [kb.btn(tr(context, "btn_to_text"), cb.OPTIONS_DONE.data())]
        )
    )
    await show(update, context, fit("\n".join(lines)), kb.markup(rows))
    return OPTIONS


@cb.OPTIONS_DONE.handles
@live
async def options_done(update: Update, context: Context, draft: Draft) -> int | None:
    """From the options on to the text."""
    if not draft.selections:
        return await enter_books(update, context, draft)
    draft.step = Step.TEXT
    draft = await save(update, context, draft)
    return await after_step(update, context, draft, Step.TEXT)


@cb.OPTIONS.handles
@live
async def options_press(update: Update, context: Context, draft: Draft, pid: str) -> int | None:
    """Open one chosen phonebook's options."""
    sel = chosen(draft, pid)
    if sel is None:
        return await stale(update, context)
    context.user_data.book = sel.phonebook_id
    lang = lang_of(context)
    rows = [
        [kb.btn(tr(context, "btn_whole"), cb.MODE.data("all"))],
        [kb.btn(tr(context, "btn_slice"), cb.MODE.data("slice"))],
        [kb.btn(tr(context, "btn_pick"), cb.MODE.data("pick"))],
        [kb.btn(tr(context, "btn_remove"), cb.MODE.data("rm"))],
        [kb.btn(tr(context, "btn_back"), cb.MODE.data("back"))],
    ]
    text = tr(
        context, "book_options", title=esc(sel.title), count=counted(lang, sel.count, "contact")
    )
    await show(update, context, text, kb.markup(rows))
    return OPTIONS


@cb.MODE.handles
@live
async def mode_press(update: Update, context: Context, draft: Draft, action: str) -> int | None:
    """Whole book, a slice, hand-picked contacts, or remove."""
    sel = chosen(draft, context.user_data.book or "")
    if sel is None:
        return await stale(update, context)
    if action == "back":
        return await enter_options(update, context, draft)
    if action == "all":
        draft.put(sel.whole())
    elif action == "rm":
        draft.selections.remove(sel)
    elif action == "slice":
        lang = lang_of(context)
        await show(
            update,
            context,
            tr(context, "slice_ask", count=counted(lang, sel.count, "contact")),
            kb.markup([kb.back(lang)]),
        )
        return SLICE
    elif action == "pick":
        context.user_data.contacts_filter = None
        return await enter_contacts(update, context, draft, sel, page=1)
    draft = await save(update, context, draft)
    if not draft.selections:
        return await enter_books(update, context, draft)
    return await enter_options(update, context, draft)


@with_draft
async def slice_typed(update: Update, context: Context, draft: Draft) -> int:
    """A range of rows, first to last, inside the book as counted at compose time."""
    sel = chosen(draft, context.user_data.book or "")
    if sel is None:
        return await enter_options(update, context, draft)
    try:
        rows = parse_slice(typed_text(update), sel.count)
    except SliceError as err:
        lang = lang_of(context)
        # "only 1 contact" names the noun; the other texts use the bare row number
        shown = (
            counted(lang, sel.count, "contact")
            if err.reason == "past_end"
            else num(sel.count, lang)
        )
        text = tr(context, f"slice_{err.reason}", count=shown, last=sel.count)
        await say(update, context, text)
        return SLICE
    draft.put(sel.sliced(rows.start, rows.size))
    draft = await save(update, context, draft)
    context.user_data.menu = None
    return await enter_options(update, context, draft)


async def enter_contacts(
    update: Update, context: Context, draft: Draft, sel: PhonebookSelection, page: int
) -> int | None:
    await answer_before_work(update)  # what can go wrong below is told in a message
    key = await api_key(update, context)
    if key is None:
        return END
    data = context.user_data
    number = data.contacts_filter
    client = context.services.client
    result = await call_api(
        update,
        context,
        lambda: client.contacts(
            key, phonebook_id=sel.phonebook_id, page=page, per_page=PAGE_SIZE, number=number
        ),
    )
    if result is None:
        return KEEP_MENU
    data.contacts_page = result.page
    data.contacts_pages = max(1, result.last_page)
    data.contacts_view = [(c.id, c.number, c.name or "") for c in result.items]
    await render_contacts(update, context, sel)
    return CONTACTS


async def render_contacts(update: Update, context: Context, sel: PhonebookSelection) -> None:
    data = context.user_data
    data.show_search("contacts")
    lang = lang_of(context)
    picked = set(sel.contact_ids) if sel.mode == "contacts" else set()
    rows = [
        [kb.btn(f"{'✓ ' if cid in picked else ''}{number} {name}".strip(), cb.CONTACT.data(cid))]
        for cid, number, name in data.contacts_view
    ]
    rows.append(kb.pager(lang, cb.CONTACTS_PAGE, data.contacts_page, data.contacts_pages))
    if data.contacts_filter:
        rows.append([kb.btn(tr(context, "btn_clear_filter"), cb.CONTACTS.data("x"))])
    rows.append(
        kb.nav_row(
            lang, kb.back(lang), [kb.btn(tr(context, "btn_contacts_done"), cb.CONTACTS.data("ok"))]
        )
    )
    text = tr(context, "contacts_title", title=esc(sel.title), n=num(len(picked), lang))
    if not data.contacts_view:
        text += "\n" + tr(context, "contacts_none")
    await show(update, context, text, kb.markup(rows))


@cb.CONTACT.handles
@live
async def contact_press(update: Update, context: Context, draft: Draft, cid: str) -> int | None:
    """Toggle a contact of the page on screen."""
    data = context.user_data
    sel = chosen(draft, data.book or "")
    if sel is None or cid not in {row[0] for row in data.contacts_view}:
        return await stale(update, context)
    draft.put(sel.toggled(cid))
    draft = await save(update, context, draft)
    saved = chosen(draft, sel.phonebook_id)
    if saved is None:  # the save keeps every selection: only a draft changed meanwhile
        return await stale(update, context)
    await render_contacts(update, context, saved)
    return CONTACTS


@cb.CONTACTS_PAGE.handles
@live
async def contacts_page(update: Update, context: Context, draft: Draft, page: int) -> int | None:
    sel = chosen(draft, context.user_data.book or "")
    if sel is None:
        return await stale(update, context)
    return await enter_contacts(update, context, draft, sel, page)


@cb.CONTACTS.handles
@live
async def contacts_press(update: Update, context: Context, draft: Draft, action: str) -> int | None:
    """Clear the search, or confirm the picked contacts."""
    sel = chosen(draft, context.user_data.book or "")
    if sel is None:
        return await stale(update, context)
    if action == "x":
        context.user_data.contacts_filter = None
        return await enter_contacts(update, context, draft, sel, 1)
    if sel.mode == "contacts" and not sel.contact_ids:
        await answer(update, tr(context, "contacts_empty_reverted"), alert=True)
        draft.put(sel.whole())
        draft = await save(update, context, draft)
    return await enter_options(update, context, draft)


@with_draft
async def contacts_search(update: Update, context: Context, draft: Draft) -> int | None:
    """Typed text on the contact list filters by number.

    The panel matches the whole number in E.164 only, so what was typed is
    normalised first; part of a number would find nothing, so say what is needed.
    """
    sel = chosen(draft, context.user_data.book or "")
    if sel is None:
        return await enter_options(update, context, draft)
    query = normalize_mobile(typed_text(update)[:40])
    if query.e164 is None:
        await say(update, context, tr(context, "contacts_need_whole_number"))
        return CONTACTS  # the list shown so far stays live
    context.user_data.contacts_filter = query.e164
    return await enter_contacts(update, context, draft, sel, 1)
