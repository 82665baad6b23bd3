"""A fake Telegram Bot API server for end-to-end tests.

Split by concern: ``server`` (HTTP, dispatch, failure injection), ``messages`` (send, edit,
delete), ``callbacks`` (button presses answered once, in time), ``validation`` (the rules that
make it as strict as the real API), ``updates`` (getUpdates, webhooks, commands), ``chats``,
``observing`` (what tests read and wait for), ``clock``, ``records``, and the test-side
``user`` (:class:`FakeUser`, with ``user_presses`` and ``user_sees``).

The real python-telegram-bot stack (or the bot running as a separate process) talks to it over
HTTP on loopback; tests play human users through :class:`FakeUser` and observe everything the
bot did from the server side (:attr:`FakeTelegram.calls`, :attr:`FakeTelegram.messages`).

Typical use::

    async with FakeTelegram() as fake:
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .build()
        )
        ...  # start the app + polling
        admin = fake.user(1001, first_name="Admin")
        await admin.send("/start")
        menu = await admin.reply()
        await admin.press(menu, "Broadcast")
        assert "phonebook" in admin.last().text

Semantics worth knowing:

* Message ids count per chat and are shared by user and bot messages (like Telegram).
* ``BotMessage`` objects are live: edits/deletes mutate them; ``.text`` is the visible text
  (HTML tags stripped, entities decoded), ``.raw_text`` what the bot sent.
* ``FakeUser.reply()`` returns the next bot message created after the user's last action
  (send*/press/edit) or after the message the previous ``reply()`` returned, in the chat of
  that last action. If one action produces several messages, use ``replies(n)`` or
  ``await fake.idle()`` before acting again.
* A chat must be known to the fake (``fake.user(id)`` or a group a user wrote in); otherwise
  the bot gets "400 chat not found", as for a user who never started the bot.
* Validation like Telegram's: 4096-char text / 1024-char caption limits (UTF-16 units, after
  HTML parsing), callback_data 1..64 bytes, strict HTML for ``parse_mode="HTML"``,
  "message is not modified", "message to edit not found". MarkdownV2 is not validated.
* ``reply_markup`` must be one of the four keyboard types with content: ``{}``, an
  ``inline_keyboard`` without buttons, ``remove_keyboard: false``... are 400s, as are
  malformed buttons; edits take inline keyboards only.
* Time: the fake has its own clock (:meth:`FakeTelegram.now`), which tests move with
  :meth:`FakeTelegram.advance`. Message dates use it; ``deleteMessage`` refuses messages older
  than 48 hours and ``answerCallbackQuery`` refuses answers later than
  ``callback_answer_timeout`` seconds after the press (or a second answer).
* One instance per event loop: everything runs on the test's loop; nothing is thread-safe.
"""

from .common import DEFAULT_GROUP_CHAT_ID, DEFAULT_SUPERGROUP_CHAT_ID, DEFAULT_TOKEN, FAILURE_KINDS
from .records import ApiCall, BotMessage, UserMessage
from .server import FakeTelegram
from .user import FakeUser

__all__ = [
    "DEFAULT_GROUP_CHAT_ID",
    "DEFAULT_SUPERGROUP_CHAT_ID",
    "DEFAULT_TOKEN",
    "FAILURE_KINDS",
    "ApiCall",
    "BotMessage",
    "FakeTelegram",
    "FakeUser",
    "UserMessage",
]
