"""Inline keyboards, built in one place. Callback data comes from the button kinds in
:mod:`handlers.callbacks` (never a literal here); handlers re-check every id against the
store and the presser's rights."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import t
from handlers import callbacks as cb

Button = InlineKeyboardButton


def markup(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    """The rows as an inline keyboard, or None when no button is left.

    PTB serialises ``InlineKeyboardMarkup([])`` as ``{}`` and ``[[]]`` as
    ``{"inline_keyboard": [[]]}``; Telegram refuses both ("can't parse reply keyboard markup
    JSON object"), so a menu without buttons must be sent with no ``reply_markup`` at all.
    Every keyboard that can end up empty (a pager on a single page...) goes through here.
    """
    kept = [list(r) for r in rows if r]
    return InlineKeyboardMarkup(kept) if kept else None


def _fixed(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """A keyboard whose rows are literal and never empty (no None to handle)."""
    return InlineKeyboardMarkup(rows)


def btn(text: str, data: str) -> InlineKeyboardButton:
    """A button with callback data built by a kind (``cb.APPROVE.data(12)``); data no kind
    reads back is a bug, refused here rather than answered "out of date" on a phone."""
    if cb.parse(data) is None:
        raise ValueError(f"no button kind reads {data!r}")
    return InlineKeyboardButton(text[:60], callback_data=data)


# Reading order. The Bot API describes a keyboard row only as an ordered array of buttons
# ("Array of button rows, each represented by an Array of InlineKeyboardButton objects",
# core.telegram.org/bots/api#inlinekeyboardmarkup; PTB's InlineKeyboardMarkup says the same)
# and documents no mirroring for a right-to-left interface language: clients draw a row's
# first button on the left. So the bot orders each row itself: in Persian the way forward
# (continue, next page) is on the LEFT, where a right-to-left reader ends, and back or
# previous on the RIGHT, where the line starts; in English the opposite.
RTL_LANGS = frozenset({"fa"})


def nav_row(
    lang: str,
    back: Sequence[InlineKeyboardButton] = (),
    forward: Sequence[InlineKeyboardButton] = (),
) -> list[InlineKeyboardButton]:
    """One row with "back" and "forward" buttons in the reading order of ``lang``.

    ``back`` and ``forward`` are each given in reading order (first read first); for a
    right-to-left language the whole row is mirrored, so the first button read is on the
    right."""
    return reading_order(lang, [*back, *forward])


def reading_order(lang: str, buttons: Sequence[InlineKeyboardButton]) -> list[InlineKeyboardButton]:
    """A row given in reading order (first read first), laid out left to right."""
    return list(buttons)[::-1] if lang in RTL_LANGS else list(buttons)


def pager(lang: str, kind: cb.Button | str, page: int, pages: int) -> list[InlineKeyboardButton]:
    """previous · page x/y · next — only the arrows that lead somewhere, in reading order.
    ``kind`` is a page kind (``cb.HISTORY_PAGE``); a prefix string names one."""
    if pages <= 1:
        return []
    kind = cb.kind_of(kind) if isinstance(kind, str) else kind
    back = [btn(t(lang, "btn_prev"), kind.data(page - 1))] if page > 1 else []
    forward = [btn(t(lang, "btn_next"), kind.data(page + 1))] if page < pages else []
    return nav_row(lang, [*back, btn(f"{page}/{pages}", kind.data(page))], forward)


def back(lang: str) -> list[InlineKeyboardButton]:
    return [btn(t(lang, "btn_back"), cb.BACK.data())]


def approval(lang: str, request_id: int, *, can_approve: bool = True) -> InlineKeyboardMarkup:
    """Approve and reject, in reading order; only reject for an approver whose approval is
    already counted."""
    approve = [btn(t(lang, "btn_approve"), cb.APPROVE.data(request_id))] if can_approve else []
    return _fixed(
        [reading_order(lang, [*approve, btn(t(lang, "btn_reject"), cb.REJECT.data(request_id))])]
    )


def withdraw(lang: str, request_id: int) -> InlineKeyboardMarkup:
    return _fixed([[btn(t(lang, "btn_withdraw"), cb.WITHDRAW.data(request_id))]])


def reject_reason(lang: str, request_id: int) -> InlineKeyboardMarkup:
    return _fixed(
        [
            [btn(t(lang, "btn_reject_no_reason"), cb.REJECT_NO_REASON.data(request_id))],
            [btn(t(lang, "btn_reject_keep"), cb.REJECT_KEEP.data(request_id))],
        ]
    )


def result(
    lang: str,
    broadcast_id: int,
    *,
    state: str,
    scheduled: bool,
    retryable: bool = False,
    fix: tuple[int, str] | None = None,
) -> InlineKeyboardMarkup | None:
    """Buttons under a send's outcome: what can sensibly happen next."""
    rows: list[list[InlineKeyboardButton]] = []
    if state == "sent":
        rows.append([btn(t(lang, "btn_report"), cb.REPORT.data(broadcast_id))])
        if scheduled:
            rows.append([btn(t(lang, "btn_cancel_send"), cb.CANCEL_SEND.data(broadcast_id))])
    if state == "unknown":
        # it may have gone out: check, or a person confirms from the panel (two steps);
        # no "send again" here, it would be a second paid broadcast
        rows.append([btn(t(lang, "btn_check"), cb.CHECK_STATUS.data(broadcast_id))])
        rows.append([btn(t(lang, "btn_not_sent"), cb.NOT_SENT_ASK.data(broadcast_id))])
        return markup(rows)
    if state == "failed" and retryable:
        rows.append([btn(t(lang, "btn_retry"), cb.RETRY.data(broadcast_id))])
    if fix is not None:
        rows.append([btn(t(lang, "btn_fix"), cb.FIX.data(*fix))])
    rows.append([btn(t(lang, "btn_again"), cb.SEND_AGAIN.data(broadcast_id))])
    rows.append([btn(t(lang, "btn_save_text"), cb.SAVE_SENT_TEXT.data(broadcast_id))])  # team rules
    return markup(rows)


def confirm_not_sent(lang: str, broadcast_id: int) -> InlineKeyboardMarkup:
    return _fixed(
        [
            [btn(t(lang, "btn_confirm_not_sent"), cb.NOT_SENT_YES.data(broadcast_id))],
            [btn(t(lang, "btn_keep_unknown"), cb.NOT_SENT_KEEP.data(broadcast_id))],
        ]
    )


def stranded(lang: str, request_id: int) -> InlineKeyboardMarkup:
    return _fixed([[btn(t(lang, "btn_start_stranded"), cb.START_STRANDED.data(request_id))]])


# ---------------------------------------------------------------- team rules: saved texts


def name_prompt(lang: str) -> InlineKeyboardMarkup:
    return _fixed([[btn(t(lang, "btn_name_cancel"), cb.NAME_CANCEL.data())]])


def saved_pick(
    lang: str, items: Sequence[tuple[int, str]], page: int, pages: int
) -> InlineKeyboardMarkup:
    """The text step's list: one button per saved text (id, name), pager, back to the text."""
    rows = [
        [btn(f"{n}. {name}", cb.SAVED_PICK.data(text_id))]
        for n, (text_id, name) in enumerate(items, 1)
    ]
    rows.append(pager(lang, cb.SAVED_PAGE, page, pages))
    rows.append([btn(t(lang, "btn_saved_back"), cb.SAVED.data("x"))])
    return _fixed([r for r in rows if r])  # the back row is always there


def saved_manage(
    lang: str, items: Sequence[tuple[int, int]], page: int, pages: int
) -> InlineKeyboardMarkup | None:
    """/texts: rename and delete per text (item number, id), then the pager."""
    rows = [
        reading_order(
            lang,
            [
                btn(f"✏️ {n}", cb.TEXT_RENAME.data(text_id)),
                btn(f"🗑 {n}", cb.TEXT_DELETE.data("d", text_id)),
            ],
        )
        for n, text_id in items
    ]
    rows.append(pager(lang, cb.TEXTS_PAGE, page, pages))
    return markup(rows)


def saved_delete(lang: str, text_id: int, page: int) -> InlineKeyboardMarkup:
    return _fixed(
        [
            [btn(t(lang, "btn_saved_delete_yes"), cb.TEXT_DELETE.data("y", text_id))],
            [btn(t(lang, "btn_saved_delete_no"), cb.TEXTS_PAGE.data(page))],
        ]
    )
