"""Reliability (issue #7, part 5): strangers, forged buttons, forwarded keys, keys pasted
in groups, and a seeded fuzz run of 2,000 random updates."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import RequestState
from tests.harness import (
    ADMINS,
    STRANGER,
    World,
    bot_world,
    compose_to_review,
    count_rows,
    fa_prefix,
    set_key,
    start_all,
    submit_request,
    until_text,
)

STRANGER_TEXT = fa_prefix("stranger")
LONG_KEY = "Zq7vK2mP9xR4tW8yB3nC6dF1gH5jL0sA"  # looks like an IPPanel key (24+ chars)


async def state_of(w: World) -> tuple:
    return (
        count_rows(w, "drafts"),
        count_rows(w, "approval_requests"),
        count_rows(w, "broadcasts"),
        [(r.id, r.state) for r in await w.store.list_pending_requests()],
        w.sends,
    )


async def test_stranger_is_refused_once_audited_once_and_leaves_no_state(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        request, _ = await submit_request(w, alice, (bob,))
        [draft] = await w.store.list_drafts(alice.user_id)
        before = await state_of(w)
        mallory = w.user(STRANGER)
        texts = ("/start", "/send", "سلام، من مدیرم", f"/token {LONG_KEY}")
        for text in texts:
            await mallory.send(text)
        reply = await mallory.reply()
        assert STRANGER_TEXT in reply.text and str(STRANGER) in reply.text
        forged = [bytes(range(200, 216)).decode("latin-1"), f"ap:{request.id}", f"dr:o:{draft.id}"]
        forged += [f"rj:{request.id}", f"wd:{request.id}", f"dr:d:{draft.id}"]
        for data in forged:
            query = await mallory.press_data(1, data)
            alert = await mallory.answer_of(query)  # every press is answered
            assert alert.show_alert and str(STRANGER) in alert.text
        await w.until(lambda: count_rows(w, "stranger_days") == 1)
        await w.settle()
        # one refusal per hour, however many messages
        assert sum(STRANGER_TEXT in (m.text or "") for m in mallory.messages()) == 1
        assert await state_of(w) == before
        assert (await w.store.get_request(request.id)).state == RequestState.PENDING
        # audited as one row per stranger per day with a count, none in the append-only log
        assert await w.store.list_audit(limit=100, actor_id=STRANGER) == []
        day = datetime.now(UTC).date().isoformat()
        await w.until(lambda: count_rows(w, "stranger_days", "count = ?", (len(texts) + 6,)))
        assert await w.store.stranger_count(STRANGER, day) == len(texts) + len(forged)
        assert await w.store.get_key_info(STRANGER) is None
        await w.app.update_persistence()
        assert count_rows(w, "persistence", "key LIKE ?", (f"%{STRANGER}%",)) == 0
        assert STRANGER not in w.app.user_data and STRANGER not in w.app.chat_data
        assert LONG_KEY not in w.settings.database_path.read_bytes().decode("latin-1")


async def test_admin_cannot_touch_another_admins_draft_or_a_finished_request(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        request, cards = await submit_request(w, alice, (bob, carol))
        await bob.press(cards[bob.user_id], "تأیید و ارسال")
        await until_text(w, alice, "انجام شد")
        await set_key(w, carol)
        await compose_to_review(w, carol, text="پیش‌نویس کارول")
        [carol_draft] = await w.store.list_drafts(carol.user_id)
        await w.settle()
        before = await state_of(w)
        for data in (f"dr:o:{carol_draft.id}", f"dr:d:{carol_draft.id}", f"dr:c:{carol_draft.id}"):
            query = await bob.press_data(cards[bob.user_id].message_id, data)
            assert (await bob.answer_of(query)).text  # refused with a reason, not opened
        query = await carol.press_data(cards[carol.user_id].message_id, f"ap:{request.id}")
        assert fa_prefix("decision_already") in (await carol.answer_of(query)).text
        query = await carol.press_data(cards[carol.user_id].message_id, f"rj:{request.id}")
        assert (await carol.answer_of(query)).text
        await w.settle()
        assert await state_of(w) == before
        assert await w.store.list_drafts(bob.user_id) == []
        still = await w.store.get_draft(carol_draft.id)
        assert still is not None and still.text == "پیش‌نویس کارول" and still.owner_id == 1003
        assert (await w.store.get_request(request.id)).state == RequestState.APPROVED
        assert w.sends == 1


async def test_forwarded_key_is_refused_and_not_stored(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await alice.send("/token")
        await alice.reply()
        sent = await alice.send("sandbox-key", forward_from=1002)
        await until_text(w, alice, fa_prefix("token_forwarded"))
        assert alice.deleted(sent)  # the key does not stay in the chat either
        assert await w.store.get_key_info(alice.user_id) is None
        assert w.sandbox.state.requests_to("/check_token") == []


async def test_key_pasted_in_a_group_is_deleted_not_stored_and_warned_privately(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        posted = await alice.send(LONG_KEY, chat_type="group")
        warning = await until_text(w, alice, fa_prefix("group_key_warning"))
        assert warning.chat_id == alice.user_id  # in private, not in the group
        assert alice.deleted(posted, chat_id=-1000)
        assert alice.messages(-1000) == []  # the bot says nothing in the group
        assert await w.store.get_key_info(alice.user_id) is None
        assert w.sandbox.state.requests_to("/check_token") == []
        audit = await w.store.list_audit(actor_id=alice.user_id)
        assert [a.action for a in audit] == ["key_in_group_refused"]


# ------------------------------------------------------------------ fuzz

MARKS = ["\u200f", "\u200e", "\u200c", "\u200d", "\u202b", "\u2066", "\ufeff", "\u061c"]
PIECES = [
    "سلام",
    "تخفیف",
    "<b>&",
    "</pre>",
    "&amp;",
    "😀",
    "👨‍👩‍👧",
    "🇮🇷",
    "۱۲۳۴۵۶۷۸۹۰",
    "١٢٣٤٥٦٧٨٩٠",
    "0912",
    "1403/01/01 10:00",
    "1 500",
    "\n",
    "   ",
    "ك ي",
    "{id}",
    "%s",
]
COMMANDS = ["/start", "/help", "/send", "/drafts", "/history", "/cancel", "/lang", "/token"]


def random_text(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.03:
        return rnd.choice(["ش", "a", "😀"]) * 5000
    if roll < 0.15:
        return rnd.choice(COMMANDS)
    parts = [rnd.choice(PIECES + MARKS) for _ in range(rnd.randint(1, 12))]
    return "".join(parts)


def random_data(rnd: random.Random) -> str:
    prefix = rnd.choice(
        [
            "ap",
            "rj",
            "rn",
            "wd",
            "dr:o",
            "dr:d",
            "s",
            "b",
            "o",
            "m",
            "c",
            "x",
            "w",
            "v",
            "r",
            "k",
            "hs",
            "lg",
            "rt",
            "rc",
            "ag",
            "fx",
            "zz",
            "",
        ]
    )
    tail = rnd.choice([str(rnd.randint(-5, 10**6)), "", "..", "😀", "٣", "a" * 40])
    return f"{prefix}:{tail}"[: rnd.randint(1, 64)] or "x"


async def test_fuzz_two_thousand_random_updates(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    rnd = random.Random(20240607)
    async with bot_world(tmp_path) as w:
        people = [w.user(a) for a in ADMINS] + [w.user(STRANGER), w.user(9010)]
        await start_all(w, *people[:3])
        for admin in people[:2]:
            await set_key(w, admin)
        own: dict[int, list[int]] = {p.user_id: [] for p in people}
        for _batch in range(8):
            for _ in range(250):
                user = rnd.choice(people)
                kind = rnd.random()
                msgs = user.messages()
                if kind < 0.45:
                    own[user.user_id].append(await user.send(random_text(rnd)))
                elif kind < 0.65:
                    target = rnd.choice(msgs).message_id if msgs and rnd.random() < 0.7 else 1
                    if msgs and rnd.random() < 0.5 and rnd.choice(msgs).buttons:
                        msg = rnd.choice([m for m in msgs if m.buttons] or msgs)
                        data = rnd.choice([b for row in msg.buttons for b in row])[1] or "x"
                        await user.press_data(msg.message_id, data, chat_id=user.user_id)
                    else:
                        await user.press_data(target, random_data(rnd), chat_id=user.user_id)
                elif kind < 0.72:
                    await user.send_photo(caption=rnd.choice([None, random_text(rnd)[:1000]]))
                elif kind < 0.77:
                    await user.send_sticker()
                elif kind < 0.82:
                    await user.send_contact("+989121234567")
                elif kind < 0.88 and own[user.user_id]:
                    await user.edit(
                        rnd.choice(own[user.user_id]), random_text(rnd)[:4000], chat_id=user.user_id
                    )
                else:
                    await user.send(random_text(rnd)[:4000], chat_type="group")
            await w.fake.idle(quiet=0.1, timeout=60)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, [r.getMessage() for r in errors][:5]
        assert w.sends == 0
        for admin in ADMINS:
            for draft in await w.store.list_drafts(admin, limit=100):
                loaded = await w.store.get_draft(draft.id)
                assert loaded is not None and loaded.owner_id == admin
        # still answering afterwards
        alice = people[0]
        await alice.send("/cancel")
        await w.settle()
        mark = alice.messages()[-1].message_id
        await alice.send("/help")  # the fuzz may have switched the language: /help says IPPanel
        await until_text(w, alice, "IPPanel", after=mark)


async def test_a_flood_of_strangers_and_groups_neither_delays_admins_nor_grows_the_database(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await start_all(w, alice)
        await w.settle()
        audit_rows = count_rows(w, "audit_log")
        strangers = [w.user(50_000 + i) for i in range(600)]
        for stranger in strangers:
            await stranger.send("سلام")
        for group in range(50):
            await alice.send("سلام به همه", chat_type="group", chat_id=-2000 - group)
        mark = alice.messages()[-1].message_id
        started = time.monotonic()
        await alice.send("/help")  # queued behind 650 updates
        await until_text(w, alice, "IPPanel", after=mark)
        waited = time.monotonic() - started
        assert waited < 2.0, waited  # was 19 s
        await w.until(lambda: count_rows(w, "stranger_days") == 600)
        await w.settle()
        await w.app.update_persistence()
        assert count_rows(w, "audit_log") == audit_rows
        assert count_rows(w, "persistence", "namespace = 'chat_data'") == 0
        assert count_rows(w, "persistence", "key LIKE '%5____%' OR key LIKE '%-2___%'") == 0
        assert set(w.app.user_data) == {alice.user_id} and set(w.app.chat_data) <= {alice.user_id}
        # refusals are paced: the bot's share of the Bot API limit stays with admins
        refused = sum(bool(s.messages()) for s in strangers)
        assert 1 <= refused <= 60
