"""words: one public number per broadcast, and words that say what actually happened.

Each test asserts what the admins read, in Persian and (where the text differs) English.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.domain import BroadcastState, Draft, PhonebookSelection, Snapshot
from bot.ippanel import (
    AuthError,
    InsufficientCreditError,
    NotCancellableError,
    NotFoundError,
    ProviderError,
    TransportError,
    ValidationError,
)
from bot.provider_words import explain, plain
from bot.render import counted, person
from storage import Store
from storage.migrations import MIGRATIONS
from tests.fakes.telegram_api import FakeUser
from tests.harness import (
    World,
    bot_world,
    compose_to_review,
    set_key,
    start_all,
    submit_request,
    until_text,
)

SEND = "/api/send"
CREDIT = "/api/payment/credit/mine"


def who(user_id: int) -> str:
    """How the bot names a fake admin (first name "Admin<id>", no @username)."""
    return person(user_id, f"Admin{user_id}")


async def to_english(w: World, user: FakeUser) -> None:
    await user.send("/lang")
    await user.press(await user.reply(), "English")
    await until_text(w, user, "Language: English")


async def schedule_review(w: World, user: FakeUser):
    """Compose, then move the send time to tomorrow 09:00; returns the new review card."""
    review = await compose_to_review(w, user)
    await user.press(review, "✏️ زمان")
    await until_text(w, user, "زمان ارسال", after=review.message_id - 1)  # edited in place
    await user.press(user.last(), "فردا ساعت ۹")
    return await until_text(w, user, "زمان: ۱۴", after=review.message_id - 1)


# ------------------------------------------------------------------ one number


async def test_one_number_from_request_to_result_report_history_and_audit(
    tmp_path: Path,
) -> None:
    """Request #1 is rejected; the same draft submitted again is #2 everywhere, although its
    broadcast row is the first one (id 1): the number people follow is the request's."""
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        _, cards = await submit_request(w, alice, (bob,))
        await bob.press(cards[bob.user_id], "رد")
        prompt = await until_text(w, bob, "دلیل رد درخواست #1")
        await bob.press(prompt, "رد بدون دلیل")
        await until_text(w, alice, "درخواست #1 توسط")

        await alice.send("/drafts")
        listing = await until_text(w, alice, "پیش‌نویس‌های شما")
        assert "#" not in listing.text  # drafts are listed without a competing number
        await alice.press(listing, "▶️")
        review = await until_text(w, alice, "بازبینی", after=listing.message_id)
        await alice.press(review, "ارسال برای تأیید")
        await until_text(w, alice, "درخواست #2 برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال #2")
        await bob.press(card, "تأیید و ارسال")
        done = await until_text(w, alice, "ارسال #2 انجام شد")
        assert "#1" not in done.text
        await until_text(w, bob, "ارسال #2 انجام شد")
        [b] = await w.store.list_broadcasts(alice.user_id)
        assert (b.id, b.number) == (1, 2)

        await alice.press(done, "گزارش تحویل")
        await until_text(w, alice, "گزارش ارسال #2")
        await bob.send("/history")
        history = await until_text(w, bob, "تعیین تکلیف کردید")
        assert "#2 · ارسال‌شده" in history.text
        assert "#2 · تأییدشده" in history.text and "#1 · ردشده" in history.text
        await alice.press(done, "ارسال دوباره")
        again = await until_text(w, alice, "پیش‌نویس تازه‌ای از روی ارسال #2")
        assert again.text.count("#") == 1  # the new draft has no number of its own

        audit = await w.store.list_audit(limit=50)
        sent = [a for a in audit if a.action == "sent"]
        assert sent and sent[0].detail["no"] == 2
        submitted = [a.detail["no"] for a in audit if a.action == "submitted"]
        assert sorted(submitted) == [1, 2]


async def test_one_number_in_english_too(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await to_english(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "Broadcast request #1")
        await bob.press(card, "Approve and send")
        done = await until_text(w, bob, "Broadcast #1 sent.")
        await bob.press(done, "Delivery report")
        await until_text(w, bob, "Report of broadcast #1")


async def test_direct_sends_get_their_own_numbers(tmp_path: Path) -> None:
    """Approvals off: no request row, yet each send has a number and "sending" shows none
    (it used to read "request ##5")."""
    async with bot_world(tmp_path, approvals_required="0") as w:
        alice = w.admin(0)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "✅ ارسال", exact=True)
        sending = await until_text(w, alice, "در حال ارسال", after=review.message_id)
        assert "#" not in sending.text
        done = await until_text(w, alice, "ارسال #1 انجام شد")
        await alice.press(done, "ارسال دوباره")
        await until_text(w, alice, "پیش‌نویس تازه‌ای از روی ارسال #1")
        await until_text(w, alice, "زمان ارسال", after=done.message_id)
        await alice.press(alice.last(), "همین حالا")
        review = await until_text(w, alice, "بازبینی", after=done.message_id)
        await alice.press(review, "✅ ارسال", exact=True)
        await until_text(w, alice, "ارسال #2 انجام شد")
        numbers = sorted(b.number for b in await w.store.list_broadcasts(alice.user_id))
        assert numbers == [1, 2]


def _draft(draft_id: int) -> Draft:
    return Draft(
        id=draft_id,
        owner_id=7,
        sender="+983000505",
        selections=[PhonebookSelection("1", "Book", 5)],
        text="hi",
    )


async def test_store_allocates_one_number_per_request_or_direct_send(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC) + timedelta(hours=1)
    async with Store(tmp_path / "db.sqlite3", MultiFernet([Fernet(Fernet.generate_key())])) as s:
        first = await s.create_request(_draft(1), 7, Snapshot.from_dict({"draft_id": 1}), later)
        direct = await s.start_broadcast(
            request_id=None,
            requester_id=7,
            approver_id=None,
            snapshot=Snapshot.from_dict({}),
            direct_key="9:1",
        )
        second = await s.create_request(_draft(2), 7, Snapshot.from_dict({"draft_id": 2}), later)
        of_first = await s.start_broadcast(
            request_id=first.id, requester_id=7, approver_id=8, snapshot=Snapshot.from_dict({})
        )
        assert (first.number, direct.number, second.number) == (1, 2, 3)
        assert of_first.number == first.number  # the broadcast carries its request's number
        # submits racing each other never share a number (one statement each, UNIQUE index)
        many = await asyncio.gather(
            *(
                s.create_request(_draft(10 + i), 7, Snapshot.from_dict({"draft_id": i}), later)
                for i in range(10)
            )
        )
        assert sorted(r.number for r in many) == list(range(4, 14))


async def test_migration_numbers_existing_rows_without_collisions(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    now = "2026-01-01T10:00:00.000000+00:00"
    conn = sqlite3.connect(path, isolation_level=None)
    for m in MIGRATIONS[:5]:
        conn.executescript(f"BEGIN; {m.script} PRAGMA user_version = {m.version}; COMMIT;")
    for draft_id in (1, 2):
        conn.execute(
            "INSERT INTO approval_requests (draft_id, requester_id, snapshot, content_hash, "
            "state, created_at, expires_at) VALUES (?, 7, '{}', 'h', 'approved', ?, ?)",
            (draft_id, now, now),
        )
    for request_id, key in ((2, None), (None, "5:1")):
        conn.execute(
            "INSERT INTO broadcasts (request_id, requester_id, snapshot, state, created_at, "
            "updated_at, direct_key) VALUES (?, 7, '{}', 'sent', ?, ?, ?)",
            (request_id, now, now, key),
        )
    conn.close()
    async with Store(path, MultiFernet([Fernet(Fernet.generate_key())])) as s:
        assert [(await s.get_request(i)).number for i in (1, 2)] == [1, 2]
        b_of_2, direct = await s.get_broadcast(1), await s.get_broadcast(2)
        assert b_of_2.number == 2  # its request's number
        assert direct.number == 4  # past every request id: never the same as a request
        fresh = await s.create_request(_draft(3), 7, Snapshot.from_dict({}), _later())
        assert fresh.number == 5


def _later():
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(hours=1)


# ------------------------------------------------------------------ scheduled sends


async def test_scheduled_send_is_told_as_scheduled_then_cancelled_by_the_approver(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await to_english(w, bob)
        await set_key(w, alice)
        review = await schedule_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "Broadcast request #1")
        await bob.press(card, "Approve and send")

        told = await until_text(w, alice, "ارسال #1 زمان‌بندی شد برای ۱۴")
        assert "انجام شد" not in told.text
        told_en = await until_text(w, bob, "Broadcast #1 is scheduled for")
        assert " sent." not in told_en.text
        await alice.send("/history")
        assert "#1 · زمان‌بندی‌شده" in (await until_text(w, alice, "(صفحهٔ")).text
        assert w.sends == 1

        # the approver cancels: the requester is told who did it
        await bob.press(told_en, "Cancel scheduled send")
        await until_text(w, bob, "Broadcast #1 was cancelled and will not go out.")
        notice = await until_text(w, alice, f"توسط {who(1002)}")
        assert "ارسال زمان‌بندی‌شدهٔ #1" in notice.text and "لغو شد" in notice.text
        # the requester's own button now knows it is already cancelled
        await alice.press(told, "لغو ارسال")
        already = await until_text(w, alice, "پیش‌تر")
        assert f"ارسال #1 پیش‌تر (توسط {who(1002)}" in already.text and "لغو شده است" in already.text
        assert "۵ دقیقه" not in already.text
        assert len(w.sandbox.state.requests_to("/api/send/cancel")) == 1
        [b] = await w.store.list_broadcasts(alice.user_id)
        assert b.state == BroadcastState.CANCELLED
        await alice.send("/history")
        assert "#1 · لغوشده" in (await until_text(w, alice, "لغوشده")).text


async def test_requester_cancels_and_the_english_approver_is_told(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await to_english(w, bob)
        await set_key(w, alice)
        review = await schedule_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        await bob.press(await until_text(w, bob, "Broadcast request #1"), "Approve and send")
        told = await until_text(w, alice, "زمان‌بندی شد")
        told_en = await until_text(w, bob, "is scheduled for")
        await alice.press(told, "لغو ارسال")
        await until_text(w, alice, "ارسال #1 لغو شد و فرستاده نمی‌شود.")
        notice = await until_text(w, bob, f"was cancelled by {who(1001)}")
        assert "Scheduled broadcast #1 (for " in notice.text
        await bob.press(told_en, "Cancel scheduled send")
        already = await until_text(w, bob, "already cancelled")
        assert f"Broadcast #1 was already cancelled (by {who(1001)}" in already.text


# ------------------------------------------------------------------ never mind


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_never_mind_after_another_approver_decided_says_what_happened(
    tmp_path: Path, lang: str
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        await start_all(w, bob, carol)
        if lang == "en":
            await to_english(w, bob)
        await set_key(w, alice)
        await alice.press(await compose_to_review(w, alice), "ارسال برای تأیید")
        card_b = await until_text(w, bob, "#1")
        card_c = await until_text(w, carol, "درخواست ارسال #1")
        await bob.press(card_b, "رد" if lang == "fa" else "Reject")
        prompt = await until_text(w, bob, "دلیل رد" if lang == "fa" else "reason for rejecting")
        await carol.press(card_c, "تأیید و ارسال")
        await until_text(w, alice, "انجام شد")
        await bob.press(prompt, "انصراف" if lang == "fa" else "Never mind")
        if lang == "fa":
            kept = await until_text(w, bob, "رد نکردید")
            assert f"تأییدشده (توسط {who(1003)})" in kept.text
            assert "در انتظار" not in kept.text
        else:
            kept = await until_text(w, bob, "did not reject")
            assert f"already been decided: approved (by {who(1003)})" in kept.text
            assert "still waiting" not in kept.text
        assert w.sends == 1


async def test_never_mind_while_pending_says_it_is_still_pending(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        _, cards = await submit_request(w, alice, (bob,))
        await bob.press(cards[bob.user_id], "رد")
        prompt = await until_text(w, bob, "دلیل رد")
        await bob.press(prompt, "انصراف")
        kept = await until_text(w, bob, "درخواست #1 رد نشد و همچنان در انتظار تأیید است.")
        assert kept.buttons == []


# ------------------------------------------------------------------ /cancel, /credit


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_token_then_cancel_does_not_claim_a_draft(tmp_path: Path, lang: str) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        if lang == "en":
            await to_english(w, alice)
        await alice.send("/token")
        await alice.reply()
        await alice.send("/cancel")
        said = (await alice.reply()).text
        if lang == "fa":
            assert said == "ثبت کلید لغو شد؛ کلیدی ذخیره نشد."
        else:
            assert said == "Setting the key was cancelled; no key was stored."
        assert await w.store.list_drafts(alice.user_id) == []


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_credit_with_a_revoked_key_does_not_mention_a_draft(
    tmp_path: Path, lang: str
) -> None:
    async with bot_world(tmp_path) as w:
        alice = w.admin(0)
        await set_key(w, alice)
        if lang == "en":
            await to_english(w, alice)
        w.sandbox.state.fail_next(CREDIT, "401")
        await alice.send("/credit")
        said = (await alice.reply()).text
        if lang == "fa":
            assert said == "کلید API شما نامعتبر یا منقضی است. با /token کلید تازه ثبت کنید."
            assert "پیش‌نویس" not in said
        else:
            assert said == "Your API key is invalid or expired. Set a new one with /token."
            assert "draft" not in said


# ------------------------------------------------------------------ provider words


CASES = [
    # error, Persian sentence, English sentence, raw text kept as the detail line
    (
        ProviderError("Server Error", status=500),
        "سامانهٔ IPPanel دچار خطای داخلی شد",
        "IPPanel had an internal error",
        "Server Error",
    ),
    (
        ValidationError(
            errors={"params.0.number_ids.0": ["The params.0.number_ids.0 field is invalid."]},
            status=422,
        ),
        "IPPanel «گیرندگان (دفترچه‌ها یا مخاطبان انتخابی)» را نپذیرفت",
        "IPPanel refused the recipients (phonebooks or picked contacts)",
        "params.0.number_ids.0: The params.0.number_ids.0 field is invalid.",
    ),
    (
        ValidationError(errors={"message": ["تکمیل گزینه پیام الزامی است"]}, status=422),
        "IPPanel «متن پیام» را نپذیرفت",
        "IPPanel refused the message text",
        "message: تکمیل گزینه پیام الزامی است",
    ),
    (
        AuthError("اطلاعات وارد شده صحیح نمی باشد", status=401),
        "IPPanel کلید API را نپذیرفت (نامعتبر یا منقضی است)",
        "IPPanel refused the API key (invalid or expired)",
        "اطلاعات وارد شده صحیح نمی باشد",
    ),
    (
        NotFoundError("دفترچه تلفن یافت نشد", status=404),
        "یکی از دفترچه‌ها در IPPanel پیدا نشد",
        "a phonebook was not found in IPPanel",
        "دفترچه تلفن یافت نشد",
    ),
    (
        NotCancellableError("پیام یافت نشد یا قابل لغو نیست", status=404),
        "IPPanel این ارسال را پیدا نکرد یا دیگر قابل لغو نیست",
        "IPPanel did not find this broadcast, or it can no longer be cancelled",
        None,  # the documented text is the plain one: no detail line to add
    ),
    (
        ProviderError(status=200),  # an answer that is not the JSON envelope
        "IPPanel پاسخ نامفهومی داد",
        "IPPanel gave an answer that could not be read",
        None,
    ),
    (TransportError(), "به IPPanel وصل نشدم", "IPPanel could not be reached", None),
    (
        InsufficientCreditError(status=422),
        "اعتبار حساب IPPanel کافی نیست",
        "the IPPanel account credit is not enough",
        None,
    ),
]


@pytest.mark.parametrize(("error", "fa", "en", "raw"), CASES)
def test_provider_texts_in_plain_words_with_the_raw_text_as_a_detail(
    error, fa: str, en: str, raw: str | None
) -> None:
    assert plain("fa", error) == fa
    assert plain("en", error) == en
    for lang, label in (("fa", "پاسخ IPPanel:"), ("en", "IPPanel said:")):
        shown = explain(lang, error)
        if raw is None:
            assert "<code>" not in shown
        else:
            assert shown.endswith(f"\n<i>{label}</i> <code>{raw}</code>")
    # the raw field path never leads the sentence
    assert not plain("en", error).startswith(("params", "Server Error"))


def test_provider_detail_is_escaped() -> None:
    shown = explain("en", ProviderError("<b>Bad Gateway</b>", status=502))
    assert "&lt;b&gt;Bad Gateway&lt;/b&gt;" in shown


async def test_a_500_on_send_reads_plainly_in_both_languages(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await to_english(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice)
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "Broadcast request #1")
        w.sandbox.state.fail_next(SEND, "500")
        await bob.press(card, "Approve and send")
        fa = await until_text(w, alice, "نامعلوم")
        assert "نتیجهٔ ارسال #1 نامعلوم است: سامانهٔ IPPanel دچار خطای داخلی شد" in fa.text
        assert "پاسخ IPPanel: خطای داخلی سرور" in fa.text  # the raw text, only as a detail
        en = await until_text(w, bob, "unknown")
        assert "The outcome of broadcast #1 is unknown: IPPanel had an internal error" in en.text
        assert "IPPanel said: خطای داخلی سرور" in en.text
        assert w.sends == 1


# ------------------------------------------------------------------ plurals


@pytest.mark.parametrize(
    ("noun", "one", "many"),
    [
        ("phonebook", "1 phonebook", "2 phonebooks"),
        ("recipient", "1 recipient", "2 recipients"),
        ("contact", "1 contact", "2 contacts"),
        ("picked", "1 picked contact", "2 picked contacts"),
        ("approver", "1 approver", "2 approvers"),
        ("character", "1 character", "2 characters"),
        ("broadcast", "1 broadcast", "2 broadcasts"),
    ],
)
def test_english_counts_agree_and_persian_does_not_inflect(noun: str, one: str, many: str) -> None:
    assert counted("en", 1, noun) == one
    assert counted("en", 2, noun) == many
    assert counted("en", 0, noun) == many.replace("2", "0")
    assert counted("fa", 1, noun).replace("۱", "۲") == counted("fa", 2, noun)


async def test_english_admin_reads_1_phonebook_and_1_approver(tmp_path: Path) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        await to_english(w, alice)
        await alice.send("/send")
        menu = await until_text(w, alice, "Sender line")
        if menu.buttons:
            await alice.press(menu, menu.buttons[0][0][0], exact=True)
        menu = await until_text(w, alice, "2. Phonebooks")
        await alice.press(menu, menu.buttons[0][0][0], exact=True)
        await w.until(lambda: "✓" in alice.last().buttons[0][0][0])
        assert "Selected: 1 phonebook, 25 recipients" in alice.last().text
        await alice.press(alice.last(), "⚙️ A slice or picked contacts", exact=True)
        await until_text(w, alice, "Selected phonebooks")
        await alice.press(alice.last(), "Continue: message text")
        await until_text(w, alice, "3. Message text")
        await alice.send("Meeting at ten")
        preview = await until_text(w, alice, "for 25 recipients: about")
        await alice.press(preview, "Another send time")
        await until_text(w, alice, "4. Send time")
        await alice.press(alice.last(), "Now", exact=True)
        review = await until_text(w, alice, "5. Review")
        await alice.press(review, "Submit for approval")
        # ADMIN_IDS holds three admins; only Bob started the bot, so one approver got it
        waiting = await until_text(w, alice, "sent for approval")
        assert "Request #1 was sent for approval (1 approver)." in waiting.text
