"""The button registry walked kind by kind: every declared kind builds data that reads back
as itself, reaches its handler through the real gate and PTB routing (fake Bot API over
loopback), is refused to people its role excludes, and is refused when forged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler

import handlers  # noqa: F401  - binds every kind's handler, as at start-up
from handlers import callbacks as cb
from handlers.gate import valid_press
from tests.harness import World, bot_world, count_rows, fa_prefix, start_all

KINDS = cb.KINDS
IDS = [k.name for k in KINDS]


def forged_variants(kind: cb.Button) -> list[str]:
    """Data a keyboard of this kind never makes: bad arguments, too many or too few, too
    long, non-ASCII."""
    good = [str(a.sample) for a in kind.args]
    out = [f"{kind.prefix}:{':'.join([*good, '1'])}".rstrip(":")]  # one argument too many
    out.append(kind.sample_data() + "\u00b2")  # a superscript digit at the end
    out.append(kind.sample_data() + ":" + "0" * 70)  # past 64 bytes
    for i, arg in enumerate(kind.args):
        if isinstance(arg, cb.Int):
            bad = ["²", "٣", "-1", "1a", "9" * 20, ""]
        elif isinstance(arg, cb.Word):
            bad = ["zz", arg.sample.upper(), ""]
        else:
            bad = ["9" * 25, "a b", "é", ""]
        for value in bad:
            out.append(":".join([kind.prefix, *good[:i], value, *good[i + 1 :]]))
        out.append(":".join([kind.prefix, *good[:i]]))  # an argument missing
    return [d for d in out if d != kind.sample_data()]


# ---------------------------------------------------------------- the declarations


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_built_data_reads_back_as_its_kind_with_typed_arguments(kind: cb.Button) -> None:
    data = kind.sample_data()
    assert data.isascii() and len(data.encode()) <= cb.MAX_DATA
    press = cb.parse(data)
    assert press is not None and press.kind is kind, data
    assert press.args == tuple(a.sample for a in kind.args)
    for arg, value in zip(kind.args, press.args, strict=True):
        assert isinstance(value, int if isinstance(arg, cb.Int) else str)
    assert valid_press(data)


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_forged_data_of_each_kind_is_refused(kind: cb.Button) -> None:
    for data in forged_variants(kind):
        press = cb.parse(data)
        assert press is None or press.kind is not kind, data
        assert press is None, (data, press)


def test_unknown_prefixes_and_odd_data_are_refused() -> None:
    for data in ("zz:1", "", "ap", ":", "ap:1:", "k:back:1", "x" * 64, "ap:1 ", "AP:1"):
        assert cb.parse(data) is None, data


def test_a_keyboard_cannot_build_data_its_gate_would_refuse() -> None:
    with pytest.raises(ValueError):
        cb.APPROVE.data("12a")
    with pytest.raises(ValueError):
        cb.BOOK.data("x" * 61)
    with pytest.raises(ValueError):
        cb.PLAN_BATCH.data(7)  # not one of the quick choices
    with pytest.raises(ValueError):
        cb.FIX.data(1)  # an argument missing
    from handlers import keyboards as kb

    with pytest.raises(ValueError):
        kb.btn("old", "zz:1")


def test_every_kind_has_a_handler() -> None:
    assert cb.unbound() == []
    assert {k.scope for k in KINDS} == {"global", "entry", "compose"}


def test_a_kind_cannot_get_a_second_handler() -> None:
    async def other(update: Update, context: object, request_id: int) -> None:
        """A second module claiming the approve button."""

    with pytest.raises(ValueError, match="already handled"):
        cb.APPROVE.handles(other)
    assert cb.APPROVE.callback is not other


# ---------------------------------------------------------------- through the real stack


def _conversation(w: World) -> ConversationHandler:
    [conv] = [h for h in w.app.handlers[0] if isinstance(h, ConversationHandler)]
    return conv


def _states_routing(conv: ConversationHandler, kind: cb.Button) -> list[object]:
    return [
        state
        for state, hs in conv.states.items()
        if any(isinstance(h, CallbackQueryHandler) and h.pattern == kind.matches for h in hs)
    ]


@contextmanager
def recording() -> Iterator[list[tuple[cb.Button, tuple[Any, ...]]]]:
    """Every kind's handler replaced by one that records the parsed arguments."""
    seen: list[tuple[cb.Button, tuple[Any, ...]]] = []
    saved = {k: k.callback for k in KINDS}

    def recorder(kind: cb.Button):
        async def record(update: Update, _context: object, *args: Any) -> None:
            seen.append((kind, args))
            await update.callback_query.answer(f"reached {kind.name}")

        return record

    for kind in KINDS:
        kind.callback = recorder(kind)
    try:
        yield seen
    finally:
        for kind, callback in saved.items():
            kind.callback = callback


@asynccontextmanager
async def roles_world(tmp_path: Path) -> AsyncIterator[World]:
    """1001 composes (not an approver), 1002 approves (does not compose), 1003 does both."""
    async with bot_world(tmp_path, admin_ids="1001,1003", approver_ids="1002,1003") as w:
        await start_all(w, w.admin(0), w.admin(1), w.admin(2))
        yield w


async def test_every_kind_reaches_its_handler_with_parsed_arguments(tmp_path: Path) -> None:
    async with roles_world(tmp_path) as w:
        both = w.admin(2)
        conv = _conversation(w)
        with recording() as seen:
            for kind in KINDS:
                states = _states_routing(conv, kind)
                if kind.scope == "compose":
                    assert states, f"{kind.name} is routed in no step of the conversation"
                if kind is cb.BACK:
                    continue  # routed per state to fixed callbacks (checked just above)
                key = (both.chat_id, both.user_id)
                if states:
                    conv._conversations[key] = states[0]  # put the user in that step
                else:
                    conv._conversations.pop(key, None)  # outside the conversation
                query = await both.press_data(1, kind.sample_data())
                answer = await both.answer_of(query)
                assert answer.text == f"reached {kind.name}", kind.name
                assert seen[-1] == (kind, tuple(a.sample for a in kind.args))
            assert len(seen) == len(KINDS) - 1


async def test_each_kind_is_refused_to_the_roles_it_excludes(tmp_path: Path) -> None:
    async with roles_world(tmp_path) as w:
        composer, approver = w.admin(0), w.admin(1)
        with recording() as seen:
            for kind in KINDS:
                for user in (composer, approver):
                    allowed = (
                        kind.who is cb.Who.KNOWN
                        or (kind.who is cb.Who.COMPOSER and user is composer)
                        or (kind.who is cb.Who.APPROVER and user is approver)
                    )
                    if allowed or kind.scope == "compose":
                        continue  # allowed presses are proven above; compose needs a state
                    before = len(seen)
                    answer = await user.answer_of(await user.press_data(1, kind.sample_data()))
                    refusal = (
                        "approver_only" if kind.who is cb.Who.COMPOSER else "decision_not_allowed"
                    )
                    assert answer.show_alert and fa_prefix(refusal) in answer.text, kind.name
                    assert len(seen) == before, kind.name
            # the approver-only user is refused every compose step's button too
            for kind in [k for k in KINDS if k.scope == "compose"]:
                answer = await approver.answer_of(await approver.press_data(1, kind.sample_data()))
                assert answer.show_alert and fa_prefix("approver_only") in answer.text
            assert seen == []
        refused = count_rows(w, "audit_log", "action = ?", ("refused_not_allowed",))
        assert refused == sum(k.who is cb.Who.APPROVER for k in KINDS)


async def test_forged_presses_are_answered_out_of_date_and_reach_nothing(tmp_path: Path) -> None:
    async with roles_world(tmp_path) as w:
        both = w.admin(2)
        stale = fa_prefix("stale_menu")
        with recording() as seen:
            for kind in KINDS:
                for data in [*forged_variants(kind)[:4], "zz:1"]:
                    answer = await both.answer_of(await both.press_data(1, data))
                    assert answer.show_alert and stale in answer.text, data
            assert seen == []
