"""Drafts that don't pile up: "new draft" drops an empty one, /drafts pages and deletes
every empty draft in one tap, and deleting a draft with a pending request asks first and
then says ONE thing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.domain import RequestState
from bot.render import FSI, PDI
from bot.texts import EN, FA, t
from tests.harness import bot_world, compose_to_review, set_key, until_text


async def test_new_draft_drops_the_empty_one_and_keeps_one_with_text(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await alice.send("/send")
        await until_text(w, alice, "خط ارسال")
        [first] = await w.store.list_drafts(alice.user_id)
        await alice.send("/send")
        offer = await until_text(w, alice, "پیش‌نویس نیمه‌کاره")
        await alice.press(offer, FA["btn_new_draft"])
        await w.until(lambda: "خط ارسال" in (offer.text or ""))  # the offer became step 1
        await w.settle()
        drafts = await w.store.list_drafts(alice.user_id)
        assert [d.id for d in drafts] != [first.id] and len(drafts) == 1  # nothing left behind

        # a draft with a text is kept
        await w.store.save_draft(dataclasses.replace(drafts[0], text="متن نگه‌داشتنی"))
        await alice.send("/send")
        offer = await until_text(w, alice, "متن نگه‌داشتنی")
        await alice.press(offer, FA["btn_new_draft"])
        await w.settle()
        assert len(await w.store.list_drafts(alice.user_id)) == 2


async def test_drafts_page_past_ten_and_delete_every_empty_one(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        for _ in range(15):
            await w.store.create_draft(alice.user_id)
        for i in range(8):
            await w.store.create_draft(alice.user_id, text=f"متن {i}")
        await alice.send("/drafts")
        listing = await until_text(w, alice, "پیش‌نویس‌های شما")
        assert f"(صفحهٔ {FSI}۱{PDI} از {FSI}۳{PDI})" in listing.text
        assert listing.text.count(f"\n{FSI}") == 10
        pager = next(row for row in listing.buttons if "1/3" in [b for b, _ in row])
        assert [b for b, _ in pager] == [FA["btn_next"], "1/3"]  # next on the left
        purge = t("fa", "btn_drafts_purge", n=f"{FSI}۱۵{PDI}")
        assert purge in listing.button_texts
        await alice.press(listing, FA["btn_next"], exact=True)
        await until_text(w, alice, f"(صفحهٔ {FSI}۲{PDI} از {FSI}۳{PDI})")
        assert listing.text.count(f"\n{FSI}") == 10
        await alice.press(listing, purge, exact=True)
        done = await until_text(w, alice, "پیش‌نویس خالی حذف شد")
        assert done.text == t("fa", "drafts_purged", n=f"{FSI}۱۵{PDI}")
        drafts = await w.store.list_drafts(alice.user_id, limit=100)
        assert len(drafts) == 8 and all(d.text for d in drafts)
        await w.until(lambda: "(صفحهٔ" not in listing.text)  # one page now: no counter
        assert purge not in listing.button_texts and "1/3" not in listing.button_texts

        await alice.send("/lang")
        await alice.press(await alice.reply(), "English")
        await until_text(w, alice, "Language")
        for _ in range(3):
            await w.store.create_draft(alice.user_id)
        await alice.send("/drafts")
        english = await until_text(w, alice, "Your drafts")
        assert t("en", "btn_drafts_purge", n="3") in english.button_texts
        assert EN["btn_next"] in english.button_texts
        assert [b for b, _ in english.buttons[-2]] == ["1/2", EN["btn_next"]]


async def test_deleting_a_draft_with_a_pending_request_asks_then_says_once(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await bob.send("/start")
        await until_text(w, bob, "نقش شما")
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        [request] = await w.store.list_pending_requests()
        draft_id = request.draft_id

        await alice.send("/drafts")
        listing = await until_text(w, alice, "پیش‌نویس‌های شما")
        await alice.press(listing, FA["btn_draft_delete"], exact=True)
        ask = await until_text(w, alice, "حذف شود؟")
        assert ask.text == t("fa", "draft_delete_pending_ask", request=request.number)
        # "cancel" keeps everything as it was
        await alice.press(ask, FA["btn_draft_delete_no"], exact=True)
        await until_text(w, alice, t("fa", "draft_delete_kept"))
        assert (await w.store.get_request(request.id)).state == RequestState.PENDING

        await alice.press(listing, FA["btn_draft_delete"], exact=True)
        ask = await until_text(w, alice, "حذف شود؟", after=ask.message_id)
        before = len(alice.messages())
        await alice.press(ask, FA["btn_draft_delete_yes"], exact=True)
        said = t("fa", "draft_deleted_withdrawn", request=request.number)
        await until_text(w, alice, said)
        await until_text(w, bob, "پس گرفت")
        await w.settle()
        assert len(alice.messages()) == before  # the question became the answer: one message
        every = [m.text or "" for m in alice.messages()]
        assert not any("باطل شد" in text for text in every)  # no "request void" as well
        plain = t("fa", "draft_deleted", summary="سلام، تخفیف ویژهٔ امروز")
        assert not any(text == plain for text in every)
        assert (await w.store.get_request(request.id)).state == RequestState.WITHDRAWN
        assert await w.store.get_draft(draft_id) is None
        assert card.buttons == []
        assert w.sends == 0
