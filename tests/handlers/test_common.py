"""What an update carries (handlers.common): the parts the gate and a handler's filter
guarantee are read once, typed without None; a missing one is a loud wiring error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from handlers.common import (
    NotThere,
    card_of,
    chat_id_of,
    message_of,
    people_of,
    typed_text,
    user_id_of,
)

USER = User(1001, "Bita", is_bot=False)
CHAT = Chat(1001, Chat.PRIVATE)
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def typed(text: str | None) -> Update:
    return Update(1, message=Message(7, WHEN, CHAT, from_user=USER, text=text))


def test_a_typed_message_gives_its_user_chat_and_text() -> None:
    update = typed("سلام")
    assert (user_id_of(update), chat_id_of(update), typed_text(update)) == (1001, 1001, "سلام")
    assert message_of(update).message_id == 7
    assert card_of(update) is None  # not a press


def test_a_missing_part_is_an_error_not_a_none() -> None:
    with pytest.raises(NotThere):
        user_id_of(Update(2))
    with pytest.raises(NotThere):
        chat_id_of(Update(2))
    with pytest.raises(NotThere):
        typed_text(typed(None))  # a photo where a text handler was reached


def test_a_press_gives_the_card_it_was_on_or_none_when_telegram_left_it_out() -> None:
    card = Message(9, WHEN, CHAT, from_user=USER, text="card")
    on_card = Update(3, callback_query=CallbackQuery("q", USER, "ci", message=card, data="x"))
    too_old = Update(4, callback_query=CallbackQuery("q", USER, "ci", data="x"))
    assert card_of(on_card) is card
    assert card_of(too_old) is None


def test_people_of_a_row_are_the_distinct_present_ids() -> None:
    assert people_of(1001, None) == {1001}
    assert people_of(1001, 1001) == {1001}
    assert people_of(1001, 1002) == {1001, 1002}
    assert people_of(None, None) == set()
