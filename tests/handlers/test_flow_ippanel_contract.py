"""The IPPanel contract as documented (ippanelcom/Edge-Document), end to end through the
real bot: short sender lines, E.164 contact search, credit that runs out, cancel's 404."""

from __future__ import annotations

import re
from pathlib import Path

from bot.broadcasts import read_error
from bot.domain import BroadcastState
from bot.jalali import persian_digits
from handlers import jobs
from handlers.session import CustomContext
from tests.fakes.telegram_api import BotMessage, FakeUser
from tests.harness import World, bot_world, compose_to_review, fa_prefix, set_key, until_text
from tests.sandbox_fixtures import SANDBOX_KEY, SANDBOX_KEY_SHORT, SHORT_SENDER

SENT_OK = fa_prefix("sent_ok")  # "✅ ارسال #": the plain "sent" message
CREDIT_RAN_OUT = "تمام شد"  # in the refusal reason and in the later notice
NOTICE = "اعتبار حساب IPPanel تمام شد"  # the notice after an accepted send failed


async def approved(
    w: World, *, key: str | None = None, text: str = "سلام", credit_then: dict | None = None
) -> tuple:
    """Alice (with ``key``) composes and submits; Bob approves; returns (alice, bob).

    ``credit_then`` sets the account's credit between submit and approval: submitting
    with a credit already known to be short is refused before any approver sees it."""
    alice, bob = w.admin(0), w.admin(1)
    await bob.send("/start")
    await until_text(w, bob, "نقش شما")
    await set_key(w, alice, key)
    review = await compose_to_review(w, alice, text=text)
    await alice.press(review, "ارسال برای تأیید")
    card = await until_text(w, bob, "درخواست ارسال")
    if credit_then is not None:
        w.sandbox.state.set_credit(key or SANDBOX_KEY, **credit_then)
    await bob.press(card, "تأیید و ارسال")
    return alice, bob


def texts(user) -> list[str]:
    return [m.text or "" for m in user.messages()]


async def run_credit_watch(w: World) -> None:
    await jobs.watch_credit(CustomContext(w.app))
    await w.settle()


# ------------------------------------------------------------ short lines


async def test_short_sender_line_composes_and_sends(tmp_path: Path) -> None:
    """The docs show a line like +981000: the bot used to refuse it before sending."""
    async with bot_world(tmp_path) as w:
        alice, bob = await approved(w, key=SANDBOX_KEY_SHORT)
        await until_text(w, alice, SENT_OK)
        await until_text(w, bob, SENT_OK)
        assert w.sends == 1
        assert w.sandbox.state.send_posts[0].json["from_number"] == SHORT_SENDER
        priced = w.sandbox.state.requests_to("/api/send/calculate-price")
        assert priced and priced[-1].json["number"] == SHORT_SENDER
        b = (await w.store.list_broadcasts(alice.user_id, limit=1))[0]
        assert b.state == BroadcastState.SENT and b.snapshot.sender == SHORT_SENDER


# ------------------------------------------------------------ contact search


async def open_contacts(w: World, user) -> None:
    await user.send("/send")
    menu = await until_text(w, user, "خط ارسال")
    await user.press(menu, menu.buttons[0][0][0], exact=True)
    await until_text(w, user, "دفترچه‌های تلفن")
    await user.press(user.last(), user.last().buttons[0][0][0], exact=True)
    await w.until(lambda: "✓" in user.last().buttons[0][0][0])
    await user.press(user.last(), "⚙️ بازه یا مخاطبان دلخواه", exact=True)
    options = await until_text(w, user, "دفترچه‌های انتخاب‌شده")
    await user.press(options, options.buttons[0][0][0], exact=True)
    await until_text(w, user, "چه کسانی")
    await user.press(user.last(), "انتخاب مخاطبان")
    await until_text(w, user, "مخاطبان")


async def test_contact_search_normalises_what_admins_type(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await open_contacts(w, alice)
        state = w.sandbox.state
        wanted = state.contact(state.phonebooks["120000"], 20)  # not on the first page
        national = "0" + wanted["number"].removeprefix("+98")  # 0912…
        typed = persian_digits(f"{national[:4]} {national[4:7]}-{national[7:]}")
        shown = alice.last().message_id
        await alice.send(typed)
        await w.until(
            lambda: (
                alice.last().message_id > shown
                and any(wanted["number"] in b for b in alice.last().button_texts)
            )
        )
        asked = state.requests_to("/contact-list")[-1].query
        assert asked["number"] == wanted["number"]  # E.164, as the docs want
        picks = [b for b in alice.last().button_texts if b.startswith(("+", "✓"))]
        assert len(picks) == 1


async def test_part_of_a_number_asks_for_the_whole_number(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await open_contacts(w, alice)
        before = len(w.sandbox.state.requests_to("/contact-list"))
        await alice.send("۰۹۱۲")
        told = await until_text(w, alice, "شمارهٔ کامل")
        assert "مخاطبی پیدا نشد" not in told.text
        await w.settle()
        assert len(w.sandbox.state.requests_to("/contact-list")) == before  # nothing asked


# ------------------------------------------------------------ credit


async def test_credit_refused_with_422_is_failed_and_says_credit_ran_out(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = await approved(w, credit_then={"credit": 100, "when_short": "refuse"})
        told = await until_text(w, alice, CREDIT_RAN_OUT)
        assert "انجام نشد" in told.text and "۱۰۰" in told.text  # the credit left
        assert "هزینهٔ تخمینی" in told.text and "—" not in told.text  # and the cost
        await until_text(w, bob, CREDIT_RAN_OUT)
        await w.settle()
        b = (await w.store.list_broadcasts(alice.user_id, limit=1))[0]
        assert b.state == BroadcastState.FAILED and not b.outbox_ids
        assert not any(SENT_OK in m for m in texts(alice) + texts(bob))
        await run_credit_watch(w)
        assert w.sends == 1  # the refused POST; nothing retried by itself


async def test_accepted_then_failed_for_credit_is_never_called_sent(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = await approved(
            w, credit_then={"credit": 100, "when_short": "accept_then_fail"}
        )
        told = await until_text(w, alice, CREDIT_RAN_OUT)
        assert "۱۰۰" in told.text and "هزینهٔ تخمینی" in told.text
        await until_text(w, bob, CREDIT_RAN_OUT)
        await run_credit_watch(w)  # already told: not told again
        for person in (alice, bob):
            assert sum(CREDIT_RAN_OUT in m for m in texts(person)) == 1
            assert not any(SENT_OK in m for m in texts(person))
        b = (await w.store.list_broadcasts(alice.user_id, limit=1))[0]
        assert b.state == BroadcastState.FAILED and b.outbox_ids
        assert w.sends == 1


async def test_send_failed_later_for_credit_is_told_by_the_watch(tmp_path: Path) -> None:
    """The panel accepts ("sending"), the bot says sent, then the report turns to state 8."""
    async with bot_world(tmp_path) as w:
        alice, bob = await approved(
            w, credit_then={"credit": 2_500, "when_short": "accept_then_fail", "fail_after": 60}
        )
        await until_text(w, alice, SENT_OK)  # all the bot can know at this moment
        await until_text(w, bob, SENT_OK)
        b = (await w.store.list_broadcasts(alice.user_id, limit=1))[0]
        await run_credit_watch(w)  # still "sending" at the panel: nothing to say yet
        assert not any(NOTICE in m for m in texts(alice))
        w.sandbox.state.advance(120)
        await run_credit_watch(w)
        for person in (alice, bob):
            told = await until_text(w, person, NOTICE)
            assert f"#{b.id}" in told.text and "۲٬۵۰۰" in told.text
            assert "هزینهٔ تخمینی" in told.text and "—" not in told.text
        await run_credit_watch(w)
        for person in (alice, bob):
            said = texts(person)
            last = max(i for i, m in enumerate(said) if NOTICE in m)
            assert not any(SENT_OK in m for m in said[last + 1 :])
            assert sum(NOTICE in m for m in said) == 1
        assert (await w.store.get_broadcast(b.id)).state == BroadcastState.FAILED
        assert w.sends == 1


# ------------------------------------------------------------ cancel


async def scheduled_for_tomorrow(w: World, alice: FakeUser, bob: FakeUser) -> BotMessage:
    """Alice composes a send for tomorrow 09:00, Bob approves it: her "scheduled" card."""
    await set_key(w, alice)
    await alice.send("/send")
    menu = await until_text(w, alice, "خط ارسال")
    await alice.press(menu, menu.buttons[0][0][0], exact=True)
    await until_text(w, alice, "دفترچه‌های تلفن")
    await alice.press(alice.last(), alice.last().buttons[0][0][0], exact=True)
    await w.until(lambda: "✓" in alice.last().buttons[0][0][0])
    await alice.press(alice.last(), "ادامه: متن پیام ◀️", exact=True)
    await until_text(w, alice, "متن پیام")
    await alice.send("یادآوری")
    await alice.press(await until_text(w, alice, "پیش‌نمایش پیامک"), "زمان ارسال")
    await until_text(w, alice, "زمان ارسال")
    await alice.press(alice.last(), "فردا ساعت ۹")
    review = await until_text(w, alice, "بازبینی")
    await alice.press(review, "ارسال برای تأیید")
    card = await until_text(w, bob, "درخواست ارسال")
    await bob.press(card, "تأیید و ارسال")
    return await until_text(w, alice, "زمان‌بندی شد")


async def test_cancel_the_panel_no_longer_allows_says_so(tmp_path: Path) -> None:
    """Our clock allows it, the panel's 404 says "not found or no longer cancellable"."""
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await bob.send("/start")
        await until_text(w, bob, "نقش شما")
        done = await scheduled_for_tomorrow(w, alice, bob)
        w.sandbox.state.advance(48 * 3600)  # at the panel, the send has gone out
        await alice.press(done, "لغو ارسال")
        told = await until_text(w, alice, "قابل لغو نیست")
        assert "نیافت" in told.text
        b = (await w.store.list_broadcasts(alice.user_id, limit=1))[0]
        assert b.state == BroadcastState.SENT
        assert len(w.sandbox.state.requests_to("/api/send/cancel")) == 1


async def test_a_cancel_the_panel_fails_is_told_in_plain_words(tmp_path: Path) -> None:
    """A 5xx on cancel used to reach the person as the panel's raw "Server Error"; it reads
    like every other provider error now, and the send stays scheduled."""
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        done = await scheduled_for_tomorrow(w, alice, bob)
        w.sandbox.state.fail_next("/api/send/cancel", "500")
        await alice.press(done, "لغو ارسال")
        told = await until_text(w, alice, "لغو ممکن نیست")
        assert "دچار خطای داخلی شد" in told.text
        b = (await w.store.list_broadcasts(alice.user_id, limit=1))[0]
        assert b.state == BroadcastState.SENT
        assert len(w.sandbox.state.requests_to("/api/send/cancel")) == 1


async def test_the_service_stores_no_words_and_an_english_reader_reads_english(
    tmp_path: Path,
) -> None:
    """#19: a credit refusal used to be stored as rendered Persian in broadcasts.error and
    shown as such to an English reader. Now the row keeps a code and the amounts; each
    reader gets them in their own language."""
    persian = re.compile("[\u0600-\u06ff]")
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        await bob.send("/lang")  # Bob reads English from now on
        await bob.press(await until_text(w, bob, "Choose a language"), "English")
        await until_text(w, bob, "Language")
        w.sandbox.state.set_credit(SANDBOX_KEY, credit=100, when_short="refuse")
        await bob.press(card, "تأیید و ارسال")
        await until_text(w, alice, CREDIT_RAN_OUT)
        told = await until_text(w, bob, "ran out of credit")
        assert "100" in told.text and not persian.search(told.text)
        await w.settle()
        b = (await w.store.list_broadcasts(alice.user_id, limit=1))[0]
        assert b.state == BroadcastState.FAILED
        assert not persian.search(b.error or "")
        code, figures = read_error(b.error)
        assert code == "no_credit" and figures["credit"] == 100 and figures["cost"] > 100
