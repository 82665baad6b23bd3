"""APPROVAL_RULES: parsing, which rule applies, the start-up check, and the store's
counting compare-and-set (one person counts once; exactly one press completes the count)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.approval_rules import ApprovalRule, ApprovalRules, Requirement, parse_rules
from bot.config import ConfigError
from bot.domain import Draft, PhonebookSelection, RequestState
from storage import Store
from storage.db import migrate
from tests.bot.config_helpers import TOKEN, run_bot, settings

# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("", ()),
        ("  ", ()),
        ("recipients>=5000:2", (ApprovalRule("recipients", 5000, 2),)),
        (
            " recipients >= 5000 : 2 ,cost>=20000000:3 ",
            (ApprovalRule("recipients", 5000, 2), ApprovalRule("cost", 20000000, 3)),
        ),
        ("cost>=0:1,", (ApprovalRule("cost", 0, 1),)),  # a trailing comma, as in ADMIN_IDS
    ],
)
def test_rules_as_people_write_them(text: str, rules: tuple) -> None:
    assert parse_rules(text) == ApprovalRules(rules)


@pytest.mark.parametrize(
    "text",
    [
        "recipients>5000:2",  # only >=
        "recipients>=5000",  # no K
        "recipients>=5000:0",  # K ≥ 1
        "recipients>=5000:101",  # K at most 100
        "recipients>=-5:2",
        "recipients>=5000:2.5",
        "cost>=2e7:2",
        "price>=5:2",
        "Recipients>=5:2",
        "recipients>=۵۰۰۰:2",  # Persian digits: one spelling only
        "recipients>=5000:2;cost>=1:2",
        "recipients>=5000:2 cost>=1:2",
    ],
)
def test_a_malformed_rule_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"^got "):
        parse_rules(text)


def test_str_is_the_rule_as_written_and_parses_back() -> None:
    rules = parse_rules("recipients >= 5000 : 2, cost>=20000000:3")
    assert str(rules) == "recipients>=5000:2,cost>=20000000:3"
    assert parse_rules(str(rules)) == rules


# ------------------------------------------------------------------ which rule applies

RULES = parse_rules("recipients>=5000:2,cost>=20000000:3,recipients>=50000:4")


@pytest.mark.parametrize(
    ("recipients", "cost", "approvals", "rule"),
    [
        (10, 1000.0, 1, None),  # nothing matches: the default
        (5000, 1000.0, 2, "recipients>=5000:2"),  # >= includes the threshold
        (4999, 19_999_999.0, 1, None),
        (4999, 20_000_000.0, 3, "cost>=20000000:3"),
        (6000, 25_000_000.0, 3, "cost>=20000000:3"),  # the highest matching K wins
        (60000, 25_000_000.0, 4, "recipients>=50000:4"),
    ],
)
def test_the_highest_matching_rule_wins(
    recipients: int, cost: float, approvals: int, rule: str | None
) -> None:
    needed = RULES.needed(recipients, cost)
    assert needed.approvals == approvals
    assert (str(needed.rule) if needed.rule else None) == rule
    assert not needed.cost_unknown


def test_an_unknown_cost_applies_the_strictest_cost_rule() -> None:
    rules = parse_rules("cost>=1000000:2,cost>=90000000:3,recipients>=100:2")
    assert rules.needed(10, None) == Requirement(3, ApprovalRule("cost", 90000000, 3), True)
    # a recipients rule that asks for more still wins, and is not "unknown"
    assert parse_rules("cost>=1:2,recipients>=5:3").needed(10, None) == Requirement(
        3, ApprovalRule("recipients", 5, 3)
    )
    assert ApprovalRules().needed(10, None) == Requirement(1)  # no rule: one approval


# ------------------------------------------------------------------ start-up


def test_more_approvals_than_approvers_stops_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        settings(tmp_path, approval_rules="cost>=1:3")  # ADMIN_IDS 11, 22: two approvers
    assert str(err.value).startswith("APPROVAL_RULES is invalid: ")
    assert "APPROVER_IDS" in str(err.value)
    # approvals off: the rules are not used, so they do not stop the bot
    assert settings(tmp_path, approval_rules="cost>=1:3", approvals_required="0")


def test_the_requester_never_counts_at_start_up(tmp_path: Path) -> None:
    """#19: three admins who are all approvers can each get two approvals at most."""
    three = {"admin_ids": "11,22,33"}
    with pytest.raises(ConfigError) as err:
        settings(tmp_path, approval_rules="recipients>=1:3", **three)
    assert str(err.value) == (
        "APPROVAL_RULES is invalid: a rule asks for 3 approvals but admin 11 can get at "
        "most 2 (APPROVER_IDS other than the requester)"
    )
    assert settings(tmp_path, approval_rules="recipients>=1:2", **three)
    # an admin who is not an approver can get all three
    assert settings(
        tmp_path, approval_rules="recipients>=1:3", admin_ids="11", approver_ids="22,33,44"
    )
    # but one who is gets two: 22 asks, 33 and 44 approve
    with pytest.raises(ConfigError, match="admin 22 can get at most 2"):
        settings(tmp_path, approval_rules="cost>=1:3", approver_ids="22,33,44", **three)


def test_the_error_names_the_bad_rule_on_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        settings(tmp_path, approval_rules="recipients>=5000:2,cost>2:2\nx")
    message = str(err.value)
    assert message.startswith("APPROVAL_RULES is invalid: expected ")
    assert "cost>2:2" in message and "\n" not in message


def test_python_m_bot_with_a_malformed_rule_exits_2(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ADMIN_IDS": "11,22",
        "DATA_DIR": str(tmp_path),
        "APPROVAL_RULES": "recipients>5000:2",
    }
    result = run_bot(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "APPROVAL_RULES is invalid: " in lines[0]
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ the store

ALICE, BOB, CAROL, DAVE = 11, 22, 33, 44
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path):
    s = Store(tmp_path / "bot.sqlite3", MultiFernet([Fernet(Fernet.generate_key())]))
    await s.open()
    yield s
    await s.close()


async def pending(store: Store, needed: int = 2, expires: datetime | None = None):
    draft = await store.create_draft(ALICE)
    draft = Draft(
        id=draft.id,
        owner_id=ALICE,
        sender="+983000505",
        selections=[PhonebookSelection("1", "book", 10)],
        text="hello",
    )
    return await store.create_request(
        draft,
        ALICE,
        draft.snapshot(),
        expires or NOW + timedelta(hours=1),
        approvals_needed=needed,
        approval_rule="recipients>=1:2" if needed > 1 else None,
    )


async def test_exactly_one_press_completes_the_count(store: Store) -> None:
    request = await pending(store, needed=2)
    presses = [store.add_approval(request.id, who, now=NOW) for who in (BOB, CAROL, DAVE) * 4]
    tallies = await asyncio.gather(*presses)
    kinds = [t.kind for t in tallies]
    assert kinds.count("approved") == 1 and kinds.count("counted") == 1
    assert set(kinds) <= {"approved", "counted", "repeat", "not_pending"}
    fresh = await store.get_request(request.id)
    assert fresh.state == RequestState.APPROVED and len(fresh.approved_by) == 2
    winner = next(t for t in tallies if t.kind == "approved")
    assert fresh.decided_by == fresh.approved_by[-1] and winner.approved_by == fresh.approved_by


async def test_one_person_counts_once(store: Store) -> None:
    request = await pending(store, needed=2)
    first = await store.add_approval(request.id, BOB, now=NOW)
    again = await store.add_approval(request.id, BOB, now=NOW)
    assert (first.kind, first.approved_by, first.missing) == ("counted", (BOB,), 1)
    assert (again.kind, again.approved_by) == ("repeat", (BOB,))
    assert (await store.get_request(request.id)).state == RequestState.PENDING
    with pytest.raises(sqlite3.IntegrityError):  # the table itself refuses a second row
        await store._db.execute(
            "INSERT INTO approvals (request_id, approver_id, at) VALUES (?, ?, 'x')",
            (request.id, BOB),
        )


async def test_the_requester_never_counts_and_expiry_ends_the_whole_request(
    store: Store,
) -> None:
    request = await pending(store, needed=2)
    assert (await store.add_approval(request.id, ALICE, now=NOW)).kind == "self"
    assert (await store.add_approval(request.id, BOB, now=NOW)).kind == "counted"
    late = NOW + timedelta(hours=2)
    assert (await store.add_approval(request.id, CAROL, now=late)).kind == "expired"
    assert [r.id for r in await store.expire_requests(late)] == [request.id]
    assert (await store.add_approval(request.id, CAROL, now=NOW)).kind == "not_pending"
    assert (await store.get_request(request.id)).state == RequestState.EXPIRED


async def test_a_reject_after_an_approval_ends_it(store: Store) -> None:
    request = await pending(store, needed=2)
    await store.add_approval(request.id, BOB, now=NOW)
    assert await store.decide_request(
        request.id, to_state=RequestState.REJECTED, decided_by=CAROL, reason=None
    )
    assert (await store.add_approval(request.id, DAVE, now=NOW)).kind == "not_pending"
    assert (await store.get_request(request.id)).state == RequestState.REJECTED


async def test_only_approvals_of_current_approvers_count(store: Store) -> None:
    request = await pending(store, needed=2)
    await store.add_approval(request.id, DAVE, now=NOW)  # DAVE is then removed as approver
    tally = await store.add_approval(request.id, BOB, now=NOW, eligible={BOB, CAROL})
    assert (tally.kind, tally.approved_by) == ("counted", (BOB,))
    tally = await store.add_approval(request.id, CAROL, now=NOW, eligible={BOB, CAROL})
    assert tally.kind == "approved"


async def test_one_approval_by_default(store: Store) -> None:
    request = await pending(store, needed=1)
    assert request.approvals_needed == 1 and request.approval_rule is None
    assert (await store.add_approval(request.id, BOB, now=NOW)).kind == "approved"


async def test_migration_keeps_pending_requests_at_one_approval(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await migrate(conn, target=5)
        await conn.execute(
            "INSERT INTO approval_requests (draft_id, requester_id, snapshot, content_hash, "
            "state, created_at, expires_at) VALUES (1, 11, '{}', 'h', 'pending', 'a', 'b')"
        )
        await migrate(conn)
        rows = list(await conn.execute_fetchall("SELECT approvals_needed FROM approval_requests"))
        assert [r[0] for r in rows] == [1]
    finally:
        await conn.close()
