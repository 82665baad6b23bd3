"""The text step shows its preview while the store writes the text (handlers.compose.flow
``stored``): what the admin sees and can press is what was stored, also when the write is
refused."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from storage import Store
from tests.harness import bot_world, fa_prefix, set_key, to_text_prompt, until_text


async def test_the_preview_shows_the_stored_text_and_goes_on(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await to_text_prompt(w, alice)
        await alice.send("تخفیف ویژهٔ امروز")
        preview = await until_text(w, alice, "پیش‌نمایش پیامک")
        # the press waits for the text step to end (one admin's updates run in order)
        await alice.press(preview, "زمان: همین حالا ◀️", exact=True)
        review = await until_text(w, alice, "بازبینی")
        assert "تخفیف ویژهٔ امروز" in review.text
        (draft,) = await w.store.list_drafts(alice.user_id)
        assert draft.text == "تخفیف ویژهٔ امروز"


async def test_a_text_whose_save_is_refused_leaves_no_live_preview(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await to_text_prompt(w, alice)
        # another writer changes the same draft (DATA_DIR is locked to one bot process, so
        # this stands for any write the bot did not make): its version moves on
        (draft,) = await w.store.list_drafts(alice.user_id)
        fernet = MultiFernet([Fernet(w.secret)])
        async with Store(w.store.path, fernet) as elsewhere:
            theirs = await elsewhere.get_draft(draft.id)
            assert theirs is not None
            theirs.text = "متن دیگری"
            await elsewhere.save_draft(theirs)

        await alice.send("متن من")
        preview = await until_text(w, alice, "پیش‌نمایش پیامک")
        await until_text(w, alice, fa_prefix("error_generic"), after=preview.message_id)
        query = await alice.press(preview, "زمان: همین حالا ◀️", exact=True)
        answer = await alice.answer_of(query)
        assert answer.show_alert and fa_prefix("stale_menu") in (answer.text or "")
        async with Store(w.store.path, fernet) as reader:
            stored = await reader.get_draft(draft.id)
        assert stored is not None and stored.text == "متن دیگری"  # nothing overwritten
        await w.settle()
        assert not any("بازبینی" in m.text for m in alice.messages())  # no step went on
