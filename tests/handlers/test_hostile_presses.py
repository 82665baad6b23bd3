"""Callback data cannot crash a handler: forged data gets the "menu out of date" alert and
every press is answered (real PTB stack against the fake Bot API)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from handlers.gate import valid_press
from tests.harness import bot_world, fa_prefix, submit_request

FORGED = [
    "hs:²",
    "hs:٣",
    "fx:" + "9" * 23 + ":text",
    "dr:o:" + "9" * 20,
    "ap:" + "9" * 13,
    "ap:1²",
    "rj:-1",
    "fx:1:evil",
    "lg:xx",
    "bl:r:abc",
    "b:p:" + "9" * 30,
    "c:t:" + "9" * 25,
    "zz:1",
    "ap:",
    "x" * 64,
]
VALID = ["ap:12", "hs:2", "fx:3:text", "dr:d:5", "lg:en", "bl:d:4", "b:t:120000", "r:go"]
VALID += ["v:e:phonebooks", "k:back", "s:last", "c:t:12000000001", "w:tomorrow", "x:ok"]


@pytest.mark.parametrize("data", FORGED)
def test_forged_shapes_are_refused(data: str) -> None:
    assert not valid_press(data)


@pytest.mark.parametrize("data", VALID)
def test_the_keyboards_shapes_pass(data: str) -> None:
    assert valid_press(data)


async def test_every_forged_press_is_answered_out_of_date_and_nothing_crashes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_world(tmp_path) as w:
        alice, bob = w.admin(0), w.admin(1)
        _request, cards = await submit_request(w, alice, (bob,))
        caplog.set_level(logging.ERROR)
        for data in FORGED:
            query = await bob.press_data(cards[bob.user_id].message_id, data)
            answer = await bob.answer_of(query)
            assert answer.show_alert and fa_prefix("stale_menu") in answer.text, data
        await w.settle()
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        # a real press still works
        await bob.press(cards[bob.user_id], "تأیید و ارسال")
        await w.until(lambda: w.sends == 1)
