"""Plain commands outside the compose conversation: /start, /help, /drafts,
/history, /credit, /lang, and /cancel when there is nothing to cancel."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.domain import ApprovalRequest, Broadcast, Draft, Step, TrialSend
from bot.ippanel import IPPanelError
from bot.jalali import format_jalali
from bot.render import esc, fit, ltr, num, outbox_text
from bot.texts import t
from handlers import callbacks as cb
from handlers import keyboards as kb
from handlers import plans
from handlers.approval import void_pending_requests
from handlers.common import (
    Context,
    answer,
    api_key,
    card_of,
    edit,
    lang_of,
    person_label,
    provider_text,
    say,
    tr,
    typing,
    user_id_of,
)
from handlers.compose import END, open_existing, stale
from handlers.credit_watch import credit_extra, team_credit
from handlers.guards import month_line

HISTORY_PAGE = 5
PENDING_SHOWN = 5  # pending requests on /history's first page; more are counted
DRAFTS_PAGE = 10


async def help_command(update: Update, context: Context) -> None:
    """/start and /help: what the bot does, the admin's role, the key's state, the commands."""
    settings = context.services.settings
    uid = user_id_of(update)
    is_admin, is_approver = uid in settings.admin_ids, uid in settings.approvers
    role = (
        "role_both" if is_admin and is_approver else "role_admin" if is_admin else "role_approver"
    )
    info = await context.services.store.get_key_info(uid)
    key_state = (
        tr(context, "key_set", hint=esc(info.hint), account=esc(info.account_name or "—"))
        if info
        else tr(context, "key_missing")
    )
    await say(update, context, tr(context, "help", role=tr(context, role), key_state=key_state))


async def drafts_command(update: Update, context: Context) -> None:
    await show_drafts(update, context, page=1)


async def show_drafts(
    update: Update, context: Context, page: int, *, edit_message: bool = False
) -> None:
    """/drafts: the admin's drafts to resume, copy or delete, DRAFTS_PAGE per page, and one
    button that deletes every empty draft (the current compose draft excepted)."""
    store = context.services.store
    uid = user_id_of(update)
    total = await store.count_drafts(uid)
    if not total:
        await _put(update, context, tr(context, "drafts_none"), None, edit_message)
        return
    settings = context.services.settings
    lang = lang_of(context)
    pages = max(1, math.ceil(total / DRAFTS_PAGE))
    page = min(max(page, 1), pages)
    drafts = await store.list_drafts(uid, limit=DRAFTS_PAGE, offset=(page - 1) * DRAFTS_PAGE)
    title = "drafts_title" if pages == 1 else "drafts_page"
    lines = [tr(context, title, page=num(page, lang), pages=num(pages, lang))]
    rows = []
    # drafts are listed by position: the only "#N" people see belongs to a broadcast
    for n, d in enumerate(drafts, start=(page - 1) * DRAFTS_PAGE + 1):
        summary = draft_summary(context, d)
        updated = format_jalali(d.updated_at, settings.tz, lang) if d.updated_at else "—"
        lines.append(tr(context, "draft_line", n=num(n, lang), summary=summary, updated=updated))
        buttons = [
            kb.btn(tr(context, "btn_draft_open", n=num(n, lang)), cb.DRAFT.data("o", d.id)),
            kb.btn(tr(context, "btn_draft_copy"), cb.DRAFT.data("c", d.id)),
            kb.btn(tr(context, "btn_draft_delete"), cb.DRAFT.data("d", d.id)),
        ]
        rows.append(kb.reading_order(lang, buttons))
    rows.append(kb.pager(lang, cb.DRAFTS_PAGE, page, pages))
    empty = await store.count_empty_drafts(uid, keep=context.user_data.draft)
    if empty:
        rows.append(
            [kb.btn(tr(context, "btn_drafts_purge", n=num(empty, lang)), cb.DRAFTS_PURGE.data())]
        )
    await _put(update, context, fit("\n".join(lines)), kb.markup(rows), edit_message)


async def _put(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None, edit_it: bool
) -> None:
    """Replace the pressed message (a page, a purge) or send a new one (the command)."""
    query = update.callback_query
    if edit_it and query and query.message:
        chat_id, message_id = query.message.chat.id, query.message.message_id
        if await edit(context, chat_id, message_id, text, markup):
            return
    await say(update, context, text, markup)


# /drafts buttons outside the compose conversation: a page, delete every empty draft, and
# the answer to "this draft has a pending request: delete it?"


@cb.DRAFTS_PAGE.handles
async def drafts_page(update: Update, context: Context, page: int) -> None:
    await answer(update)
    await show_drafts(update, context, page, edit_message=True)


@cb.DRAFTS_PURGE.handles
async def drafts_purge(update: Update, context: Context) -> None:
    await answer(update)
    uid = user_id_of(update)
    gone = await context.services.store.delete_empty_drafts(uid, keep=context.user_data.draft)
    await show_drafts(update, context, 1, edit_message=True)
    key = "drafts_purged" if gone else "drafts_purged_none"
    await say(update, context, tr(context, key, n=num(gone, lang_of(context))))


@cb.DRAFT_DELETE_ANSWER.handles
async def draft_delete_answer(update: Update, context: Context, action: str, draft_id: int) -> None:
    store = context.services.store
    uid = user_id_of(update)
    draft = await store.get_draft(draft_id)
    message = card_of(update)
    if draft is None or draft.owner_id != uid:
        await answer(update, tr(context, "stale_menu"), alert=True)
        return
    await answer(update)
    if action == "n":
        text = tr(context, "draft_delete_kept")
    else:  # "y": confirmed
        text = await _delete_draft(update, context, draft)
    if message:
        await edit(context, message.chat.id, message.message_id, text, None)
    else:
        await say(update, context, text)


async def _delete_draft(update: Update, context: Context, draft: Draft) -> str:
    """Delete a draft (withdrawing its pending request, closing the approvers' cards) and
    return the ONE line that says what happened."""
    voided = await void_pending_requests(update, context, draft, tell=False)
    await context.services.store.delete_draft(draft.id, draft.owner_id)
    if context.user_data.draft == draft.id:
        context.user_data.draft = None
    if voided:
        return tr(context, "draft_deleted_withdrawn", request=voided[0])
    return tr(context, "draft_deleted", summary=draft_summary(context, draft))


def draft_summary(context: Context, draft: Draft) -> str:
    return esc(draft.text[:40]) if draft.text else tr(context, "draft_summary_empty")


@cb.DRAFT.handles
async def draft_press(update: Update, context: Context, action: str, draft_id: int) -> int | None:
    """Open or copy a draft (entering the conversation) or delete it; a draft with a pending
    request is deleted only after the admin confirms."""
    store = context.services.store
    draft = await store.get_draft(draft_id)
    if draft is None or draft.owner_id != user_id_of(update):
        await stale(update, context)
        return END
    await answer(update)
    if action == "d":
        pending = await store.pending_request_for_draft(draft.id)
        if pending is not None:
            yes = kb.btn(
                tr(context, "btn_draft_delete_yes"), cb.DRAFT_DELETE_ANSWER.data("y", draft.id)
            )
            no = kb.btn(
                tr(context, "btn_draft_delete_no"), cb.DRAFT_DELETE_ANSWER.data("n", draft.id)
            )
            text = tr(context, "draft_delete_pending_ask", request=pending.number)
            await say(update, context, text, kb.markup([[yes], [no]]))
            return END
        await say(update, context, await _delete_draft(update, context, draft))
        return END
    if action == "c":
        draft = await store.create_draft(
            draft.owner_id,
            sender=draft.sender,
            sender_label=draft.sender_label,
            selections=draft.selections,
            text=draft.text,
            step=Step.REVIEW if draft.text else draft.step,
        )
    return await open_existing(update, context, draft, draft.step)


async def history_command(update: Update, context: Context) -> None:
    await show_history(update, context)


@cb.HISTORY_PAGE.handles
async def history_press(update: Update, context: Context, page: int) -> None:
    """A page button from before the keyset pages: the first page."""
    await answer(update)
    await show_history(update, context)


@cb.HISTORY_OLDER.handles
async def history_older(update: Update, context: Context, page: int, cursor: int) -> None:
    await answer(update)
    await show_history(update, context, page, older_than=cursor)


@cb.HISTORY_NEWER.handles
async def history_newer(update: Update, context: Context, page: int, cursor: int) -> None:
    await answer(update)
    await show_history(update, context, page, newer_than=cursor)


async def show_history(
    update: Update,
    context: Context,
    page: int = 1,
    *,
    older_than: int | None = None,
    newer_than: int | None = None,
) -> None:
    """/history: recent broadcasts (requested or approved), paged by keyset (the rows
    just older or newer than a cursor row, never an offset into the whole history);
    approvers' decisions too."""
    store = context.services.store
    settings = context.services.settings
    uid = user_id_of(update)
    lang = lang_of(context)
    approver = uid in settings.approvers
    page = page if older_than is not None or newer_than is not None else 1
    # one row more than a page tells whether there is a page beyond it; the first page
    # also shows pending requests, test SMS and an approver's decisions
    view = await store.history_view(
        uid,
        HISTORY_PAGE + 1,
        older_than=older_than,
        newer_than=newer_than,
        first_page=page == 1,
        approver=approver,
    )
    items = view.items
    if newer_than is not None:
        if len(items) <= HISTORY_PAGE:  # back at the newest rows: the first page
            return await show_history(update, context)
        items, older = items[-HISTORY_PAGE:], True
    else:
        if older_than is not None and not items:  # a cursor that is no row of this history
            return await show_history(update, context)
        items, older = items[:HISTORY_PAGE], len(items) > HISTORY_PAGE
    # every approver of a request that needed several, in the order they approved
    approved_by = {b.id: view.approvers.get(b.request_id or 0, []) for b in items}
    # pending requests this person asked for, or may still decide (oldest first: the
    # nearest to expiring)
    pending = [r for r in view.pending if r.requester_id == uid or approver]
    profiles = view.profiles
    lines = [tr(context, "history_title", page=num(page, lang))]
    lines.extend(_pending_lines(context, pending, profiles))
    if not items and not pending:
        lines.append(tr(context, "history_none"))
    for b in items:
        # gradual sending: one line
        plan_line = plans.history_line(context, b, lang, view.plans.get(b.plan_key or ""))
        if plan_line is not None:
            lines.append(plan_line)
            continue
        lines.append(
            tr(
                context,
                "history_item",
                no=b.number,
                state=tr(context, f"state_{history_state(b)}"),
                when=format_jalali(sent_at(b), settings.tz, lang),
                requester=person_label(context, b.requester_id, profiles.get(b.requester_id)),
                approver=_approvers(context, b, approved_by[b.id], profiles),
                recipients=num(b.snapshot.recipients, lang),
                outbox=outbox_text(b.outbox_ids),
            )
        )
    lines.extend(trial_lines(context, view.trials))  # test SMS, marked as tests
    lines.extend(_decided_lines(context, view.decided))  # an approver's latest decisions
    markup = kb.markup([_history_pager(lang, page, items, older)])
    query = update.callback_query
    if query and query.message:
        await edit(
            context,
            query.message.chat.id,
            query.message.message_id,
            fit("\n\n".join(lines)),
            markup,
        )
    else:
        await say(update, context, fit("\n\n".join(lines)), markup)


def _history_pager(
    lang: str, page: int, items: list[Broadcast], older: bool
) -> list[InlineKeyboardButton]:
    """Newer and older pages, each by its cursor row; only the arrows that lead somewhere."""
    if not items:
        return []
    newer = [kb.btn(t(lang, "btn_prev"), cb.HISTORY_NEWER.data(page - 1, items[0].id))]
    beyond = [kb.btn(t(lang, "btn_next"), cb.HISTORY_OLDER.data(page + 1, items[-1].id))]
    return kb.nav_row(lang, newer if page > 1 else [], beyond if older else [])


def sent_at(b: Broadcast) -> datetime:
    """When a broadcast goes (or went) out: its scheduled time, else when it was sent."""
    return b.snapshot.send_time or b.created_at


def _approvers(context: Context, b: Broadcast, people: list[int], profiles: dict) -> str:
    """Everyone whose approval sent it (one name when one approval was needed)."""
    if not people:
        return person_label(context, b.approver_id, profiles.get(b.approver_id or 0))
    sep = tr(context, "approvals_sep")
    return sep.join(person_label(context, p, profiles.get(p)) for p in people)


def _pending_lines(context: Context, pending: list[ApprovalRequest], profiles: dict) -> list[str]:
    if not pending:
        return []
    settings = context.services.settings
    lang = lang_of(context)
    lines = [tr(context, "history_pending")]
    for r in pending[:PENDING_SHOWN]:
        send_at = r.snapshot.send_time
        when = format_jalali(send_at, settings.tz, lang) if send_at else tr(context, "time_now")
        plan = r.snapshot.plan
        if plan is not None:
            when = tr(
                context,
                "history_plan_span",
                first=format_jalali(plan.first_at, settings.tz, lang),
                last=format_jalali(plan.last_at, settings.tz, lang),
            )
        lines.append(
            tr(
                context,
                "history_pending_item",
                no=r.number,
                got=num(len(r.approved_by), lang),
                needed=num(r.approvals_needed, lang),
                when=when,
                requester=person_label(context, r.requester_id, profiles.get(r.requester_id)),
                recipients=num(r.snapshot.recipients, lang),
            )
        )
    if len(pending) > PENDING_SHOWN:
        more = num(len(pending) - PENDING_SHOWN, lang)
        lines.append(tr(context, "history_pending_more", n=more))
    return lines


def _decided_lines(context: Context, decided: list[ApprovalRequest]) -> list[str]:
    if not decided:
        return []
    tz = context.services.settings.tz
    lang = lang_of(context)
    items = [
        tr(
            context,
            "history_decided_item",
            no=r.number,
            state=tr(context, f"state_{r.state}"),
            when=format_jalali(r.decided_at or r.created_at, tz, lang),
        )
        for r in decided
    ]
    return ["\n" + tr(context, "history_decided"), *items]


def trial_lines(context: Context, trials: list[TrialSend]) -> list[str]:
    """The latest test SMS to the admin's own phone, each marked as a test."""
    if not trials:
        return []
    settings = context.services.settings
    lang = lang_of(context)
    items = [
        tr(
            context,
            "history_trial_item",
            id=x.id,
            state=tr(context, f"state_{x.state}"),
            when=format_jalali(x.created_at, settings.tz, lang) if x.created_at else "—",
            phone=ltr(x.recipient),
            draft=x.draft_id,
            outbox=outbox_text(x.outbox_ids),
        )
        for x in trials
    ]
    return ["\n" + tr(context, "history_trials"), *items]


def history_state(b: Broadcast) -> str:
    """A sent broadcast whose time has not come is "scheduled": nothing went out yet."""
    send_at = b.snapshot.send_time
    if b.state == "sent" and send_at and send_at > datetime.now(UTC):
        return "scheduled"
    return str(b.state)


async def credit_command(update: Update, context: Context) -> None:
    """/credit: the account credit through the admin's own key; an approver without one
    sees the keys whose low-credit alerts they get."""
    uid = user_id_of(update)
    if await context.services.store.get_key_info(uid) is None:
        async with typing(update, context):
            team = await team_credit(context, uid)
        if team is not None:
            await say(update, context, fit(team))
            return
    key = await api_key(update, context)
    if key is None:
        return
    try:
        async with typing(update, context):
            credit = await context.services.client.credit(key)
    except IPPanelError as exc:
        await say(update, context, provider_text(context, exc, draft=False))
        return
    lang = lang_of(context)
    gift = tr(context, "credit_gift", gift=num(credit.gift, lang)) if credit.gift else ""
    text = tr(context, "credit", credit=num(credit.credit, lang), gift=gift)
    extra = await credit_extra(context, user_id_of(update), key, credit.credit)
    month = await month_line(context, lang)  # the team's spend this Jalali month (#22)
    await say(update, context, "\n".join(part for part in (text, extra, month) if part))


async def lang_command(update: Update, context: Context) -> None:
    rows = [[kb.btn("فارسی", cb.LANG.data("fa")), kb.btn("English", cb.LANG.data("en"))]]
    await say(update, context, tr(context, "lang_ask"), kb.markup(rows))


@cb.LANG.handles
async def lang_press(update: Update, context: Context, lang: str) -> None:
    await answer(update)
    await context.services.store.set_language(user_id_of(update), lang)
    context.user_data.lang = lang
    await say(update, context, tr(context, "lang_set"))


async def cancel_outside(update: Update, context: Context) -> None:
    await say(update, context, tr(context, "nothing_to_cancel"))


async def stale_press(update: Update, context: Context) -> None:
    """Any button no handler owns: an old menu, or forged data."""
    await answer(update, tr(context, "stale_menu"), alert=True)
