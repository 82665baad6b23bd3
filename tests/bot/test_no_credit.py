"""Pure rules of bot.no_credit: when a report means the credit ran out, and what then."""

from __future__ import annotations

from bot.ippanel import BulkReport
from bot.no_credit import CreditShortfall, nothing_went_out, ran_out, settled
from bot.provider_words import shortfall_text


def report(state_id: int | None, exit_count: int = 0, cost: float = 0) -> BulkReport:
    return BulkReport(
        state=None,
        status=None,
        state_id=state_id,
        rcpts_count=10,
        exit_count=exit_count,
        cost=cost,
        part=1,
        time_send=None,
    )


def test_state_8_is_credit_that_ran_out() -> None:
    assert ran_out([report(6), report(8)])
    assert not ran_out([report(6), report(2), report(None)])


def test_only_a_send_that_left_nothing_may_become_failed() -> None:
    assert nothing_went_out([report(8), report(8)])
    assert not nothing_went_out([report(8, exit_count=3)])  # part went out: stays sent
    assert not nothing_went_out([report(8), report(6)])
    assert not nothing_went_out([])


def test_settled_states_are_not_asked_again() -> None:
    assert settled([report(6), report(7)])
    assert not settled([report(6), report(2)])  # still sending: it may yet fail


def test_amounts_are_shown_in_each_language_or_a_dash() -> None:
    fa = shortfall_text("fa", "credit_ran_out", CreditShortfall(credit=2500, cost=31250), no=7)
    assert "۲٬۵۰۰" in fa and "۳۱٬۲۵۰" in fa and "#7" in fa
    en = shortfall_text("en", "credit_ran_out", CreditShortfall(credit=None, cost=31250), no=7)
    assert "31,250" in en and "—" in en
