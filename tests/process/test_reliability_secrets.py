"""Reliability (issue #7, part 6): no bot token or API key in the logs (DEBUG level) or
in the raw bytes of the SQLite database and its WAL."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.logs import setup_logging
from tests.harness import KEY_OF, bot_world, compose_to_review, set_key, start_all, until_text

WRONG_KEY = "not-a-real-key-7f3a9c2e5b1d"


def raw_db(path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-journal"):
        file = Path(f"{path}{suffix}")
        if file.exists():
            data += file.read_bytes()
    return data


async def test_no_secret_in_logs_or_database_bytes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    saved_levels = {n: logging.getLogger(n).level for n in ("httpx", "httpcore", "telegram")}
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream)
    for h in saved[0]:  # keep pytest's caplog handler too
        root.addHandler(h)
    caplog.set_level(logging.DEBUG)
    try:
        async with bot_world(tmp_path) as w:
            alice, bob = w.admin(0), w.admin(1)
            keys = [KEY_OF[alice.user_id], KEY_OF[bob.user_id], WRONG_KEY]
            await start_all(w, bob)
            await set_key(w, alice)
            await set_key(w, bob)
            await bob.send("/token")
            await bob.reply()
            await bob.send(WRONG_KEY)
            await until_text(w, bob, "پذیرفته نشد")
            review = await compose_to_review(w, alice)
            await alice.press(review, "ارسال برای تأیید")
            card = await until_text(w, bob, "درخواست ارسال")
            await bob.press(card, "تأیید و ارسال")
            await until_text(w, alice, "انجام شد")
            await alice.send("/credit")
            await until_text(w, alice, "اعتبار حساب")
            await w.settle()
            assert w.sends == 1
            db_path = w.settings.database_path
            live = raw_db(db_path)  # while the bot runs: the WAL holds the latest pages
            token = w.fake.token
        at_rest = raw_db(db_path)
    finally:
        root.removeHandler(handler)
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved[0]:
            root.addHandler(h)
        root.setLevel(saved[1])
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
    text = stream.getvalue()
    assert "bot ready" in text and "DEBUG" in text  # the capture did see the run
    captured = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in [token, token.split(":", 1)[1], *keys]:
        assert secret not in text, f"{secret[:6]}… in the log"
        assert secret not in captured, f"{secret[:6]}… in a log record"
    for key in keys:
        for blob in (live, at_rest):
            assert key.encode() not in blob
            assert key.encode("utf-16-le") not in blob
