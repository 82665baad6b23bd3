"""Pure text builders for messages: escaping, numbers, direction marks, cards.

Telegram picks a paragraph's direction from its first strong character, so
every number, phone number and Latin fragment inside a Persian sentence is
wrapped in a first-strong isolate (U+2068 … U+2069) and user text is escaped.
"""

from __future__ import annotations

import html
from datetime import datetime, tzinfo
from typing import Any

from bot.domain import PhonebookSelection
from bot.jalali import format_gregorian_date, format_jalali, persian_digits
from bot.sms import measure
from bot.texts import t

TELEGRAM_LIMIT = 4096
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def ltr(text: object) -> str:
    """Left-to-right isolate for phone numbers and Latin ids inside Persian text."""
    return f"{LRI}{esc(text)}{PDI}"


def num(value: int | float, lang: str) -> str:
    shown = f"{round(value):,}"
    if lang == "fa":
        return f"{FSI}{persian_digits(shown).replace(',', '٬')}{PDI}"
    return shown


def sender_label(number: str | None, alias: str | None) -> str:
    if not number:
        return "—"
    return f"{esc(alias)} ({ltr(number)})" if alias else ltr(number)


def selection_mode(sel: PhonebookSelection, lang: str) -> str:
    if sel.mode == "slice" and sel.start and sel.size:
        end = sel.start + sel.recipients() - 1
        return t(lang, "mode_slice", start=num(sel.start, lang), end=num(end, lang))
    if sel.mode == "contacts":
        return t(lang, "mode_contacts", n=num(len(sel.contact_ids), lang))
    return t(lang, "mode_all")


def selection_line(sel: PhonebookSelection, lang: str) -> str:
    return f"• {esc(sel.title)} — {selection_mode(sel, lang)} ({num(sel.recipients(), lang)})"


def when_text(send_at: datetime | None, tz: tzinfo, lang: str) -> str:
    """A card's send time: Jalali, with the Gregorian day beside it so a date typed in
    either calendar reads back unmistakably."""
    if send_at is None:
        return t(lang, "time_now")
    return f"{format_jalali(send_at, tz, lang)} ({ltr(format_gregorian_date(send_at, tz))})"


def fit(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Keep a message under Telegram's limit without cutting an HTML tag in two."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    # drop a half-written tag or entity at the cut, then close an open <pre>
    for opener in ("<", "&"):
        pos = cut.rfind(opener)
        if pos != -1 and (">" if opener == "<" else ";") not in cut[pos:]:
            cut = cut[:pos]
    if cut.count("<pre>") > cut.count("</pre>"):
        cut = cut[: limit - 9] + "</pre>"
    return cut + "…"


def snapshot_card(
    snapshot: dict[str, Any],
    lang: str,
    tz: tzinfo,
    *,
    per_recipient: float | None = None,
    credit: float | None = None,
) -> str:
    """The review card: everything an approver needs to decide, the exact text included."""
    selections = [PhonebookSelection.from_dict(s) for s in snapshot["selections"]]
    message = snapshot["message"]
    length = measure(message)
    recipients = sum(s.recipients() for s in selections)
    send_at = datetime.fromisoformat(snapshot["send_at"]) if snapshot.get("send_at") else None
    cost = ""
    if per_recipient is not None and credit is not None:
        cost = t(
            lang,
            "review_cost",
            total=num(per_recipient * recipients, lang),
            credit=num(credit, lang),
        )
        if per_recipient * recipients > credit:
            cost += t(lang, "credit_short") + "\n"
    lines = [selection_line(s, lang) for s in selections]

    def render(books: str) -> str:
        return t(
            lang,
            "review",
            sender=sender_label(snapshot.get("sender"), snapshot.get("sender_label")),
            books=books or "—",
            recipients=num(recipients, lang),
            when=when_text(send_at, tz, lang),
            chars=num(length.chars, lang),
            parts=num(length.parts, lang),
            cost=cost,
            message=esc(message),
        )

    text = render("\n".join(lines))
    if len(text) > TELEGRAM_LIMIT and len(lines) > 10:
        # the books list is the part that grows: shorten it and keep the exact text whole
        text = render("\n".join(lines[:10]) + f"\n… (+{len(lines) - 10})")
    return fit(text)


def outbox_text(ids: list[int]) -> str:
    return ", ".join(ltr(i) for i in ids) if ids else "—"
