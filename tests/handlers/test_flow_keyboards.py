"""Menus without buttons are sent without ``reply_markup``: Telegram refuses an empty one."""

from __future__ import annotations

from pathlib import Path

from bot.texts import FA
from handlers import keyboards as kb
from tests.harness import bot_world, set_key, until_text


def test_markup_is_none_without_buttons() -> None:
    assert kb.markup([]) is None
    assert kb.markup([[], []]) is None
    assert kb.markup([kb.pager("fa", "hs", 1, 1)]) is None  # a single page: no arrows
    keyboard = kb.markup([[], [kb.btn("a", "x:ok")]])
    assert keyboard is not None and keyboard.to_dict() == {
        "inline_keyboard": [[{"text": "a", "callback_data": "x:ok"}]]
    }


async def test_history_of_a_new_team_has_no_keyboard(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)

        await alice.send("/history")
        history = await until_text(w, alice, "هنوز ارسالی ثبت نشده است")
        await w.settle()

        sends = w.fake.calls_to("sendMessage")
        assert [c.status for c in sends] == [200]
        assert "reply_markup" not in sends[0].params
        assert history.reply_markup is None

        # A stale page button on that message re-renders it without a keyboard either:
        # the edit changes nothing, which the bot tolerates, and nothing is refused otherwise.
        query = await alice.press_data(history.message_id, "hs:2")
        await alice.answer_of(query)
        await w.settle()
        edits = w.fake.calls_to("editMessageText")
        assert edits and all("reply_markup" not in c.params for c in edits)
        assert all(c.ok or "not modified" in (c.error or "") for c in w.fake.bot_calls())
        assert history.reply_markup is None and not history.deleted


async def test_a_step_alert_is_the_only_answer_to_the_press(tmp_path: Path) -> None:
    """Telegram takes one answer per press: a blank answer first would swallow the alert."""
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await alice.send("/send")
        menu = await until_text(w, alice, "خط ارسال")
        if menu.buttons:
            await alice.press(menu, menu.buttons[0][0][0], exact=True)
        books = await until_text(w, alice, "دفترچه‌های تلفن")

        query = await alice.press(books, "ادامه: متن پیام ◀️", exact=True)  # nothing chosen yet
        answer = await alice.answer_of(query)
        await w.settle()

        assert (answer.text, answer.show_alert) == (FA["books_need_one"], True)
        answers = [
            c
            for c in w.fake.calls_to("answerCallbackQuery")
            if c.params["callback_query_id"] == query
        ]
        assert [c.ok for c in answers] == [True]
        # An ordinary press is still answered (blank), exactly once.
        toggle = await alice.press(books, books.buttons[0][0][0], exact=True)
        assert (await alice.answer_of(toggle)).text is None
        await w.settle()
        assert all(c.ok for c in w.fake.calls_to("answerCallbackQuery"))
        assert w.fake.unanswered_callbacks() == []
