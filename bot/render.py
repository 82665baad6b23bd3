"""Pure text builders for messages: escaping, numbers, direction marks, cards.

Telegram picks a paragraph's direction from its first strong character, so
every number, phone number and Latin fragment inside a Persian sentence is
wrapped in a first-strong isolate (U+2068 … U+2069) and user text is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.domain import PhonebookSelection, Snapshot
from bot.ippanel.models import OperatorStats
from bot.jalali import format_gregorian_date, format_jalali, persian_digits
from bot.sms import measure, utf16_len
from bot.texts import plural_key, t

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


def person(user_id: int, name: str | None = None, username: str | None = None) -> str:
    """A person inside any sentence: ``Bita (@bita · 1002)``, isolated as one unit.

    The whole label is a first-strong isolate (a Persian name reads right to left, a Latin
    one left to right) and the @username and id inside are a left-to-right isolate, so a
    Persian line such as "تأیید شد توسط …" keeps its order instead of being scrambled."""
    detail = f"@{username} · {user_id}" if username else str(user_id)
    if not name:
        return ltr(detail)
    return f"{FSI}{esc(name)} ({ltr(detail)}){PDI}"


def counted(lang: str, n: int, noun: str) -> str:
    """``n`` with its noun, agreeing in English ("1 phonebook", "2 phonebooks")."""
    return t(lang, plural_key(noun, n), n=num(n, lang))


def zone_name(lang: str, zone: str) -> str:
    """The time zone in words: "تهران" for the default, the zone's own name otherwise."""
    return t(lang, "tz_tehran") if zone == "Asia/Tehran" else ltr(zone)


def sender_label(number: str | None, alias: str | None) -> str:
    if not number:
        return "—"
    return f"{esc(alias)} ({ltr(number)})" if alias else ltr(number)


def selection_mode(sel: PhonebookSelection, lang: str) -> str:
    if sel.mode == "slice" and sel.start and sel.size:
        end = sel.start + sel.recipients() - 1
        return t(lang, "mode_slice", start=num(sel.start, lang), end=num(end, lang))
    if sel.mode == "contacts":
        return counted(lang, len(sel.contact_ids), "picked")
    return t(lang, "mode_all")


def selection_line(sel: PhonebookSelection, lang: str, title_max: int | None = None) -> str:
    title = clip(sel.title, title_max) if title_max else sel.title
    return f"• {esc(title)} — {selection_mode(sel, lang)} ({num(sel.recipients(), lang)})"


def when_text(send_at: datetime | None, tz: tzinfo, lang: str) -> str:
    """A card's send time: Jalali, with the Gregorian day beside it so a date typed in
    either calendar reads back unmistakably."""
    if send_at is None:
        return t(lang, "time_now")
    return f"{format_jalali(send_at, tz, lang)} ({ltr(format_gregorian_date(send_at, tz))})"


# One token of Telegram HTML: a tag, a character reference, or one character.
_TOKEN = re.compile(r"<[^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|[\s\S]")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")


def _width(token: str) -> int:
    """Visible UTF-16 units of one token: a tag shows nothing, an entity shows its character."""
    if len(token) > 1 and token[0] == "<":
        return 0
    if len(token) > 1 and token[0] == "&":
        return utf16_len(html.unescape(token))
    return utf16_len(token)


def visible_len(text: str) -> int:
    """What Telegram counts against its limit: the text after tags and entities are parsed."""
    if "<" not in text and "&" not in text:
        return utf16_len(text)
    return sum(_width(m.group()) for m in _TOKEN.finditer(text))


def fit(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Keep a message within ``limit`` visible characters; valid HTML in, valid HTML out.

    Cuts only between whole tokens (never inside a tag or an entity), drops tags left
    empty at the cut and closes the ones still open, so Telegram can always parse it.
    """
    if len(text) * 2 <= limit or visible_len(text) <= limit:
        return text
    budget = limit - 1  # room for the "…"
    out: list[str] = []
    open_tags: list[tuple[str, int]] = []  # (name, index in out of the opening tag)
    used = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if len(token) > 1 and token[0] == "<":
            name_match = _TAG_NAME.match(token)
            name = name_match.group(1).lower() if name_match else ""
            if token.startswith("</"):
                if open_tags and open_tags[-1][0] == name:
                    open_tags.pop()
                out.append(token)
            else:
                open_tags.append((name, len(out)))
                out.append(token)
            continue
        width = _width(token)
        if used + width > budget:
            break
        out.append(token)
        used += width
    # an opening tag with nothing after it would make an empty entity: drop it
    while open_tags and open_tags[-1][1] == len(out) - 1:
        out.pop()
        open_tags.pop()
    out.append("…")
    out.extend(f"</{name}>" for name, _ in reversed(open_tags))
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """Plain (unescaped) text cut to ``limit`` characters for display; escape it afterwards."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


BOOKS_LISTED = 5  # more phonebooks than this: a count on the card and a button listing them
TITLE_SHOWN = 80  # provider titles are untrusted and unbounded: cut for display only
LIST_TITLE_SHOWN = 300
SENDER_SHOWN = 64


@dataclass(frozen=True)
class Card:
    """A rendered review card and how it was shortened to fit.

    ``books_summarized``: the phonebook list became one line; offer a button that lists them.
    ``message_apart``: the exact text did not fit even then; send :func:`message_text` as its
    own message bound to the card (the card says so). The text itself is never cut.
    """

    text: str
    books_summarized: bool = False
    message_apart: bool = False


def build_card(
    snapshot: Snapshot,
    lang: str,
    tz: tzinfo,
    *,
    per_recipient: float | None = None,
    credit: float | None = None,
    budget: int = TELEGRAM_LIMIT,
    header: bool = True,
    money: str = "",
    guards: str = "",
) -> Card:
    """The review card: everything an approver needs to decide, the exact text whole.

    ``budget`` is the visible length left for the card inside its message. Everything but
    the text is shortened first: titles are cut, then the book list becomes a summary line.
    More than :data:`BOOKS_LISTED` phonebooks are always a summary line, so a card stays
    short on a phone. ``header`` is the requester's step title ("5. Review"); the approver's
    card, which has its own title, goes without it. ``money`` is the approver's cost line,
    put where the review has its own: before the text, never below the fold. ``guards`` are
    the campaign guardrails' lines (night hours, repeats, the month's budget), right below it.
    """
    selections = list(snapshot.selections)
    message = snapshot.message
    length = measure(message)
    recipients = sum(s.recipients() for s in selections)
    send_at = snapshot.send_time
    cost = money
    if per_recipient is not None and credit is not None:
        cost = t(
            lang,
            "review_cost",
            total=num(per_recipient * recipients, lang),
            credit=num(credit, lang),
        )
        if per_recipient * recipients > credit:
            cost += t(lang, "credit_short") + "\n"
    sender = snapshot.sender
    alias = snapshot.sender_label

    def render(books: str, body: str) -> str:
        return t(
            lang,
            "review",
            head=t(lang, "review_head") if header else "",
            sender=sender_label(
                clip(sender, SENDER_SHOWN) if sender else sender,
                clip(alias, SENDER_SHOWN) if alias else alias,
            ),
            books=books or "—",
            recipients=num(recipients, lang),
            # the plan's own total would repeat the cost line below it
            when=plan_text(snapshot, tz, lang) or when_text(send_at, tz, lang),
            chars=num(length.chars, lang),
            parts=num(length.parts, lang),
            cost=cost + guards,
            message=body,
        )

    if len(selections) <= BOOKS_LISTED:
        listed = "\n".join(selection_line(s, lang, TITLE_SHOWN) for s in selections)
        text = render(listed, esc(message))
        if visible_len(text) <= budget:
            return Card(text)
    summary = t(
        lang,
        "books_summary",
        n=counted(lang, len(selections), "phonebook"),
        recipients=counted(lang, recipients, "recipient"),
    )
    text = render(summary, esc(message))
    if visible_len(text) <= budget:
        return Card(text, books_summarized=True)
    text = render(summary, esc(t(lang, "card_text_apart")))
    return Card(fit(text, budget), books_summarized=True, message_apart=True)


def plan_text(snapshot: Snapshot, tz: tzinfo, lang: str) -> str:
    """A gradual plan in a card: batches, first and last time, sizes and total. Its cost is
    the card's one cost line (the whole plan's recipients)."""
    plan = snapshot.plan
    if plan is None:
        return ""
    return t(
        lang,
        "plan_when",
        n=num(len(plan.batches), lang),
        every=num(plan.every, lang),
        batch=num(plan.batches[0].size, lang),
        last_size=num(plan.batches[-1].size, lang),
        total=num(plan.rows, lang),
        first=when_text(plan.first_at, tz, lang),
        last=when_text(plan.last_at, tz, lang),
    )


def message_text(snapshot: Snapshot, lang: str, ref: object) -> str:
    """The exact SMS text as a message of its own, for a card that could not hold it."""
    return t(lang, "card_text_msg", ref=esc(ref), message=esc(snapshot.message))


def books_list(snapshot: Snapshot, lang: str, ref: object) -> list[str]:
    """Every phonebook of a snapshot, as few messages as fit (the summary line's button)."""
    selections = list(snapshot.selections)
    chunks: list[str] = []
    current = t(lang, "books_list_title", ref=esc(ref))
    for s in selections:
        line = selection_line(s, lang, LIST_TITLE_SHOWN)
        if visible_len(current) + visible_len(line) + 1 > TELEGRAM_LIMIT - 16:
            chunks.append(current)
            current = line
        else:
            current += "\n" + line
    chunks.append(current)
    return chunks


def outbox_text(ids: list[int]) -> str:
    return ", ".join(ltr(i) for i in ids) if ids else "—"


OPERATOR_ORDER = ("mci", "irancell", "rightel")


def operator_lines(lang: str, operators: Mapping[str, OperatorStats]) -> str:
    """One line per operator that has any count, in the reader's words and digits
    (``همراه اول: ۱۲۰ رسیده · ۳ نرسیده``): a phone-width report, no table to misalign."""

    def order(op: str) -> tuple[int, str]:
        return (OPERATOR_ORDER.index(op), "") if op in OPERATOR_ORDER else (9, op)

    lines = []
    for op in sorted(operators, key=order):
        s = operators[op]
        if not (s.sent or s.delivered or s.failed or s.pending or s.blacklist):
            continue
        name = (
            t(lang, f"op_{op}") if op in OPERATOR_ORDER else t(lang, "op_other", name=ltr(op[:20]))
        )
        more = t(lang, "report_pending", n=num(s.pending, lang)) if s.pending else ""
        if s.blacklist:
            more += t(lang, "report_blacklist", n=num(s.blacklist, lang))
        lines.append(
            t(
                lang,
                "report_line",
                operator=name,
                delivered=num(s.delivered, lang),
                failed=num(s.failed, lang),
                more=more,
            )
        )
    return "\n".join(lines) or t(lang, "report_no_stats")
