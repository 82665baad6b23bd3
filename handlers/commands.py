"""Plain commands outside the compose conversation: /start, /help, /drafts,
/history, /credit, /lang, and /cancel when there is nothing to cancel."""

from __future__ import annotations

import math

from telegram import Update

from bot.domain import Step
from bot.ippanel import IPPanelError
from bot.jalali import format_jalali
from bot.render import esc, fit, num, outbox_text
from bot.texts import LANGUAGES
from handlers import keyboards as kb
from handlers import plans
from handlers.approval import void_pending_requests
from handlers.common import (
    Context,
    answer,
    api_key,
    edit,
    lang_of,
    provider_text,
    say,
    services,
    tr,
    typing,
)
from handlers.compose import END, open_existing, stale

HISTORY_PAGE = 5


async def help_command(update: Update, context: Context) -> None:
    """/start and /help: what the bot does, the admin's role, the key's state, the commands."""
    settings = services(context).settings
    uid = update.effective_user.id
    is_admin, is_approver = uid in settings.admin_ids, uid in settings.approvers
    role = (
        "role_both" if is_admin and is_approver else "role_admin" if is_admin else "role_approver"
    )
    info = await services(context).store.get_key_info(uid)
    key_state = (
        tr(context, "key_set", hint=esc(info.hint), account=esc(info.account_name or "—"))
        if info
        else tr(context, "key_missing")
    )
    await say(update, context, tr(context, "help", role=tr(context, role), key_state=key_state))


async def drafts_command(update: Update, context: Context) -> None:
    """/drafts: the admin's drafts to resume, copy or delete."""
    drafts = await services(context).store.list_drafts(update.effective_user.id, limit=10)
    if not drafts:
        await say(update, context, tr(context, "drafts_none"))
        return
    settings = services(context).settings
    lang = lang_of(context)
    lines, rows = [tr(context, "drafts_title")], []
    for d in drafts:
        summary = esc(d.text[:40]) if d.text else tr(context, "draft_summary_empty")
        updated = format_jalali(d.updated_at, settings.tz, lang) if d.updated_at else "—"
        lines.append(tr(context, "draft_line", id=d.id, summary=summary, updated=updated))
        rows.append(
            [
                kb.btn(tr(context, "btn_draft_open", id=d.id), f"dr:o:{d.id}"),
                kb.btn(tr(context, "btn_draft_copy"), f"dr:c:{d.id}"),
                kb.btn(tr(context, "btn_draft_delete"), f"dr:d:{d.id}"),
            ]
        )
    await say(update, context, fit("\n".join(lines)), kb.markup(rows))


async def draft_press(update: Update, context: Context) -> int:
    """Open or copy a draft (entering the conversation) or delete it."""
    _, action, raw = [*update.callback_query.data.split(":"), "", ""][:3]
    store = services(context).store
    draft = await store.get_draft(int(raw)) if raw.isascii() and raw.isdigit() else None
    if draft is None or draft.owner_id != update.effective_user.id:
        await stale(update, context)
        return END
    await answer(update)
    if action == "d":
        await void_pending_requests(update, context, draft)
        await store.delete_draft(draft.id, draft.owner_id)
        if context.user_data.get("draft") == draft.id:
            context.user_data.pop("draft", None)
        await say(update, context, tr(context, "draft_deleted", id=draft.id))
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
    await show_history(update, context, page=1)


async def history_press(update: Update, context: Context) -> None:
    raw = update.callback_query.data.removeprefix("hs:")
    await answer(update)
    await show_history(update, context, page=int(raw) if raw.isdigit() else 1)


async def show_history(update: Update, context: Context, page: int) -> None:
    """/history: recent broadcasts (requested or approved), paged; approvers' decisions too."""
    store = services(context).store
    settings = services(context).settings
    uid = update.effective_user.id
    lang = lang_of(context)
    total = await store.count_broadcasts(uid, plans_once=True)
    pages = max(1, math.ceil(total / HISTORY_PAGE))
    page = min(max(page, 1), pages)
    items = await store.list_broadcasts(
        uid, limit=HISTORY_PAGE, offset=(page - 1) * HISTORY_PAGE, plans_once=True
    )
    lines = [tr(context, "history_title", page=num(page, lang), pages=num(pages, lang))]
    if not items:
        lines.append(tr(context, "history_none"))
    for b in items:
        plan_line = await plans.history_line(context, b, lang)  # gradual sending: one line
        if plan_line is not None:
            lines.append(plan_line)
            continue
        lines.append(
            tr(
                context,
                "history_item",
                id=b.id,
                state=tr(context, f"state_{b.state}"),
                when=format_jalali(b.created_at, settings.tz, lang),
                requester=b.requester_id,
                approver=b.approver_id or "—",
                recipients=num(int(b.snapshot.get("recipients", 0)), lang),
                outbox=outbox_text(b.outbox_ids),
            )
        )
    if page == 1 and uid in settings.approvers:
        decided = await store.list_decided_requests(uid, limit=5, offset=0)
        if decided:
            lines.append("\n" + tr(context, "history_decided"))
            for r in decided:
                when = format_jalali(r.decided_at or r.created_at, settings.tz, lang)
                lines.append(
                    tr(
                        context,
                        "history_decided_item",
                        id=r.id,
                        state=tr(context, f"state_{r.state}"),
                        when=when,
                    )
                )
    markup = kb.markup([kb.pager(lang, "hs", page, pages)])
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


async def credit_command(update: Update, context: Context) -> None:
    """/credit: the account credit through the admin's own key."""
    key = await api_key(update, context)
    if key is None:
        return
    try:
        async with typing(update, context):
            credit = await services(context).client.credit(key)
    except IPPanelError as exc:
        await say(update, context, provider_text(context, exc))
        return
    lang = lang_of(context)
    gift = tr(context, "credit_gift", gift=num(credit.gift, lang)) if credit.gift else ""
    text = tr(context, "credit", credit=num(credit.credit, lang), gift=gift)
    from handlers.credit_watch import credit_extra  # team rules: the estimate

    extra = await credit_extra(context, update.effective_user.id, key, credit.credit)
    await say(update, context, f"{text}\n{extra}" if extra else text)


async def lang_command(update: Update, context: Context) -> None:
    rows = [[kb.btn("فارسی", "lg:fa"), kb.btn("English", "lg:en")]]
    await say(update, context, tr(context, "lang_ask"), kb.markup(rows))


async def lang_press(update: Update, context: Context) -> None:
    lang = update.callback_query.data.removeprefix("lg:")
    if lang not in LANGUAGES:
        await answer(update, tr(context, "stale_menu"), alert=True)
        return
    await answer(update)
    await services(context).store.set_language(update.effective_user.id, lang)
    context.user_data["lang"] = lang
    await say(update, context, tr(context, "lang_set"))


async def cancel_outside(update: Update, context: Context) -> None:
    await say(update, context, tr(context, "nothing_to_cancel"))


async def stale_press(update: Update, context: Context) -> None:
    """Any button no handler owns: an old menu, or forged data."""
    await answer(update, tr(context, "stale_menu"), alert=True)
