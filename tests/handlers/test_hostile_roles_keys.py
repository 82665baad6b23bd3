"""Roles are what the configuration says; a key never becomes a reason, a text or a search.
Through the real stack (PTB, fake Bot API, sandbox panel, SQLite)."""

from __future__ import annotations

from pathlib import Path

from bot.domain import RequestState
from tests.harness import (
    bot_world,
    count_rows,
    fa_prefix,
    set_key,
    start_all,
    submit_request,
    until_text,
)

KEY = "Zq7vK2mP9xR4tW8yB3nC6dF1gH5jL0sA"
APPROVER_ONLY = fa_prefix("approver_only")


def _nowhere(w, text: str) -> None:
    """The text is in no table, no audit row, no file of the database."""
    for suffix in ("", "-wal"):
        path = Path(str(w.settings.database_path) + suffix)
        if path.exists():
            assert text.encode() not in path.read_bytes()


async def test_an_approver_who_is_not_an_admin_cannot_compose(tmp_path: Path) -> None:
    async with bot_world(tmp_path, admin_ids="1001", approver_ids="1002") as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        for command in ("/send", "/drafts", "/send@bot"):
            await bob.send(command)
            assert APPROVER_ONLY in (await bob.reply()).text
        for data in ("s:0", "b:t:1", "v:submit", "x:ok", "dr:o:1", "ag:1", "fx:1:text", "bl:d:1"):
            query = await bob.press_data(1, data)
            answer = await bob.answer_of(query)
            assert answer.show_alert and APPROVER_ONLY in answer.text
        await w.settle()
        assert count_rows(w, "drafts") == 0
        # bob still approves what alice (an admin, not an approver) composes
        _request, cards = await submit_request(w, alice, (bob,))
        await bob.press(cards[bob.user_id], "تأیید و ارسال")
        await until_text(w, alice, "انجام شد")
        assert w.sends == 1
        await alice.send("/send")  # and alice composes
        await until_text(w, alice, "خط ارسال")


async def test_a_key_pasted_after_pressing_reject_is_never_a_reason(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        request, cards = await submit_request(w, alice, (bob,))
        await bob.send("/token")
        await until_text(w, bob, fa_prefix("token_ask"))
        last = bob.last().message_id
        await bob.press(cards[bob.user_id], "رد")
        await until_text(w, bob, fa_prefix("token_wait_ended"), after=last)
        await until_text(w, bob, "دلیل رد درخواست", after=last)
        pasted = await bob.send(KEY)
        await until_text(w, bob, fa_prefix("key_refused_here"))
        await w.settle()
        assert bob.deleted(pasted)
        assert (await w.store.get_request(request.id)).state == RequestState.PENDING
        assert all(KEY not in (m.text or "") for m in alice.messages())
        checked = [r.authorization for r in w.sandbox.state.requests_to("/check_token")]
        assert KEY not in checked  # not taken as a key either
        assert await w.store.get_key_info(bob.user_id) is None
        await w.app.update_persistence()
        _nowhere(w, KEY)
        # the reason prompt is still open: a real reason still works
        await bob.send("متن ایراد دارد")
        await until_text(w, alice, "متن ایراد دارد")
        assert (await w.store.get_request(request.id)).reason == "متن ایراد دارد"


async def test_token_cancels_a_pending_reason(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        request, cards = await submit_request(w, alice, (bob,))
        await bob.press(cards[bob.user_id], "رد")
        await until_text(w, bob, "دلیل رد درخواست")
        await set_key(w, bob)  # /token, then the key: stored as bob's key, never a reason
        assert (await w.store.get_request(request.id)).state == RequestState.PENDING
        assert (await w.store.get_key_info(bob.user_id)) is not None


async def test_a_key_where_the_sms_text_or_a_search_is_expected_is_refused(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        await alice.send("/send")
        menu = await until_text(w, alice, "خط ارسال")
        await alice.press(menu, menu.buttons[0][0][0], exact=True)
        await until_text(w, alice, "دفترچه‌های تلفن")
        searched = await alice.send(KEY)  # a search is expected here
        await until_text(w, alice, fa_prefix("key_refused_here"))
        assert alice.deleted(searched)
        [draft] = await w.store.list_drafts(alice.user_id)
        assert draft.text == ""
        await w.app.update_persistence()
        _nowhere(w, KEY)


async def test_reasons_are_length_capped(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        request, cards = await submit_request(w, alice, (bob,))
        await bob.press(cards[bob.user_id], "رد")
        await until_text(w, bob, "دلیل رد درخواست")
        await bob.send("دلیل " * 200)
        await until_text(w, bob, fa_prefix("reason_too_long"))
        assert (await w.store.get_request(request.id)).state == RequestState.PENDING
        await bob.send("کوتاه")
        await until_text(w, alice, "کوتاه")
        assert (await w.store.get_request(request.id)).reason == "کوتاه"
