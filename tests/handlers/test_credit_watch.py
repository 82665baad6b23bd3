"""Credit watch: low credit told once per crossing, failures once, /credit's estimate.

The jobs are called directly with the bot's context (CustomContext) rather than waiting six hours;
everything else is the real stack (fake Bot API, sandbox panel, SQLite file).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.credit_watch import covers, is_low
from bot.render import num
from handlers.credit_watch import SWEEP_JOB, sweep
from handlers.session import CustomContext
from tests.harness import (
    bot_world,
    compose_to_review,
    count_rows,
    restart,
    set_key,
    start_all,
    until_text,
)

CREDIT = "/api/payment/credit/mine"
LOW = "اعتبار حساب IPPanel رو به پایان است"
FAILED = "بررسی خودکار اعتبار"
REVOKED = "کلید API شما را نپذیرفت"


def told(user, needle: str) -> int:
    return sum(needle in (m.text or "") for m in user.messages())


async def run_sweep(w) -> None:
    await sweep(CustomContext(w.app))
    await w.settle()


def test_estimate_arithmetic() -> None:
    assert covers(100_000, 31_250) == 3
    assert covers(20_000, 31_250) == 0
    assert covers(100_000, None) is None and covers(100_000, 0) is None
    assert is_low(99, 100) is True and is_low(100, 100) is False
    assert is_low(5, None) is None  # no threshold yet: neither low nor fine


async def test_low_credit_is_told_once_per_crossing_across_restarts(tmp_path: Path) -> None:
    async with bot_world(tmp_path, credit_alert_rials=100_000) as w:
        alice, bob, carol = w.admin(0), w.admin(1), w.admin(2)
        await start_all(w, bob, carol)
        await set_key(w, alice)
        assert w.app.job_queue.get_jobs_by_name(SWEEP_JOB)  # scheduled at start-up
        await run_sweep(w)
        assert told(alice, LOW) == told(bob, LOW) == 0
        w.sandbox.state.set_credit("sandbox-key", 50_000)
        await run_sweep(w)
        for person in (alice, bob, carol):  # the owner and every approver
            assert told(person, LOW) == 1, person
        alert = next(m for m in bob.messages() if LOW in m.text)
        assert "۵۰٬۰۰۰" in alert.text and "۱۰۰٬۰۰۰" in alert.text  # left, and the threshold
        assert "شرکت نمونه تهران" in alert.text and "1001" in alert.text  # which account
        await run_sweep(w)
        await restart(w)  # the "already told" survives a restart
        await run_sweep(w)
        assert told(alice, LOW) == told(bob, LOW) == 1
        # back above, then below again: a new crossing is told again
        w.sandbox.state.set_credit("sandbox-key", 150_000)
        await run_sweep(w)
        assert told(alice, LOW) == 1
        w.sandbox.state.set_credit("sandbox-key", 40_000)
        await run_sweep(w)
        assert told(alice, LOW) == told(bob, LOW) == 2
        assert w.sends == 0


async def test_failed_check_and_revoked_key_are_told_once(tmp_path: Path) -> None:
    async with bot_world(tmp_path, credit_alert_rials=100_000) as w:
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        for _ in range(3):
            w.sandbox.state.fail_next(CREDIT, "500")
            await run_sweep(w)
        assert told(alice, FAILED) == 1 and told(bob, FAILED) == 0
        failed = next(m for m in alice.messages() if FAILED in m.text)
        assert "خطای داخلی سرور" in failed.text  # the provider's words
        await run_sweep(w)  # works again: nothing to say, and the record is cleared
        assert told(alice, FAILED) == 1
        # the key is revoked at the panel: said once, also after a restart
        for _ in range(2):
            w.sandbox.state.fail_next(CREDIT, "401")
            await run_sweep(w)
        await restart(w)
        w.sandbox.state.fail_next(CREDIT, "401")
        await run_sweep(w)
        assert told(alice, REVOKED) == 1 and told(bob, REVOKED) == 0
        assert "/token" in next(m for m in alice.messages() if REVOKED in m.text).text
        # a failure after a good check is news again
        await run_sweep(w)
        w.sandbox.state.fail_next(CREDIT, "500")
        await run_sweep(w)
        assert told(alice, FAILED) == 2
        # a removed key is not checked, and its record goes
        await alice.send("/logout")
        await alice.reply()
        await run_sweep(w)
        assert count_rows(w, "credit_watch") == 0


async def test_send_prices_itself_sets_the_threshold_and_credit_shows_the_estimate(
    tmp_path: Path,
) -> None:
    async with bot_world(tmp_path) as w:  # no CREDIT_ALERT_RIALS: the largest broadcast
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        await alice.send("/credit")
        first = await until_text(w, alice, "اعتبار حساب:")
        assert "هنوز ارسالی با این کلید ثبت نشده" in first.text
        assert "هنوز معلوم نیست" in first.text
        review = await compose_to_review(w, alice, text="یادآوری جلسه")
        await alice.press(review, "ارسال برای تأیید")
        card = await until_text(w, bob, "درخواست ارسال")
        await bob.press(card, "تأیید و ارسال")
        done = await until_text(w, alice, "انجام شد")
        # the send scheduled a check of the sender's key; run it now rather than wait
        [job] = w.app.job_queue.get_jobs_by_name("credit_after_send:1")
        await job.run(w.app)
        assert count_rows(w, "broadcast_costs", "broadcast_id = 1 AND cost = 31250") == 1
        await alice.send("/credit")
        shown = await until_text(w, alice, "اعتبار حساب:", after=done.message_id)
        # 25 recipients × 1,250 rials (the review's price: the dearer operator's)
        assert "آخرین ارسال (#1، ⁨۲۵⁩ گیرنده، حدود ⁨۳۱٬۲۵۰⁩ ریال)" in shown.text
        left = w.sandbox.state.accounts["sandbox-key"].credit
        assert left < 50_000_000  # the sandbox charged the send
        assert f"حدود {num(left // 31_250, 'fa')} ارسال" in shown.text
        assert "آستانهٔ هشدار اعتبار: ⁨۳۱٬۲۵۰⁩ ریال (هزینهٔ بزرگ‌ترین ارسال" in shown.text
        # below that threshold: owner and approvers hear it once, with the estimate
        w.sandbox.state.set_credit("sandbox-key", 20_000)
        await run_sweep(w)
        await job.run(w.app)  # the after-send check again: still once
        await w.settle()
        assert told(alice, LOW) == told(bob, LOW) == 1
        alert = next(m for m in alice.messages() if LOW in m.text)
        assert "۲۰٬۰۰۰" in alert.text and "حدود ⁨۰⁩ ارسال" in alert.text
        await alice.send("/credit")
        low = await until_text(w, alice, "از آستانهٔ هشدار کمتر است")
        assert "۲۰٬۰۰۰" in low.text
        assert w.sends == 1


def test_credit_settings(tmp_path: Path) -> None:
    def settings(**extra: object):
        values: dict[str, object] = {
            "telegram_bot_token": "123456789:AAHk-test-token-abcdefghijklmnopqrstuv",
            "admin_ids": "11",
            "data_dir": tmp_path,
            "_env_file": None,
        }
        return load_settings(**{**values, **extra})

    s = settings()
    assert s.credit_alert_rials is None and s.credit_check_hours == 6
    assert settings(credit_alert_rials="").credit_alert_rials is None
    assert settings(credit_alert_rials="250000").credit_alert_rials == 250_000
    for bad in ("-5", "lots"):
        with pytest.raises(ConfigError, match="CREDIT_ALERT_RIALS"):
            settings(credit_alert_rials=bad)
    with pytest.raises(ConfigError, match="CREDIT_CHECK_HOURS"):
        settings(credit_check_hours="-1")


async def test_zero_hours_turns_the_watch_off(tmp_path: Path) -> None:
    async with bot_world(tmp_path, credit_check_hours=0) as w:
        assert not w.app.job_queue.get_jobs_by_name(SWEEP_JOB)
        alice, bob = w.admin(0), w.admin(1)
        await start_all(w, bob)
        await set_key(w, alice)
        review = await compose_to_review(w, alice, text="بدون پایش")
        await alice.press(review, "ارسال برای تأیید")
        await bob.press(await until_text(w, bob, "درخواست ارسال"), "تأیید و ارسال")
        await until_text(w, alice, "انجام شد")
        assert not w.app.job_queue.get_jobs_by_name("credit_after_send:1")
